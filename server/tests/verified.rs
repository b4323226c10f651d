//! Verified customers and orders (`server/src/signatures.rs`), on both engines:
//! loyalty needs the shop's signature and tells nothing without it; signed
//! answers are stored as verified, once per survey and order from any device;
//! a shop can take only verified answers; a new widget secret voids the old
//! signatures; the plan tells what only the server knows only of signed references.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use kept_server::db::AnswerQuery;
use kept_server::demo;
use kept_server::signatures::{Signed, sign};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{ErrorCode, RotatedSecret, ShopSettings, api};

fn sig(what: Signed, reference: &str) -> String {
    sign(demo::WIDGET_SECRET, what, reference)
}

async fn loyalty_needs_the_shops_signature_and_tells_nothing_without_it(app: TestApp) {
    // alice has points; nobody is a stranger. Without a good signature both read alike.
    let forged = "0".repeat(64);
    let mut refusals = Vec::new();
    for customer in ["alice", "nobody"] {
        for query in [
            String::new(),
            format!("?sig={forged}"),
            format!("?sig={}", sig(Signed::Order, customer)),
        ] {
            let reply = app
                .get(&format!(
                    "{}{query}",
                    api::loyalty(demo::PUBLIC_KEY, customer)
                ))
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{customer}{query}");
            assert_eq!(reply.error().code, ErrorCode::NotSigned);
            refusals.push(reply.body.clone());
        }
    }
    assert!(refusals.windows(2).all(|w| w[0] == w[1]), "refusals differ");
    let status: kept_shared::LoyaltyStatus = app.get(&common::signed_loyalty("alice")).await.json();
    assert_eq!(status.points, 620);
}

/// Batches sent at once, each answering the same orders (verified) under other
/// ids, in another order than their ids': each order is answered once, and no
/// batch fails (PostgreSQL once met them in opposite orders and deadlocked: 503).
async fn batches_answering_the_same_orders_at_once_never_deadlock(app: TestApp) {
    const ORDERS: usize = 10;
    const BATCHES: usize = 8;
    for round in 0..20 {
        let orders: Vec<String> = (0..ORDERS).map(|i| format!("dl-{round}-{i}")).collect();
        let batches: Vec<Vec<kept_shared::Answer>> = (0..BATCHES)
            .map(|b| {
                let mut ids: Vec<uuid::Uuid> = (0..ORDERS).map(|_| uuid::Uuid::new_v4()).collect();
                ids.sort();
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| {
                        // Batch b takes the orders in its own order.
                        let order = &orders[(i * 3 + b * 7) % ORDERS];
                        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
                            .id(*id)
                            .order(order)
                            .order_sig(&sig(Signed::Order, order))
                            .build()
                    })
                    .collect()
            })
            .collect();
        // Each on its own task: sent in parallel, as by many browsers.
        let sent: Vec<_> = batches
            .into_iter()
            .map(|answers| {
                let router = app.app.clone();
                let body = serde_json::to_vec(&kept_shared::SyncBatch { answers }).unwrap();
                tokio::spawn(async move {
                    let request = axum::http::Request::post(api::answers(demo::PUBLIC_KEY))
                        .header("content-type", "application/json")
                        .body(axum::body::Body::from(body))
                        .unwrap();
                    tower::ServiceExt::oneshot(router, request)
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        for status in futures_util::future::join_all(sent).await {
            assert_eq!(status.unwrap(), StatusCode::OK);
        }
        let answered: Vec<String> = app
            .db
            .answers(demo::SHOP_ID)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|a| a.answer.order_ref)
            .filter(|o| o.starts_with(&format!("dl-{round}-")))
            .collect();
        assert_eq!(answered.len(), ORDERS, "each order once: {answered:?}");
    }
}

async fn signed_answers_are_verified_and_kept_once_per_survey_and_order(app: TestApp) {
    let signed = || {
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
            .customer("alice")
            .customer_sig(&sig(Signed::Customer, "alice"))
            .order("o-77")
            .order_sig(&sig(Signed::Order, "o-77"))
            .build()
    };
    let first = signed();
    let receipt = app.send_answers(std::slice::from_ref(&first)).await;
    assert_eq!(receipt.stored, vec![first.id]);
    // The same order answered again from another browser (another id): a duplicate.
    let (again, in_one_batch) = (signed(), signed());
    let receipt = app
        .send_answers(&[again.clone(), in_one_batch.clone()])
        .await;
    assert_eq!(receipt.duplicates, vec![again.id, in_one_batch.id]);
    // Unsigned, or signed wrongly: stored, as unverified.
    let unsigned = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 3)
        .order("o-77")
        .build();
    let forged = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
        .order("o-77")
        .order_sig(&sig(Signed::Order, "o-78"))
        .build();
    // Half signed (the customer signed, the order not): not verified either.
    let half = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 5)
        .customer("alice")
        .customer_sig(&sig(Signed::Customer, "alice"))
        .order("o-79")
        .build();
    let receipt = app
        .send_answers(&[unsigned.clone(), forged.clone(), half.clone()])
        .await;
    assert_eq!(receipt.stored.len(), 3);
    let (found, _) = app
        .db
        .find_answers(demo::SHOP_ID, AnswerQuery::default())
        .await
        .unwrap();
    let verified: Vec<_> = found
        .iter()
        .filter(|a| a.record.verified)
        .map(|a| a.record.answer.id)
        .collect();
    assert_eq!(verified, vec![first.id]);
    // The report can count only verified answers.
    let report = |query: &'static str| {
        let app = &app;
        async move { app.report(query).await.total.nps.responses }
    };
    assert_eq!(report("verified=true").await, 1);
    assert!(report("verified=false").await >= 4);
    // So can the owner's list of answers, and the analytics that read answers.
    let listed = owner(&app, Method::GET, "answers?verified=true", None).await;
    let page: kept_shared::Page<kept_shared::AnswerItem> = listed.json();
    assert_eq!(
        page.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    let satisfaction = owner(
        &app,
        Method::GET,
        "analytics/satisfaction?verified=true",
        None,
    )
    .await;
    assert_eq!(satisfaction.status, StatusCode::OK);
}

async fn owner(app: &TestApp, method: Method, rest: &str, body: Option<&str>) -> common::Reply {
    app.raw(
        method,
        &format!("/api/v1/shops/{}/{rest}", demo::SHOP_ID),
        &[
            ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
            ("content-type", "application/json"),
        ],
        body.unwrap_or("").to_string(),
    )
    .await
}

/// Turns on the demo shop's setting "Store only verified answers", off until then.
async fn take_only_verified_answers(app: &TestApp) {
    let view: serde_json::Value = owner(app, Method::GET, "settings", None).await.json();
    let mut settings: ShopSettings = serde_json::from_value(view["settings"].clone()).unwrap();
    assert!(!settings.require_verified);
    settings.require_verified = true;
    let saved = owner(
        app,
        Method::PUT,
        "settings",
        Some(&serde_json::to_string(&settings).unwrap()),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
}

async fn a_shop_can_take_only_verified_answers_and_make_a_new_secret(app: TestApp) {
    take_only_verified_answers(&app).await;
    let unsigned = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9).build();
    let signed = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
        .order("o-1")
        .order_sig(&sig(Signed::Order, "o-1"))
        .build();
    let receipt = app.send_answers(&[unsigned.clone(), signed.clone()]).await;
    assert_eq!(receipt.stored, vec![signed.id]);
    assert_eq!(receipt.rejected.len(), 1);
    assert_eq!(receipt.rejected[0].id, unsigned.id);
    assert!(receipt.rejected[0].message.contains("verified"));

    // A new widget secret: the old signatures stop verifying at once.
    let rotated: RotatedSecret = owner(&app, Method::POST, "keys/widget", None).await.json();
    assert_eq!(rotated.kind, "widget");
    assert!(rotated.secret.starts_with("ws_") && rotated.secret.len() == 3 + 64);
    let reply = app.get(&common::signed_loyalty("alice")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let fresh = format!(
        "{}?sig={}",
        api::loyalty(demo::PUBLIC_KEY, "alice"),
        sign(&rotated.secret, Signed::Customer, "alice")
    );
    assert_eq!(app.get(&fresh).await.status, StatusCode::OK);
    // The demo page signs with the demo's published secret alone: once the
    // shop's secret is its own, the page signs no customer asked for (it had
    // signed them with the new secret, for anyone).
    let page = app.get("/demo?customer=alice&order=o-9").await;
    let page = String::from_utf8_lossy(&page.body).to_string();
    assert!(page.contains(r#"data-customer="alice""#), "{page}");
    assert!(!page.contains("-sig="), "{page}");
    let log = owner(&app, Method::GET, "audit", None).await;
    let log = String::from_utf8_lossy(&log.body).to_string();
    assert!(
        log.contains("widget secret") && log.contains("verified only"),
        "{log}"
    );
}

async fn the_plan_tells_what_only_the_server_knows_only_of_signed_references(app: TestApp) {
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
        .order("o-5")
        .order_sig(&sig(Signed::Order, "o-5"))
        .build();
    app.send_answers(&[answer]).await;
    let answered = |query: String| {
        let app = &app;
        async move {
            let plan: kept_shared::DisplayPlan = app
                .get(&format!("{}?order=o-5{query}", api::plan(demo::PUBLIC_KEY)))
                .await
                .json();
            plan.surveys
                .iter()
                .find(|s| s.survey.id == demo::NPS_SURVEY)
                .unwrap()
                .verdict
                .answered
        }
    };
    assert!(!answered(String::new()).await);
    assert!(!answered(format!("&order_sig={}", "0".repeat(64))).await);
    assert!(answered(format!("&order_sig={}", sig(Signed::Order, "o-5"))).await);
    // In capitals, as some libraries write hex: the same signature.
    assert!(
        answered(format!(
            "&order_sig={}",
            sig(Signed::Order, "o-5").to_uppercase()
        ))
        .await
    );
    // Not written as a signature: none (the plan warns of it).
    assert!(!answered("&order_sig=xyz".to_string()).await);
}

on_both_engines!(
    loyalty_needs_the_shops_signature_and_tells_nothing_without_it,
    signed_answers_are_verified_and_kept_once_per_survey_and_order,
    batches_answering_the_same_orders_at_once_never_deadlock,
    a_shop_can_take_only_verified_answers_and_make_a_new_secret,
    the_plan_tells_what_only_the_server_knows_only_of_signed_references,
    a_signature_that_does_not_match_is_a_warning_in_the_plan,
    an_answer_naming_a_customer_unsigned_is_marked_unverified_for_the_owner,
);

/// Anyone with the public key may send an answer naming any customer: stored
/// unverified, it says so wherever the owner meets it (the inbox and the
/// answers, in the API, the CSV and the dashboard, the customer's page), so
/// that a claim is not taken for the customer's word.
async fn an_answer_naming_a_customer_unsigned_is_marked_unverified_for_the_owner(app: TestApp) {
    let claimed = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 0)
        .customer("claimed-carol")
        .build();
    let signed = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 1)
        .customer("signed-sam")
        .customer_sig(&sig(Signed::Customer, "signed-sam"))
        .order("o-sam")
        .order_sig(&sig(Signed::Order, "o-sam"))
        .build();
    let anonymous = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2).build();
    let receipt = app
        .send_answers(&[claimed.clone(), signed.clone(), anonymous.clone()])
        .await;
    assert_eq!(receipt.stored.len(), 3);
    let inbox: kept_shared::Page<kept_shared::AnswerItem> = app.owner_get("inbox").await;
    let verified = |id| inbox.items.iter().find(|a| a.id == id).unwrap().verified;
    assert_eq!(
        (
            verified(claimed.id),
            verified(signed.id),
            verified(anonymous.id)
        ),
        (false, true, false)
    );
    let csv = app.owner_reply("answers.csv").await;
    let csv = String::from_utf8_lossy(&csv.body).to_string();
    assert!(
        csv.lines().next().unwrap().ends_with(",id,verified"),
        "{csv}"
    );
    let row = |id: uuid::Uuid| {
        csv.lines()
            .find(|l| l.contains(&id.to_string()))
            .unwrap()
            .to_string()
    };
    assert!(row(claimed.id).contains(",claimed-carol,,"), "{csv}");
    assert!(
        row(claimed.id).ends_with(&format!("{},false", claimed.id)),
        "{csv}"
    );
    assert!(row(signed.id).contains(",signed-sam,o-sam,"), "{csv}");
    assert!(
        row(signed.id).ends_with(&format!("{},true", signed.id)),
        "{csv}"
    );

    let (cookie, _) = common::sign_in(&app).await;
    let html = |path: &str| {
        let (app, cookie, path) = (&app, cookie.clone(), path.to_string());
        async move {
            let page = app.get_with(&path, &[("cookie", &cookie)]).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            String::from_utf8_lossy(&page.body).to_string()
        }
    };
    for path in ["/dashboard/responses", "/dashboard/inbox"] {
        let page = html(path).await;
        // Only the claimed customer's answer is marked (the anonymous one
        // names nobody).
        assert_eq!(
            page.matches(r#"data-testid="unverified""#).count(),
            1,
            "{path}"
        );
        let marked = page.split(r#"data-testid="unverified""#).next().unwrap();
        assert!(
            marked.rfind("claimed-carol") > marked.rfind("signed-sam"),
            "{path}: the mark is not beside claimed-carol"
        );
    }
    let page = html("/dashboard/customers/claimed-carol").await;
    assert_eq!(page.matches(r#"data-testid="unverified""#).count(), 1);
    let page = html("/dashboard/customers/signed-sam").await;
    assert_eq!(page.matches(r#"data-testid="unverified""#).count(), 0);
}

/// A signature given that is not the shop's (another widget secret, another
/// reference, a template left unfilled) is a mistake of the shop's page: its
/// plan says so in `warnings`, which the loader writes in the console, with
/// what it costs; the plan is served all the same, without what only the
/// server knows of that reference (as the test above shows); so is a
/// signature without its reference. A reference without a signature is no
/// mistake, and a right one none either.
async fn a_signature_that_does_not_match_is_a_warning_in_the_plan(app: TestApp) {
    let warnings = |query: String| {
        let app = &app;
        async move {
            let reply = app
                .get(&format!("{}?{query}", api::plan(demo::PUBLIC_KEY)))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}");
            let plan: serde_json::Value = reply.json();
            let rules: serde_json::Value = app
                .get(&format!(
                    "{}?{query}&texts=false",
                    api::plan(demo::PUBLIC_KEY)
                ))
                .await
                .json();
            assert_eq!(plan["warnings"], rules["warnings"], "the rules warn too");
            plan["warnings"]
                .as_array()
                .map(|w| {
                    w.iter()
                        .map(|w| w.as_str().unwrap().to_string())
                        .collect::<Vec<String>>()
                })
                .unwrap_or_default()
        }
    };
    let (alice, o1) = (sig(Signed::Customer, "alice"), sig(Signed::Order, "o-1"));
    for fine in [
        String::new(),
        "customer=alice&order=o-1".to_string(),
        format!("customer=alice&customer_sig={alice}&order=o-1&order_sig={o1}"),
    ] {
        assert_eq!(warnings(fine.clone()).await, Vec::<String>::new(), "{fine}");
    }
    // A template left unfilled.
    let said = warnings("customer=alice&customer_sig=%7B%7Bsig%7D%7D".to_string()).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("data-customer-sig is not a signature (64 hex digits")
            && said[0].contains("has lapsed is not judged"),
        "{said:?}"
    );
    // Bob's signature on Alice's page.
    let bob = sig(Signed::Customer, "bob");
    let said = warnings(format!("customer=alice&customer_sig={bob}")).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with(
            "data-customer-sig is not the shop's signature of data-customer \"alice\""
        ) && said[0].contains("has lapsed is not judged")
            && said[0].contains("count as unverified"),
        "{said:?}"
    );
    // An order's signature as the customer's, and the order's made with
    // another secret: both said, the customer first.
    let elsewhere = kept_server::signatures::sign("ws_another", Signed::Order, "o-1");
    let said = warnings(format!(
        "customer=alice&customer_sig={o1}&order=o-1&order_sig={elsewhere}"
    ))
    .await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].starts_with("data-customer-sig "), "{said:?}");
    assert!(
        said[1].starts_with("data-order-sig is not the shop's signature of data-order \"o-1\"")
            && said[1].contains("answered for this order elsewhere"),
        "{said:?}"
    );
    // A signature without its reference (the attribute left out, or empty):
    // it signs nothing, and the page is told which is missing.
    let said = warnings(format!("customer=&customer_sig={alice}&order_sig={o1}")).await;
    assert_eq!(
        said,
        ["customer", "order"].map(|name| format!(
            "data-{name}-sig is given without data-{name}, so it signs nothing: \
             is data-{name} missing from the script tag, or empty?"
        )),
    );
    // Where the shop takes only verified answers, the answers are refused.
    take_only_verified_answers(&app).await;
    let said = warnings(format!("order=o-1&order_sig={elsewhere}")).await;
    assert!(
        said.len() == 1 && said[0].contains("their answers are refused"),
        "{said:?}"
    );
}
