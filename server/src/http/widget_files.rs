//! The built widget (`widget/dist`) under `/widget/`: precompressed brotli and
//! gzip where the build made them, readable by any origin (a shop's page on
//! another origin loads them in CORS mode), and cached by name: files named by
//! their content hash never change, so browsers keep them for a year; the loader
//! `kept.js` keeps its name, so it is cached briefly and revalidated; asked for
//! with a shop's key (`kept.js?key=…`), it is the shop's loader with the shop's
//! rules (`shop_loader.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::shop_loader::{self, ShopLoader};
use super::throttle::Throttle;
use crate::db::Db;

/// How long browsers and CDNs may use `kept.js` before asking again.
pub const LOADER_MAX_AGE_SECONDS: u32 = 300;

/// The files of `dir`, with `kept.js?key=…` made by [`shop_loader`].
pub fn router(dir: Option<PathBuf>, db: Db, throttle: Arc<Throttle>) -> Router<Db> {
    let files = match dir {
        Some(dir) if dir.exists() => {
            let loader = ShopLoader {
                db,
                throttle,
                loader: dir.join(shop_loader::TEMPLATE),
            };
            Router::new()
                // A directory is not a file (ServeDir would redirect `/widget/.`
                // to a `Location` built from the path without its prefix:
                // `/widget///.` to `//./`, another host's address).
                .fallback_service(
                    ServeDir::new(dir)
                        .append_index_html_on_directories(false)
                        .precompressed_br()
                        .precompressed_gzip(),
                )
                .layer(middleware::from_fn_with_state(
                    Arc::new(loader),
                    shop_loader::with_rules,
                ))
        }
        _ => Router::new().fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "The widget is not built: run scripts/build-widget.sh, or pass --widget-dir.",
            )
        }),
    };
    files
        .layer(middleware::from_fn(cache_by_name))
        .layer(middleware::from_fn(files_by_name))
        // The file sent (brotli, gzip or plain) depends on what the browser
        // accepts; ServeDir does not say so, and a CDN would otherwise give
        // brotli to a browser that cannot read it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
}

/// What the widget directory `dir` lacks, in words for whoever runs the
/// server: `None` when it has both loaders.
pub fn widget_dir_problem(dir: &Path) -> Option<String> {
    if !dir.join("kept.js").exists() {
        return Some(format!(
            "no widget at {}: run scripts/build-widget.sh (the API works without it)",
            dir.display()
        ));
    }
    if !dir.join(shop_loader::TEMPLATE).exists() {
        return Some(format!(
            "{} has no {} (a widget built by an older release): kept.js?key=… is the generic loader, without the shop's rules; run scripts/build-widget.sh",
            dir.display(),
            shop_loader::TEMPLATE
        ));
    }
    None
}

/// Whether `name` is a loader only a shop's snippet (`kept.js?key=…`) loads:
/// its template, and the whole loader it hands pages over to (as
/// scripts/build-widget.sh names them). The generic `kept.js`, which kiosks
/// and personal links run, holds the whole loader itself.
pub fn only_for_shop_snippets(name: &str) -> bool {
    name == shop_loader::TEMPLATE || name.starts_with("kept-full.")
}

/// Only the files themselves, by their names: a file's compressed twin is
/// what a browser gets by asking for the file (it had been served as itself,
/// `application/octet-stream`), and a file is no directory (`kept.js/` and
/// `kept.js/.` had been `kept.js`): no empty or dot segment.
async fn files_by_name(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let odd_segment = path
        .trim_start_matches('/')
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..");
    if odd_segment || is_compressed_twin(path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(req).await
}

/// Whether `name` is the brotli or gzip twin scripts/build-widget.sh writes
/// beside each file.
pub fn is_compressed_twin(name: &str) -> bool {
    name.ends_with(".br") || name.ends_with(".gz")
}

/// The `Cache-Control` of a file by its name, unless the response has its own
/// (the loader with a shop's rules).
async fn cache_by_name(req: Request, next: Next) -> Response {
    let policy = cache_policy(req.uri().path());
    let mut resp = next.run(req).await;
    let decided = resp.headers().contains_key(header::CACHE_CONTROL);
    if !decided && (resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED) {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&policy).expect("ASCII"),
        );
    }
    resp
}

/// The `Cache-Control` of a widget file, by its name.
pub fn cache_policy(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or_default();
    if name == "kept.js" {
        format!("public, max-age={LOADER_MAX_AGE_SECONDS}")
    } else if has_content_hash(name) {
        "public, max-age=31536000, immutable".to_string()
    } else {
        "no-cache".to_string()
    }
}

/// A name with a part of at least 8 hex digits between `-`, `_` or `.`:
/// `kept-widget-3f2a9c41d0e5b6a7.js`, `kept-widget-3f2a9c41d0e5b6a7_bg.wasm`.
pub fn has_content_hash(name: &str) -> bool {
    name.split(['-', '_', '.'])
        .any(|part| part.len() >= 8 && part.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_widget_dir_without_either_loader_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let problem = widget_dir_problem(dir.path()).unwrap();
        assert!(problem.starts_with("no widget at"), "{problem}");
        std::fs::write(dir.path().join("kept.js"), "generic").unwrap();
        let problem = widget_dir_problem(dir.path()).unwrap();
        assert!(problem.contains("has no kept-shop.js"), "{problem}");
        std::fs::write(dir.path().join("kept-shop.js"), "shop").unwrap();
        assert_eq!(widget_dir_problem(dir.path()), None);
    }

    #[test]
    fn hashed_files_are_immutable_the_loader_is_short_lived_the_rest_revalidated() {
        assert_eq!(cache_policy("/kept.js"), "public, max-age=300");
        assert_eq!(
            cache_policy("/kept-widget-3f2a9c41d0e5b6a7_bg.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_policy("/kept-widget_bg-3f2a9c41d0e5b6a7.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_policy("/kept-widget-3f2a9c41.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_policy("/kept-widget.js"), "no-cache");
        assert_eq!(cache_policy("/kept-widget_bg.wasm"), "no-cache");
    }
}
