//! Answers as the owner reads them: every answer with its text, filtered and
//! searched; the inbox of detractors and churn answers with their follow-up.

use crate::http::streaming;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use kept_shared::{AnswerItem, Channel, FollowUpStatus, FollowUpUpdate, Page};
use serde::Deserialize;
use uuid::Uuid;

use super::{paging, search, unpaged};
use crate::calendar::in_supported_years;
use crate::db::{AnswerQuery, Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::owner;

#[derive(Debug, Default, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    survey: Option<String>,
    /// `nps`, `csat` or `churn_reason`.
    kind: Option<String>,
    min_score: Option<u8>,
    max_score: Option<u8>,
    channel: Option<Channel>,
    store: Option<String>,
    customer: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// Words the text must contain.
    q: Option<String>,
    /// Inbox only: `new`, `contacted` or `resolved`.
    status: Option<FollowUpStatus>,
    /// `true`: only verified answers.
    #[serde(default)]
    verified: bool,
    offset: Option<u64>,
    limit: Option<u64>,
}

impl ListQuery {
    fn query(self, inbox: bool, paged: bool) -> Result<AnswerQuery, Failure> {
        if let Some(kind) = &self.kind
            && !["nps", "csat", "churn_reason"].contains(&kind.as_str())
        {
            return Err(Failure::bad_request(format!(
                "kind {kind:?} is not nps, csat or churn_reason"
            )));
        }
        for day in [self.from, self.to].into_iter().flatten() {
            if !in_supported_years(day) {
                return Err(Failure::bad_request(format!(
                    "{day} is outside the supported years"
                )));
            }
        }
        for (name, value) in [
            ("survey", &self.survey),
            ("store", &self.store),
            ("customer", &self.customer),
        ] {
            if let Some(v) = value {
                kept_shared::validate::validate_lookup_ref(name, v)?;
            }
        }
        let text = search(self.q, kept_shared::limits::MAX_TEXT_CHARS)?;
        for score in [self.min_score, self.max_score].into_iter().flatten() {
            if score > 10 {
                return Err(Failure::bad_request(format!(
                    "a score is 0 to 10, not {score}"
                )));
            }
        }
        if let (Some(min), Some(max)) = (self.min_score, self.max_score)
            && min > max
        {
            return Err(Failure::bad_request(format!(
                "min_score {min} is above max_score {max}"
            )));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(Failure::bad_request(format!(
                "from {from} is after to {to}"
            )));
        }
        let (offset, limit) = if paged {
            paging(self.offset, self.limit)?
        } else {
            unpaged(self.offset, self.limit)?
        };
        Ok(AnswerQuery {
            survey: self.survey,
            kind: self.kind,
            min_score: self.min_score,
            max_score: self.max_score,
            channel: self.channel,
            store: self.store,
            customer: self.customer,
            from: self.from,
            to: self.to,
            text,
            inbox,
            verified_only: self.verified,
            with_their_orders: false,
            status: self.status,
            latest_per_customer: false,
            newest_first: true,
            offset,
            limit,
        })
    }
}

pub async fn list(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Page<AnswerItem>> {
    let Query(q) = query?;
    Ok(Json(
        owner::inbox::answer_page(db.as_ref(), &shop.id, q.query(false, true)?).await?,
    ))
}

pub async fn inbox(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Page<AnswerItem>> {
    let Query(q) = query?;
    Ok(Json(
        owner::inbox::answer_page(db.as_ref(), &shop.id, q.query(true, true)?).await?,
    ))
}

pub async fn export(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<impl IntoResponse, Failure> {
    let Query(q) = query?;
    let headers = owner::exports::csv_download(&format!("{}-answers.csv", shop.id));
    let stream = owner::exports::answers_csv(db, &shop, q.query(false, false)?)
        .await?
        .map_err(std::io::Error::other);
    Ok((headers, streaming::body(stream)))
}

pub async fn follow_up(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, Uuid)>, PathRejection>,
    body: Result<Json<FollowUpUpdate>, JsonRejection>,
) -> Result<StatusCode, Failure> {
    let Path((_, answer_id)) = path?;
    let Json(update) = body?;
    owner::inbox::follow_up(db.as_ref(), &shop.id, answer_id, update).await?;
    Ok(StatusCode::NO_CONTENT)
}
