//! Headers every response carries unless its handler set its own: no MIME
//! sniffing (a JSON body or a widget file is never run as something else), and
//! no full URLs of Kept's pages (they may hold a shop's query) in other sites'
//! `Referer`. Pages add their `Content-Security-Policy` themselves: each knows
//! what it loads and who may frame it.

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
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    resp
}
