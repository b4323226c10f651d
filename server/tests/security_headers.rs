//! The headers that keep Kept's pages and answers from being misused by other
//! sites: a Content-Security-Policy on every page (the dashboard never framed,
//! the widget's pages only by Kept itself) and a referrer policy on every page,
//! no MIME sniffing on every response, the API's included.

mod common;

use axum::http::StatusCode;
use common::{Engine, TestApp};
use kept_server::demo;
use kept_shared::api;

/// The CSP of `path`, after checking the headers every response carries, and
/// every page (HTML) its referrer policy.
async fn policy(app: &TestApp, path: &str) -> String {
    let reply = app.get(path).await;
    // A kiosk of no shop is a page too, a 404 one.
    let expected = if path.contains("pk_nobody") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    assert_eq!(reply.status, expected, "{path}");
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    let page = reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    assert_eq!(
        reply.header("referrer-policy"),
        page.then_some("strict-origin-when-cross-origin"),
        "{path}"
    );
    reply
        .header("content-security-policy")
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn every_page_has_a_policy_and_every_response_the_basic_headers() {
    let app = TestApp::new(Engine::Sqlite).await;
    // A kiosk of no shop too: its 404 page had no policy.
    for page in [
        "/demo",
        &format!("/kiosk/{}", demo::PUBLIC_KEY),
        "/kiosk/pk_nobody",
    ] {
        let csp = policy(&app, page).await;
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "frame-ancestors 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{page}: {part} missing from {csp}");
        }
    }
    let login = app.get("/dashboard/login").await;
    let csp = login.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    // JSON answers are never sniffed into something a browser would run.
    let csp = policy(&app, &api::plan(demo::PUBLIC_KEY)).await;
    assert!(csp.is_empty());
    let missing = app.get("/api/v1/nothing-here").await;
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
}
