//! A body that every page of a shop reads (the display plan, the loader with a
//! shop's rules): named by a strong `ETag`, so a browser that has it gets a
//! `304`, and compressed at brotli's best when the browser takes brotli
//! (without, the app-wide layer gzips it).

use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::best_brotli;

/// `body` as `content_type`, cached as `cache_control` says, by its `ETag`.
pub fn respond(
    headers: &HeaderMap,
    body: Vec<u8>,
    content_type: &'static str,
    cache_control: String,
) -> Response {
    // 64 bits tell one version of a body from another: every page pays the bytes.
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..16]);
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, cache_control),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        // Compared weakly (RFC 9110, 13.1.2): a cache may hand on the tag as `W/"…"`.
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim())
                .any(|t| t.strip_prefix("W/").unwrap_or(t) == etag || t == "*")
        });
    if unchanged {
        let vary = [(header::VARY, "accept-encoding")];
        return (StatusCode::NOT_MODIFIED, cache, vary).into_response();
    }
    let kind = [(header::CONTENT_TYPE, content_type)];
    if best_brotli::accepted(headers) {
        let encoded = [
            (header::CONTENT_ENCODING, "br"),
            (header::VARY, "accept-encoding"),
        ];
        let packed = best_brotli::compress_once(&etag, &body);
        return (cache, kind, encoded, packed).into_response();
    }
    (cache, kind, body).into_response()
}
