//! Answers: typed rows, their churn reasons, and the rollups kept beside them,
//! each written with one multi-row statement (`unnest` of column arrays).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Client;
use kept_shared::Answer;
use uuid::Uuid;

use super::signed;
use crate::db::columns::{channel_of, columns, value_of};
use crate::db::{AnswerRecord, DbResult, rollups_of};

pub async fn insert(
    client: &mut Client,
    shop_id: &str,
    records: &[AnswerRecord],
    received_at: DateTime<Utc>,
) -> DbResult<Vec<bool>> {
    // Rows are locked in id order, so batches sharing answers (the same batch sent
    // to two instances) queue behind each other instead of deadlocking.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| records[i].answer.id);
    let rows: Vec<&AnswerRecord> = order.iter().map(|&i| &records[i]).collect();
    let col = |f: &dyn Fn(&AnswerRecord) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.answer.id).collect();
    let surveys = col(&|r| r.answer.survey.clone());
    let kinds = col(&|r| r.answer.value.kind_name().to_string());
    let channels = col(&|r| r.answer.channel.as_str().to_string());
    let stores: Vec<Option<&str>> = rows.iter().map(|r| r.store.as_deref()).collect();
    let scores: Vec<Option<i16>> = rows
        .iter()
        .map(|r| columns(&r.answer.value).0.map(i16::from))
        .collect();
    let texts: Vec<Option<&str>> = rows.iter().map(|r| columns(&r.answer.value).1).collect();
    let has_text: Vec<bool> = texts
        .iter()
        .map(|t| t.is_some_and(|t| !t.trim().is_empty()))
        .collect();
    let customers: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.answer.customer_ref.as_deref())
        .collect();
    let orders: Vec<Option<&str>> = rows.iter().map(|r| r.answer.order_ref.as_deref()).collect();
    let verified: Vec<bool> = rows.iter().map(|r| r.verified).collect();
    let answered: Vec<DateTime<Utc>> = rows.iter().map(|r| r.answer.answered_at).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.day).collect();

    let tx = client.transaction().await?;
    let stored: HashSet<Uuid> = tx
        .query(
            "INSERT INTO answers (shop_id, received_at, id, survey_id, kind, channel, store_id, score, text,
                                  has_text, customer_ref, order_ref, verified, answered_at, day)
             SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                                          $8::smallint[], $9::text[], $10::bool[], $11::text[], $12::text[],
                                          $13::bool[], $14::timestamptz[], $15::date[])
             ON CONFLICT (id) DO NOTHING
             RETURNING id",
            &[
                &shop_id, &received_at, &ids, &surveys, &kinds, &channels, &stores, &scores, &texts,
                &has_text, &customers, &orders, &verified, &answered, &days,
            ],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;

    // An id inserted now is new for its first occurrence in the batch only.
    let mut seen = HashSet::new();
    let inserted: Vec<bool> = records
        .iter()
        .map(|r| stored.contains(&r.answer.id) && seen.insert(r.answer.id))
        .collect();
    let new: Vec<&AnswerRecord> = records
        .iter()
        .zip(&inserted)
        .filter(|(_, new)| **new)
        .map(|(r, _)| r)
        .collect();

    let (mut reason_ids, mut reasons, mut positions) = (Vec::new(), Vec::new(), Vec::<i16>::new());
    for r in &new {
        for (position, reason) in (0..).zip(columns(&r.answer.value).2) {
            reason_ids.push(r.answer.id);
            reasons.push(reason.as_str());
            positions.push(position);
        }
    }
    if !reason_ids.is_empty() {
        tx.execute(
            "INSERT INTO answer_reasons (answer_id, reason, position)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::smallint[])",
            &[&reason_ids, &reasons, &positions],
        )
        .await?;
    }

    let (rollups, reason_rollups) = rollups_of(new.iter().copied());
    if !rollups.is_empty() {
        let keys: Vec<_> = rollups.iter().map(|r| &r.key).collect();
        let days: Vec<NaiveDate> = keys.iter().map(|k| k.day).collect();
        let channels: Vec<&str> = keys.iter().map(|k| k.channel.as_str()).collect();
        let stores: Vec<&str> = keys.iter().map(|k| k.store.as_str()).collect();
        let surveys: Vec<&str> = keys.iter().map(|k| k.survey.as_str()).collect();
        let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
        let scores: Vec<i16> = keys.iter().map(|k| k.score).collect();
        let with_text: Vec<bool> = keys.iter().map(|k| k.with_text).collect();
        let verified: Vec<bool> = keys.iter().map(|k| k.verified).collect();
        let counts = rollups
            .iter()
            .map(|r| signed(r.count))
            .collect::<DbResult<Vec<i64>>>()?;
        tx.execute(
            "INSERT INTO answer_rollups AS r (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified, count)
             SELECT $1, * FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::smallint[], $8::bool[], $9::bool[], $10::bigint[])
             ON CONFLICT (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified)
             DO UPDATE SET count = r.count + excluded.count",
            &[
                &shop_id, &days, &channels, &stores, &surveys, &kinds, &scores, &with_text, &verified,
                &counts,
            ],
        )
        .await?;
    }
    if !reason_rollups.is_empty() {
        let days: Vec<NaiveDate> = reason_rollups.iter().map(|r| r.day).collect();
        let channels: Vec<&str> = reason_rollups.iter().map(|r| r.channel.as_str()).collect();
        let stores: Vec<&str> = reason_rollups.iter().map(|r| r.store.as_str()).collect();
        let surveys: Vec<&str> = reason_rollups.iter().map(|r| r.survey.as_str()).collect();
        let reasons: Vec<&str> = reason_rollups.iter().map(|r| r.reason.as_str()).collect();
        let verified: Vec<bool> = reason_rollups.iter().map(|r| r.verified).collect();
        let counts = reason_rollups
            .iter()
            .map(|r| signed(r.count))
            .collect::<DbResult<Vec<i64>>>()?;
        tx.execute(
            "INSERT INTO reason_rollups AS r (shop_id, day, channel, store_id, survey_id, reason, verified, count)
             SELECT $1, * FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::bigint[])
             ON CONFLICT (shop_id, day, channel, store_id, survey_id, reason, verified)
             DO UPDATE SET count = r.count + excluded.count",
            &[&shop_id, &days, &channels, &stores, &surveys, &reasons, &verified, &counts],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

pub async fn list(client: &Client, shop_id: &str) -> DbResult<Vec<AnswerRecord>> {
    let rows = client
        .query(
            "SELECT a.id, a.survey_id, a.kind, a.channel, a.store_id, a.score, a.text, a.customer_ref,
                    a.order_ref, a.verified, a.answered_at, a.day,
                    coalesce((SELECT array_agg(r.reason ORDER BY r.position)
                              FROM answer_reasons r WHERE r.answer_id = a.id), '{}')
             FROM answers a WHERE a.shop_id = $1 ORDER BY a.answered_at, a.id",
            &[&shop_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let score: Option<i16> = r.try_get(5)?;
            let score = score
                .map(u8::try_from)
                .transpose()
                .map_err(crate::db::DbError::internal)?;
            Ok(AnswerRecord {
                answer: Answer {
                    id: r.try_get(0)?,
                    shop: shop_id.to_string(),
                    survey: r.try_get(1)?,
                    channel: channel_of(r.try_get(3)?)?,
                    customer_ref: r.try_get(7)?,
                    order_ref: r.try_get(8)?,
                    answered_at: r.try_get(10)?,
                    value: value_of(r.try_get(2)?, score, r.try_get(6)?, r.try_get(12)?)?,
                },
                day: r.try_get(11)?,
                verified: r.try_get(9)?,
                store: r.try_get(4)?,
            })
        })
        .collect()
}
