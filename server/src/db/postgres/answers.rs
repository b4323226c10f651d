//! Answers: typed rows, their churn reasons, and the rollups kept beside them,
//! each written with one multi-row statement (`unnest` of column arrays).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Client;
use kept_shared::{Answer, FollowUp, FollowUpStatus, FollowUpUpdate};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Args, params, send_cursor, signed, unsigned};
use crate::db::answer_filter::{Param, answer_filter, answer_order, answer_source};
use crate::db::columns::{
    channel_of, columns, event_kind, event_kind_of, fold_text, sql_page, value_of,
};
use crate::db::snapshot::PageSender;
use crate::db::{
    AnswerQuery, AnswerRecord, DbError, DbResult, ERASED_MEANWHILE, Erased, KnownAnswer, NewEvent,
    ReasonRollup, Rollup, StoredAnswer, WidgetEventCount, events_of_new, in_zone, rollups_of,
};

pub async fn insert(
    client: &mut Client,
    shop_id: &str,
    records: &[AnswerRecord],
    received_at: DateTime<Utc>,
    events: &[NewEvent],
) -> DbResult<Vec<bool>> {
    let tx = client.transaction().await?;
    // The shop's lock, shared (`super::SHOP_LOCK`), which a change of its time
    // zone (every answer's day moves) and an erasure take whole: the batch is
    // written before either, or after, with the days and the erasures as
    // they left them.
    let shop = super::lock_shop_shared(&tx, shop_id).await?;
    let (customers, orders) = Erased::asked_of(records);
    if shop.has_erased_customers && (!customers.is_empty() || !orders.is_empty()) {
        let erased = super::privacy::erased(&tx, shop_id, &customers, &orders).await?;
        if records.iter().any(|r| erased.named_in(&r.answer)) {
            // Erased since ingest read it (`forget_erased`): sent again, read anew.
            return Err(DbError::AtCapacity(ERASED_MEANWHILE.into()));
        }
    }
    let records = &in_zone(records.to_vec(), shop.time_zone);
    // Rows are inserted, and their index entries locked, in one order every
    // batch follows, so batches that meet queue behind each other instead of
    // deadlocking. They meet on an answer's id (the same batch sent to two
    // instances), or on a verified answer's survey and order (one answer per
    // order: `one_verified_answer_per_order`), so those come first, by survey
    // and order, then the rest by id. Two batches meeting on a row agree on its
    // place: the same answer, or the same survey and order.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| {
        let r = &records[i];
        let per_order = r.verified.then_some(()).and(r.answer.order_ref.as_deref());
        (
            per_order.is_none(),
            per_order.map(|o| (r.answer.survey.as_str(), o)),
            r.answer.id,
        )
    });
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
    let folded: Vec<Option<String>> = texts.iter().map(|t| t.map(fold_text)).collect();

    let stored: HashSet<Uuid> = tx
        .query(
            "INSERT INTO answers (shop_id, received_at, id, survey_id, kind, channel, store_id, score, text,
                                  has_text, customer_ref, order_ref, verified, answered_at, day, text_folded)
             SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                                          $8::smallint[], $9::text[], $10::bool[], $11::text[], $12::text[],
                                          $13::bool[], $14::timestamptz[], $15::date[], $16::text[])
             ON CONFLICT DO NOTHING
             RETURNING id",
            &[
                &shop_id, &received_at, &ids, &surveys, &kinds, &channels, &stores, &scores, &texts,
                &has_text, &customers, &orders, &verified, &answered, &days, &folded,
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
    add_rollups(&tx, shop_id, &rollups, &reason_rollups).await?;
    let new_events = events_of_new(records, &inserted, events);
    super::webhooks::enqueue(&tx, shop_id, &new_events, received_at).await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Adds rollup increments (of answers just stored, or of a rebuild), in key order.
pub async fn add_rollups(
    tx: &deadpool_postgres::Transaction<'_>,
    shop_id: &str,
    rollups: &[Rollup],
    reason_rollups: &[ReasonRollup],
) -> DbResult<()> {
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
    Ok(())
}

/// The answers `q` selects: the `FROM … WHERE …` of the listing, its order,
/// and its arguments.
fn listing(shop_id: &str, q: &AnswerQuery) -> (String, &'static str, Args) {
    let (filter, params) = answer_filter(q, |n| format!("${n}"));
    let mut args: Args = vec![Box::new(shop_id.to_string())];
    for p in params {
        args.push(match p {
            Param::Text(t) => Box::new(t),
            Param::Int(i) => Box::new(i as i16),
            Param::Day(d) => Box::new(d),
        });
    }
    let from = format!(
        "FROM {} LEFT JOIN answer_follow_ups f ON f.answer_id = a.id WHERE {filter}",
        answer_source(q)
    );
    (from, answer_order(q), args)
}

/// The columns [`answer_of`] reads.
const ANSWER_COLUMNS: &str = "a.id, a.survey_id, a.kind, a.channel, a.store_id, a.score, a.text,
    a.customer_ref, a.order_ref, a.verified, a.answered_at, a.day,
    coalesce((SELECT array_agg(r.reason ORDER BY r.position)
              FROM answer_reasons r WHERE r.answer_id = a.id), '{}'),
    f.status, f.note, f.updated_at, a.has_text";

/// The answers `q` selects, with their follow-ups, and how many match in all.
pub async fn find(
    client: &impl deadpool_postgres::GenericClient,
    shop_id: &str,
    q: &AnswerQuery,
) -> DbResult<(Vec<StoredAnswer>, u64)> {
    let (from, order, args) = listing(shop_id, q);
    let args = params(&args);
    let total: i64 = client
        .query_one(&format!("SELECT count(*) {from}"), &args)
        .await?
        .try_get(0)?;
    let rows = client
        .query(
            &format!(
                "SELECT {ANSWER_COLUMNS} {from} ORDER BY {order} {}",
                sql_page(q.limit, q.offset, "ALL")
            ),
            &args,
        )
        .await?;
    let found = rows
        .iter()
        .map(|r| answer_of(r, shop_id))
        .collect::<DbResult<Vec<_>>>()?;
    Ok((found, unsigned(total)?))
}

/// Every answer `q` selects, in its order, sent in pages from one cursor in
/// `tx`'s snapshot.
pub async fn export(
    tx: &tokio_postgres::Transaction<'_>,
    shop_id: &str,
    q: &AnswerQuery,
    pages: &PageSender<StoredAnswer>,
) -> DbResult<()> {
    let (from, order, args) = listing(shop_id, q);
    let sql = format!("SELECT {ANSWER_COLUMNS} {from} ORDER BY {order}");
    send_cursor(tx, &sql, &args, pages, |r| answer_of(r, shop_id)).await
}

/// An answer of the listing, read from [`ANSWER_COLUMNS`].
fn answer_of(r: &Row, shop_id: &str) -> DbResult<StoredAnswer> {
    let score: Option<i16> = r.try_get(5)?;
    let score = score
        .map(u8::try_from)
        .transpose()
        .map_err(DbError::internal)?;
    let status: Option<String> = r.try_get(13)?;
    Ok(StoredAnswer {
        record: AnswerRecord {
            answer: Answer {
                id: r.try_get(0)?,
                shop: shop_id.to_string(),
                survey: r.try_get(1)?,
                channel: channel_of(r.try_get(3)?)?,
                customer_ref: r.try_get(7)?,
                order_ref: r.try_get(8)?,
                customer_sig: None,
                order_sig: None,
                store: r.try_get(4)?,
                answered_at: r.try_get(10)?,
                value: value_of(r.try_get(2)?, score, r.try_get(6)?, r.try_get(12)?)?,
            },
            day: r.try_get(11)?,
            verified: r.try_get(9)?,
            store: r.try_get(4)?,
        },
        in_words: r.try_get(16)?,
        follow_up: status
            .map(|status| -> DbResult<FollowUp> {
                Ok(FollowUp {
                    status: FollowUpStatus::parse(&status).unwrap_or_default(),
                    note: r.try_get(14)?,
                    updated_at: r.try_get(15)?,
                })
            })
            .transpose()?,
    })
}

/// Sets an inbox answer's follow-up; the answer must be the shop's and in the inbox.
pub async fn set_follow_up(
    client: &Client,
    shop_id: &str,
    answer_id: Uuid,
    update: &FollowUpUpdate,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let changed = client
        .execute(
            "INSERT INTO answer_follow_ups (answer_id, status, note, updated_at)
             SELECT id, $3, COALESCE($4::text, ''), $5 FROM answers
             WHERE id = $1 AND shop_id = $2 AND ((kind = 'nps' AND score <= 6) OR kind = 'churn_reason')
             ON CONFLICT (answer_id) DO UPDATE SET status = excluded.status,
                 note = COALESCE($4::text, answer_follow_ups.note), updated_at = excluded.updated_at",
            &[&answer_id, &shop_id, &update.status.as_str(), &update.note, &now],
        )
        .await?;
    if changed == 0 {
        return Err(DbError::NotFound(format!(
            "answer {answer_id} is not a detractor or churn answer of this shop"
        )));
    }
    Ok(())
}

pub async fn record_widget_events(
    client: &Client,
    shop_id: &str,
    counts: &[WidgetEventCount],
) -> DbResult<()> {
    let mut sorted: Vec<&WidgetEventCount> = counts.iter().collect();
    sorted.sort_by(|a, b| {
        (a.day, &a.survey, a.channel, event_kind(a.kind)).cmp(&(
            b.day,
            &b.survey,
            b.channel,
            event_kind(b.kind),
        ))
    });
    for e in sorted {
        client
            .execute(
                "INSERT INTO widget_event_rollups AS r (shop_id, day, survey_id, channel, kind, count)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (shop_id, day, survey_id, channel, kind) DO UPDATE SET count = r.count + excluded.count",
                &[&shop_id, &e.day, &e.survey, &e.channel.as_str(), &event_kind(e.kind), &signed(e.count)?],
            )
            .await?;
    }
    Ok(())
}

pub async fn widget_events(
    client: &Client,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<WidgetEventCount>> {
    client
        .query(
            "SELECT day, survey_id, channel, kind, count FROM widget_event_rollups
             WHERE shop_id = $1 AND day BETWEEN $2 AND $3",
            &[&shop_id, &from, &to],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(WidgetEventCount {
                day: r.try_get(0)?,
                survey: r.try_get(1)?,
                channel: channel_of(r.try_get(2)?)?,
                kind: event_kind_of(r.try_get(3)?)?,
                count: unsigned(r.try_get(4)?)?,
            })
        })
        .collect()
}

/// What is stored under each of `ids` ([`crate::db::Database::answers_known_by_id`]).
pub async fn known_by_id(client: &Client, ids: &[Uuid]) -> DbResult<Vec<KnownAnswer>> {
    let st = client
        .prepare_cached(
            "SELECT id, shop_id, survey_id, score, customer_ref, order_ref, channel, store_id,
                    answered_at,
                    ARRAY(SELECT reason FROM answer_reasons WHERE answer_id = a.id ORDER BY position)
             FROM answers a WHERE id = ANY($1::uuid[])",
        )
        .await?;
    client
        .query(&st, &[&ids])
        .await?
        .iter()
        .map(|r| {
            Ok(KnownAnswer {
                id: r.try_get(0)?,
                shop_id: r.try_get(1)?,
                survey: r.try_get(2)?,
                score: r
                    .try_get::<_, Option<i16>>(3)?
                    .map(|s| u8::try_from(s).map_err(DbError::internal))
                    .transpose()?,
                customer_ref: r.try_get(4)?,
                order_ref: r.try_get(5)?,
                channel: r.try_get(6)?,
                store: r.try_get(7)?,
                answered_at: r.try_get(8)?,
                reasons: r.try_get(9)?,
            })
        })
        .collect()
}

/// The surveys with an answer for `order_ref`.
pub async fn answered_for_order(
    client: &Client,
    shop_id: &str,
    order_ref: &str,
) -> DbResult<Vec<String>> {
    let st = client
        .prepare_cached(
            "SELECT DISTINCT survey_id FROM answers WHERE shop_id = $1 AND order_ref = $2",
        )
        .await?;
    Ok(client
        .query(&st, &[&shop_id, &order_ref])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}
