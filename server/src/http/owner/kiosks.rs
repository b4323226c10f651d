//! The owner's stores, kiosk PIN, kiosk tablets, and personal links in bulk.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use kept_shared::{BulkLinksRequest, Devices, KioskPin, Store, StoreName};
use serde::Deserialize;

use super::settings::api_actor;
use crate::calendar::today;
use crate::db::{Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::links::PublicUrl;
use crate::owner::{self, kiosks};

pub async fn stores(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
) -> ApiResult<Vec<Store>> {
    Ok(Json(db.stores(&shop.id).await?))
}

pub async fn put_store(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: Parts,
    body: Result<Json<StoreName>, JsonRejection>,
) -> ApiResult<Store> {
    let Path((_, id)) = path?;
    let Json(body) = body?;
    Ok(Json(
        kiosks::put_store(db.as_ref(), &shop, &id, &body.name, &api_actor(&parts)).await?,
    ))
}

pub async fn set_pin(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    parts: Parts,
    body: Result<Json<KioskPin>, JsonRejection>,
) -> Result<StatusCode, Failure> {
    let Json(body) = body?;
    kiosks::set_pin(db.as_ref(), &shop, body.pin.as_deref(), &api_actor(&parts)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE …/devices/{device}`: the tablet removed (`owner::kiosks::remove_device`).
pub async fn remove_device(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: Parts,
) -> Result<StatusCode, Failure> {
    let Path((_, device)) = path?;
    kiosks::remove_device(db.as_ref(), &shop, &device, &api_actor(&parts)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct DevicesQuery {
    stale_after_hours: Option<u32>,
}

pub async fn devices(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<DevicesQuery>, QueryRejection>,
) -> ApiResult<Devices> {
    let Query(q) = query?;
    let hours = kiosks::stale_hours(q.stale_after_hours).map_err(Failure::bad_request)?;
    Ok(Json(kiosks::devices(db.as_ref(), &shop, hours).await?))
}

/// `POST …/links.csv`: personal links in bulk, as CSV.
pub async fn bulk_links(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Extension(public_url): Extension<Arc<PublicUrl>>,
    headers: HeaderMap,
    body: Result<Json<BulkLinksRequest>, JsonRejection>,
) -> Result<impl IntoResponse, Failure> {
    let Json(req) = body?;
    let rows = owner::links::bulk(db.as_ref(), &shop, &req, &public_url.base(&headers)?).await?;
    Ok((
        owner::exports::csv_download(&owner::exports::links_file_name(
            &shop.id,
            &req.survey,
            today(shop.time_zone),
        )),
        owner::exports::links_csv(&rows, shop.time_zone),
    ))
}
