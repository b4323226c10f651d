//! What the reports read: rollup rows of a range of days.

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use crate::db::columns::channel_of;
use crate::db::{DbResult, ReasonRollup, Rollup, RollupKey};

pub fn rollups(
    c: &Connection,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<Rollup>> {
    let mut st = c.prepare_cached(
        "SELECT day, channel, store_id, survey_id, kind, score, with_text, verified, count
         FROM answer_rollups WHERE shop_id = ?1 AND day BETWEEN ?2 AND ?3",
    )?;
    let rows = st
        .query_map(params![shop_id, from, to], |r| {
            Ok((
                r.get::<_, NaiveDate>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get::<_, u64>(8)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(
            |(day, channel, store, survey, kind, score, with_text, verified, count)| {
                Ok(Rollup {
                    key: RollupKey {
                        day,
                        channel: channel_of(&channel)?,
                        store,
                        survey,
                        kind,
                        score,
                        with_text,
                        verified,
                    },
                    count,
                })
            },
        )
        .collect()
}

pub fn reason_rollups(
    c: &Connection,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<ReasonRollup>> {
    let mut st = c.prepare_cached(
        "SELECT day, channel, store_id, survey_id, reason, verified, count
         FROM reason_rollups WHERE shop_id = ?1 AND day BETWEEN ?2 AND ?3",
    )?;
    let rows = st
        .query_map(params![shop_id, from, to], |r| {
            Ok((
                r.get::<_, NaiveDate>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get::<_, u64>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(day, channel, store, survey, reason, verified, count)| {
            Ok(ReasonRollup {
                day,
                channel: channel_of(&channel)?,
                store,
                survey,
                reason,
                verified,
                count,
            })
        })
        .collect()
}
