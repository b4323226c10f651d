//! What a public server meets besides well-formed requests: wrong methods, bad
//! escapes, stalled bodies, idle connections, compression, caching, the pages.
//! Every error under `/api/` must be the API's JSON with a stable code.

#[macro_use]
mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Engine, TestApp};
use kept_server::{AppConfig, RunningServer, demo};
use kept_shared::{ApiError, ErrorCode, api};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

on_both_engines!(
    every_error_under_api_is_json_with_a_stable_code,
    a_misspelt_owner_query_parameter_is_refused_by_name,
    a_body_is_taken_as_sent_and_a_compressed_one_named,
);

/// A compressed body is refused by its compression (a 415), in any of the
/// request's `Content-Encoding` values; anything else there is no compression,
/// and the body is read as sent.
async fn a_body_is_taken_as_sent_and_a_compressed_one_named(app: TestApp) {
    let batch = |n| {
        serde_json::to_string(&kept_shared::SyncBatch {
            answers: vec![
                kept_shared::testing::AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, n)
                    .build(),
            ],
        })
        .unwrap()
    };
    for (encoding, status) in [
        ("identity", StatusCode::OK),
        ("IDENTITY", StatusCode::OK),
        ("UTF-8", StatusCode::OK),
        ("", StatusCode::OK),
        ("identity, gzip", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("br", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (" ZSTD ", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let reply = app
            .raw(
                Method::POST,
                &api::answers(demo::PUBLIC_KEY),
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", encoding),
                ],
                batch(7),
            )
            .await;
        assert_eq!(
            reply.status,
            status,
            "{encoding:?}: {:?}",
            String::from_utf8_lossy(&reply.body)
        );
    }
}

async fn a_misspelt_owner_query_parameter_is_refused_by_name(app: TestApp) {
    let owner = format!("Bearer {}", demo::OWNER_TOKEN);
    // `rest` of the demo shop's owner API, as its owner: its path and the reply.
    let get = |rest: &'static str| {
        let (app, owner) = (&app, owner.clone());
        async move {
            let path = api::owner(demo::SHOP_ID, rest);
            let reply = app
                .raw(
                    Method::GET,
                    &path,
                    &[("authorization", &owner)],
                    String::new(),
                )
                .await;
            (path, reply)
        }
    };
    for (rest, misspelt) in [
        ("customers?limt=10", "limt"),
        ("customers.csv?srot=total", "srot"),
        ("answers?survy=nps", "survy"),
        ("inbox?stauts=new", "stauts"),
        ("analytics/retention?peroid=month", "peroid"),
        ("devices?stale_hours=3", "stale_hours"),
        ("report?form=2026-01-01", "form"),
        // Routes that take no query at all.
        ("audit?limit=2", "limit"),
        ("settings?verbose", "verbose"),
        ("stores?page=2", "page"),
    ] {
        let (path, reply) = get(rest).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        let e: ApiError = reply.json();
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.contains(misspelt), "{path}: {}", e.message);
    }
    // Spelt right, the same queries are answered.
    for rest in [
        "customers?limit=10",
        "answers?survey=nps",
        "analytics/retention?period=month",
        "devices?stale_after_hours=3",
        "report?from=2026-01-01",
        "audit",
        "settings",
    ] {
        let (path, reply) = get(rest).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
}

/// A request (method, path, headers, body) and the status and code it must get.
type ErrorCase<'a> = (
    Method,
    String,
    Vec<(&'a str, &'a str)>,
    &'a str,
    StatusCode,
    ErrorCode,
);

async fn every_error_under_api_is_json_with_a_stable_code(app: TestApp) {
    let owner = format!("Bearer {}", demo::OWNER_TOKEN);
    let back_office = format!("Bearer {}", demo::SECRET_KEY);
    let cases: Vec<ErrorCase> = vec![
        (
            Method::DELETE,
            api::surveys(demo::PUBLIC_KEY),
            vec![],
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::GET,
            api::answers(demo::PUBLIC_KEY),
            vec![],
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::PUT,
            api::loyalty(demo::PUBLIC_KEY, "alice"),
            vec![],
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::GET,
            api::purchases(demo::SHOP_ID),
            vec![("authorization", &back_office)],
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::POST,
            api::report(demo::SHOP_ID),
            vec![("authorization", &owner)],
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::GET,
            api::loyalty(demo::PUBLIC_KEY, "a%FFb"),
            vec![],
            "",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            api::loyalty(demo::PUBLIC_KEY, "%"),
            vec![],
            "",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            "/api/v1/nothing-here".into(),
            vec![],
            "",
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            Method::GET,
            "/api/v2/widget/pk_demo/surveys".into(),
            vec![],
            "",
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            Method::POST,
            api::answers(demo::PUBLIC_KEY),
            vec![("content-type", "text/plain")],
            "{}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
        ),
        (
            Method::POST,
            api::answers(demo::PUBLIC_KEY),
            vec![],
            "{}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
        ),
        (
            Method::POST,
            api::purchases(demo::SHOP_ID),
            vec![
                ("authorization", &back_office),
                ("content-type", "application/json"),
            ],
            "[]",
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadRequest,
        ),
        // A compressed body: named, not read as broken JSON.
        (
            Method::POST,
            api::answers(demo::PUBLIC_KEY),
            vec![
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            "\u{1f}\u{8b}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            format!("{}?from=2026-13-01", api::report(demo::SHOP_ID)),
            vec![("authorization", &owner)],
            "",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
    ];
    for (method, path, headers, body, status, code) in cases {
        let reply = app
            .raw(method.clone(), &path, &headers, body.to_string())
            .await;
        assert_eq!(
            reply.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{method} {path}"
        );
        let e: ApiError = reply.json();
        assert_eq!(e.code, code, "{method} {path}: {}", e.message);
        assert!(!e.message.is_empty());
        if headers.iter().any(|(name, _)| *name == "content-encoding") {
            assert!(e.message.contains("\"gzip\" is not taken"), "{}", e.message);
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(
                reply.header("allow").is_some(),
                "{method} {path} names the methods it takes"
            );
        }
    }
}

/// A request whose body never finishes is answered 408, as JSON, after the timeout.
#[tokio::test]
async fn a_stalled_request_body_gets_a_json_408() {
    let app = TestApp::new(Engine::Sqlite).await;
    let router = kept_server::app_with(
        app.db.clone(),
        AppConfig {
            request_timeout: Duration::from_millis(300),
            ..AppConfig::default()
        },
    );
    let never = Body::new(NeverEnds);
    let req = Request::post(api::answers(demo::PUBLIC_KEY))
        .header("content-type", "application/json")
        .header("content-length", "1000")
        .body(never)
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
    // Readable by the page (a widget's): without it, a network error.
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let e: ApiError = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.code, ErrorCode::RequestTimeout);
}

/// A body declared past the route's limit is refused at once (413, as JSON,
/// naming both sizes), without waiting for a byte of it; the imports take more.
/// A request target or headers past theirs get a JSON 414 or 431.
#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_read() {
    let app = TestApp::new(Engine::Sqlite).await;
    // Without the check, these would wait the whole hour for their bodies.
    let router = kept_server::app_with(
        app.db.clone(),
        AppConfig {
            request_timeout: Duration::from_secs(3600),
            ..AppConfig::default()
        },
    );
    let owner = format!("Bearer {}", demo::OWNER_TOKEN);
    for (path, token, declared) in [
        (api::answers(demo::PUBLIC_KEY), None, 2 * 1024 * 1024),
        (
            api::purchases(demo::SHOP_ID),
            Some(format!("Bearer {}", demo::SECRET_KEY)),
            2 * 1024 * 1024,
        ),
        (
            api::owner(demo::SHOP_ID, "import"),
            Some(owner.clone()),
            65 * 1024 * 1024,
        ),
    ] {
        let mut req = Request::post(&path)
            .header("content-type", "application/json")
            .header("content-length", declared.to_string());
        if let Some(token) = token {
            req = req.header("authorization", token);
        }
        let resp = tokio::time::timeout(
            Duration::from_secs(20),
            router
                .clone()
                .oneshot(req.body(Body::new(NeverEnds)).unwrap()),
        )
        .await
        .unwrap_or_else(|_| panic!("{path} waited for the body"))
        .unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(resp.headers()["connection"], "close");
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let e: ApiError = serde_json::from_slice(&body).unwrap();
        assert_eq!(e.code, ErrorCode::PayloadTooLarge);
        assert!(e.message.contains(&declared.to_string()), "{}", e.message);
    }
    // A target or headers past the limits are refused as JSON too, naming them.
    let long_query = format!("{}?q={}", api::surveys(demo::PUBLIC_KEY), "x".repeat(9000));
    let big_header = "y".repeat(40 * 1024);
    for (req, status) in [
        (
            Request::get(&long_query).body(Body::empty()).unwrap(),
            StatusCode::URI_TOO_LONG,
        ),
        (
            Request::get(api::surveys(demo::PUBLIC_KEY))
                .header("x-padding", &big_header)
                .body(Body::empty())
                .unwrap(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
    ] {
        let resp = router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), status);
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let e: ApiError = serde_json::from_slice(&body).unwrap();
        assert!(e.message.contains("at most"), "{}", e.message);
    }
    // An import sent in chunks, its size undeclared, is refused once past it.
    let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
    let chunks =
        futures_util::stream::iter((0..65).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let resp = router
        .clone()
        .oneshot(
            Request::post(api::owner(demo::SHOP_ID, "import"))
                .header("content-type", "text/csv")
                .header("authorization", &owner)
                .body(Body::from_stream(chunks))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let e: ApiError = serde_json::from_slice(&body).unwrap();
    assert!(
        e.message.contains("the most an import takes"),
        "{}",
        e.message
    );
    // An import under its own limit but over the others' is read.
    let csv = "customer_ref,purchase_id,amount_cents,purchased_at\nz1,z-1,100,2026-03-01\n"
        .to_string()
        + &" ".repeat(2 * 1024 * 1024);
    let resp = router
        .oneshot(
            Request::post(api::owner(demo::SHOP_ID, "import"))
                .header("content-type", "text/csv")
                .header("authorization", owner)
                .body(Body::from(csv))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_ne!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A request body that never yields: a client that stopped sending.
struct NeverEnds;

impl axum::body::HttpBody for NeverEnds {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

/// A client that connects and never finishes its first request is cut off:
/// whether it sends nothing, the start of HTTP/2's preface (before hyper's own
/// timeout, which starts once it has told HTTP/1 from HTTP/2), or part of its
/// headers.
#[tokio::test]
async fn a_connection_that_never_finishes_its_first_request_is_closed() {
    let app = TestApp::new(Engine::Sqlite).await;
    let server = RunningServer::serve_with(
        app.db.clone(),
        "127.0.0.1:0".parse().unwrap(),
        AppConfig::default(),
        Duration::from_millis(300),
    )
    .await
    .unwrap();
    for sent in [
        &b""[..],
        b"P",
        b"PRI * HTTP/2.0\r\n",
        b"GET /api/v1/widget/pk_demo/surveys HTTP/1.1\r\nHost: x\r\n",
    ] {
        let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        conn.write_all(sent).await.unwrap();
        let mut buf = Vec::new();
        // The server closes the connection (EOF, perhaps after a 408); the
        // deadline only bounds a failing test.
        let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "after {sent:?}, the connection was still open after 10 s"
        );
    }
    // A well-behaved client on another connection is served meanwhile.
    let ok = reqwest::get(format!(
        "{}{}",
        server.url(),
        api::surveys(demo::PUBLIC_KEY)
    ))
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn json_and_pages_are_compressed_as_the_browser_offers() {
    let app = TestApp::new(Engine::Sqlite).await;
    for (encoding, expected) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let reply = app
            .get_with(
                &api::surveys(demo::PUBLIC_KEY),
                &[("accept-encoding", encoding)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-encoding"), expected, "{encoding}");
        let page = app
            .get_with("/demo", &[("accept-encoding", encoding)])
            .await;
        assert_eq!(
            page.header("content-encoding"),
            expected,
            "/demo {encoding}"
        );
    }
}

#[tokio::test]
async fn pages_icons_and_widget_files_are_served_with_their_caching() {
    let app = TestApp::new(Engine::Sqlite).await;
    let demo_page = String::from_utf8(
        app.get("/demo?customer=carol&locale=uk")
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    assert!(
        demo_page.contains(r#"src="/widget/kept.js?key=pk_demo""#)
            && demo_page.contains(r#"data-customer="carol""#)
    );
    assert!(demo_page.contains(r#"data-locale="uk""#));
    let hostile = String::from_utf8(
        app.get("/demo?customer=%22%3E%3Cscript%3E")
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    assert!(!hostile.contains("\"><script>"));
    let kiosk = app.get("/kiosk/pk_demo").await;
    assert_eq!(kiosk.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&kiosk.body).contains(r#"data-key="pk_demo""#));
    assert!(String::from_utf8_lossy(&kiosk.body).contains(r#"src="/kiosk/app.js""#));
    assert_eq!(
        app.get("/kiosk/pk_nope").await.status,
        StatusCode::NOT_FOUND
    );
    // Signed out, the dashboard sends the owner to its sign-in page.
    assert_eq!(app.get("/dashboard").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/dashboard/login").await.status, StatusCode::OK);
    let icon = app.get("/favicon.ico").await;
    assert_eq!(
        (icon.status, icon.header("content-type")),
        (StatusCode::OK, Some("image/x-icon"))
    );
    assert_eq!(&icon.body[..4], &[0, 0, 1, 0], "an ICO file");
    assert_eq!(app.get("/favicon.svg").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/widget/kept.js").await.status,
        StatusCode::NOT_FOUND,
        "no widget built here"
    );

    // A built widget: the loader briefly cached, hashed files for a year, brotli where made.
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("kept.js"), "/* loader */").unwrap();
    std::fs::write(
        dist.path().join("kept-widget-0123456789abcdef.js"),
        "/* glue */",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("kept-widget-0123456789abcdef.js.br"),
        "brotli bytes",
    )
    .unwrap();
    let router = kept_server::app(app.db.clone(), Some(dist.path().to_path_buf()));
    let get = |path: &str, enc: &str| {
        router.clone().oneshot(
            Request::get(path)
                .header("accept-encoding", enc)
                .header("origin", "https://any.example")
                .body(Body::empty())
                .unwrap(),
        )
    };
    let loader = get("/widget/kept.js", "br").await.unwrap();
    assert_eq!(loader.status(), StatusCode::OK);
    assert_eq!(loader.headers()["cache-control"], "public, max-age=300");
    assert_eq!(loader.headers()["access-control-allow-origin"], "*");
    let glue = get("/widget/kept-widget-0123456789abcdef.js", "gzip, br")
        .await
        .unwrap();
    assert_eq!(
        glue.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(glue.headers()["content-encoding"], "br");
    // Which file was sent depends on what the browser accepts: a shared cache
    // must keep them apart.
    let vary: Vec<_> = glue.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["accept-encoding"]);
    let plain = get("/widget/kept-widget-0123456789abcdef.js", "identity")
        .await
        .unwrap();
    let vary: Vec<_> = plain.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["accept-encoding"]);
    let body = axum::body::to_bytes(glue.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        &body[..],
        b"brotli bytes",
        "the precompressed file, not compressed again"
    );
    // A directory is no file, and no redirect: ServeDir's had been built from
    // the path without its prefix (`/widget///.` to `//./`, another host).
    std::fs::create_dir(dist.path().join("sub")).unwrap();
    for path in [
        "/widget/.",
        "/widget///.",
        "/widget/sub",
        "/widget/sub/",
        "/widget/kept.js/",
        "/widget/kept.js/.",
        "/widget/kept-widget-0123456789abcdef.js.br",
    ] {
        let reply = get(path, "identity").await.unwrap();
        assert_eq!(reply.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(reply.headers().get("location").is_none(), "{path}");
    }
}
