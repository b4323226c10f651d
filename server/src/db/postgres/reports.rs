//! What the reports read: rollup rows of a range of days.

use chrono::NaiveDate;
use deadpool_postgres::Client;

use super::unsigned;
use crate::db::columns::channel_of;
use crate::db::{DbResult, ReasonRollup, Rollup, RollupKey};

pub async fn rollups(
    client: &Client,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<Rollup>> {
    let st = client
        .prepare_cached(
            "SELECT day, channel, store_id, survey_id, kind, score, with_text, verified, count
             FROM answer_rollups WHERE shop_id = $1 AND day BETWEEN $2 AND $3",
        )
        .await?;
    client
        .query(&st, &[&shop_id, &from, &to])
        .await?
        .iter()
        .map(|r| {
            Ok(Rollup {
                key: RollupKey {
                    day: r.try_get(0)?,
                    channel: channel_of(r.try_get(1)?)?,
                    store: r.try_get(2)?,
                    survey: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    score: r.try_get(5)?,
                    with_text: r.try_get(6)?,
                    verified: r.try_get(7)?,
                },
                count: unsigned(r.try_get(8)?)?,
            })
        })
        .collect()
}

pub async fn reason_rollups(
    client: &Client,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<ReasonRollup>> {
    let st = client
        .prepare_cached(
            "SELECT day, channel, store_id, survey_id, reason, verified, count
             FROM reason_rollups WHERE shop_id = $1 AND day BETWEEN $2 AND $3",
        )
        .await?;
    client
        .query(&st, &[&shop_id, &from, &to])
        .await?
        .iter()
        .map(|r| {
            Ok(ReasonRollup {
                day: r.try_get(0)?,
                channel: channel_of(r.try_get(1)?)?,
                store: r.try_get(2)?,
                survey: r.try_get(3)?,
                reason: r.try_get(4)?,
                verified: r.try_get(5)?,
                count: unsigned(r.try_get(6)?)?,
            })
        })
        .collect()
}
