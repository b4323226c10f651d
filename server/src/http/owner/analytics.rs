//! The retention analytics: retention per period, cohorts, RFM segments,
//! satisfaction joined with behaviour, the survey funnel, loyalty, win-back.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::NaiveDate;
use kept_shared::{
    CohortReport, FunnelReport, LoyaltyReport, Page, Period, RetentionReport, RfmReport,
    SatisfactionReport, WinBackEntry,
};
use serde::Deserialize;

use super::{RangeQuery, paging};
use crate::calendar::today;
use crate::db::{Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::owner;
use crate::owner::analytics_range;

pub async fn retention(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<RetentionReport> {
    let Query(q) = query?;
    let (from, to) = q.range(&shop)?;
    let period = match q.period.unwrap_or(Period::Month) {
        Period::Day => return Err(Failure::bad_request("retention is by week or by month")),
        p => p,
    };
    Ok(Json(
        owner::retention::retention_report(db.as_ref(), &shop, from, to, period, q.store()?)
            .await?,
    ))
}

pub async fn cohorts(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<CohortReport> {
    let Query(q) = query?;
    let (from, to) = q.range(&shop)?;
    Ok(Json(
        owner::retention::cohort_report(db.as_ref(), &shop, from, to).await?,
    ))
}

pub async fn rfm(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<RfmReport> {
    let Query(q) = query?;
    let (_, at) = q.range(&shop)?;
    let scored = owner::rfm::scored(db.as_ref(), &shop, at).await?;
    Ok(Json(owner::rfm::rfm_report(at, &scored)))
}

pub async fn satisfaction(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<SatisfactionReport> {
    let Query(q) = query?;
    let (from, to) = q.range(&shop)?;
    Ok(Json(
        owner::satisfaction::satisfaction_report(db.as_ref(), &shop, from, to, q.verified).await?,
    ))
}

pub async fn funnel(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<FunnelReport> {
    let Query(q) = query?;
    let (from, to) = q.range(&shop)?;
    Ok(Json(
        owner::funnel::funnel_report(db.as_ref(), &shop, from, to).await?,
    ))
}

pub async fn loyalty(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<LoyaltyReport> {
    let Query(q) = query?;
    let (from, to) = q.range(&shop)?;
    Ok(Json(
        owner::loyalty::loyalty_report(db.as_ref(), &shop, from, to).await?,
    ))
}

/// The win-back list's query: the day it is drawn up at (`to`, default today),
/// and a page of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinBackQuery {
    to: Option<NaiveDate>,
    offset: Option<u64>,
    limit: Option<u64>,
}

/// The win-back CSV's query: the day (the file holds the whole list).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinBackCsvQuery {
    to: Option<NaiveDate>,
}

/// The day a win-back list is drawn up at: `to`, checked as every range's end.
fn drawn_up_at(to: Option<NaiveDate>, shop: &Shop) -> Result<NaiveDate, Failure> {
    analytics_range(None, to, today(shop.time_zone))
        .map(|(_, at)| at)
        .map_err(Failure::bad_request)
}

/// A page of the win-back list (a shop of 50 000 customers had one of 7 755,
/// 2 MB, in one answer).
pub async fn win_back(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<WinBackQuery>, QueryRejection>,
) -> ApiResult<Page<WinBackEntry>> {
    let Query(q) = query?;
    let at = drawn_up_at(q.to, &shop)?;
    let (offset, limit) = paging(q.offset, q.limit)?;
    let list = owner::rfm::win_back(db.as_ref(), &shop, at).await?;
    Ok(Json(Page::of(list, offset, limit)))
}

pub async fn win_back_csv(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<WinBackCsvQuery>, QueryRejection>,
) -> Result<impl IntoResponse, Failure> {
    let Query(q) = query?;
    let at = drawn_up_at(q.to, &shop)?;
    let list = owner::rfm::win_back(db.as_ref(), &shop, at).await?;
    Ok((
        owner::exports::csv_download(&format!("{}-win-back-{at}.csv", shop.id)),
        owner::exports::win_back_csv(&list),
    ))
}
