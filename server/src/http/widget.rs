//! The widget's routes, by the shop's public key: surveys, answer batches, loyalty
//! status. In front of them, [`widget_shop`] resolves the key to its shop once and
//! applies the shop's CORS policy.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use kept_shared::validate::{validate_batch_len, validate_ref};
use kept_shared::{
    DecisionRules, ErrorCode, LoyaltyStatus, ShopInfo, ShopSurveys, SyncBatch, SyncReceipt,
    WidgetEvents,
};

use serde::{Deserialize, Serialize};

use super::error::{ApiResult, Failure};
use super::kiosk;
use crate::db::{Database, Db, DbError, Shop, WidgetEventCount};
use crate::plan::{PlanFor, PlanRequest, display_plan};
use crate::rate_limit::Buckets;
use crate::signatures::{self, Signed};
use crate::{ingest, loyalty};
use std::sync::Arc;

/// How long a browser may cache a CORS preflight answer (two hours: the most
/// Chromium honours).
const PREFLIGHT_MAX_AGE_SECONDS: u32 = 7200;

pub fn router(db: Db) -> Router<Db> {
    Router::new()
        .route("/{public_key}/surveys", get(surveys))
        .route("/{public_key}/plan", get(plan))
        .route("/{public_key}/answers", post(answers))
        .route("/{public_key}/events", post(events))
        .route(
            "/{public_key}/customers/{customer_ref}/loyalty",
            get(loyalty_status),
        )
        .route("/{public_key}/kiosk", post(kiosk::setup))
        .route("/{public_key}/devices/{device}", post(kiosk::report))
        .route("/{public_key}/links/{token}", get(kiosk::respondent))
        .route_layer(middleware::from_fn_with_state(db, widget_shop))
        .layer(Extension(kiosk::PinAttempts(Arc::new(Buckets::new(
            crate::kiosk::PIN_ATTEMPTS,
        )))))
}

async fn surveys(State(db): State<Db>, Extension(shop): Extension<Shop>) -> ApiResult<ShopSurveys> {
    let surveys = db
        .surveys(&shop.id, true)
        .await?
        .into_iter()
        .map(|r| r.survey)
        .collect();
    Ok(Json(ShopSurveys {
        shop: ShopInfo {
            id: shop.id,
            name: shop.name,
        },
        surveys,
    }))
}

/// How long a browser may reuse a display plan without asking again: short, so
/// a survey the owner changes reaches visitors within a minute; revalidating
/// then costs a 304 when nothing changed (the `ETag`).
const PLAN_MAX_AGE_SECONDS: u32 = 60;

#[derive(Debug, Deserialize)]
struct PlanQuery {
    locale: Option<String>,
    customer: Option<String>,
    order: Option<String>,
    customer_sig: Option<String>,
    order_sig: Option<String>,
    /// `false`: only what the loader decides with (`DecisionRules`).
    texts: Option<bool>,
}

/// A plan with what the page got wrong (`plan::PlanFor`), which the
/// loader says in the console: `warnings`, only when there are any. Beside the
/// plan, not in its type: the widget has no use for them.
#[derive(Serialize)]
struct Warned<T> {
    #[serde(flatten)]
    plan: T,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// The loader's display plan for this visitor (`shared/targeting.md`).
async fn plan(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    headers: HeaderMap,
    query: Result<Query<PlanQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let Query(q) = query?;
    let reference = |name: &str, v: Option<String>| -> Result<Option<String>, Failure> {
        match v.filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => validate_ref(name, &v)
                .map(|_| Some(v))
                .map_err(Failure::from),
        }
    };
    // Browsers' language tags (`en-US`, `zh-Hans-CN`): only their shape is checked.
    let locale = q.locale.filter(|l| !l.is_empty());
    if let Some(l) = &locale
        && (l.len() > 35
            || !l
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(Failure::bad_request(format!(
            "locale {:?} is not a language tag like en or pt-BR",
            crate::shortened::shortened(l)
        )));
    }
    // A signature that is not the shop's, even one not written as one (a
    // template left unfilled), is the page's mistake: a warning in the plan
    // (`plan::PlanFor`), and the plan without what only the server knows of
    // that reference, rather than no widget at all.
    let request = PlanRequest {
        locale,
        customer: reference("customer", q.customer)?,
        order: reference("order", q.order)?,
        customer_sig: q.customer_sig.filter(|v| !v.is_empty()),
        order_sig: q.order_sig.filter(|v| !v.is_empty()),
        preview_of: None,
    };
    let PlanFor { plan, warnings } = display_plan(db.as_ref(), &shop, &request).await?;
    let body = if q.texts == Some(false) {
        serde_json::to_vec(&Warned {
            plan: DecisionRules::from(&plan),
            warnings,
        })
    } else {
        serde_json::to_vec(&Warned { plan, warnings })
    }
    .map_err(DbError::internal)?;
    // Kept's own pages (the survey editor's preview, the demo shop, kiosks and
    // links) ask again every time, so an owner sees a survey they just saved:
    // a 304 when nothing changed. (Browsers keep a site's cache apart from
    // another's, so a shop's pages keep theirs for a minute.)
    let own_page = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "same-origin");
    let cache_control = if own_page {
        "private, no-cache".to_string()
    } else {
        format!("private, max-age={PLAN_MAX_AGE_SECONDS}")
    };
    Ok(super::cacheable::respond(
        &headers,
        body,
        "application/json",
        cache_control,
    ))
}

async fn answers(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    body: Result<Json<SyncBatch>, JsonRejection>,
) -> ApiResult<SyncReceipt> {
    let Json(batch) = body?;
    validate_batch_len(batch.answers.len()).map_err(|e| {
        let status = if batch.answers.is_empty() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::PAYLOAD_TOO_LARGE
        };
        let code = if batch.answers.is_empty() {
            ErrorCode::BadRequest
        } else {
            ErrorCode::BatchTooLarge
        };
        Failure::new(status, code, e.to_string())
    })?;
    Ok(Json(
        ingest::ingest(db.as_ref(), &shop, batch.answers, Utc::now()).await?,
    ))
}

/// Most events one report of the widget may carry.
pub const MAX_EVENTS: usize = 50;

/// What the widget did (a survey shown, a survey skipped): counts for the survey
/// funnel, nothing about the visitor.
async fn events(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    body: Result<Json<WidgetEvents>, JsonRejection>,
) -> Result<StatusCode, Failure> {
    let Json(report) = body?;
    if report.events.is_empty() || report.events.len() > MAX_EVENTS {
        return Err(Failure::bad_request(format!(
            "a report holds 1 to {MAX_EVENTS} events"
        )));
    }
    let known: Vec<String> = db
        .surveys(&shop.id, false)
        .await?
        .into_iter()
        .map(|r| r.survey.id)
        .collect();
    let day = crate::calendar::today(shop.time_zone);
    let mut counts: Vec<WidgetEventCount> = Vec::new();
    for e in report.events {
        if !known.contains(&e.survey) {
            return Err(Failure::bad_request(format!(
                "survey {:?} is not a survey of this shop",
                e.survey
            )));
        }
        match counts
            .iter_mut()
            .find(|c| c.survey == e.survey && c.channel == e.channel && c.kind == e.kind)
        {
            Some(c) => c.count += 1,
            None => counts.push(WidgetEventCount {
                day,
                survey: e.survey,
                channel: e.channel,
                kind: e.kind,
                count: 1,
            }),
        }
    }
    db.record_widget_events(&shop.id, counts).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct LoyaltyQuery {
    sig: Option<String>,
}

/// A customer's loyalty status, for the customer the shop's page signed
/// (`?sig=`, `data-customer-sig`). Without the shop's signature the answer is the
/// same 404 whether the customer exists or not, so references cannot be probed.
async fn loyalty_status(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<LoyaltyQuery>, QueryRejection>,
) -> ApiResult<LoyaltyStatus> {
    let Path((_, customer_ref)) = path?;
    let Query(q) = query?;
    validate_ref("customer_ref", &customer_ref)?;
    let signed = signatures::signed(
        &shop.widget_secret,
        Signed::Customer,
        Some(&customer_ref),
        q.sig.as_deref(),
    );
    if signed.is_none() {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotSigned,
            "no loyalty status for this customer: the page must sign the customer reference (data-customer-sig)",
        ));
    }
    let (points, tiers) = tokio::try_join!(
        db.customer_points(&shop.id, &customer_ref),
        db.tiers(&shop.id)
    )?;
    Ok(Json(loyalty::status(
        &customer_ref,
        points.unwrap_or(0),
        &tiers,
        Utc::now(),
    )))
}

/// Whether `origin` may call the shop's widget API from a browser: one the shop
/// listed, or the Kept server's own (its kiosk and demo pages).
pub(super) fn origin_allowed(shop: &Shop, origin: &str, headers: &HeaderMap) -> bool {
    // An origin listed by an earlier release may still carry its scheme's
    // default port, which no browser writes: compared as one is listed today.
    let listed = |a: &String| {
        a == origin || kept_shared::settings::normalize_origin(a).is_some_and(|a| a == origin)
    };
    if shop.allowed_origins.iter().any(listed) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    host.is_some() && origin_host == host
}

/// In front of every widget route: resolves the shop of the public key in the path
/// once (the handlers get it as an `Extension<Shop>`), and applies the shop's CORS
/// policy: only origins it allows may call from a browser. Errors that reveal
/// nothing (an unknown key, an origin not allowed) may be read by any origin, so a
/// misconfigured embed can say what is wrong instead of failing in silence.
async fn widget_shop(State(db): State<Db>, mut req: Request, next: Next) -> Response {
    let public_key = super::first_segment(&req);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let shop = match shop_of_key(db.as_ref(), &public_key).await {
        Ok(shop) => shop,
        Err(e) => return Failure::from(e).readable_by_any_origin(),
    };
    let Some(shop) = shop else {
        return Failure::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownKey,
            // A glance of it: a page's key of kilobytes had been said whole in
            // the visitor's console.
            format!(
                "no shop has the key {:?}: check the key of the kept.js script tag (kept.js?key=… or data-key)",
                crate::shortened::shortened(&public_key)
            ),
        )
        .readable_by_any_origin();
    };
    let allowed = origin
        .as_deref()
        .map(|o| origin_allowed(&shop, o, req.headers()));
    let refused = |o: &str| {
        // A sandboxed frame, a page read from a file, or a request redirected
        // to another origin has an opaque origin, `null`, which no shop can
        // list: any page could be one.
        let message = if o == "null" {
            "this page has no origin a shop can list (a sandboxed iframe without allow-same-origin, a page read from a file, or the API's address redirected elsewhere: check data-api): put the kept.js script tag in a page of a listed origin".to_string()
        } else {
            format!(
                "origin {o} is not allowed for shop {id}: add it under the dashboard's Settings, or with `kept-server shop set {id} --add-origin {o}`",
                id = shop.id
            )
        };
        Failure::new(StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed, message)
    };
    if req.method() == Method::OPTIONS {
        let mut resp = match (allowed, origin) {
            (Some(true), Some(o)) => preflight(&o),
            // A browser reads no preflight's body; a person trying with curl does.
            (_, Some(o)) => refused(&o).into_response(),
            (_, None) => Failure::new(
                StatusCode::FORBIDDEN,
                ErrorCode::OriginNotAllowed,
                "a CORS preflight names its page's origin in an Origin header",
            )
            .into_response(),
        };
        // The answer differs by origin: no cache may give one origin's to another.
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
        return resp;
    }
    if let (Some(false), Some(o)) = (allowed, &origin) {
        return refused(o).readable_by_any_origin();
    }
    req.extensions_mut().insert(shop);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
    resp
}

/// The shop whose public key is `key`; none for a key that cannot be one.
pub(super) async fn shop_of_key(db: &dyn Database, key: &str) -> Result<Option<Shop>, DbError> {
    if validate_ref("public_key", key).is_err() {
        return Ok(None);
    }
    db.shop_by_public_key(key).await
}

/// The answer to a preflight from `origin`, which the shop allows.
fn preflight(origin: &str) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    if let Ok(o) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS),
        );
    }
    resp
}
