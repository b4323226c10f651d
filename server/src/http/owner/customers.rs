//! The customer base: search, sort and page it; one customer's page; export it.

use crate::http::streaming;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use futures_util::TryStreamExt;
use kept_shared::validate::validate_lookup_ref;
use kept_shared::{CustomerDetail, CustomerSummary, ErasedCustomer, Page};
use serde::Deserialize;

use super::{paging, search, unpaged};
use crate::db::{CustomerQuery, CustomerSort, Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::owner;
use kept_shared::limits::MAX_REF_CHARS;

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Part of a customer reference.
    q: Option<String>,
    /// `last_purchase` (default), `first_purchase`, `total`, `purchases`, `points`, `customer_ref`.
    sort: Option<String>,
    /// `asc` or `desc` (default: `desc`, but `asc` for `customer_ref`).
    order: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

impl ListQuery {
    fn query(&self, paged: bool) -> Result<CustomerQuery, Failure> {
        let sort = match self.sort.as_deref().unwrap_or("last_purchase") {
            "last_purchase" => CustomerSort::LastPurchase,
            "first_purchase" => CustomerSort::FirstPurchase,
            "total" => CustomerSort::Total,
            "purchases" => CustomerSort::Purchases,
            "points" => CustomerSort::Points,
            "customer_ref" => CustomerSort::Reference,
            other => return Err(Failure::bad_request(format!("cannot sort by {other:?}"))),
        };
        let descending = match self.order.as_deref() {
            None => sort != CustomerSort::Reference,
            Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "order {other:?} is neither asc nor desc"
                )));
            }
        };
        let (offset, limit) = if paged {
            paging(self.offset, self.limit)?
        } else {
            unpaged(self.offset, self.limit)?
        };
        Ok(CustomerQuery {
            search: search(self.q.clone(), MAX_REF_CHARS)?,
            sort,
            descending,
            offset,
            limit,
        })
    }
}

pub async fn list(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Page<CustomerSummary>> {
    let Query(q) = query?;
    Ok(Json(
        owner::customers::customer_list(db.as_ref(), &shop, q.query(true)?).await?,
    ))
}

/// Which of a customer's purchases their page lists (newest first).
#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct PurchasesQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

pub async fn detail(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<PurchasesQuery>, QueryRejection>,
) -> ApiResult<CustomerDetail> {
    let Path((_, customer_ref)) = path?;
    let Query(q) = query?;
    validate_lookup_ref("customer_ref", &customer_ref)?;
    let (offset, limit) = paging(q.offset, q.limit)?;
    owner::customers::customer_detail(db.as_ref(), &shop, &customer_ref, offset, limit)
        .await?
        .map(Json)
        .ok_or_else(|| Failure::not_found(format!("the shop has no customer {customer_ref:?}")))
}

/// Everything stored about one customer, as JSON (for a subject access request).
pub async fn export_one(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<impl IntoResponse, Failure> {
    let Path((_, customer_ref)) = path?;
    validate_lookup_ref("customer_ref", &customer_ref)?;
    let export = owner::privacy::export(db.as_ref(), &shop, &customer_ref).await?;
    Ok((
        owner::privacy::export_headers(&shop.id, &customer_ref),
        Json(export),
    ))
}

/// Erases one customer: their purchases and points, and their answers' link to them.
pub async fn erase(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: axum::http::request::Parts,
) -> ApiResult<ErasedCustomer> {
    let Path((_, customer_ref)) = path?;
    validate_lookup_ref("customer_ref", &customer_ref)?;
    let actor = super::settings::api_actor(&parts);
    Ok(Json(
        owner::privacy::erase(db.as_ref(), &shop, &customer_ref, &actor).await?,
    ))
}

pub async fn export(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<impl IntoResponse, Failure> {
    let Query(q) = query?;
    let headers = owner::exports::csv_download(&format!("{}-customers.csv", shop.id));
    let stream = owner::exports::customers_csv(db, shop, q.query(false)?)
        .await?
        .map_err(std::io::Error::other);
    Ok((headers, streaming::body(stream)))
}
