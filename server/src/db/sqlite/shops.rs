//! Shops, their origins and their token hashes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::millis;
use crate::db::{DbError, DbResult, HAS_ERASED, NewShop, Shop};
use crate::tokens::TokenKind;

const SHOP_COLUMNS: &str = "id, name, public_key, allowed_origins, points_per_unit, time_zone, churn_window_days, survey_cooldown_days, widget_secret, require_verified, text_retention_days";

fn shop_of(r: &Row) -> rusqlite::Result<Shop> {
    let origins: String = r.get(3)?;
    let zone: String = r.get(5)?;
    let bad = |i: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(Shop {
        id: r.get(0)?,
        name: r.get(1)?,
        public_key: r.get(2)?,
        allowed_origins: serde_json::from_str(&origins).map_err(|e| bad(3, e.into()))?,
        points_per_unit: r.get(4)?,
        time_zone: zone
            .parse()
            .map_err(|e: chrono_tz::ParseError| bad(5, e.to_string().into()))?,
        churn_window_days: r.get(6)?,
        survey_cooldown_days: r.get(7)?,
        widget_secret: r.get(8)?,
        require_verified: r.get(9)?,
        text_retention_days: r.get(10)?,
        has_erased_customers: r.get(11)?,
    })
}

pub fn create(c: &Connection, new: &NewShop, now: DateTime<Utc>) -> DbResult<()> {
    let s = &new.shop;
    let taken = c
        .query_row(
            "SELECT id FROM shops WHERE id = ?1 OR public_key = ?2",
            params![s.id, s.public_key],
            |r| r.get::<_, String>(0),
        )
        .optional()?;
    if let Some(existing) = taken {
        return Err(DbError::Conflict(if existing == s.id {
            format!("a shop with the id {:?} exists", s.id)
        } else {
            "another shop has this public key".to_string()
        }));
    }
    c.execute(
        &format!(
            "INSERT INTO shops ({SHOP_COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ),
        params![
            s.id,
            s.name,
            s.public_key,
            serde_json::to_string(&s.allowed_origins)?,
            s.points_per_unit,
            s.time_zone.name(),
            s.churn_window_days,
            s.survey_cooldown_days,
            s.widget_secret,
            s.require_verified,
            s.text_retention_days,
            millis(now)
        ],
    )?;
    for (kind, hash) in [
        (TokenKind::BackOffice, &new.back_office_token_hash),
        (TokenKind::Owner, &new.owner_token_hash),
    ] {
        c.execute(
            "INSERT INTO tokens (shop_id, kind, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![s.id, kind.as_str(), hash, millis(now)],
        )?;
    }
    for tier in &new.tiers {
        c.execute(
            "INSERT INTO tiers (shop_id, name, min_points, labels) VALUES (?1, ?2, ?3, ?4)",
            params![
                s.id,
                tier.name,
                tier.min_points,
                serde_json::to_string(&tier.labels)?
            ],
        )?;
    }
    Ok(())
}

pub fn by_id(c: &Connection, id: &str) -> DbResult<Option<Shop>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {SHOP_COLUMNS}, {HAS_ERASED} FROM shops WHERE id = ?1"
    ))?;
    Ok(st.query_row([id], shop_of).optional()?)
}

pub fn by_public_key(c: &Connection, key: &str) -> DbResult<Option<Shop>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {SHOP_COLUMNS}, {HAS_ERASED} FROM shops WHERE public_key = ?1"
    ))?;
    Ok(st.query_row([key], shop_of).optional()?)
}

pub fn set_origins(c: &Connection, id: &str, origins: &[String]) -> DbResult<()> {
    let changed = c.execute(
        "UPDATE shops SET allowed_origins = ?2 WHERE id = ?1",
        params![id, serde_json::to_string(origins)?],
    )?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {id:?}")));
    }
    Ok(())
}

pub fn token_hashes(c: &Connection, shop_id: &str, kind: TokenKind) -> DbResult<Vec<Vec<u8>>> {
    let mut st = c.prepare_cached("SELECT hash FROM tokens WHERE shop_id = ?1 AND kind = ?2")?;
    let hashes = st
        .query_map(params![shop_id, kind.as_str()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(hashes)
}
