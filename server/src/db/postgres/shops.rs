//! Shops, their origins and their token hashes.

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{signed, unsigned};
use crate::db::{DbError, DbResult, HAS_ERASED, NewShop, Shop};
use crate::tokens::TokenKind;

const SHOP_COLUMNS: &str = "id, name, public_key, allowed_origins, points_per_unit, time_zone, churn_window_days, survey_cooldown_days, widget_secret, require_verified, text_retention_days";

fn shop_of(r: &Row) -> DbResult<Shop> {
    let origins: serde_json::Value = r.try_get(3)?;
    let zone: String = r.try_get(5)?;
    let window: i32 = r.try_get(6)?;
    let cooldown: i32 = r.try_get(7)?;
    Ok(Shop {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        public_key: r.try_get(2)?,
        allowed_origins: serde_json::from_value(origins)?,
        points_per_unit: unsigned(r.try_get(4)?)?,
        time_zone: crate::db::zone_named(&zone)?,
        churn_window_days: u32::try_from(window).map_err(DbError::internal)?,
        survey_cooldown_days: u32::try_from(cooldown).map_err(DbError::internal)?,
        widget_secret: r.try_get(8)?,
        require_verified: r.try_get(9)?,
        text_retention_days: u32::try_from(r.try_get::<_, i32>(10)?).map_err(DbError::internal)?,
        has_erased_customers: r.try_get(11)?,
    })
}

pub async fn create(client: &mut Client, new: &NewShop, now: DateTime<Utc>) -> DbResult<()> {
    let s = &new.shop;
    let tx = client.transaction().await?;
    let inserted = tx
        .execute(
            &format!(
                "INSERT INTO shops ({SHOP_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ),
            &[
                &s.id,
                &s.name,
                &s.public_key,
                &serde_json::to_value(&s.allowed_origins)?,
                &signed(s.points_per_unit)?,
                &s.time_zone.name(),
                &i32::try_from(s.churn_window_days).map_err(DbError::internal)?,
                &i32::try_from(s.survey_cooldown_days).map_err(DbError::internal)?,
                &s.widget_secret,
                &s.require_verified,
                &i32::try_from(s.text_retention_days).map_err(DbError::internal)?,
                &now,
            ],
        )
        .await;
    if let Err(e) = inserted {
        return Err(if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            DbError::Conflict(format!(
                "a shop with the id {:?} or its public key exists",
                s.id
            ))
        } else {
            e.into()
        });
    }
    for (kind, hash) in [
        (TokenKind::BackOffice, &new.back_office_token_hash),
        (TokenKind::Owner, &new.owner_token_hash),
    ] {
        tx.execute(
            "INSERT INTO tokens (shop_id, kind, hash, created_at) VALUES ($1, $2, $3, $4)",
            &[&s.id, &kind.as_str(), hash, &now],
        )
        .await?;
    }
    for tier in &new.tiers {
        tx.execute(
            "INSERT INTO tiers (shop_id, name, min_points, labels) VALUES ($1, $2, $3, $4)",
            &[
                &s.id,
                &tier.name,
                &signed(tier.min_points)?,
                &serde_json::to_value(&tier.labels)?,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The shop whose `column` (`id` or `public_key`, both unique) is `value`.
pub async fn by_column(client: &Client, column: &str, value: &str) -> DbResult<Option<Shop>> {
    debug_assert!(matches!(column, "id" | "public_key"));
    let st = client
        .prepare_cached(&format!(
            "SELECT {SHOP_COLUMNS}, {HAS_ERASED} FROM shops WHERE {column} = $1"
        ))
        .await?;
    client
        .query_opt(&st, &[&value])
        .await?
        .map(|r| shop_of(&r))
        .transpose()
}

pub async fn set_origins(client: &Client, id: &str, origins: &[String]) -> DbResult<()> {
    let changed = client
        .execute(
            "UPDATE shops SET allowed_origins = $2 WHERE id = $1",
            &[&id, &serde_json::to_value(origins)?],
        )
        .await?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {id:?}")));
    }
    Ok(())
}

pub async fn token_hashes(
    client: &Client,
    shop_id: &str,
    kind: TokenKind,
) -> DbResult<Vec<Vec<u8>>> {
    let st = client
        .prepare_cached("SELECT hash FROM tokens WHERE shop_id = $1 AND kind = $2")
        .await?;
    let rows = client.query(&st, &[&shop_id, &kind.as_str()]).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
