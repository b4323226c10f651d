//! `kept.js?key=…`: the shop's loader with the shop's rules written into it
//! (`server/src/http/shop_loader.rs`), on both engines: what it carries, how it
//! is cached and compressed, and the generic loader whenever something stands in
//! the way.

#[macro_use]
mod common;

use std::io::Read;

use axum::http::{Method, StatusCode};
use common::{ORIGIN, Reply, TestApp};
use kept_server::AppConfig;
use kept_server::demo;
use kept_server::rate_limit::{Quota, RateLimits};
use kept_shared::api;
use tempfile::TempDir;

on_both_engines!(
    the_loader_asked_with_a_key_carries_the_rules_of_an_unknown_visitor,
    the_loader_with_rules_is_cached_a_minute_by_its_etag_and_compressed_at_best,
    whatever_stands_in_the_way_gets_the_generic_loader,
    a_page_on_an_origin_the_shop_did_not_list_gets_the_generic_loader,
);

/// A built shop's loader (`kept-shop.js`), as `scripts/build-widget.sh` leaves
/// it: the slot for the rules is a string literal.
const LOADER: &str = r#"(()=>{var S="__KEPT_SHOP__";run(S)})();"#;
/// The built generic loader (`kept.js`).
const GENERIC: &str = "/* the generic loader */";

/// `app` serving a widget directory whose shop's loader is `loader`, beside
/// the generic one.
fn with_loader(app: TestApp, loader: &str, limits: RateLimits) -> (TestApp, TempDir) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("kept-shop.js"), loader).unwrap();
    std::fs::write(dist.path().join("kept.js"), GENERIC).unwrap();
    let app = app.with_config(AppConfig {
        widget_dir: Some(dist.path().to_path_buf()),
        rate_limits: limits,
        ..AppConfig::default()
    });
    (app, dist)
}

/// What the server wrote in the slot, as JSON.
fn shop_in(reply: &Reply) -> serde_json::Value {
    let text = std::str::from_utf8(&reply.body).unwrap();
    let slot = text
        .strip_prefix("(()=>{var S=")
        .and_then(|t| t.strip_suffix(";run(S)})();"))
        .unwrap_or_else(|| panic!("not the loader with a shop in its slot: {text}"));
    serde_json::from_str(slot).unwrap()
}

async fn the_loader_asked_with_a_key_carries_the_rules_of_an_unknown_visitor(app: TestApp) {
    let (app, _dist) = with_loader(app, LOADER, RateLimits::default());
    let loader = app.get("/widget/kept.js?key=pk_demo").await;
    assert_eq!(loader.status, StatusCode::OK);
    assert_eq!(loader.header("content-type"), Some("text/javascript"));
    let shop = shop_in(&loader);
    assert_eq!(shop["key"], demo::PUBLIC_KEY);
    // The very plan a page without a customer or an order reads.
    let rules = app
        .get(&format!("{}?texts=false", api::plan(demo::PUBLIC_KEY)))
        .await
        .json::<serde_json::Value>();
    assert_eq!(shop["rules"], rules);
    assert!(!loader.body.windows(5).any(|w| w == b"texts"));
    // The owner's change reaches the loader.
    app.edit_demo_survey(demo::CSAT_SURVEY, |d| d.active = false)
        .await;
    let after = shop_in(&app.get("/widget/kept.js?key=pk_demo").await);
    let ids: Vec<_> = after["rules"]["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [demo::NPS_SURVEY, demo::CHURN_SURVEY]);
}

async fn the_loader_with_rules_is_cached_a_minute_by_its_etag_and_compressed_at_best(app: TestApp) {
    let (app, _dist) = with_loader(app, LOADER, RateLimits::default());
    let plain = app.get("/widget/kept.js?key=pk_demo").await;
    assert_eq!(
        plain.header("cache-control"),
        Some("max-age=60, stale-while-revalidate=300")
    );
    let etag = plain.header("etag").unwrap().to_string();
    let again = app
        .get_with("/widget/kept.js?key=pk_demo", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let packed = app
        .get_with(
            "/widget/kept.js?key=pk_demo",
            &[("accept-encoding", "gzip, br")],
        )
        .await;
    assert_eq!(packed.header("content-encoding"), Some("br"));
    assert_eq!(packed.header("vary"), Some("accept-encoding"));
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&packed.body[..], 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain.body);
    // Readable by a shop's page like every widget file.
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));
}

/// A script that fails to load says nothing; the generic loader asks the server
/// for the plan, and says in the server's words what is wrong. Under a URL that
/// names a shop it is asked for again next time (`no-cache`), so that neither a
/// browser nor a CDN keeps it in place of the shop's.
async fn whatever_stands_in_the_way_gets_the_generic_loader(app: TestApp) {
    let generic = |reply: &Reply| {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("cache-control"), Some("no-cache"));
        assert_eq!(&reply.body[..], GENERIC.as_bytes());
    };
    let one_a_minute = RateLimits {
        widget_per_shop: Quota::new(1, 1),
        ..RateLimits::default()
    };
    let (app, _dist) = with_loader(app, LOADER, one_a_minute);
    let plain = app.get("/widget/kept.js").await;
    assert_eq!(plain.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(&plain.body[..], GENERIC.as_bytes());
    generic(&app.get("/widget/kept.js?key=pk_nope").await);
    generic(&app.get("/widget/kept.js?key=%3Cscript%3E").await);
    generic(&app.get("/widget/kept.js?key=").await);
    // Two keys: which shop is not for the server to guess.
    generic(&app.get("/widget/kept.js?key=pk_demo&key=pk_other").await);
    // Only GET (and HEAD) have the rules, and only they spend from the limits.
    let posted = app
        .raw(Method::POST, "/widget/kept.js?key=pk_demo", &[], "")
        .await;
    assert_ne!(
        posted.header("cache-control"),
        Some("max-age=60, stale-while-revalidate=300")
    );
    // The shop's widget requests past their limit: no store read, the generic file.
    assert_eq!(
        app.get("/widget/kept.js?key=pk_demo")
            .await
            .header("cache-control"),
        Some("max-age=60, stale-while-revalidate=300")
    );
    generic(&app.get("/widget/kept.js?key=pk_demo").await);

    // A shop's loader built without the slot: the generic one.
    let (app, _dist) = with_loader(
        TestApp::new(app.engine).await,
        "/* an older loader */",
        RateLimits::default(),
    );
    generic(&app.get("/widget/kept.js?key=pk_demo").await);

    // No widget built: nothing to write the rules into.
    let unbuilt = TestApp::new(app.engine).await;
    assert_eq!(
        unbuilt.get("/widget/kept.js?key=pk_demo").await.status,
        StatusCode::NOT_FOUND
    );
}

/// With the rules, a page on an origin the API refuses would decide a survey
/// due and download the whole widget before its texts were refused; the
/// generic loader asks for the plan and says the refusal, downloading nothing
/// more. The page's origin is its `Referer`; without one, the rules.
async fn a_page_on_an_origin_the_shop_did_not_list_gets_the_generic_loader(app: TestApp) {
    let (app, _dist) = with_loader(app, LOADER, RateLimits::default());
    let from = |page: &str| {
        let app = &app;
        let page = page.to_string();
        async move {
            app.get_with("/widget/kept.js?key=pk_demo", &[("referer", &page)])
                .await
        }
    };
    for elsewhere in [
        "https://elsewhere.example/",
        "https://elsewhere.example/products?x=1",
        // Scheme and port are the origin too.
        &format!("http://{}/", ORIGIN.trim_start_matches("https://")),
        &format!("{ORIGIN}:8443/thanks"),
    ] {
        let loader = from(elsewhere).await;
        assert_eq!(loader.status, StatusCode::OK, "{elsewhere}");
        assert_eq!(&loader.body[..], GENERIC.as_bytes(), "{elsewhere}");
        assert_eq!(
            loader.header("cache-control"),
            Some("no-cache"),
            "{elsewhere}"
        );
    }
    // The shop's pages, as browsers send them: the origin alone (another
    // site's default), or the whole address.
    for listed in [
        format!("{ORIGIN}/"),
        format!("{ORIGIN}/thanks?order=o-1#top"),
    ] {
        assert_eq!(
            shop_in(&from(&listed).await)["key"],
            demo::PUBLIC_KEY,
            "{listed}"
        );
    }
    // The Kept server's own pages (kiosks, the demo shop) are its API's too.
    let own = app
        .get_with(
            "/widget/kept.js?key=pk_demo",
            &[
                ("host", "kept.example"),
                ("referer", "https://kept.example/kiosk"),
            ],
        )
        .await;
    assert_eq!(shop_in(&own)["key"], demo::PUBLIC_KEY);
    // No origin to check (no `Referer`, a page read from a file, garbage): the
    // rules, and the API refuses the texts where it must.
    for unknown in ["file:///home/shop/index.html", "not an address", "null"] {
        assert_eq!(
            shop_in(&from(unknown).await)["key"],
            demo::PUBLIC_KEY,
            "{unknown}"
        );
    }
}
