//! Stores, the shop's kiosk PIN and its kiosk tablets.

use deadpool_postgres::Client;
use kept_shared::Store;

use crate::db::{DbError, DbResult, DeviceRecord};

pub async fn put_store(
    client: &mut Client,
    shop_id: &str,
    store: &Store,
    most: usize,
) -> DbResult<bool> {
    super::write_within_limit(
        client,
        shop_id,
        "INSERT INTO stores (shop_id, id, name) SELECT $1, $2, $3
         WHERE EXISTS (SELECT 1 FROM stores WHERE shop_id = $1 AND id = $2)
            OR (SELECT count(*) FROM stores WHERE shop_id = $1) < $4
         ON CONFLICT (shop_id, id) DO UPDATE SET name = excluded.name",
        &[&shop_id, &store.id, &store.name, &(most as i64)],
    )
    .await
}

pub async fn stores(client: &Client, shop_id: &str) -> DbResult<Vec<Store>> {
    let rows = client
        .query(
            "SELECT id, name FROM stores WHERE shop_id = $1 ORDER BY id",
            &[&shop_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Store {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
            })
        })
        .collect()
}

pub async fn set_kiosk_pin(client: &Client, shop_id: &str, hash: Option<&[u8]>) -> DbResult<()> {
    let changed = client
        .execute(
            "UPDATE shops SET kiosk_pin_hash = $2 WHERE id = $1",
            &[&shop_id, &hash],
        )
        .await?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {shop_id:?}")));
    }
    Ok(())
}

pub async fn kiosk_pin(client: &Client, shop_id: &str) -> DbResult<Option<Vec<u8>>> {
    let row = client
        .query_opt(
            "SELECT kiosk_pin_hash FROM shops WHERE id = $1",
            &[&shop_id],
        )
        .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => None,
    })
}

pub async fn record_device(client: &Client, shop_id: &str, d: &DeviceRecord) -> DbResult<bool> {
    // GREATEST ignores NULLs: the later of the two sync times, or the one known.
    let changed = client
        .execute(
            "INSERT INTO devices (shop_id, id, store_id, version, pending, synced_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (shop_id, id) DO UPDATE SET
                 store_id = excluded.store_id, version = excluded.version,
                 pending = excluded.pending, last_seen_at = excluded.last_seen_at,
                 synced_at = GREATEST(devices.synced_at, excluded.synced_at)
             WHERE NOT devices.removed",
            &[
                &shop_id,
                &d.id,
                &d.store,
                &d.version,
                &i64::from(d.pending),
                &d.synced_at,
                &d.last_seen_at,
            ],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn set_device_removed(
    client: &Client,
    shop_id: &str,
    device: &str,
    removed: bool,
) -> DbResult<()> {
    let changed = client
        .execute(
            "UPDATE devices SET removed = $3 WHERE shop_id = $1 AND id = $2",
            &[&shop_id, &device, &removed],
        )
        .await?;
    if changed == 0 && removed {
        return Err(DbError::NotFound(format!(
            "the shop has no tablet {device:?}"
        )));
    }
    Ok(())
}

pub async fn devices(client: &Client, shop_id: &str) -> DbResult<Vec<DeviceRecord>> {
    let rows = client
        .query(
            "SELECT id, store_id, version, pending, synced_at, last_seen_at
             FROM devices WHERE shop_id = $1 AND NOT removed ORDER BY id",
            &[&shop_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let pending: i64 = r.try_get(3)?;
            Ok(DeviceRecord {
                id: r.try_get(0)?,
                store: r.try_get(1)?,
                version: r.try_get(2)?,
                pending: u32::try_from(pending).map_err(DbError::internal)?,
                synced_at: r.try_get(4)?,
                last_seen_at: r.try_get(5)?,
            })
        })
        .collect()
}
