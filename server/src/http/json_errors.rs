//! Every error under `/api/` is the API's `{code, message}` JSON. Handlers answer
//! that way themselves; this layer catches what is produced before or around them
//! (a wrong method, a path that does not decode, a request that timed out, a body
//! over the limit) and rewrites it, keeping the status and any plain-text reason.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kept_shared::ErrorCode;

use super::error::Failure;

/// Longest plain-text reason carried over into the message.
const MAX_REASON_BYTES: usize = 512;

pub async fn json_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let reason = to_bytes(body, MAX_REASON_BYTES)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("other methods");
            (
                ErrorCode::MethodNotAllowed,
                format!("this route does not take {method}; it takes {allowed}"),
            )
        }
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            // The body's arrival or the answer's making: either may be the slow one.
            "the request was not answered in time (its body too slow to arrive, or the server to answer it); send it again".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            reason.unwrap_or_else(|| "the body is too large".into()),
        ),
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            reason.unwrap_or_else(|| "no such API route".into()),
        ),
        s if s.is_server_error() => (
            ErrorCode::Internal,
            "internal error; try again later".to_string(),
        ),
        _ => (
            ErrorCode::BadRequest,
            reason.unwrap_or_else(|| status.canonical_reason().unwrap_or("bad request").into()),
        ),
    };
    let mut fixed = Failure::new(status, code, message).into_response();
    // Keep what the original said about the response (Allow, CORS, Retry-After…).
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().append(name.clone(), value.clone());
        }
    }
    fixed.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    fixed
}
