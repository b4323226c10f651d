//! The HTML pages the server serves: the demo shop, the kiosk and the owner dashboard.
//! Each is one file under `assets/`; the widget is embedded with its one script tag.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use kept_shared::validate::validate_ref;

use crate::db::Db;

const DEMO: &str = include_str!("../assets/demo.html");
const KIOSK: &str = include_str!("../assets/kiosk.html");
const FAVICON_ICO: &[u8] = include_bytes!("../assets/favicon.ico");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
/// Icons change with releases only: a day of caching saves a request per page view.
const ICON_CACHE: &str = "public, max-age=86400";

pub fn router() -> Router<Db> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/demo") }))
        .route("/demo", get(demo))
        .route("/kiosk/{public_key}", get(kiosk))
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
    let mut out = String::new();
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
            out.push_str(&format!(r#" data-{name}="{value}""#));
        }
    }
    out
}

async fn demo(Query(query): Query<BTreeMap<String, String>>) -> Html<String> {
    let mut query = query;
    query
        .entry("customer".into())
        .or_insert_with(|| "alice".into());
    // Each view is a new order (unless the query names one): the demo asks again.
    query
        .entry("order".into())
        .or_insert_with(|| format!("order-{}", Utc::now().timestamp_millis()));
    let attrs = snippet_attributes(&query, &["customer", "order", "survey", "locale"]);
    Html(
        DEMO.replace("{{public_key}}", crate::demo::PUBLIC_KEY)
            .replace("{{snippet_attributes}}", &attrs),
    )
}

async fn kiosk(
    State(db): State<Db>,
    Path(public_key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let known = validate_ref("public_key", &public_key).is_ok()
        && matches!(db.shop_by_public_key(&public_key).await, Ok(Some(_)));
    if !known {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Kiosk not found</title><h1>No shop has this key.</h1>"),
        )
            .into_response();
    }
    let attrs = snippet_attributes(&query, &["survey", "locale"]);
    Html(
        KIOSK
            .replace("{{public_key}}", &public_key)
            .replace("{{snippet_attributes}}", &attrs),
    )
    .into_response()
}
