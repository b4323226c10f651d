//! The kiosk as an installable app: its page (`/kiosk/{public_key}`), the app
//! around the widget (`/kiosk/app.js`: setup behind the PIN, full screen, wake
//! lock, reports), its service worker (`/kiosk/sw.js`, which keeps it working
//! offline) and its web app manifest.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use kept_shared::validate::validate_ref;
use serde_json::json;

use super::{PAGE_CSP, page_attributes};
use crate::db::{Db, Shop};
use crate::kiosk::{HEARTBEAT_SECONDS, KioskBuild};

const PAGE: &str = include_str!("../../assets/kiosk.html");
const APP: &str = include_str!("../../assets/kiosk-app.js");
const WORKER: &str = include_str!("../../assets/kiosk-sw.js");
/// What the kiosk's version covers besides the widget (`KioskBuild`).
pub const ASSETS: [&str; 3] = [PAGE, APP, WORKER];

/// The app and the worker are revalidated on every load: the browser checks the
/// worker for a new version each time the kiosk starts online.
const REVALIDATE: &str = "no-cache";

pub fn router(build: Arc<KioskBuild>) -> Router<Db> {
    Router::new()
        .route("/kiosk/app.js", get(app))
        .route("/kiosk/sw.js", get(worker))
        .route("/kiosk/{public_key}", get(page))
        .route("/kiosk/{public_key}/manifest.webmanifest", get(manifest))
        .layer(Extension(build))
}

async fn app() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        APP,
    )
        .into_response()
}

async fn worker(Extension(build): Extension<Arc<KioskBuild>>) -> Response {
    let mut precache = vec!["/kiosk/app.js".to_string(), "/favicon.svg".to_string()];
    precache.extend(build.widget_files.iter().cloned());
    let body = WORKER.replace("{{version}}", &build.version).replace(
        "{{precache}}",
        &serde_json::to_string(&precache).expect("strings"),
    );
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        body,
    )
        .into_response()
}

async fn shop_of(db: &Db, public_key: &str) -> Option<Shop> {
    if validate_ref("public_key", public_key).is_err() {
        return None;
    }
    db.shop_by_public_key(public_key).await.ok().flatten()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>Kiosk not found</title><h1>No shop has this key.</h1>"),
    )
        .into_response()
}

async fn page(
    State(db): State<Db>,
    Extension(build): Extension<Arc<KioskBuild>>,
    Path(public_key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(shop) = shop_of(&db, &public_key).await else {
        return not_found();
    };
    let pin_set = matches!(db.kiosk_pin(&shop.id).await, Ok(Some(_)));
    // The page's own settings (a kiosk without a PIN runs with them).
    let attrs: BTreeMap<String, String> = page_attributes(&query, &["survey", "locale", "store"])
        .into_iter()
        .collect();
    let heartbeat = query
        .get("heartbeat")
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(HEARTBEAT_SECONDS);
    let html = PAGE
        .replace("{{public_key}}", &public_key)
        .replace("{{version}}", &build.version)
        .replace("{{pin}}", if pin_set { "set" } else { "none" })
        .replace("{{heartbeat_seconds}}", &heartbeat.to_string())
        // Validated references and locales: no quote to escape in the attribute.
        .replace(
            "{{widget_attributes}}",
            &serde_json::to_string(&attrs).expect("strings"),
        );
    ([(header::CONTENT_SECURITY_POLICY, PAGE_CSP)], Html(html)).into_response()
}

async fn manifest(State(db): State<Db>, Path(public_key): Path<String>) -> Response {
    let Some(shop) = shop_of(&db, &public_key).await else {
        return not_found();
    };
    let body = json!({
        "name": format!("{} kiosk", shop.name),
        "short_name": "Kiosk",
        "start_url": format!("/kiosk/{public_key}"),
        "scope": "/kiosk/",
        "display": "fullscreen",
        "orientation": "any",
        "background_color": "#f4f1ec",
        "theme_color": "#f4f1ec",
        "icons": [{"src": "/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        Json(body),
    )
        .into_response()
}
