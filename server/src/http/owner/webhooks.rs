//! The owner's webhook endpoints and their delivery logs.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Extension, Json};
use kept_shared::webhooks::{Delivery, NewWebhook, Webhook};

use super::settings::api_actor;
use crate::db::{Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::outbound::Receivers;
use crate::owner::webhooks;

pub async fn create(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Extension(receivers): Extension<Receivers>,
    parts: Parts,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<(StatusCode, Json<Webhook>), Failure> {
    let Json(new) = body?;
    let made = webhooks::create(db.as_ref(), &shop, new, receivers, &api_actor(&parts)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

pub async fn list(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
) -> ApiResult<Vec<Webhook>> {
    Ok(Json(webhooks::list(db.as_ref(), &shop).await?))
}

pub async fn remove(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: Parts,
) -> Result<StatusCode, Failure> {
    let Path((_, id)) = path?;
    webhooks::remove(db.as_ref(), &shop, &id, &api_actor(&parts)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Vec<Delivery>> {
    let Path((_, id)) = path?;
    Ok(Json(webhooks::deliveries(db.as_ref(), &shop, &id).await?))
}
