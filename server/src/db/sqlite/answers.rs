//! Answers: typed rows, their churn reasons, and the rollups kept beside them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kept_shared::{Answer, FollowUp, FollowUpStatus, FollowUpUpdate};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::{instant, millis, next_page};
use crate::db::answer_filter::{Param, answer_filter, answer_order, answer_source};
use crate::db::columns::{
    channel_of, columns, event_kind, event_kind_of, fold_text, sql_page, value_of,
};
use crate::db::snapshot::PageSender;
use crate::db::{
    AnswerQuery, AnswerRecord, DbError, DbResult, KnownAnswer, ReasonRollup, Rollup, StoredAnswer,
    WidgetEventCount, rollups_of,
};

/// Inserts each answer once (by id, across all shops; and a verified one once per
/// survey and order), its reasons and its rollup increments; runs inside the
/// writer's transaction.
pub fn insert(
    c: &Connection,
    shop_id: &str,
    records: &[AnswerRecord],
    received_at: DateTime<Utc>,
) -> DbResult<Vec<bool>> {
    let mut insert_answer = c.prepare_cached(
        "INSERT INTO answers (id, shop_id, survey_id, kind, channel, store_id, score, text, has_text,
                              customer_ref, order_ref, verified, answered_at, day, received_at, text_folded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT DO NOTHING",
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
            text.map(fold_text),
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
    add_rollups(c, shop_id, &rollups, &reasons)?;
    Ok(inserted)
}

/// Adds rollup increments (of answers just stored, or of a rebuild).
pub fn add_rollups(
    c: &Connection,
    shop_id: &str,
    rollups: &[Rollup],
    reasons: &[ReasonRollup],
) -> DbResult<()> {
    let mut bump = c.prepare_cached(
        "INSERT INTO answer_rollups (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT DO UPDATE SET count = count + excluded.count",
    )?;
    for r in rollups {
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
    for r in reasons {
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
    Ok(())
}

/// The answers `q` selects: the `FROM … WHERE …` of the listing, its order,
/// and its arguments.
fn listing(shop_id: &str, q: &AnswerQuery) -> (String, &'static str, Vec<Box<dyn ToSql>>) {
    let (filter, params) = answer_filter(q, |n| format!("?{n}"));
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(shop_id.to_string())];
    for p in params {
        args.push(match p {
            Param::Text(t) => Box::new(t),
            Param::Int(i) => Box::new(i),
            Param::Day(d) => Box::new(d),
        });
    }
    let from = format!(
        "FROM {} LEFT JOIN answer_follow_ups f ON f.answer_id = a.id WHERE {filter}",
        answer_source(q)
    );
    (from, answer_order(q), args)
}

/// The columns [`Listed::read`] reads.
const ANSWER_COLUMNS: &str = "a.id, a.survey_id, a.kind, a.channel, a.store_id, a.score, a.text,
    a.customer_ref, a.order_ref, a.verified, a.answered_at, a.day, f.status, f.note, f.updated_at,
    a.has_text";

/// An answer's row of the listing, before its churn reasons are read.
struct Listed {
    id: Uuid,
    survey: String,
    kind: String,
    channel: String,
    store: Option<String>,
    score: Option<u8>,
    text: Option<String>,
    customer_ref: Option<String>,
    order_ref: Option<String>,
    verified: bool,
    answered_at: DateTime<Utc>,
    day: NaiveDate,
    follow_up: (Option<String>, Option<String>, Option<i64>),
    in_words: bool,
}

impl Listed {
    fn read(r: &rusqlite::Row) -> rusqlite::Result<Listed> {
        Ok(Listed {
            id: r.get(0)?,
            survey: r.get(1)?,
            kind: r.get(2)?,
            channel: r.get(3)?,
            store: r.get(4)?,
            score: r.get(5)?,
            text: r.get(6)?,
            customer_ref: r.get(7)?,
            order_ref: r.get(8)?,
            verified: r.get(9)?,
            answered_at: instant(r.get(10)?)?,
            day: r.get(11)?,
            follow_up: (r.get(12)?, r.get(13)?, r.get(14)?),
            in_words: r.get(15)?,
        })
    }
}

/// The answers `q` selects, with their follow-ups, and how many match in all.
pub fn find(c: &Connection, shop_id: &str, q: &AnswerQuery) -> DbResult<(Vec<StoredAnswer>, u64)> {
    let (from, order, args) = listing(shop_id, q);
    let total: u64 = c
        .prepare_cached(&format!("SELECT count(*) {from}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let mut st = c.prepare_cached(&format!(
        "SELECT {ANSWER_COLUMNS} {from} ORDER BY {order} {}",
        sql_page(q.limit, q.offset, "-1")
    ))?;
    let rows = st
        .query_map(params_from_iter(args.iter()), Listed::read)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((stored(c, shop_id, rows, q.limit == 0)?, total))
}

/// Every answer `q` selects, in its order, sent in pages from one cursor.
pub(super) fn export(
    c: &Connection,
    shop_id: &str,
    q: &AnswerQuery,
    pages: &PageSender<StoredAnswer>,
) -> DbResult<()> {
    let (from, order, args) = listing(shop_id, q);
    let mut st = c.prepare(&format!("SELECT {ANSWER_COLUMNS} {from} ORDER BY {order}"))?;
    let mut rows = st.query_map(params_from_iter(args.iter()), Listed::read)?;
    pages.read_blocking(|| stored(c, shop_id, next_page(&mut rows)?, false))
}

/// The listed answers with their churn reasons; `all` when they are every
/// answer of the shop (the reasons are then read in one pass).
fn stored(
    c: &Connection,
    shop_id: &str,
    rows: Vec<Listed>,
    all: bool,
) -> DbResult<Vec<StoredAnswer>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut reasons = reasons_of(c, shop_id, &ids, all)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let reasons = reasons.remove(&row.id).unwrap_or_default();
        let value = value_of(&row.kind, row.score, row.text, reasons)?;
        out.push(StoredAnswer {
            record: AnswerRecord {
                answer: Answer {
                    id: row.id,
                    shop: shop_id.to_string(),
                    survey: row.survey,
                    channel: channel_of(&row.channel)?,
                    customer_ref: row.customer_ref,
                    order_ref: row.order_ref,
                    customer_sig: None,
                    order_sig: None,
                    store: row.store.clone(),
                    answered_at: row.answered_at,
                    value,
                },
                day: row.day,
                verified: row.verified,
                store: row.store,
            },
            in_words: row.in_words,
            follow_up: match row.follow_up {
                (Some(status), note, at) => Some(FollowUp {
                    status: FollowUpStatus::parse(&status).unwrap_or_default(),
                    note: note.unwrap_or_default(),
                    updated_at: at.map(instant).transpose()?,
                }),
                _ => None,
            },
        });
    }
    Ok(out)
}

/// The churn reasons of answers `ids` (or, for a whole listing, of every answer
/// of the shop), each in the order picked.
fn reasons_of(
    c: &Connection,
    shop_id: &str,
    ids: &[Uuid],
    all: bool,
) -> DbResult<BTreeMap<Uuid, Vec<String>>> {
    let mut reasons: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    if all {
        let mut st = c.prepare_cached(
            "SELECT r.answer_id, r.reason FROM answer_reasons r JOIN answers a ON a.id = r.answer_id
             WHERE a.shop_id = ?1 ORDER BY r.answer_id, r.position",
        )?;
        for row in st.query_map([shop_id], |r| Ok((r.get::<_, Uuid>(0)?, r.get(1)?)))? {
            let (id, reason) = row?;
            reasons.entry(id).or_default().push(reason);
        }
    } else {
        let mut st = c.prepare_cached(
            "SELECT reason FROM answer_reasons WHERE answer_id = ?1 ORDER BY position",
        )?;
        for id in ids {
            let list = st
                .query_map([id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            if !list.is_empty() {
                reasons.insert(*id, list);
            }
        }
    }
    Ok(reasons)
}

/// Sets an inbox answer's follow-up; the answer must be the shop's and in the inbox.
pub fn set_follow_up(
    c: &Connection,
    shop_id: &str,
    answer_id: Uuid,
    update: &FollowUpUpdate,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let in_inbox: bool = c
        .query_row(
            "SELECT (kind = 'nps' AND score <= 6) OR kind = 'churn_reason' FROM answers
             WHERE id = ?1 AND shop_id = ?2",
            params![answer_id, shop_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if !in_inbox {
        return Err(DbError::NotFound(format!(
            "answer {answer_id} is not a detractor or churn answer of this shop"
        )));
    }
    c.execute(
        "INSERT INTO answer_follow_ups (answer_id, status, note, updated_at)
         VALUES (?1, ?2, COALESCE(?3, ''), ?4)
         ON CONFLICT (answer_id) DO UPDATE SET status = excluded.status,
             note = COALESCE(?3, answer_follow_ups.note), updated_at = excluded.updated_at",
        params![answer_id, update.status.as_str(), update.note, millis(now)],
    )?;
    Ok(())
}

pub fn record_widget_events(
    c: &Connection,
    shop_id: &str,
    counts: &[WidgetEventCount],
) -> DbResult<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO widget_event_rollups (shop_id, day, survey_id, channel, kind, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO UPDATE SET count = count + excluded.count",
    )?;
    for e in counts {
        st.execute(params![
            shop_id,
            e.day,
            e.survey,
            e.channel.as_str(),
            event_kind(e.kind),
            e.count
        ])?;
    }
    Ok(())
}

pub fn widget_events(
    c: &Connection,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<WidgetEventCount>> {
    let mut st = c.prepare_cached(
        "SELECT day, survey_id, channel, kind, count FROM widget_event_rollups
         WHERE shop_id = ?1 AND day BETWEEN ?2 AND ?3",
    )?;
    let rows = st
        .query_map(params![shop_id, from, to], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
            ))
        })?
        .collect::<Result<Vec<(NaiveDate, String, String, String, u64)>, _>>()?;
    rows.into_iter()
        .map(|(day, survey, channel, kind, count)| {
            Ok(WidgetEventCount {
                day,
                survey,
                channel: channel_of(&channel)?,
                kind: event_kind_of(&kind)?,
                count,
            })
        })
        .collect()
}

/// Folds the text of answers that have none folded yet (the v2 migration).
pub fn fold_all_texts(c: &Connection) -> DbResult<()> {
    let texts: Vec<(Uuid, String)> = c
        .prepare("SELECT id, text FROM answers WHERE text IS NOT NULL AND text_folded IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut st = c.prepare("UPDATE answers SET text_folded = ?2 WHERE id = ?1")?;
    for (id, text) in texts {
        st.execute(params![id, fold_text(&text)])?;
    }
    Ok(())
}

/// What is stored under each of `ids` ([`crate::db::Database::answers_known_by_id`]).
pub fn known_by_id(c: &Connection, ids: &[uuid::Uuid]) -> DbResult<Vec<KnownAnswer>> {
    let mut st = c.prepare_cached(
        "SELECT shop_id, survey_id, score, customer_ref, order_ref, channel, store_id, answered_at,
                (SELECT group_concat(reason, ' ' ORDER BY position)
                   FROM answer_reasons WHERE answer_id = a.id)
         FROM answers a WHERE id = ?1",
    )?;
    let mut known = Vec::new();
    for id in ids {
        let found = st
            .query_row([id], |r| {
                let reasons: Option<String> = r.get(8)?;
                Ok(KnownAnswer {
                    id: *id,
                    shop_id: r.get(0)?,
                    survey: r.get(1)?,
                    score: r.get(2)?,
                    customer_ref: r.get(3)?,
                    order_ref: r.get(4)?,
                    channel: r.get(5)?,
                    store: r.get(6)?,
                    answered_at: super::instant(r.get(7)?)?,
                    // Codes, which hold no space.
                    reasons: reasons
                        .map(|r| r.split(' ').map(str::to_string).collect())
                        .unwrap_or_default(),
                })
            })
            .optional()?;
        known.extend(found);
    }
    Ok(known)
}

/// The surveys with an answer for `order_ref`.
pub fn answered_for_order(c: &Connection, shop_id: &str, order_ref: &str) -> DbResult<Vec<String>> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT survey_id FROM answers WHERE shop_id = ?1 AND order_ref = ?2",
    )?;
    let rows = st.query_map(params![shop_id, order_ref], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
