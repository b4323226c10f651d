//! Changing a shop: settings and tiers (recomputing what depends on the time zone
//! and the churn window), tokens, the audit log; and the owner's sessions.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{answers, customers, instant, millis};
use crate::calendar::local_day;
use crate::db::{
    AnswerQuery, AuditRecord, DbError, DbResult, SessionRecord, ShopUpdate, rollups_of_stored,
};
use crate::tokens::TokenKind;

pub fn update_shop(c: &Connection, shop_id: &str, u: &ShopUpdate) -> DbResult<()> {
    let (zone, window): (String, u32) = c
        .query_row(
            "SELECT time_zone, churn_window_days FROM shops WHERE id = ?1",
            [shop_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("no shop has the id {shop_id:?}")))?;
    c.execute(
        "UPDATE shops SET name = ?2, allowed_origins = ?3, points_per_unit = ?4, churn_window_days = ?5,
                          time_zone = ?6, survey_cooldown_days = ?7, require_verified = ?8,
                          text_retention_days = ?9 WHERE id = ?1",
        params![
            shop_id,
            u.name,
            serde_json::to_string(&u.allowed_origins)?,
            u.points_per_unit,
            u.churn_window_days,
            u.time_zone.name(),
            u.survey_cooldown_days,
            u.require_verified,
            u.text_retention_days
        ],
    )?;
    c.execute("DELETE FROM tiers WHERE shop_id = ?1", [shop_id])?;
    for tier in &u.tiers {
        c.execute(
            "INSERT INTO tiers (shop_id, name, min_points, labels) VALUES (?1, ?2, ?3, ?4)",
            params![
                shop_id,
                tier.name,
                tier.min_points,
                serde_json::to_string(&tier.labels)?
            ],
        )?;
    }
    let zone_changed = zone != u.time_zone.name();
    if zone_changed {
        redo_days(c, shop_id, u.time_zone)?;
    }
    if zone_changed || window != u.churn_window_days {
        customers::rebuild_shop(c, shop_id, u.churn_window_days)?;
    }
    Ok(())
}

/// Gives every answer and purchase of the shop its day in `zone`, and rebuilds the
/// answer rollups from the answers.
fn redo_days(c: &Connection, shop_id: &str, zone: Tz) -> DbResult<()> {
    let answers: Vec<(Uuid, i64)> = c
        .prepare("SELECT id, answered_at FROM answers WHERE shop_id = ?1")?
        .query_map([shop_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut set = c.prepare("UPDATE answers SET day = ?2 WHERE id = ?1")?;
    for (id, at) in answers {
        set.execute(params![id, local_day(instant(at)?, zone)])?;
    }
    let purchases: Vec<(String, i64)> = c
        .prepare("SELECT purchase_id, purchased_at FROM purchases WHERE shop_id = ?1")?
        .query_map([shop_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut set =
        c.prepare("UPDATE purchases SET day = ?3 WHERE shop_id = ?1 AND purchase_id = ?2")?;
    for (id, at) in purchases {
        set.execute(params![shop_id, id, local_day(instant(at)?, zone)])?;
    }
    c.execute("DELETE FROM answer_rollups WHERE shop_id = ?1", [shop_id])?;
    c.execute("DELETE FROM reason_rollups WHERE shop_id = ?1", [shop_id])?;
    let (stored, _) = answers::find(c, shop_id, &AnswerQuery::default())?;
    let (rollups, reasons) = rollups_of_stored(&stored);
    answers::add_rollups(c, shop_id, &rollups, &reasons)
}

pub fn set_widget_secret(c: &Connection, shop_id: &str, secret: &str) -> DbResult<()> {
    let changed = c.execute(
        "UPDATE shops SET widget_secret = ?2 WHERE id = ?1",
        params![shop_id, secret],
    )?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {shop_id:?}")));
    }
    Ok(())
}

pub fn replace_token(
    c: &Connection,
    shop_id: &str,
    kind: TokenKind,
    hash: &[u8],
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "DELETE FROM tokens WHERE shop_id = ?1 AND kind = ?2",
        params![shop_id, kind.as_str()],
    )?;
    c.execute(
        "INSERT INTO tokens (shop_id, kind, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![shop_id, kind.as_str(), hash, millis(now)],
    )?;
    if kind == TokenKind::Owner {
        c.execute("DELETE FROM owner_sessions WHERE shop_id = ?1", [shop_id])?;
    }
    Ok(())
}

pub fn record_audit(c: &Connection, shop_id: &str, e: &AuditRecord) -> DbResult<()> {
    c.execute(
        "INSERT INTO audit_log (shop_id, at, actor, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![shop_id, millis(e.at), e.actor, e.action, e.detail],
    )?;
    Ok(())
}

pub fn audit_log(c: &Connection, shop_id: &str, limit: u64) -> DbResult<Vec<AuditRecord>> {
    let mut st = c.prepare_cached(
        "SELECT at, actor, action, detail FROM audit_log WHERE shop_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![shop_id, limit as i64], |r| {
            Ok(AuditRecord {
                at: instant(r.get(0)?)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                detail: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn create_session(c: &Connection, s: &SessionRecord) -> DbResult<()> {
    // Sessions that expired are of no use to anyone: sweep them as new ones come.
    c.execute(
        "DELETE FROM owner_sessions WHERE expires_at <= ?1",
        [millis(s.created_at)],
    )?;
    c.execute(
        "INSERT INTO owner_sessions (id_hash, shop_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![s.id_hash, s.shop_id, s.csrf, millis(s.created_at), millis(s.expires_at)],
    )?;
    Ok(())
}

pub fn session(
    c: &Connection,
    id_hash: &[u8],
    now: DateTime<Utc>,
) -> DbResult<Option<SessionRecord>> {
    Ok(c.prepare_cached(
        "SELECT id_hash, shop_id, csrf, created_at, expires_at FROM owner_sessions
         WHERE id_hash = ?1 AND expires_at > ?2",
    )?
    .query_row(params![id_hash, millis(now)], |r| {
        Ok(SessionRecord {
            id_hash: r.get(0)?,
            shop_id: r.get(1)?,
            csrf: r.get(2)?,
            created_at: instant(r.get(3)?)?,
            expires_at: instant(r.get(4)?)?,
        })
    })
    .optional()?)
}

pub fn delete_session(c: &Connection, id_hash: &[u8]) -> DbResult<()> {
    c.execute("DELETE FROM owner_sessions WHERE id_hash = ?1", [id_hash])?;
    Ok(())
}
