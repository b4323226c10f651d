//! The shop's back office: records purchases (points by amount, idempotent on the
//! purchase id). Behind the back-office token.

use crate::links::PublicUrl;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router, middleware};
use chrono::Utc;
use kept_shared::limits::{MAX_PURCHASE_CENTS, MAX_YEAR, MIN_YEAR};
use kept_shared::validate::validate_ref;
use kept_shared::{ErrorCode, LinkRequest, PersonalLink, PurchaseReceipt, RecordPurchase};
use std::sync::Arc;

use super::auth::require_token;
use super::error::{ApiResult, Failure};
use crate::calendar::{local_day, purchase_time_allowed};
use crate::db::{Db, NewPurchase, Shop};
use crate::loyalty;
use crate::tokens::TokenKind;

pub fn router(db: Db) -> Router<Db> {
    Router::new()
        .route("/{shop_id}/purchases", post(record_purchase))
        .route("/{shop_id}/links", post(personal_link))
        .route_layer(middleware::from_fn_with_state(
            (db, TokenKind::BackOffice),
            require_token,
        ))
}

async fn record_purchase(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    body: Result<Json<RecordPurchase>, JsonRejection>,
) -> ApiResult<PurchaseReceipt> {
    let Json(p) = body?;
    validate_ref("customer_ref", &p.customer_ref)?;
    validate_ref("purchase_id", &p.purchase_id)?;
    if let Some(store) = &p.store {
        validate_ref("store", store)?;
    }
    if p.amount_cents > MAX_PURCHASE_CENTS {
        return Err(Failure::bad_request(format!(
            "amount_cents may be at most {MAX_PURCHASE_CENTS}"
        )));
    }
    let now = Utc::now();
    let purchased_at = p.purchased_at.unwrap_or(now);
    if !purchase_time_allowed(purchased_at, now, shop.time_zone) {
        return Err(Failure::bad_request(format!(
            "purchased_at must lie between {MIN_YEAR}-01-01 and tomorrow (at most {MAX_YEAR}) in the shop's time zone"
        )));
    }
    let points = loyalty::points_earned(p.amount_cents, shop.points_per_unit).ok_or_else(|| {
        Failure::bad_request("the purchase's points cannot be computed within the limits")
    })?;
    let outcome = db
        .record_purchase(
            &shop.id,
            NewPurchase {
                purchase_id: p.purchase_id,
                customer_ref: p.customer_ref.clone(),
                amount_cents: p.amount_cents,
                points,
                purchased_at,
                day: local_day(purchased_at, shop.time_zone),
                store: p.store.clone(),
                time_given: p.purchased_at.is_some(),
            },
        )
        .await?;
    if outcome.erased {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "this purchase is of a customer erased since (its id was theirs, or it was made \
             before their erasure): it is not recorded again; one they make after the erasure is",
        ));
    }
    let tiers = db.tiers(&shop.id).await?;
    // Said of a purchase recorded now: a duplicate's store is the one it was
    // recorded with.
    let unknown_store = match p.store {
        Some(store)
            if !outcome.duplicate && !db.stores(&shop.id).await?.iter().any(|s| s.id == store) =>
        {
            Some(store)
        }
        _ => None,
    };
    Ok(Json(PurchaseReceipt {
        points_earned: if outcome.duplicate { 0 } else { points },
        duplicate: outcome.duplicate,
        status: loyalty::status(&p.customer_ref, outcome.points, &tiers, now),
        unknown_store,
    }))
}

/// `POST /api/v1/shops/{shop}/links`: a personal survey link for a customer's
/// order, with its QR codes (for a receipt, an e-mail, an SMS).
async fn personal_link(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Extension(public_url): Extension<Arc<PublicUrl>>,
    headers: HeaderMap,
    body: Result<Json<LinkRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PersonalLink>), Failure> {
    let Json(req) = body?;
    let link =
        crate::owner::links::personal_link(db.as_ref(), &shop, &req, &public_url.base(&headers)?)
            .await?;
    Ok((StatusCode::CREATED, Json(link)))
}
