//! The kiosk as an installable app: its page (`/kiosk/{public_key}`), the app
//! around the widget (`/kiosk/app.js`: setup behind the PIN, full screen, wake
//! lock, reports), its service worker (`/kiosk/sw.js`, which keeps it working
//! offline) and its web app manifest.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use kept_shared::Store;
use kept_shared::validate::validate_ref;
use maud::{DOCTYPE, html};
use serde_json::json;

use super::{PAGE_CSP, page_attributes};
use crate::dashboard::Lang;
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
        // The kiosk's own policy on every page of it (this one had none).
        [(header::CONTENT_SECURITY_POLICY, PAGE_CSP)],
        Html("<!doctype html><title>Kiosk not found</title><h1>No shop has this key.</h1>"),
    )
        .into_response()
}

/// A kiosk whose address names a store the shop does not have: said to the
/// staff at once, in the kiosk's language, with the shop's stores. Run, it
/// would thank each respondent while the server refused every answer.
fn unknown_store(lang: Lang, store: &str, stores: &[Store]) -> Response {
    let (title, text, known) = match lang {
        Lang::En => (
            "Unknown store",
            "This shop has no store with the id given in the kiosk's address (?store=):",
            "Its stores:",
        ),
        Lang::Ru => (
            "Неизвестный магазин",
            "У магазина нет точки с кодом из адреса киоска (?store=):",
            "Его точки:",
        ),
        Lang::Uk => (
            "Невідомий магазин",
            "У магазину немає точки з кодом з адреси кіоску (?store=):",
            "Його точки:",
        ),
    };
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (title) } }
            body {
                h1 { (title) }
                p data-testid="kiosk-unknown-store" { (text) " " code { (store) } }
                @if !stores.is_empty() {
                    p { (known) }
                    ul { @for s in stores { li { code { (s.id) } " — " (s.name) } } }
                }
            }
        }
    };
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_SECURITY_POLICY, PAGE_CSP)],
        page,
    )
        .into_response()
}

/// The kiosk's language for its staff: `?locale=`, else the browser's.
fn staff_language(query: &BTreeMap<String, String>, headers: &HeaderMap) -> Lang {
    query
        .get("locale")
        .and_then(|l| Lang::parse(&l.get(..2)?.to_ascii_lowercase()))
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

async fn page(
    State(db): State<Db>,
    Extension(build): Extension<Arc<KioskBuild>>,
    Path(public_key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(shop) = shop_of(&db, &public_key).await else {
        return not_found();
    };
    let pin_set = matches!(db.kiosk_pin(&shop.id).await, Ok(Some(_)));
    // `?store=` empty names no store (the kiosk runs without one).
    if let Some(store) = query.get("store").filter(|s| !s.is_empty()) {
        let stores = match db.stores(&shop.id).await {
            Ok(stores) => stores,
            Err(e) => return crate::http::Failure::from(e).into_response(),
        };
        if !stores.iter().any(|s| &s.id == store) {
            // The shop's stores only where no PIN keeps them (setup lists
            // them behind it): the public key is on every page of the shop.
            let listed: &[Store] = if pin_set { &[] } else { &stores };
            return unknown_store(staff_language(&query, &headers), store, listed);
        }
    }
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
