//! The survey report: NPS, CSAT and churn reasons per channel and period.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use chrono::NaiveDate;
use kept_shared::{Period, Report};
use serde::Deserialize;

use crate::calendar::{report_range, today};
use crate::db::{Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::report;

#[derive(Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    #[serde(default)]
    period: Period,
    /// `true`: only verified answers (signed references) count.
    #[serde(default)]
    verified: bool,
}

pub async fn owner_report(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> ApiResult<Report> {
    let Query(q) = query?;
    let (from, to) =
        report_range(q.from, q.to, today(shop.time_zone)).map_err(Failure::bad_request)?;
    let (mut rollups, mut reasons) = tokio::try_join!(
        db.rollups(&shop.id, from, to),
        db.reason_rollups(&shop.id, from, to)
    )?;
    // The rollups are kept per verified flag, so this costs no answer reading.
    if q.verified {
        rollups.retain(|r| r.key.verified);
        reasons.retain(|r| r.verified);
    }
    Ok(Json(report::build(from, to, q.period, &rollups, &reasons)))
}
