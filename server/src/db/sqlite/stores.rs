//! Stores, the shop's kiosk PIN and its kiosk tablets.

use kept_shared::Store;
use rusqlite::{Connection, OptionalExtension, params};

use super::{instant, millis};
use crate::db::{DbError, DbResult, DeviceRecord};

/// One statement, on the one writer: counted and written at once.
pub fn put_store(c: &Connection, shop_id: &str, store: &Store, most: usize) -> DbResult<bool> {
    let written = c.execute(
        "INSERT INTO stores (shop_id, id, name) SELECT ?1, ?2, ?3
         WHERE EXISTS (SELECT 1 FROM stores WHERE shop_id = ?1 AND id = ?2)
            OR (SELECT count(*) FROM stores WHERE shop_id = ?1) < ?4
         ON CONFLICT (shop_id, id) DO UPDATE SET name = excluded.name",
        params![shop_id, store.id, store.name, most as i64],
    )?;
    Ok(written == 1)
}

pub fn stores(c: &Connection, shop_id: &str) -> DbResult<Vec<Store>> {
    let mut stmt =
        c.prepare_cached("SELECT id, name FROM stores WHERE shop_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([shop_id], |r| {
        Ok(Store {
            id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_kiosk_pin(c: &Connection, shop_id: &str, hash: Option<&[u8]>) -> DbResult<()> {
    let changed = c.execute(
        "UPDATE shops SET kiosk_pin_hash = ?2 WHERE id = ?1",
        params![shop_id, hash],
    )?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {shop_id:?}")));
    }
    Ok(())
}

pub fn kiosk_pin(c: &Connection, shop_id: &str) -> DbResult<Option<Vec<u8>>> {
    Ok(c.query_row(
        "SELECT kiosk_pin_hash FROM shops WHERE id = ?1",
        [shop_id],
        |r| r.get::<_, Option<Vec<u8>>>(0),
    )
    .optional()?
    .flatten())
}

pub fn record_device(c: &Connection, shop_id: &str, d: &DeviceRecord) -> DbResult<bool> {
    let changed = c.execute(
        "INSERT INTO devices (shop_id, id, store_id, version, pending, synced_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (shop_id, id) DO UPDATE SET
             store_id = excluded.store_id, version = excluded.version,
             pending = excluded.pending, last_seen_at = excluded.last_seen_at,
             synced_at = CASE
                 WHEN devices.synced_at IS NULL THEN excluded.synced_at
                 WHEN excluded.synced_at IS NULL THEN devices.synced_at
                 ELSE max(devices.synced_at, excluded.synced_at) END
             WHERE devices.removed = 0",
        params![
            shop_id,
            d.id,
            d.store,
            d.version,
            d.pending,
            d.synced_at.map(millis),
            millis(d.last_seen_at)
        ],
    )?;
    Ok(changed == 1)
}

pub fn set_device_removed(
    c: &Connection,
    shop_id: &str,
    device: &str,
    removed: bool,
) -> DbResult<()> {
    let changed = c.execute(
        "UPDATE devices SET removed = ?3 WHERE shop_id = ?1 AND id = ?2",
        params![shop_id, device, removed],
    )?;
    if changed == 0 && removed {
        return Err(DbError::NotFound(format!(
            "the shop has no tablet {device:?}"
        )));
    }
    Ok(())
}

pub fn devices(c: &Connection, shop_id: &str) -> DbResult<Vec<DeviceRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, store_id, version, pending, synced_at, last_seen_at
         FROM devices WHERE shop_id = ?1 AND removed = 0 ORDER BY id",
    )?;
    let rows = stmt.query_map([shop_id], |r| {
        Ok(DeviceRecord {
            id: r.get(0)?,
            store: r.get(1)?,
            version: r.get(2)?,
            pending: r.get(3)?,
            synced_at: r.get::<_, Option<i64>>(4)?.map(instant).transpose()?,
            last_seen_at: instant(r.get(5)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
