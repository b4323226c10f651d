//! A customer's privacy, on both engines: everything stored about them as JSON;
//! erasing them (purchases, points, the link from their answers: the figures
//! of purchases as if they had never bought, the answers' figures unchanged); free text deleted past the shop's retention,
//! by the running server too.

#[macro_use]
mod common;

use std::time::{Duration as StdDuration, Instant};

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use common::TestApp;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::webhooks::{Delivery, Webhook};
use kept_shared::{CustomerExport, ErasedCustomer, RecordPurchase, ShopSettings};

async fn owner(app: &TestApp, method: Method, rest: &str, body: &str) -> common::Reply {
    app.raw(
        method,
        &format!("/api/v1/shops/{}/{rest}", demo::SHOP_ID),
        &[
            ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
            ("content-type", "application/json"),
        ],
        body.to_string(),
    )
    .await
}

/// Dana bought twice and answered twice: once as herself, once only by her order.
async fn dana(app: &TestApp) {
    for (id, days) in [("p-1", 20), ("p-2", 5)] {
        let mut p = RecordPurchase::new("dana", id, 4_200);
        p.purchased_at = Some(Utc::now() - Duration::days(days));
        let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    app.send_answers(&[
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 3)
            .customer("dana")
            .reason("The queue was long")
            .build(),
        AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 4)
            .order("p-2")
            .build(),
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 10)
            .customer("erin")
            .build(),
    ])
    .await;
}

async fn everything_about_a_customer_exports_as_json(app: TestApp) {
    dana(&app).await;
    let reply = owner(&app, Method::GET, "customers/dana/export", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("demo-dana.json")
    );
    let export: CustomerExport = reply.json();
    let customer = export.customer.unwrap();
    assert_eq!(customer.purchases.len(), 2);
    assert_eq!(customer.summary.total_cents, 8_400);
    // Her own answer, and the one given for her order.
    assert_eq!(export.answers.len(), 2);
    assert!(format!("{:?}", export.answers).contains("The queue was long"));
    // Someone who only answered has answers and no purchases.
    let erin: CustomerExport = owner(&app, Method::GET, "customers/erin/export", "")
        .await
        .json();
    assert!(erin.customer.is_none());
    assert_eq!(erin.answers.len(), 1);
}

/// A webhook for detractors' answers (their deliveries carry the answer's text).
async fn detractor_webhook(app: &TestApp) -> Webhook {
    owner(
        app,
        Method::POST,
        "webhooks",
        r#"{"url":"https://hooks.example.com/k","events":["answer.detractor"]}"#,
    )
    .await
    .json()
}

/// What the shop's purchases make of its figures: who came and left, the
/// cohorts, the loyalty figures.
async fn purchase_figures(app: &TestApp) -> Vec<serde_json::Value> {
    let mut figures = Vec::new();
    for view in [
        "analytics/retention",
        "analytics/cohorts",
        "analytics/loyalty",
    ] {
        let reply = owner(app, Method::GET, view, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{view}");
        figures.push(reply.json());
    }
    figures
}

async fn an_erased_customer_is_gone_and_the_figures_stay(app: TestApp) {
    // Her detractor answer is queued for a webhook: the delivery carries her reference.
    let hook = detractor_webhook(&app).await;
    let without_her = purchase_figures(&app).await;
    dana(&app).await;
    assert_ne!(purchase_figures(&app).await, without_her);
    let deliveries = format!("webhooks/{}/deliveries", hook.id);
    let queued: Vec<Delivery> = owner(&app, Method::GET, &deliveries, "").await.json();
    assert_eq!(queued.len(), 1);
    let report_before = app.report("").await;
    let answers_before = app.stored().await.len();
    let erased: ErasedCustomer = owner(&app, Method::DELETE, "customers/dana", "")
        .await
        .json();
    assert_eq!(
        erased,
        ErasedCustomer {
            purchases: 2,
            customer: true,
            answers_unlinked: 2,
        }
    );
    assert_eq!(
        owner(&app, Method::GET, "customers/dana", "").await.status,
        StatusCode::NOT_FOUND
    );
    let stored = app.stored().await;
    assert_eq!(stored.len(), answers_before);
    assert!(
        stored
            .iter()
            .all(|a| a.customer_ref.as_deref() != Some("dana"))
    );
    assert!(stored.iter().all(|a| a.order_ref.as_deref() != Some("p-2")));
    // What she wrote goes too: the scores stay, anonymous.
    assert!(!format!("{stored:?}").contains("The queue was long"));
    let queued: Vec<Delivery> = owner(&app, Method::GET, &deliveries, "").await.json();
    assert!(queued.is_empty(), "her webhook deliveries go with her");
    assert_eq!(app.report("").await, report_before);
    // And after a recount (a change of time zone, and back): her answer came
    // with words, though they are gone (it had been recounted as without).
    let view: serde_json::Value = owner(&app, Method::GET, "settings", "").await.json();
    let settings: ShopSettings = serde_json::from_value(view["settings"].clone()).unwrap();
    let mut elsewhere = settings.clone();
    elsewhere.time_zone = "Pacific/Kiritimati".into();
    for s in [&elsewhere, &settings] {
        owner(
            &app,
            Method::PUT,
            "settings",
            &serde_json::to_string(s).unwrap(),
        )
        .await
        .assert_ok();
    }
    assert_eq!(app.report("").await, report_before);
    // Her purchases leave every figure, as if never made: the cohorts (kept
    // as rollups) agree with who came and left (read from the customers'
    // spells), as a recount would.
    assert_eq!(purchase_figures(&app).await, without_her);
    let export: CustomerExport = owner(&app, Method::GET, "customers/dana/export", "")
        .await
        .json();
    assert!(export.customer.is_none() && export.answers.is_empty());
    // The log says a customer was erased, not who.
    let log =
        String::from_utf8_lossy(&owner(&app, Method::GET, "audit", "").await.body).to_string();
    assert!(
        log.contains("customer erased")
            && log.contains("purchases deleted: 2, answers unlinked: 2")
            && !log.contains("dana"),
        "{log}"
    );
    // Nor does anything of hers stay readable in the SQLite file, once its
    // log is written back: deleted content is overwritten, not left in free pages.
    if app.engine == common::Engine::Sqlite {
        let file = rusqlite::Connection::open(&app.db_url).unwrap();
        file.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        // Until the whole log is written back (the server's own idle checkpoint
        // may hold it a moment: then the answer says busy).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let busy: i64 = file
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .unwrap();
            if busy == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the log was not written back"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop(file);
        for path in [app.db_url.clone(), format!("{}-wal", app.db_url)] {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("The queue was long") && !text.contains("dana"),
                "{path} still holds what she wrote"
            );
        }
    }
    // Again: nothing more to remove.
    let again: ErasedCustomer = owner(&app, Method::DELETE, "customers/dana", "")
        .await
        .json();
    assert_eq!(again, ErasedCustomer::default());
}

/// Purchases of a customer arriving while they are erased (an outside test
/// crashed PostgreSQL's handler this way, and left rollups below zero): every
/// request is answered, and once they are erased at last, every figure is as
/// before they ever bought.
async fn purchases_while_their_customer_is_erased_leave_the_figures_whole(app: TestApp) {
    let without_him = purchase_figures(&app).await;
    let purchases: Vec<RecordPurchase> = (0..60)
        .map(|i| {
            let mut p = RecordPurchase::new("zed", &format!("z-{i}"), 1_000 + i);
            p.purchased_at = Some(Utc::now() - Duration::days(i as i64 % 40));
            p
        })
        .collect();
    // With changes of the churn window among them, which recount every
    // customer: all take the shop's lock first, so none deadlocks.
    let view: serde_json::Value = owner(&app, Method::GET, "settings", "").await.json();
    let settings: ShopSettings = serde_json::from_value(view["settings"].clone()).unwrap();
    let windows: Vec<String> = [60, 90]
        .into_iter()
        .map(|days| {
            let mut s = settings.clone();
            s.churn_window_days = days;
            serde_json::to_string(&s).unwrap()
        })
        .collect();
    let bought = futures_util::future::join_all(
        purchases
            .iter()
            .map(|p| app.purchase(demo::SECRET_KEY, demo::SHOP_ID, p)),
    );
    let erased = futures_util::future::join_all(
        (0..6).map(|_| owner(&app, Method::DELETE, "customers/zed", "")),
    );
    let recounted = futures_util::future::join_all(
        windows
            .iter()
            .map(|w| owner(&app, Method::PUT, "settings", w)),
    );
    let (bought, erased, recounted) = tokio::join!(bought, erased, recounted);
    for reply in erased.iter().chain(&recounted) {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    // A purchase made before an erasure that came first is refused (not
    // recorded again); any other is recorded.
    for reply in &bought {
        assert!(
            [StatusCode::OK, StatusCode::CONFLICT].contains(&reply.status),
            "{:?}",
            reply.body
        );
    }
    owner(&app, Method::DELETE, "customers/zed", "")
        .await
        .assert_ok();
    // The figures compared with the window they were made with.
    owner(
        &app,
        Method::PUT,
        "settings",
        &serde_json::to_string(&settings).unwrap(),
    )
    .await
    .assert_ok();
    assert_eq!(purchase_figures(&app).await, without_him);
}

/// An erased customer is not brought back by what they did before the
/// erasure and reaches Kept after it: an old till file imported again (it had
/// made them anew, purchases, points and figures), a purchase of theirs from
/// before posted late, an answer queued offline before. What they do after it
/// is theirs again.
async fn an_erased_customer_is_not_brought_back_by_what_they_did_before(app: TestApp) {
    let without_her = purchase_figures(&app).await;
    dana(&app).await;
    let before = Utc::now() - Duration::hours(1);
    let mut finn = RecordPurchase::new("finn", "f-1", 900);
    finn.purchased_at = Some(before);
    app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &finn)
        .await
        .assert_ok();
    for customer in ["dana", "finn"] {
        owner(&app, Method::DELETE, &format!("customers/{customer}"), "")
            .await
            .assert_ok();
    }
    let after = Utc::now() + Duration::seconds(1);
    let when = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let file = format!(
        "customer_ref,purchase_id,amount_cents,purchased_at\n\
         dana,p-1,4200,{old}\ndana,p-2,4200,{old}\nfinn,f-1,900,{old}\nfinn,f-2,700,{new}\n",
        old = when(before),
        new = when(after),
    );
    let report: kept_shared::ImportReport = app.import(file).await.json();
    assert_eq!(
        (report.imported, report.erased, report.customers),
        (1, 3, 1),
        "{report:?}"
    );
    assert_eq!(
        owner(&app, Method::GET, "customers/dana", "").await.status,
        StatusCode::NOT_FOUND,
        "no record of her is made"
    );
    let finn: kept_shared::CustomerDetail =
        owner(&app, Method::GET, "customers/finn", "").await.json();
    assert_eq!(finn.summary.purchases, 1, "only what he bought since");
    owner(&app, Method::DELETE, "customers/finn", "")
        .await
        .assert_ok();
    assert_eq!(purchase_figures(&app).await, without_her);

    // Posted late by the back office: refused, saying why; one made now is hers.
    let mut late = RecordPurchase::new("dana", "p-9", 4_200);
    late.purchased_at = Some(before);
    let refused = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &late).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.error().message.contains("erased"),
        "{:?}",
        refused.error()
    );
    // Nor one of her purchases sent again without its time (a till retrying
    // late: it had been recorded anew, its points earned twice).
    let mut retried = RecordPurchase::new("dana", "p-1", 4_200);
    retried.purchased_at = None;
    let refused = app
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &retried)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    // An answer of hers from before, queued offline: stored as her others
    // were left, without her, her order or its text; one given since is hers.
    let queued = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
        .customer("dana")
        .order("p-1")
        .reason("Call me back on 555-0100")
        .at(before)
        .build();
    let since = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
        .customer("dana")
        .build();
    let receipt = app.send_answers(&[queued.clone(), since.clone()]).await;
    assert_eq!(receipt.stored.len(), 2, "{receipt:?}");
    let stored = app.stored().await;
    let find = |id| stored.iter().find(|a| a.id == id).unwrap();
    let old = find(queued.id);
    assert_eq!((&old.customer_ref, &old.order_ref), (&None, &None));
    assert!(matches!(
        old.value,
        kept_shared::AnswerValue::Nps {
            score: 2,
            reason: None
        }
    ));
    assert_eq!(find(since.id).customer_ref.as_deref(), Some("dana"));
    // Sent again, the old one is the same answer, not another.
    let again = app.send_answers(&[queued]).await;
    assert!(again.rejected.is_empty(), "{again:?}");
    // One for an order of hers, given since (a personal link handed out
    // before the erasure): without her order either.
    let by_order = AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 5)
        .order("p-2")
        .build();
    app.send_answers(std::slice::from_ref(&by_order)).await;
    let stored = app.stored().await;
    let linked = stored.iter().find(|a| a.id == by_order.id).unwrap();
    assert_eq!(linked.order_ref, None);

    // An erasure written between ingest's look and the batch's write: the
    // write finds it, and refuses the batch, to be sent again and read anew
    // (it had been stored naming her).
    let shop = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let raced = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 4)
        .customer("dana")
        .at(before)
        .build();
    let record = kept_server::db::AnswerRecord {
        day: before.date_naive(),
        answer: raced,
        verified: false,
        store: None,
    };
    let written = app
        .db
        .insert_answers(&shop.id, vec![record], Utc::now(), vec![])
        .await;
    assert!(
        matches!(written, Err(kept_server::db::DbError::AtCapacity(_))),
        "{written:?}"
    );
    let mut now = RecordPurchase::new("dana", "p-10", 4_200);
    now.purchased_at = None;
    app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &now)
        .await
        .assert_ok();
}

async fn set_retention(app: &TestApp, days: u32) {
    let view: serde_json::Value = owner(app, Method::GET, "settings", "").await.json();
    let mut settings: ShopSettings = serde_json::from_value(view["settings"].clone()).unwrap();
    settings.text_retention_days = days;
    let reply = owner(
        app,
        Method::PUT,
        "settings",
        &serde_json::to_string(&settings).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

fn texts(answers: &[kept_shared::Answer]) -> Vec<Option<String>> {
    answers
        .iter()
        .map(|a| match &a.value {
            kept_shared::AnswerValue::Nps { reason, .. } => reason.clone(),
            _ => None,
        })
        .collect()
}

async fn free_text_is_deleted_past_the_shops_retention(app: TestApp) {
    let old = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
        .reason("old words")
        .at(Utc::now() - Duration::days(40))
        .build();
    let recent = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
        .reason("recent words")
        .at(Utc::now() - Duration::days(10))
        .build();
    app.send_answers(&[old, recent]).await;
    // Keeping texts (the default), nothing goes.
    assert_eq!(app.db.purge_expired_texts(Utc::now()).await.unwrap(), 0);
    let range = format!(
        "from={}&to={}",
        (Utc::now() - Duration::days(60)).date_naive(),
        Utc::now().date_naive()
    );
    let report_before = app.report(&range).await;
    let satisfaction = async |app: &TestApp| {
        let path = format!("analytics/satisfaction?{range}");
        let r: kept_shared::SatisfactionReport = owner(app, Method::GET, &path, "").await.json();
        r.total.nps.with_text
    };
    assert_eq!(satisfaction(&app).await, 2);
    set_retention(&app, 30).await;
    // The running server sweeps at start.
    let server = app.serve().await;
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while texts(&app.stored().await) != [None, Some("recent words".to_string())] {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            texts(&app.stored().await)
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    server.stop().await;
    // The scores and the counts of answers with text stay, in the report and
    // in the satisfaction report (which had counted only the words kept).
    assert_eq!(app.report(&range).await, report_before);
    assert_eq!(satisfaction(&app).await, 2);
    assert_eq!(app.db.purge_expired_texts(Utc::now()).await.unwrap(), 0);
    // Webhook deliveries carry the text: they go once as old as the retention.
    let hook = detractor_webhook(&app).await;
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 1)
        .reason("fresh words")
        .build()])
        .await;
    let deliveries = format!("webhooks/{}/deliveries", hook.id);
    let logged = async |app: &TestApp| {
        let log: Vec<Delivery> = owner(app, Method::GET, &deliveries, "").await.json();
        log.len()
    };
    assert_eq!(logged(&app).await, 1);
    app.db
        .purge_expired_texts(Utc::now() + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(logged(&app).await, 0);
    let bad = owner(&app, Method::PUT, "settings", &{
        let view: serde_json::Value = owner(&app, Method::GET, "settings", "").await.json();
        let mut s = view["settings"].clone();
        s["text_retention_days"] = serde_json::json!(5000);
        s.to_string()
    })
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_engines!(
    everything_about_a_customer_exports_as_json,
    an_erased_customer_is_gone_and_the_figures_stay,
    purchases_while_their_customer_is_erased_leave_the_figures_whole,
    an_erased_customer_is_not_brought_back_by_what_they_did_before,
    free_text_is_deleted_past_the_shops_retention,
);
