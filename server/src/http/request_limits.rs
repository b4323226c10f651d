//! How large a request may be, in one place: its target ([`MAX_URI_BYTES`]),
//! its headers ([`MAX_HEADER_BYTES`]), and its body by route — the imports take
//! [`MAX_IMPORT_BYTES`], everything else [`MAX_BODY_BYTES`]. Past these, the
//! answer is the API's JSON (a 414, 431 or 413 naming the limit). hyper's own
//! limits lie beyond ours (a 64 KiB target, about 400 KiB of headers, 100
//! headers); only a request past those gets hyper's bare status.
//!
//! A body declared larger (`Content-Length`) is refused at once with a 413,
//! before a byte of it is read: waiting for it would only end in a 408 when the
//! request's time ran out, after the client had sent megabytes for nothing. A
//! body that grows past the limit as it is read (chunked) is refused by the
//! extractors, through axum's `DefaultBodyLimit`, set here to the same limit.

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kept_shared::limits::MAX_BODY_BYTES;
use tower::{Layer, ServiceExt};

use crate::owner::import::MAX_IMPORT_BYTES;

/// The longest request target (path and query) taken.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values) taken.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The largest body `path` takes.
pub fn limit_for(path: &str) -> usize {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let import = matches!(
        segments.as_slice(),
        ["", "dashboard", "import"] | ["", "api", "v1", "shops", _, "import"]
    );
    if import {
        MAX_IMPORT_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// A refusal the connection cannot outlive: the rest of the request is never read.
fn refused(status: StatusCode, message: String) -> Response {
    let mut refused = (status, message).into_response();
    refused
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    refused
}

pub async fn request_limits(req: Request, next: Next) -> Response {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return refused(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request's path and query are {target} bytes; at most {MAX_URI_BYTES} are taken"
            ),
        );
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return refused(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request's headers are {headers} bytes; at most {MAX_HEADER_BYTES} are taken"
            ),
        );
    }
    let limit = limit_for(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|n| *n > limit as u64) {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is {declared} bytes; this route takes at most {limit} bytes"),
        );
    }
    match DefaultBodyLimit::max(limit).layer(next).oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_imports_take_more_than_the_rest() {
        assert_eq!(limit_for("/api/v1/shops/demo/import"), MAX_IMPORT_BYTES);
        assert_eq!(limit_for("/dashboard/import"), MAX_IMPORT_BYTES);
        for other in [
            "/api/v1/shops/demo/purchases",
            "/api/v1/widget/pk_demo/answers",
            "/api/v1/shops/import",
            "/api/v1/shops/demo/import/x",
            "/dashboard/settings",
        ] {
            assert_eq!(limit_for(other), MAX_BODY_BYTES, "{other}");
        }
    }
}
