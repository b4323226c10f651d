//! Headers responses carry unless their handler set their own: every one, no
//! MIME sniffing (a JSON body or a widget file is never run as something else);
//! every page, no full URLs of Kept's pages (they may hold a shop's query) in
//! other sites' `Referer`. A referrer policy acts only on documents: on a script
//! or JSON it would be bytes every shop's page downloads for nothing. Pages add
//! their `Content-Security-Policy` themselves: each knows what it loads and who
//! may frame it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

pub async fn defaults(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    let page = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if page {
        h.entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    }
    resp
}
