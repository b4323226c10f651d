//! Abuse limits through the real server on loopback: clients on different
//! loopback addresses (127.0.0.2, 127.0.0.3, …) are different clients to it.
//! A flood from one address is cut with `429` and `Retry-After` while a normal
//! visitor's answer still lands; behind a trusted proxy the forwarded address
//! counts; a shop and a token have limits of their own.

mod common;

use std::net::IpAddr;

use common::{Engine, ORIGIN, TestApp};
use kept_server::rate_limit::{Quota, RateLimits};
use kept_server::{AppConfig, HEADER_READ_TIMEOUT, RunningServer, demo};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{ApiError, ErrorCode, SyncBatch, SyncReceipt, api};
use reqwest::StatusCode;

async fn serve(app: &TestApp, limits: RateLimits, trusted_proxies: Vec<IpAddr>) -> RunningServer {
    let config = AppConfig {
        rate_limits: limits,
        trusted_proxies,
        ..AppConfig::default()
    };
    RunningServer::serve_with(
        app.db.clone(),
        "127.0.0.1:0".parse().unwrap(),
        config,
        HEADER_READ_TIMEOUT,
    )
    .await
    .unwrap()
}

/// An HTTP client connecting from `address` (a loopback address).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn plan_url(server: &RunningServer) -> String {
    format!("{}{}", server.url(), api::plan(demo::PUBLIC_KEY))
}

/// Sends `n` plan requests one after another, returning their statuses and the
/// first refusal.
async fn flood(
    http: &reqwest::Client,
    url: &str,
    n: usize,
    forwarded_for: Option<&str>,
) -> (Vec<StatusCode>, Option<reqwest::Response>) {
    let mut statuses = Vec::new();
    let mut refusal = None;
    for _ in 0..n {
        let mut req = http.get(url).header("origin", ORIGIN);
        if let Some(f) = forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        let resp = req.send().await.unwrap();
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS && refusal.is_none() {
            refusal = Some(resp);
        }
    }
    (statuses, refusal)
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// One visitor's answer, posted as the widget does.
async fn answer_from(http: &reqwest::Client, server: &RunningServer, forwarded_for: Option<&str>) {
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9).build();
    let mut req = http
        .post(format!(
            "{}{}",
            server.url(),
            api::answers(demo::PUBLIC_KEY)
        ))
        .header("origin", ORIGIN)
        .json(&SyncBatch {
            answers: vec![answer.clone()],
        });
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let receipt: SyncReceipt = resp.json().await.unwrap();
    assert_eq!(receipt.stored, vec![answer.id]);
}

fn per_client(burst: u32) -> RateLimits {
    RateLimits {
        // One a minute after the burst: nothing refills while a test runs.
        widget_per_client: Quota::new(1, burst),
        ..RateLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_cut_while_a_visitor_still_answers() {
    let app = TestApp::new(Engine::Sqlite).await;
    let server = serve(&app, per_client(10), Vec::new()).await;
    let (statuses, refusal) = flood(&client_from("127.0.0.2"), &plan_url(&server), 40, None).await;
    assert_eq!(count(&statuses, StatusCode::OK), 10, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 30);

    // The refusal says when to come back, to any origin, in the API's JSON.
    let refusal = refusal.unwrap();
    let h = refusal.headers();
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["access-control-expose-headers"], "retry-after");
    let error: ApiError = refusal.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::RateLimited);

    // Another visitor's answer lands; the flooder stays cut.
    answer_from(&client_from("127.0.0.3"), &server, None).await;
    let (statuses, _) = flood(&client_from("127.0.0.2"), &plan_url(&server), 1, None).await;
    assert_eq!(statuses, [StatusCode::TOO_MANY_REQUESTS]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = TestApp::new(Engine::Sqlite).await;
    // The proxy connects from 127.0.0.1 and appends the address it was reached from.
    let server = serve(&app, per_client(5), vec!["127.0.0.1".parse().unwrap()]).await;
    let proxy = client_from("127.0.0.1");
    let url = plan_url(&server);
    let (statuses, _) = flood(&proxy, &url, 20, Some("198.51.100.1")).await;
    assert_eq!(count(&statuses, StatusCode::OK), 5, "{statuses:?}");
    // Another client behind the same proxy is not the flooder.
    answer_from(&proxy, &server, Some("198.51.100.2")).await;
    // What a client writes before the proxy's own entry is not believed.
    let (statuses, _) = flood(&proxy, &url, 1, Some("198.51.100.2, 198.51.100.1")).await;
    assert_eq!(statuses, [StatusCode::TOO_MANY_REQUESTS]);
    // A client that does not come through the proxy cannot blame another address.
    let direct = client_from("127.0.0.4");
    let (statuses, _) = flood(&direct, &url, 6, Some("198.51.100.7")).await;
    assert_eq!(count(&statuses, StatusCode::OK), 5, "{statuses:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_has_a_limit_over_all_its_clients_that_leaves_each_its_fair_share() {
    let app = TestApp::new(Engine::Sqlite).await;
    // The shop's bucket refills every 30 s, a client's and its fair share every minute.
    let limits = RateLimits {
        widget_per_shop: Quota::new(2, 6),
        widget_per_client: Quota::new(1, 3),
        widget_fair_share: Quota::new(1, 1),
        ..RateLimits::default()
    };
    let server = serve(&app, limits, Vec::new()).await;
    let url = plan_url(&server);
    // Two addresses, each within its own limit, spend the shop's.
    for n in 2..4 {
        let (statuses, _) = flood(&client_from(&format!("127.0.0.{n}")), &url, 3, None).await;
        assert_eq!(count(&statuses, StatusCode::OK), 3, "{statuses:?}");
    }
    // A third gets its fair share, and no more.
    let (statuses, _) = flood(&client_from("127.0.0.4"), &url, 3, None).await;
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // A visitor who comes now is let through all the same (it had been
    // refused: 60 addresses had shut the widget for every visitor). Past its
    // fair share, a request the shop's limit refuses costs its client nothing:
    // each refusal is still the shop's, whose wait is at most its 30 s (a
    // client's would be a minute).
    let late = client_from("127.0.0.20");
    let (statuses, _) = flood(&late, &url, 1, None).await;
    assert_eq!(statuses, [StatusCode::OK]);
    for _ in 0..5 {
        let (statuses, refusal) = flood(&late, &url, 1, None).await;
        assert_eq!(statuses, [StatusCode::TOO_MANY_REQUESTS]);
        let wait: u64 = refusal.unwrap().headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait <= 30, "the client's own wait: {wait} s");
    }
    // All of the shop's fair shares together are as many as its own limit
    // (a burst of 6, two taken above): its load stays bounded however many
    // addresses ask.
    let mut statuses = Vec::new();
    for n in 30..36 {
        let (s, _) = flood(&client_from(&format!("127.0.0.{n}")), &url, 1, None).await;
        statuses.extend(s);
    }
    assert_eq!(count(&statuses, StatusCode::OK), 4, "{statuses:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_has_its_own_limit() {
    let app = TestApp::new(Engine::Sqlite).await;
    let limits = RateLimits {
        per_token: Quota::new(1, 3),
        ..RateLimits::default()
    };
    let server = serve(&app, limits, Vec::new()).await;
    let http = client_from("127.0.0.2");
    let report = |token: &'static str| {
        http.get(format!("{}{}", server.url(), api::report(demo::SHOP_ID)))
            .bearer_auth(token)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            report(demo::OWNER_TOKEN).await.unwrap().status(),
            StatusCode::OK
        );
    }
    let refused = report(demo::OWNER_TOKEN).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // The widget's routes are limited apart from the owner's.
    let (statuses, _) = flood(&http, &plan_url(&server), 1, None).await;
    assert_eq!(statuses, [StatusCode::OK]);
    // The same token from another address is still over its limit.
    let elsewhere = client_from("127.0.0.3");
    let url = format!("{}{}", server.url(), api::report(demo::SHOP_ID));
    let reply = elsewhere
        .get(&url)
        .bearer_auth(demo::OWNER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::TOO_MANY_REQUESTS);
    // Guessing, a new token each time, is limited by the address: each guess
    // is refused as unauthorized until the address is cut.
    let guesser = client_from("127.0.0.4");
    let mut statuses = Vec::new();
    for n in 0..5 {
        let reply = guesser
            .get(&url)
            .bearer_auth(format!("ot_guess_{n}"))
            .send()
            .await
            .unwrap();
        statuses.push(reply.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    server.stop().await;
}
