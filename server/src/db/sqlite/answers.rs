//! Answers: typed rows, their churn reasons, and the rollups kept beside them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kept_shared::Answer;
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{instant, millis};
use crate::db::columns::{channel_of, columns, value_of};
use crate::db::{AnswerRecord, DbResult, rollups_of};

/// Inserts each answer once (by id, across all shops), its reasons and its rollup
/// increments; runs inside the writer's transaction.
pub fn insert(
    c: &Connection,
    shop_id: &str,
    records: &[AnswerRecord],
    received_at: DateTime<Utc>,
) -> DbResult<Vec<bool>> {
    let mut insert_answer = c.prepare_cached(
        "INSERT INTO answers (id, shop_id, survey_id, kind, channel, store_id, score, text, has_text,
                              customer_ref, order_ref, verified, answered_at, day, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO NOTHING",
    )?;
    let mut insert_reason = c.prepare_cached(
        "INSERT INTO answer_reasons (answer_id, reason, position) VALUES (?1, ?2, ?3)",
    )?;
    let mut inserted = Vec::with_capacity(records.len());
    for r in records {
        let a = &r.answer;
        let (score, text, reasons) = columns(&a.value);
        let new = insert_answer.execute(params![
            a.id,
            shop_id,
            a.survey,
            a.value.kind_name(),
            a.channel.as_str(),
            r.store,
            score,
            text,
            text.is_some_and(|t| !t.trim().is_empty()),
            a.customer_ref,
            a.order_ref,
            r.verified,
            millis(a.answered_at),
            r.day,
            millis(received_at),
        ])? == 1;
        if new {
            for (position, reason) in reasons.iter().enumerate() {
                insert_reason.execute(params![a.id, reason, position as i64])?;
            }
        }
        inserted.push(new);
    }
    let (rollups, reasons) = rollups_of(
        records
            .iter()
            .zip(&inserted)
            .filter(|(_, new)| **new)
            .map(|(r, _)| r),
    );
    let mut bump = c.prepare_cached(
        "INSERT INTO answer_rollups (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT DO UPDATE SET count = count + excluded.count",
    )?;
    for r in &rollups {
        let k = &r.key;
        bump.execute(params![
            shop_id,
            k.day,
            k.channel.as_str(),
            k.store,
            k.survey,
            k.kind,
            k.score,
            k.with_text,
            k.verified,
            r.count
        ])?;
    }
    let mut bump = c.prepare_cached(
        "INSERT INTO reason_rollups (shop_id, day, channel, store_id, survey_id, reason, verified, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO UPDATE SET count = count + excluded.count",
    )?;
    for r in &reasons {
        bump.execute(params![
            shop_id,
            r.day,
            r.channel.as_str(),
            r.store,
            r.survey,
            r.reason,
            r.verified,
            r.count
        ])?;
    }
    Ok(inserted)
}

pub fn list(c: &Connection, shop_id: &str) -> DbResult<Vec<AnswerRecord>> {
    let mut reasons: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    let mut st = c.prepare(
        "SELECT r.answer_id, r.reason FROM answer_reasons r JOIN answers a ON a.id = r.answer_id
         WHERE a.shop_id = ?1 ORDER BY r.answer_id, r.position",
    )?;
    for row in st.query_map([shop_id], |r| Ok((r.get::<_, Uuid>(0)?, r.get(1)?)))? {
        let (id, reason) = row?;
        reasons.entry(id).or_default().push(reason);
    }
    let mut st = c.prepare(
        "SELECT id, survey_id, kind, channel, store_id, score, text, customer_ref, order_ref,
                verified, answered_at, day
         FROM answers WHERE shop_id = ?1 ORDER BY answered_at, id",
    )?;
    let rows = st.query_map([shop_id], |r| {
        Ok((
            r.get::<_, Uuid>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<u8>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, bool>(9)?,
            instant(r.get(10)?)?,
            r.get(11)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            survey,
            kind,
            channel,
            store,
            score,
            text,
            customer_ref,
            order_ref,
            verified,
            answered_at,
            day,
        ) = row?;
        let value = value_of(&kind, score, text, reasons.remove(&id).unwrap_or_default())?;
        out.push(AnswerRecord {
            answer: Answer {
                id,
                shop: shop_id.to_string(),
                survey,
                channel: channel_of(&channel)?,
                customer_ref,
                order_ref,
                answered_at,
                value,
            },
            day,
            verified,
            store,
        });
    }
    Ok(out)
}
