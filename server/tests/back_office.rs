//! The back office and the loyalty programme, on both engines: tokens, purchases
//! once per id, points and tiers, limits, and concurrent writers.

#[macro_use]
mod common;

use axum::http::StatusCode;
use chrono::TimeZone;
use common::TestApp;
use kept_server::demo;
use kept_server::shops::{self, ShopSpec};
use kept_shared::limits::{MAX_POINTS, MAX_POINTS_PER_UNIT, MAX_PURCHASE_CENTS};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{ErrorCode, LoyaltyStatus, PurchaseReceipt, RecordPurchase, SyncBatch, api};

on_both_engines!(
    back_office_and_owner_routes_refuse_missing_wrong_and_foreign_tokens,
    purchases_earn_points_once_and_move_customers_up_tiers,
    a_purchase_id_reused_for_another_purchase_is_a_conflict,
    points_never_overflow_and_a_purchase_past_the_limit_changes_nothing,
    concurrent_purchases_for_one_customer_and_ingest_give_exact_points_and_no_5xx,
    a_purchase_in_a_store_not_set_up_is_kept_and_the_store_named,
);

async fn other_shop(app: &TestApp, points_per_unit: u64) -> shops::ShopKeys {
    shops::create(
        app.db.as_ref(),
        ShopSpec {
            id: "other".into(),
            name: "Other".into(),
            origins: vec![],
            tiers: vec![kept_server::db::Tier::new("Base", 0)],
            points_per_unit,
            time_zone: chrono_tz::UTC,
            keys: None,
        },
    )
    .await
    .unwrap()
}

async fn back_office_and_owner_routes_refuse_missing_wrong_and_foreign_tokens(app: TestApp) {
    let other = other_shop(&app, 1).await;
    let p = RecordPurchase::new("alice", "p1", 100);
    for token in ["sk_wrong", &other.back_office_token, demo::OWNER_TOKEN, " "] {
        let reply = app.purchase(token, demo::SHOP_ID, &p).await;
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_eq!(
            (reply.status, reply.error().code),
            (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            "token {token:?}"
        );
    }
    let no_header = app
        .post_json(&api::purchases(demo::SHOP_ID), None, &p)
        .await;
    assert_eq!(no_header.status, StatusCode::UNAUTHORIZED);
    for token in ["ot_wrong", &other.owner_token, demo::SECRET_KEY] {
        let reply = app.report_reply(demo::SHOP_ID, token, "").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "token {token:?}");
    }
    // An unknown shop looks like a wrong token.
    let unknown = app.report_reply("nope", demo::OWNER_TOKEN, "").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    // The scheme is case-insensitive (RFC 9110).
    let lower = app
        .get_with(
            &api::report(demo::SHOP_ID),
            &[("authorization", &format!("bearer {}", demo::OWNER_TOKEN))],
        )
        .await;
    assert_eq!(lower.status, StatusCode::OK);
    assert!(
        app.db
            .customer_points(demo::SHOP_ID, "alice")
            .await
            .unwrap()
            == Some(620)
    );
}

async fn purchases_earn_points_once_and_move_customers_up_tiers(app: TestApp) {
    let p = RecordPurchase::new("dave", "order-7", 55_099);
    let first: PurchaseReceipt = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
        .await
        .json();
    assert_eq!(
        (first.points_earned, first.duplicate, first.status.points),
        (550, false, 550)
    );
    assert_eq!(first.status.tier, "Silver");
    assert_eq!(first.status.tier_name("uk"), "Срібло");
    let next = first.status.next_tier.clone().unwrap();
    assert_eq!(
        (next.name.as_str(), next.min_points, next.points_needed),
        ("Gold", 2000, 1450)
    );
    assert_eq!(next.name_for("ru"), "Золото");

    let again: PurchaseReceipt = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
        .await
        .json();
    assert_eq!(
        (again.points_earned, again.duplicate, again.status.points),
        (0, true, 550)
    );

    let big = RecordPurchase::new("dave", "order-8", 200_000);
    let gold: PurchaseReceipt = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &big)
        .await
        .json();
    assert_eq!(
        (
            gold.status.points,
            gold.status.tier.as_str(),
            gold.status.next_tier
        ),
        (2550, "Gold", None)
    );
    let status: LoyaltyStatus = app.get(&common::signed_loyalty("dave")).await.json();
    assert_eq!((status.points, status.tier.as_str()), (2550, "Gold"));

    for (amount, what) in [(u64::MAX, "huge"), (MAX_PURCHASE_CENTS + 1, "just over")] {
        let reply = app
            .purchase(
                demo::SECRET_KEY,
                demo::SHOP_ID,
                &RecordPurchase::new("dave", "order-9", amount),
            )
            .await;
        assert_eq!(
            (reply.status, reply.error().code),
            (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            "{what}"
        );
    }
    let mut old = RecordPurchase::new("dave", "order-10", 100);
    old.purchased_at = Some("1970-01-01T00:00:00Z".parse().unwrap());
    let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &old).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.db.customer_points(demo::SHOP_ID, "dave").await.unwrap(),
        Some(2550)
    );
}

/// A till's purchase is not lost for a store the shop has not set up yet: it
/// is stored under that id, and the answer names the store (as an import does).
async fn a_purchase_in_a_store_not_set_up_is_kept_and_the_store_named(app: TestApp) {
    let mut known = RecordPurchase::new("erin", "order-s1", 1_000);
    known.store = Some("old-town".into());
    let receipt: PurchaseReceipt = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &known)
        .await
        .json();
    assert_eq!(receipt.unknown_store, None);
    let mut unknown = RecordPurchase::new("erin", "order-s2", 1_000);
    unknown.store = Some("nostore".into());
    let reply = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &unknown)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let receipt: PurchaseReceipt = reply.json();
    assert_eq!(receipt.unknown_store.as_deref(), Some("nostore"));
    assert_eq!(
        receipt.status.points, 20,
        "both purchases earned their points"
    );
    // Without a store, nothing to name: the field is left out.
    let plain = app
        .purchase(
            demo::SECRET_KEY,
            demo::SHOP_ID,
            &RecordPurchase::new("erin", "order-s3", 1_000),
        )
        .await;
    assert!(!String::from_utf8_lossy(&plain.body).contains("unknown_store"));
}

async fn a_purchase_id_reused_for_another_purchase_is_a_conflict(app: TestApp) {
    let p = RecordPurchase::new("erin", "order-1", 1000);
    assert_eq!(
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
            .await
            .status,
        StatusCode::OK
    );
    for other in [
        RecordPurchase::new("frank", "order-1", 1000),
        RecordPurchase::new("erin", "order-1", 2000),
    ] {
        let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &other).await;
        assert_eq!(
            (reply.status, reply.error().code),
            (StatusCode::CONFLICT, ErrorCode::Conflict)
        );
    }
    assert_eq!(
        app.db.customer_points(demo::SHOP_ID, "erin").await.unwrap(),
        Some(10)
    );
    assert_eq!(
        app.db
            .customer_points(demo::SHOP_ID, "frank")
            .await
            .unwrap(),
        None
    );
    // With its time and store: the same purchase again (its time written
    // otherwise, another time of the same day as a till's export has it, or
    // left out, as a retry may; its store left out) is a duplicate; another
    // day or another store is a correction, refused, not dropped in silence.
    let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let mut p = RecordPurchase::new("gail", "order-2", 1500);
    p.purchased_at = Some(at);
    p.store = Some("old-town".into());
    app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
        .await
        .assert_ok();
    let sent = |purchased_at: Option<&str>, store: Option<&str>| {
        let mut body = serde_json::json!({
            "customer_ref": "gail", "purchase_id": "order-2", "amount_cents": 1500,
        });
        if let Some(at) = purchased_at {
            body["purchased_at"] = at.into();
        }
        if let Some(store) = store {
            body["store"] = store.into();
        }
        let app = &app;
        async move {
            app.post_json(
                &api::purchases(demo::SHOP_ID),
                Some(demo::SECRET_KEY),
                &body,
            )
            .await
        }
    };
    for (again, store) in [
        (Some("2026-03-01T10:00:00Z"), Some("old-town")),
        (Some("2026-03-01T12:00:00+02:00"), Some("old-town")),
        (Some("2026-03-01T10:47:00Z"), Some("old-town")),
        (None, Some("old-town")),
        (Some("2026-03-01T10:00:00Z"), None),
    ] {
        let reply = sent(again, store).await;
        assert_eq!(reply.status, StatusCode::OK, "{again:?} {store:?}");
        let receipt: PurchaseReceipt = reply.json();
        assert!(receipt.duplicate, "{again:?} {store:?}");
    }
    for (correction, store) in [
        (Some("2026-03-02T10:00:00Z"), Some("old-town")),
        (Some("2026-03-01T10:00:00Z"), Some("harbour")),
    ] {
        let reply = sent(correction, store).await;
        assert_eq!(
            (reply.status, reply.error().code),
            (StatusCode::CONFLICT, ErrorCode::Conflict),
            "{correction:?} {store:?}"
        );
    }
}

async fn points_never_overflow_and_a_purchase_past_the_limit_changes_nothing(app: TestApp) {
    // Shops cannot be created with a rate that would let points wrap around.
    let refused = shops::create(
        app.db.as_ref(),
        ShopSpec {
            id: "greedy".into(),
            name: "Greedy".into(),
            origins: vec![],
            tiers: shops::default_tiers(),
            points_per_unit: 10_000_000_000_000,
            time_zone: chrono_tz::UTC,
            keys: None,
        },
    )
    .await;
    let refused = refused.unwrap_err().to_string();
    assert!(refused.contains("points_per_unit:"), "{refused}");

    let keys = other_shop(&app, MAX_POINTS_PER_UNIT).await;
    // The most a purchase can earn, on a balance just below the most a customer may hold.
    let max_purchase = RecordPurchase::new("rich", "p-1", MAX_PURCHASE_CENTS);
    let earned = MAX_PURCHASE_CENTS / 100 * MAX_POINTS_PER_UNIT;
    app.db
        .set_points("other", "rich", MAX_POINTS - earned)
        .await
        .unwrap();
    let ok: PurchaseReceipt = app
        .purchase(&keys.back_office_token, "other", &max_purchase)
        .await
        .json();
    assert_eq!((ok.points_earned, ok.status.points), (earned, MAX_POINTS));

    let one_more = RecordPurchase::new("rich", "p-2", 100);
    let reply = app
        .purchase(&keys.back_office_token, "other", &one_more)
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::LimitExceeded)
    );
    assert!(reply.error().message.contains(&MAX_POINTS.to_string()));
    // Nothing changed, and the customer's other purchases still work (a duplicate, say).
    assert_eq!(
        app.db.customer_points("other", "rich").await.unwrap(),
        Some(MAX_POINTS)
    );
    let dup: PurchaseReceipt = app
        .purchase(&keys.back_office_token, "other", &max_purchase)
        .await
        .json();
    assert!(dup.duplicate);
    let retry = app
        .purchase(&keys.back_office_token, "other", &one_more)
        .await;
    assert_eq!(retry.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Sixteen back-office clients record fifty purchases each for one customer while
/// widgets send answers, over real TCP: every request succeeds and every point counts.
async fn concurrent_purchases_for_one_customer_and_ingest_give_exact_points_and_no_5xx(
    app: TestApp,
) {
    const CLIENTS: usize = 16;
    const PURCHASES: usize = 50;
    let server = app.serve().await;
    let http = reqwest::Client::new();
    let url = server.url();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..PURCHASES {
                let p = RecordPurchase::new("hot", &format!("c{client}-p{n}"), 1_000);
                let resp = http
                    .post(format!("{url}{}", api::purchases(demo::SHOP_ID)))
                    .bearer_auth(demo::SECRET_KEY)
                    .json(&p)
                    .send()
                    .await
                    .unwrap();
                statuses.push(resp.status());
            }
            statuses
        }));
    }
    for client in 0..4 {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..10 {
                let answers = (0..50)
                    .map(|i| {
                        AnswerBuilder::nps(
                            demo::SHOP_ID,
                            demo::NPS_SURVEY,
                            ((client + n + i) % 11) as u8,
                        )
                        .build()
                    })
                    .collect();
                let resp = http
                    .post(format!("{url}{}", api::answers(demo::PUBLIC_KEY)))
                    .json(&SyncBatch { answers })
                    .send()
                    .await
                    .unwrap();
                statuses.push(resp.status());
            }
            statuses
        }));
    }
    for task in tasks {
        for status in task.await.unwrap() {
            assert_eq!(status, StatusCode::OK);
        }
    }
    assert_eq!(
        app.db.customer_points(demo::SHOP_ID, "hot").await.unwrap(),
        Some((CLIENTS * PURCHASES * 10) as u64)
    );
    assert_eq!(app.stored().await.len(), 4 * 10 * 50);
    server.stop().await;
}
