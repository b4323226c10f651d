//! The HTML pages the server serves: the demo shop, the kiosk app (`kiosk.rs`)
//! and the personal links' page (`link.rs`); the owner's dashboard has its own
//! module. Each page is one file under `assets/`; the widget is embedded with its
//! one script tag.

pub mod kiosk;
pub mod link;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use kept_shared::validate::validate_ref;

use crate::db::Db;
use crate::kiosk::KioskBuild;
use crate::signatures::{Signed, sign};

const DEMO: &str = include_str!("../../assets/demo.html");
const FAVICON_ICO: &[u8] = include_bytes!("../../assets/favicon.ico");
const FAVICON_SVG: &str = include_str!("../../assets/favicon.svg");
/// Icons change with releases only: a day of caching saves a request per page view.
const ICON_CACHE: &str = "public, max-age=86400";

pub fn router(build: Arc<KioskBuild>) -> Router<Db> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/demo") }))
        .route("/demo", get(demo))
        .merge(kiosk::router(build))
        .merge(link::router())
        .route(
            "/favicon.ico",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/x-icon"),
                        (header::CACHE_CONTROL, ICON_CACHE),
                    ],
                    FAVICON_ICO,
                )
            }),
        )
        .route(
            "/favicon.svg",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/svg+xml"),
                        (header::CACHE_CONTROL, ICON_CACHE),
                    ],
                    FAVICON_SVG,
                )
            }),
        )
}

/// `data-*` attributes of the widget's script tag from the page's query: only
/// the ones a page may pass on, and only well-formed values (so nothing needs escaping).
fn snippet_attributes(query: &BTreeMap<String, String>, names: &[&str]) -> String {
    page_attributes(query, names)
        .into_iter()
        .map(|(name, value)| format!(r#" data-{name}="{value}""#))
        .collect()
}

/// The widget attributes (names without `data-`) a page passes on from its
/// query, as [`snippet_attributes`] takes them.
fn page_attributes(query: &BTreeMap<String, String>, names: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in names {
        let Some(value) = query.get(*name) else {
            continue;
        };
        let ok = match *name {
            "survey" => value
                .split(',')
                .all(|id| validate_ref("survey", id).is_ok()),
            "locale" => {
                value.len() <= 16 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }
            _ => validate_ref(name, value).is_ok(),
        };
        if ok {
            out.push((name.to_string(), value.clone()));
        }
    }
    out
}

/// The demo and kiosk pages' policy: their own files only, the widget's wasm
/// compiled (`'wasm-unsafe-eval'`), inline styles (the pages' own and the
/// widget's, in its shadow root), and no framing by other sites.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// A page of the widget's with [`PAGE_CSP`].
fn widget_page(html: String) -> Response {
    ([(header::CONTENT_SECURITY_POLICY, PAGE_CSP)], Html(html)).into_response()
}

/// `data-customer-sig` and `data-order-sig` for the references in `attrs`, as
/// a shop's server signs them (here with the demo shop's own secret).
fn signatures(secret: &str, query: &BTreeMap<String, String>, attrs: &str) -> String {
    let mut out = String::new();
    for (name, what) in [("customer", Signed::Customer), ("order", Signed::Order)] {
        // Only references that made it into the attributes (well-formed ones).
        if let Some(value) = query.get(name)
            && attrs.contains(&format!(r#" data-{name}="{value}""#))
        {
            out.push_str(&format!(
                r#" data-{name}-sig="{}""#,
                sign(secret, what, value)
            ));
        }
    }
    out
}

async fn demo(State(db): State<Db>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let mut query = query;
    query
        .entry("customer".into())
        .or_insert_with(|| "alice".into());
    // Each view is a new order (unless the query names one): the demo asks again.
    query
        .entry("order".into())
        .or_insert_with(|| format!("order-{}", Utc::now().timestamp_millis()));
    let mut attrs = snippet_attributes(&query, &["customer", "order", "survey", "locale"]);
    // Signed only for the demo shop `--demo` makes, whose secret is in the
    // source for all to read: never with the secret of a real shop that has
    // the id `demo`, or of the demo shop once its owner replaced the secret
    // (a page signing any customer asked for would hand out their loyalty
    // card and a verified answer for their order).
    if let Ok(Some(shop)) = db.shop(crate::demo::SHOP_ID).await
        && shop.widget_secret == crate::demo::WIDGET_SECRET
    {
        attrs += &signatures(crate::demo::WIDGET_SECRET, &query, &attrs);
    }
    widget_page(
        DEMO.replace("{{public_key}}", crate::demo::PUBLIC_KEY)
            .replace("{{snippet_attributes}}", &attrs),
    )
}
