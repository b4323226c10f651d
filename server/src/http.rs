//! The HTTP surface: the versioned JSON API, CORS for the widget routes, the
//! widget's static files and the pages.

use std::path::PathBuf;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{Duration as Days, NaiveDate, Utc};
use kept_shared::limits::MAX_BODY_BYTES;
use kept_shared::validate::{validate_batch_len, validate_ref};
use kept_shared::{ApiError, ErrorCode, Period, RecordPurchase, ShopSurveys, SyncBatch};
use serde::Deserialize;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TokenKind;
use crate::store::{self, MAX_PURCHASE_CENTS, Shop, Store};
use crate::{pages, report};

/// Longest a request may take before the server answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest report range, in days (ten years).
const MAX_REPORT_DAYS: i64 = 3660;
/// How long a browser may cache a CORS preflight answer.
const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;

pub fn router(store: Store, widget_dir: Option<PathBuf>) -> Router {
    let widget_api = Router::new()
        .route("/{public_key}/surveys", get(surveys))
        .route("/{public_key}/answers", post(answers))
        .route(
            "/{public_key}/customers/{customer_ref}/loyalty",
            get(loyalty),
        )
        .layer(middleware::from_fn_with_state(store.clone(), widget_shop));
    let shop_api = Router::new()
        .route("/{shop_id}/purchases", post(purchase))
        .route("/{shop_id}/report", get(owner_report));
    let api = Router::new()
        .nest("/widget", widget_api)
        .nest("/shops", shop_api)
        .fallback(|| async {
            Failure::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such API route",
            )
        });

    // A shop's page on another origin loads the widget's JS module and wasm, which
    // the browser fetches in CORS mode: they are public, so any origin may.
    let widget_files = match widget_dir {
        Some(dir) if dir.exists() => Router::new().fallback_service(ServeDir::new(dir)),
        _ => Router::new().fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "The widget is not built: run scripts/build-widget.sh, or pass --widget-dir.",
            )
        }),
    }
    .layer(SetResponseHeaderLayer::overriding(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
    // The wasm is about a megabyte; gzip sends about a third of it.
    .layer(CompressionLayer::new());

    Router::new()
        .nest("/api/v1", api)
        .nest("/widget", widget_files)
        .merge(pages::router())
        .with_state(store)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
}

/// An API error: a status and the shared [`ApiError`] body.
#[derive(Debug)]
pub struct Failure(StatusCode, ApiError);

impl Failure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Failure(status, ApiError::new(code, message))
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    fn unauthorized() -> Self {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid 'Authorization: Bearer <token>' for this shop is required",
        )
    }

    fn unknown_shop() -> Self {
        Failure::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no shop has this public key",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(self.1)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!("internal error: {e:#}");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error; try again later",
        )
    }
}

impl From<JsonRejection> for Failure {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        Failure::bad_request(r.body_text())
    }
}

impl From<QueryRejection> for Failure {
    fn from(r: QueryRejection) -> Self {
        Failure::bad_request(r.body_text())
    }
}

type ApiResult<T> = Result<Json<T>, Failure>;

async fn surveys(
    State(store): State<Store>,
    Extension(shop): Extension<Shop>,
) -> ApiResult<ShopSurveys> {
    let shop_id = shop.id.clone();
    let surveys = store
        .run(move |c| store::active_surveys(c, &shop_id))
        .await?;
    Ok(Json(ShopSurveys {
        shop: store::shop_info(&shop),
        surveys,
    }))
}

async fn answers(
    State(store): State<Store>,
    Extension(shop): Extension<Shop>,
    body: Result<Json<SyncBatch>, JsonRejection>,
) -> ApiResult<kept_shared::SyncReceipt> {
    let Json(batch) = body?;
    validate_batch_len(batch.answers.len()).map_err(|e| {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BatchTooLarge,
            e.to_string(),
        )
    })?;
    let receipt = store
        .run(move |c| store::store_batch(c, &shop.id, &batch.answers, Utc::now()))
        .await?;
    Ok(Json(receipt))
}

async fn loyalty(
    State(store): State<Store>,
    Extension(shop): Extension<Shop>,
    Path((_public_key, customer_ref)): Path<(String, String)>,
) -> ApiResult<kept_shared::LoyaltyStatus> {
    validate_ref("customer_ref", &customer_ref).map_err(|e| Failure::bad_request(e.to_string()))?;
    Ok(Json(
        store
            .run(move |c| store::loyalty(c, &shop.id, &customer_ref, Utc::now()))
            .await?,
    ))
}

/// Checks the bearer token of `kind` for the shop; unknown shops look like bad tokens.
async fn authorize(
    store: &Store,
    headers: &HeaderMap,
    shop_id: &str,
    kind: TokenKind,
) -> Result<(), Failure> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(Failure::unauthorized)?
        .trim()
        .to_string();
    let shop_id = shop_id.to_string();
    if store
        .run(move |c| store::token_valid(c, &shop_id, kind, &token))
        .await?
    {
        Ok(())
    } else {
        Err(Failure::unauthorized())
    }
}

async fn purchase(
    State(store): State<Store>,
    Path(shop_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RecordPurchase>, JsonRejection>,
) -> ApiResult<kept_shared::PurchaseReceipt> {
    authorize(&store, &headers, &shop_id, TokenKind::BackOffice).await?;
    let Json(p) = body?;
    validate_ref("customer_ref", &p.customer_ref)
        .map_err(|e| Failure::bad_request(e.to_string()))?;
    validate_ref("purchase_id", &p.purchase_id).map_err(|e| Failure::bad_request(e.to_string()))?;
    if p.amount_cents > MAX_PURCHASE_CENTS {
        return Err(Failure::bad_request(format!(
            "amount_cents may be at most {MAX_PURCHASE_CENTS}"
        )));
    }
    Ok(Json(
        store
            .run(move |c| store::record_purchase(c, &shop_id, &p, Utc::now()))
            .await?,
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
    State(store): State<Store>,
    Path(shop_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> ApiResult<kept_shared::Report> {
    authorize(&store, &headers, &shop_id, TokenKind::Owner).await?;
    let Query(q) = query?;
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = q.from.unwrap_or(to - Days::days(29));
    if from > to {
        return Err(Failure::bad_request(format!(
            "from ({from}) is after to ({to})"
        )));
    }
    if (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(Failure::bad_request(format!(
            "a report may span at most {MAX_REPORT_DAYS} days"
        )));
    }
    let (rows, reasons) = store
        .run(move |c| store::report_rows(c, &shop_id, from, to, q.period))
        .await?;
    Ok(Json(report::build(from, to, q.period, &rows, &reasons)))
}

/// In front of every widget route: resolves the shop of the public key in the path
/// once (the handlers get it as an `Extension<Shop>`), and applies the shop's CORS
/// policy: only the origins it listed may call from a browser. Pages the server
/// serves itself are same-origin and need nothing.
async fn widget_shop(State(store): State<Store>, mut req: Request, next: Next) -> Response {
    let public_key = req
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    if let Err(e) = validate_ref("public_key", &public_key) {
        return Failure::bad_request(e.to_string()).into_response();
    }
    let shop = match store
        .run(move |c| store::shop_by_public_key(c, &public_key))
        .await
    {
        Ok(Some(shop)) => shop,
        Ok(None) => return Failure::unknown_shop().into_response(),
        Err(e) => return Failure::from(e).into_response(),
    };
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed = origin
        .as_ref()
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| shop.allowed_origins.iter().any(|a| a == o));
    req.extensions_mut().insert(shop);
    let mut resp = if req.method() == Method::OPTIONS {
        let status = if allowed {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::FORBIDDEN
        };
        let mut r = status.into_response();
        if allowed {
            let h = r.headers_mut();
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
        r
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("origin"));
    if let (true, Some(o)) = (allowed, origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
    resp
}
