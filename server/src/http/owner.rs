//! The shop owner's reports. Behind the owner token.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router, middleware};
use chrono::NaiveDate;
use kept_shared::{Period, Report};
use serde::Deserialize;

use super::auth::require_token;
use super::error::{ApiResult, Failure};
use crate::calendar::{report_range, today};
use crate::db::{Db, Shop};
use crate::report;
use crate::tokens::TokenKind;

pub fn router(db: Db) -> Router<Db> {
    Router::new()
        .route("/{shop_id}/report", get(owner_report))
        .route_layer(middleware::from_fn_with_state(
            (db, TokenKind::Owner),
            require_token,
        ))
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    #[serde(default)]
    period: Period,
}

async fn owner_report(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> ApiResult<Report> {
    let Query(q) = query?;
    let (from, to) =
        report_range(q.from, q.to, today(shop.time_zone)).map_err(Failure::bad_request)?;
    let (rollups, reasons) = tokio::try_join!(
        db.rollups(&shop.id, from, to),
        db.reason_rollups(&shop.id, from, to)
    )?;
    Ok(Json(report::build(from, to, q.period, &rollups, &reasons)))
}
