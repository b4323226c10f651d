//! Changing a shop: settings and tiers (recomputing what depends on the time zone
//! and the churn window), tokens, the audit log; and the owner's sessions.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use deadpool_postgres::{Client, Transaction};
use uuid::Uuid;

use super::customers::refresh_all;
use super::{answers, signed};
use crate::calendar::local_day;
use crate::db::{
    AnswerQuery, AuditRecord, DbError, DbResult, SessionRecord, ShopUpdate, rollups_of_stored,
};
use crate::tokens::TokenKind;

pub async fn update_shop(client: &mut Client, shop_id: &str, u: &ShopUpdate) -> DbResult<()> {
    let tx = client.transaction().await?;
    // A new time zone or churn window recounts every customer of the shop.
    super::Runs::AsJob.begin(&tx).await?;
    super::lock_shop_whole(&tx, shop_id).await?;
    let row = tx
        .query_opt(
            "SELECT time_zone, churn_window_days FROM shops WHERE id = $1 FOR NO KEY UPDATE",
            &[&shop_id],
        )
        .await?
        .ok_or_else(|| DbError::NotFound(format!("no shop has the id {shop_id:?}")))?;
    let (zone, window): (String, i32) = (row.try_get(0)?, row.try_get(1)?);
    let new_window = i32::try_from(u.churn_window_days).map_err(DbError::internal)?;
    tx.execute(
        "UPDATE shops SET name = $2, allowed_origins = $3, points_per_unit = $4, churn_window_days = $5,
                          time_zone = $6, survey_cooldown_days = $7, require_verified = $8,
                          text_retention_days = $9 WHERE id = $1",
        &[
            &shop_id,
            &u.name,
            &serde_json::to_value(&u.allowed_origins)?,
            &signed(u.points_per_unit)?,
            &new_window,
            &u.time_zone.name(),
            &i32::try_from(u.survey_cooldown_days).map_err(DbError::internal)?,
            &u.require_verified,
            &i32::try_from(u.text_retention_days).map_err(DbError::internal)?,
        ],
    )
    .await?;
    tx.execute("DELETE FROM tiers WHERE shop_id = $1", &[&shop_id])
        .await?;
    for tier in &u.tiers {
        tx.execute(
            "INSERT INTO tiers (shop_id, name, min_points, labels) VALUES ($1, $2, $3, $4)",
            &[
                &shop_id,
                &tier.name,
                &signed(tier.min_points)?,
                &serde_json::to_value(&tier.labels)?,
            ],
        )
        .await?;
    }
    let zone_changed = zone != u.time_zone.name();
    if zone_changed {
        redo_days(&tx, shop_id, u.time_zone).await?;
    }
    if zone_changed || window != new_window {
        refresh_all(&tx, shop_id, u.churn_window_days).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives every answer and purchase of the shop its day in `zone`, and rebuilds the
/// answer rollups from the answers.
async fn redo_days(tx: &Transaction<'_>, shop_id: &str, zone: Tz) -> DbResult<()> {
    let (mut ids, mut days): (Vec<Uuid>, Vec<NaiveDate>) = (Vec::new(), Vec::new());
    for r in tx
        .query(
            "SELECT id, answered_at FROM answers WHERE shop_id = $1",
            &[&shop_id],
        )
        .await?
    {
        ids.push(r.try_get(0)?);
        days.push(local_day(r.try_get::<_, DateTime<Utc>>(1)?, zone));
    }
    tx.execute(
        "UPDATE answers a SET day = d.day FROM unnest($1::uuid[], $2::date[]) AS d(id, day) WHERE a.id = d.id",
        &[&ids, &days],
    )
    .await?;
    let (mut purchase_ids, mut days): (Vec<String>, Vec<NaiveDate>) = (Vec::new(), Vec::new());
    for r in tx
        .query(
            "SELECT purchase_id, purchased_at FROM purchases WHERE shop_id = $1",
            &[&shop_id],
        )
        .await?
    {
        purchase_ids.push(r.try_get(0)?);
        days.push(local_day(r.try_get::<_, DateTime<Utc>>(1)?, zone));
    }
    tx.execute(
        "UPDATE purchases p SET day = d.day FROM unnest($2::text[], $3::date[]) AS d(purchase_id, day)
         WHERE p.shop_id = $1 AND p.purchase_id = d.purchase_id",
        &[&shop_id, &purchase_ids, &days],
    )
    .await?;
    tx.execute("DELETE FROM answer_rollups WHERE shop_id = $1", &[&shop_id])
        .await?;
    tx.execute("DELETE FROM reason_rollups WHERE shop_id = $1", &[&shop_id])
        .await?;
    let (stored, _) = answers::find(tx, shop_id, &AnswerQuery::default()).await?;
    let (rollups, reasons) = rollups_of_stored(&stored);
    answers::add_rollups(tx, shop_id, &rollups, &reasons).await
}

pub async fn set_widget_secret(client: &Client, shop_id: &str, secret: &str) -> DbResult<()> {
    let changed = client
        .execute(
            "UPDATE shops SET widget_secret = $2 WHERE id = $1",
            &[&shop_id, &secret],
        )
        .await?;
    if changed == 0 {
        return Err(DbError::NotFound(format!("no shop has the id {shop_id:?}")));
    }
    Ok(())
}

pub async fn replace_token(
    client: &mut Client,
    shop_id: &str,
    kind: TokenKind,
    hash: &[u8],
    now: DateTime<Utc>,
) -> DbResult<()> {
    let tx = client.transaction().await?;
    // Rotations of one shop take turns (the shop's row, as the writes within
    // a limit take it): under READ COMMITTED, two at once would each delete
    // only the tokens there were before either began, and both new tokens
    // would stay valid (an outside test kept 7 of 20).
    tx.execute(
        "SELECT 1 FROM shops WHERE id = $1 FOR NO KEY UPDATE",
        &[&shop_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM tokens WHERE shop_id = $1 AND kind = $2",
        &[&shop_id, &kind.as_str()],
    )
    .await?;
    tx.execute(
        "INSERT INTO tokens (shop_id, kind, hash, created_at) VALUES ($1, $2, $3, $4)",
        &[&shop_id, &kind.as_str(), &hash, &now],
    )
    .await?;
    if kind == TokenKind::Owner {
        tx.execute("DELETE FROM owner_sessions WHERE shop_id = $1", &[&shop_id])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn record_audit(client: &Client, shop_id: &str, e: &AuditRecord) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO audit_log (shop_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&shop_id, &e.at, &e.actor, &e.action, &e.detail],
        )
        .await?;
    Ok(())
}

pub async fn audit_log(client: &Client, shop_id: &str, limit: u64) -> DbResult<Vec<AuditRecord>> {
    client
        .query(
            "SELECT at, actor, action, detail FROM audit_log WHERE shop_id = $1 ORDER BY at DESC LIMIT $2",
            &[&shop_id, &signed(limit)?],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(AuditRecord {
                at: r.try_get(0)?,
                actor: r.try_get(1)?,
                action: r.try_get(2)?,
                detail: r.try_get(3)?,
            })
        })
        .collect()
}

pub async fn create_session(client: &Client, s: &SessionRecord) -> DbResult<()> {
    client
        .execute(
            "DELETE FROM owner_sessions WHERE expires_at <= $1",
            &[&s.created_at],
        )
        .await?;
    client
        .execute(
            "INSERT INTO owner_sessions (id_hash, shop_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&s.id_hash, &s.shop_id, &s.csrf, &s.created_at, &s.expires_at],
        )
        .await?;
    Ok(())
}

pub async fn session(
    client: &Client,
    id_hash: &[u8],
    now: DateTime<Utc>,
) -> DbResult<Option<SessionRecord>> {
    client
        .query_opt(
            "SELECT id_hash, shop_id, csrf, created_at, expires_at FROM owner_sessions
             WHERE id_hash = $1 AND expires_at > $2",
            &[&id_hash, &now],
        )
        .await?
        .map(|r| {
            Ok(SessionRecord {
                id_hash: r.try_get(0)?,
                shop_id: r.try_get(1)?,
                csrf: r.try_get(2)?,
                created_at: r.try_get(3)?,
                expires_at: r.try_get(4)?,
            })
        })
        .transpose()
}

pub async fn delete_session(client: &Client, id_hash: &[u8]) -> DbResult<()> {
    client
        .execute("DELETE FROM owner_sessions WHERE id_hash = $1", &[&id_hash])
        .await?;
    Ok(())
}
