//! The HTTP surface: the versioned JSON API, the widget's files and the pages, as
//! one router over the store. Tests call [`app`] in-process.

mod auth;
mod back_office;
mod best_brotli;
mod cacheable;
pub mod error;
mod json_errors;
mod kiosk;
mod owner;
pub(crate) mod request_limits;
mod security_headers;
mod shop_loader;
pub(crate) mod streaming;
mod throttle;
mod widget;
pub(crate) mod widget_files;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::{Router, middleware};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::db::Db;
use crate::kiosk::KioskBuild;
use crate::links::PublicUrl;
use crate::pages;
use crate::rate_limit::RateLimits;
pub use error::Failure;
pub use widget_files::widget_dir_problem;

/// Longest a request may take, its body included, before the server answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the application behaves, beyond its store.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The built widget (`widget/dist`), served under `/widget/`.
    pub widget_dir: Option<PathBuf>,
    /// Longest a request may take before the server answers 408.
    pub request_timeout: Duration,
    pub rate_limits: RateLimits,
    /// Proxies whose `X-Forwarded-For` names the client (see `http/throttle.rs`).
    pub trusted_proxies: Vec<IpAddr>,
    /// How the running server's webhook deliverer paces itself.
    pub webhook_timing: crate::webhooks::DeliveryTiming,
    /// Where the server is reached from outside (`https://kept.example.com`),
    /// for the personal links it writes; without it, the request's host.
    pub public_url: Option<String>,
    /// Which addresses webhooks may be sent to (`outbound.rs`).
    pub webhook_receivers: crate::outbound::Receivers,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            widget_dir: None,
            request_timeout: REQUEST_TIMEOUT,
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
            webhook_timing: Default::default(),
            public_url: None,
            webhook_receivers: Default::default(),
        }
    }
}

/// The whole application over the store `db`, serving the built widget from
/// `widget_dir` (when there is one).
pub fn app(db: Db, widget_dir: Option<PathBuf>) -> Router {
    app_with(
        db,
        AppConfig {
            widget_dir,
            ..AppConfig::default()
        },
    )
}

/// [`app`] as `config` says.
pub fn app_with(db: Db, config: AppConfig) -> Router {
    let throttle = throttle::Throttle::new(&config.rate_limits, config.trusted_proxies);
    let request_timeout = config.request_timeout;
    let kiosk_build = std::sync::Arc::new(KioskBuild::of_widget_dir(config.widget_dir.as_deref()));
    let public_url = std::sync::Arc::new(PublicUrl(config.public_url.clone()));
    let api = Router::new()
        .nest(
            "/widget",
            widget::router(db.clone()).layer(middleware::from_fn_with_state(
                throttle.clone(),
                throttle::widget,
            )),
        )
        .nest(
            "/shops",
            back_office::router(db.clone())
                .merge(owner::router(db.clone()))
                .layer(middleware::from_fn_with_state(
                    throttle.clone(),
                    throttle::per_token,
                )),
        )
        .fallback(|| async { Failure::not_found("no such API route") });
    Router::new()
        .nest("/api/v1", api)
        .nest(
            "/widget",
            widget_files::router(config.widget_dir, db.clone(), throttle.clone()),
        )
        .merge(
            pages::router(kiosk_build).layer(middleware::from_fn_with_state(
                throttle.clone(),
                throttle::pages,
            )),
        )
        .merge(
            crate::dashboard::router().layer(middleware::from_fn_with_state(
                throttle,
                throttle::per_token,
            )),
        )
        .with_state(db)
        // The links' page, the back office, the owner API and the dashboard write links.
        .layer(axum::Extension(public_url))
        // The owner API and the dashboard register webhooks.
        .layer(axum::Extension(config.webhook_receivers))
        .layer(middleware::from_fn_with_state(
            request_timeout,
            request_limits::request_limits,
        ))
        // Outside the timeout and the body limit, so their answers become JSON too.
        .layer(middleware::from_fn(json_errors::json_errors))
        .layer(middleware::from_fn(security_headers::defaults))
        // Brotli or gzip for JSON and pages, as the browser offers; the widget's
        // files are served precompressed and are not compressed again.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// The first segment of the request's path within its nested router: the public
/// key of a widget route, the shop id of a shop route.
fn first_segment(req: &axum::extract::Request) -> String {
    req.uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string()
}
