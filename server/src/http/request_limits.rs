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
//!
//! A body is taken only as sent, uncompressed: a compressed one (`Content-
//! Encoding: gzip`) would otherwise read as broken JSON or a broken file, a
//! 400 that says nothing of the cause; it gets a 415 naming its compression.
//! Only the compressions HTTP knows are refused (any `Content-Encoding`
//! header, every value): a client that writes something else there
//! (`UTF-8`) sends its body as it is, and has always been served.

use std::time::Duration;

use axum::body::HttpBody;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kept_shared::ErrorCode;
use kept_shared::limits::MAX_BODY_BYTES;
use tower::{Layer, ServiceExt};

use super::error::{Failure, readable_by_any_origin};
use crate::owner::import::MAX_IMPORT_BYTES;

/// The longest request target (path and query) taken.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values) taken.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// How long an import may take, its upload included: 64 MiB over a slow line,
/// then a million rows written.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What a route takes: its largest body, and how long a request to it may take
/// until its answer starts.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteLimits {
    pub body: usize,
    pub time: Duration,
}

/// The limits of `path`: an import takes [`MAX_IMPORT_BYTES`] and
/// [`IMPORT_TIMEOUT`] (it runs to its end anyway; a 408 would only invite the
/// same file again while it still runs), everything else [`MAX_BODY_BYTES`] and
/// `usual`. Looked at on every request, so without allocating.
pub fn route_limits(path: &str, usual: Duration) -> RouteLimits {
    let path = path.trim_end_matches('/');
    let shop_import = path
        .strip_prefix("/api/v1/shops/")
        .and_then(|rest| rest.strip_suffix("/import"))
        .is_some_and(|shop| !shop.is_empty() && !shop.contains('/'));
    if shop_import || path == "/dashboard/import" {
        RouteLimits {
            body: MAX_IMPORT_BYTES,
            time: IMPORT_TIMEOUT.max(usual),
        }
    } else {
        RouteLimits {
            body: MAX_BODY_BYTES,
            time: usual,
        }
    }
}

/// An import's body the extractor refused: past [`MAX_IMPORT_BYTES`] as it was
/// read (a chunked upload; a declared size is refused before, above), or cut.
pub fn import_body_refused(e: axum::extract::rejection::BytesRejection) -> Failure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("the file is larger than {MAX_IMPORT_BYTES} bytes, the most an import takes"),
        )
    } else {
        Failure::bad_request(e.body_text())
    }
}

/// The compression the request's `Content-Encoding` names for its body, if
/// any: one of those registered for HTTP, in any of its headers and values.
/// A request without a body has nothing compressed, whatever the header says.
fn compression(req: &Request) -> Option<String> {
    const COMPRESSIONS: &[&str] = &[
        "gzip",
        "x-gzip",
        "deflate",
        "br",
        "zstd",
        "compress",
        "x-compress",
        "dcb",
        "dcz",
    ];
    // Known empty: no `Content-Length` (or one of 0) and no chunks.
    if req.body().size_hint().exact() == Some(0) {
        return None;
    }
    req.headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .find(|coding| COMPRESSIONS.contains(&coding.as_str()))
}

/// A refusal the connection cannot outlive: the rest of the request is never read.
/// Readable by the page that sent the request, whatever its origin: a widget
/// that could not read it saw a network error (its batch never halved on a
/// 413).
fn refused(status: StatusCode, message: String) -> Response {
    let mut refused = readable_by_any_origin((status, message).into_response());
    refused
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    refused
}

pub async fn request_limits(
    State(request_timeout): State<Duration>,
    req: Request,
    next: Next,
) -> Response {
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
    if let Some(compression) = compression(&req) {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("a body compressed with {compression:?} is not taken: send it uncompressed"),
        );
    }
    let limits = route_limits(req.uri().path(), request_timeout);
    let limit = limits.body;
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
    let limited = DefaultBodyLimit::max(limit).layer(next).oneshot(req);
    match tokio::time::timeout(limits.time, limited).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        // The body (or the work) took too long: the JSON layer says so.
        Err(_) => readable_by_any_origin(StatusCode::REQUEST_TIMEOUT.into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_imports_take_more_than_the_rest() {
        let usual = Duration::from_secs(30);
        let import = RouteLimits {
            body: MAX_IMPORT_BYTES,
            time: IMPORT_TIMEOUT,
        };
        for path in [
            "/api/v1/shops/demo/import",
            "/api/v1/shops/demo/import/",
            "/dashboard/import",
        ] {
            assert_eq!(route_limits(path, usual), import, "{path}");
        }
        for other in [
            "/api/v1/shops/demo/purchases",
            "/api/v1/widget/pk_demo/answers",
            "/api/v1/shops/import",
            "/api/v1/shops//import",
            "/api/v1/shops/demo/import/x",
            "/api/v1/shops/a/b/import",
            "/dashboard/settings",
        ] {
            let limits = route_limits(other, usual);
            assert_eq!(limits.body, MAX_BODY_BYTES, "{other}");
            assert_eq!(limits.time, usual, "{other}");
        }
    }
}
