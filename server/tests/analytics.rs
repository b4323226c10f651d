//! The retention analytics and the owner's customer base, through the owner API,
//! on both engines: every figure against small hand-computed fixtures (the
//! definitions' worked example among them), exports, the inbox, and
//! bad input and other shops' tokens refused.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use chrono::{NaiveDate, TimeZone, Utc};
use common::TestApp;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{
    AnswerItem, CohortReport, CustomerDetail, CustomerSummary, ErrorCode, FunnelReport,
    LoyaltyReport, Page, RecordPurchase, RetentionReport, RfmReport, SatisfactionReport, Segment,
    WinBackEntry, api,
};

on_both_engines!(
    the_worked_example_month_by_month,
    a_purchase_on_the_churn_window_boundary_keeps_the_customer,
    the_shops_time_zone_decides_the_day_of_a_purchase,
    rfm_scores_ties_segments_and_the_win_back_order,
    cohorts_share_of_each_month_buying_again,
    satisfaction_by_tier_segment_and_later_loss,
    streamed_answers_compressed_end_whole,
    exports_parse_back_to_the_rows_expected,
    the_inbox_keeps_follow_ups_and_filters_by_status,
    customers_are_searched_sorted_paged_and_shown_whole,
    the_funnel_counts_shown_answered_and_skipped,
    loyalty_members_per_tier_and_points_issued,
    another_shops_owner_gets_nothing_and_bad_input_is_a_4xx,
    a_stores_new_revenue_is_its_newly_acquired_customers,
);

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

/// Records a purchase at noon UTC of `day` (2026).
async fn buy(app: &TestApp, customer: &str, id: &str, day: NaiveDate, cents: u64) {
    let mut p = RecordPurchase::new(customer, id, cents);
    p.purchased_at = Some(Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()));
    let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
    reply.assert_ok();
}

/// Records a purchase at noon UTC of `day` (2026) in `store`.
async fn buy_in(app: &TestApp, store: &str, customer: &str, id: &str, day: NaiveDate, cents: u64) {
    let mut p = RecordPurchase::new(customer, id, cents);
    p.purchased_at = Some(Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()));
    p.store = Some(store.into());
    let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
    reply.assert_ok();
}

/// A store's figures are over its purchases alone: a customer whose first
/// purchase in the store is this month is acquired by it, and what they
/// spend there this month is its new revenue, whatever they bought
/// elsewhere before (the revenue had counted from their first purchase
/// anywhere: acquired 1, new revenue 0).
async fn a_stores_new_revenue_is_its_newly_acquired_customers(app: TestApp) {
    // Solo bought online in January, then in the store in February, twice.
    buy(&app, "solo", "s-1", d(1, 5), 1000).await;
    buy_in(&app, "s9", "solo", "s-2", d(2, 10), 5000).await;
    buy_in(&app, "s9", "solo", "s-3", d(2, 20), 300).await;
    // Regular first bought in the store in January.
    buy_in(&app, "s9", "regular", "r-1", d(1, 15), 800).await;
    buy_in(&app, "s9", "regular", "r-2", d(2, 12), 700).await;
    let figures = |r: RetentionReport| -> Vec<(u64, u64, u64)> {
        r.periods
            .iter()
            .map(|p| (p.acquired, p.revenue_new_cents, p.revenue_returning_cents))
            .collect()
    };
    let store: RetentionReport = app
        .owner_get("analytics/retention?from=2026-01-01&to=2026-02-28&period=month&store=s9")
        .await;
    assert_eq!(figures(store), [(1, 800, 0), (1, 5300, 700)]);
    // The whole shop: solo was acquired in January, online.
    let shop: RetentionReport = app
        .owner_get("analytics/retention?from=2026-01-01&to=2026-02-28&period=month")
        .await;
    assert_eq!(figures(shop), [(2, 1800, 0), (0, 0, 6000)]);
}

/// Purchases on Jan 1 and Mar 1 with W = 90: active Jan 1 – May 29, lost May 30.
/// A purchase on May 31 instead is a win-back that day, after the loss.
async fn the_worked_example_month_by_month(app: TestApp) {
    buy(&app, "wanda", "w-1", d(1, 1), 1000).await;
    buy(&app, "wanda", "w-2", d(3, 1), 500).await;
    buy(&app, "xavi", "x-1", d(1, 1), 1000).await;
    buy(&app, "xavi", "x-2", d(3, 1), 500).await;
    buy(&app, "xavi", "x-3", d(5, 31), 700).await;
    let r: RetentionReport = app
        .owner_get("analytics/retention?from=2026-01-01&to=2026-07-31&period=month")
        .await;
    assert_eq!(r.churn_window_days, 90);
    let figures: Vec<_> = r
        .periods
        .iter()
        .map(|p| {
            (
                p.start.to_string(),
                p.active_at_start,
                p.acquired,
                p.lost,
                p.won_back,
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            ("2026-01-01".to_string(), 0, 2, 0, 0),
            ("2026-02-01".to_string(), 2, 0, 0, 0),
            ("2026-03-01".to_string(), 2, 0, 0, 0),
            ("2026-04-01".to_string(), 2, 0, 0, 0),
            // Both lost on May 30; xavi won back on May 31.
            ("2026-05-01".to_string(), 2, 0, 2, 1),
            ("2026-06-01".to_string(), 1, 0, 0, 0),
            ("2026-07-01".to_string(), 1, 0, 0, 0),
        ]
    );
    let may = &r.periods[4];
    assert_eq!((may.churn_rate, may.net_growth), (Some(1.0), -1));
    assert_eq!(
        (may.revenue_new_cents, may.revenue_returning_cents),
        (0, 700)
    );
    assert_eq!(
        (
            r.periods[0].revenue_new_cents,
            r.periods[0].revenue_returning_cents
        ),
        (2000, 0)
    );
    // Active at the start of a period = the previous one's + its net growth.
    for w in r.periods.windows(2) {
        assert_eq!(
            w[1].active_at_start as i64,
            w[0].active_at_start as i64 + w[0].net_growth
        );
    }
    // By week, the loss lands in the week of Saturday May 30 (Monday May 25).
    let weekly: RetentionReport = app
        .owner_get("analytics/retention?from=2026-05-18&to=2026-06-07&period=week")
        .await;
    let lost: Vec<_> = weekly
        .periods
        .iter()
        .map(|p| (p.start.to_string(), p.lost, p.won_back))
        .collect();
    assert_eq!(
        lost,
        [
            ("2026-05-18".into(), 0, 0),
            ("2026-05-25".into(), 2, 1),
            ("2026-06-01".into(), 0, 0)
        ]
    );
}

async fn a_purchase_on_the_churn_window_boundary_keeps_the_customer(app: TestApp) {
    buy(&app, "yara", "y-1", d(3, 1), 100).await;
    buy(&app, "yara", "y-2", d(5, 30), 100).await;
    let r: RetentionReport = app
        .owner_get("analytics/retention?from=2026-05-01&to=2026-05-31")
        .await;
    assert_eq!(
        (
            r.periods[0].lost,
            r.periods[0].won_back,
            r.periods[0].active_at_start
        ),
        (0, 0, 1)
    );
    // The loss comes W days after the last purchase: Aug 28.
    let aug: RetentionReport = app
        .owner_get("analytics/retention?from=2026-08-01&to=2026-08-31")
        .await;
    assert_eq!(aug.periods[0].lost, 1);
}

async fn the_shops_time_zone_decides_the_day_of_a_purchase(app: TestApp) {
    let keys = app.add_shop("kyiv", chrono_tz::Europe::Kyiv).await;
    // 22:30 UTC on Jan 31 is Feb 1 in Kyiv: a February acquisition there.
    let mut p = RecordPurchase::new("zoe", "z-1", 100);
    p.purchased_at = Some(Utc.with_ymd_and_hms(2026, 1, 31, 22, 30, 0).unwrap());
    assert_eq!(
        app.purchase(&keys.back_office_token, "kyiv", &p)
            .await
            .status,
        StatusCode::OK
    );
    let r: RetentionReport = app
        .get_with(
            &api::owner("kyiv", "analytics/retention?from=2026-01-01&to=2026-02-28"),
            &[("authorization", &format!("Bearer {}", keys.owner_token))],
        )
        .await
        .json();
    assert_eq!((r.periods[0].acquired, r.periods[1].acquired), (0, 1));
}

/// Five customers whose scores are known by hand, scored on Nov 21, 2026 (N = 5):
///
/// | customer | last purchase | F | M | worse R / F / M | scores | segment |
/// |---|---|---|---|---|---|---|
/// | ann | Nov 20 | 7 | 700 | 4 / 3 / 2 | 5 4 3 | champions |
/// | bob | Jun 9 | 9 | 9000 | 1 / 4 / 4 | 2 5 5 | can't lose |
/// | cat | Jun 9 | 3 | 300 | 1 / 1 / 1 | 2 2 2 | hibernating |
/// | dan | Jun 9 | 5 | 1500 | 1 / 2 / 3 | 2 3 4 | at risk |
/// | eve | Mar 6 | 1 | 100 | 0 / 0 / 0 | 1 1 1 | lost |
///
/// (score = 1 + floor(5 × worse ÷ 5); bob, cat and dan tie on recency.)
async fn rfm_scores_ties_segments_and_the_win_back_order(app: TestApp) {
    for i in 0..7 {
        buy(&app, "ann", &format!("a-{i}"), d(11, 14 + i), 100).await;
    }
    for i in 0..9 {
        buy(&app, "bob", &format!("b-{i}"), d(6, 1 + i), 1000).await;
    }
    for i in 0..3 {
        buy(&app, "cat", &format!("c-{i}"), d(6, 7 + i), 100).await;
    }
    for i in 0..5 {
        buy(&app, "dan", &format!("d-{i}"), d(6, 5 + i), 300).await;
    }
    buy(&app, "eve", "e-0", d(3, 6), 100).await;
    let r: RfmReport = app.owner_get("analytics/rfm?to=2026-11-21").await;
    assert_eq!((r.customers, r.revenue_cents), (5, 11_600));
    let seg = |s: Segment| r.segments.iter().find(|x| x.segment == s).unwrap().clone();
    for (segment, n) in [
        (Segment::Champions, 1),
        (Segment::CantLose, 1),
        (Segment::Hibernating, 1),
        (Segment::AtRisk, 1),
        (Segment::Lost, 1),
        (Segment::Loyal, 0),
    ] {
        assert_eq!(seg(segment).customers, n, "{segment:?}");
    }
    assert_eq!(
        seg(Segment::CantLose).share_of_revenue,
        Some(9000.0 / 11_600.0)
    );
    let page: Page<WinBackEntry> = app.owner_get("win-back?to=2026-11-21").await;
    assert_eq!((page.total, page.offset, page.limit), (2, 0, 50));
    let list = page.items;
    let order: Vec<_> = list
        .iter()
        .map(|w| {
            (
                w.customer_ref.as_str(),
                w.segment,
                (w.rfm.r, w.rfm.f, w.rfm.m),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("bob", Segment::CantLose, (2, 5, 5)),
            ("dan", Segment::AtRisk, (2, 3, 4))
        ]
    );
    assert_eq!(
        (list[0].last_purchase, list[0].rfm.recency_days),
        (d(6, 9), 165)
    );
    let ann: CustomerDetail = app.owner_get("customers/ann").await;
    assert!(ann.rfm.is_some());
    // A page of the list (a shop's whole list had been one answer).
    let second: Page<WinBackEntry> = app
        .owner_get("win-back?to=2026-11-21&offset=1&limit=1")
        .await;
    assert_eq!(second.total, 2);
    assert_eq!(
        second
            .items
            .iter()
            .map(|w| w.customer_ref.as_str())
            .collect::<Vec<_>>(),
        ["dan"]
    );
    for bad in [
        "win-back?limit=0",
        "win-back?limit=501",
        "win-back?page=2",
        "win-back?store=s1",
        "win-back.csv?offset=50",
    ] {
        let reply = app.owner_reply(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn cohorts_share_of_each_month_buying_again(app: TestApp) {
    // January cohort: 4 customers; 2 buy in February, 1 in April. February: 1.
    for (c, days) in [
        ("p", vec![d(1, 5), d(2, 5)]),
        ("q", vec![d(1, 6), d(2, 6), d(2, 20)]),
        ("r", vec![d(1, 7), d(4, 7)]),
        ("s", vec![d(1, 8)]),
        ("t", vec![d(2, 9), d(3, 9)]),
    ] {
        for (i, day) in days.into_iter().enumerate() {
            buy(&app, c, &format!("{c}-{i}"), day, 100).await;
        }
    }
    let r: CohortReport = app
        .owner_get("analytics/cohorts?from=2026-01-01&to=2026-04-30")
        .await;
    let rows: Vec<_> = r
        .cohorts
        .iter()
        .map(|c| (c.month.to_string(), c.customers, c.retention.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-01-01".to_string(), 4, vec![1.0, 0.5, 0.0, 0.25]),
            ("2026-02-01".to_string(), 1, vec![1.0, 1.0, 0.0]),
        ]
    );
}

async fn satisfaction_by_tier_segment_and_later_loss(app: TestApp) {
    // gold: 2500 points (Gold), answers 10; lapse: bought Jan 10, answered 2 on Jan 12,
    // lost Apr 10; anonymous answers count only in totals.
    buy(&app, "gold", "g-1", d(6, 1), 250_000).await;
    buy(&app, "lapse", "l-1", d(1, 10), 1000).await;
    let shop = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let at = |m, day| Utc.from_utc_datetime(&d(m, day).and_hms_opt(9, 0, 0).unwrap());
    let answers = vec![
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 10)
            .customer("gold")
            .at(at(6, 2))
            .build(),
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
            .customer("lapse")
            .at(at(1, 12))
            .build(),
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 8)
            .at(at(6, 3))
            .build(),
        AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 5)
            .customer("gold")
            .at(at(6, 2))
            .build(),
        AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, &["price"], None)
            .customer("lapse")
            .at(at(5, 1))
            .build(),
    ];
    kept_server::ingest::ingest(app.db.as_ref(), &shop, answers, at(6, 10))
        .await
        .unwrap();
    let r: SatisfactionReport = app
        .owner_get("analytics/satisfaction?from=2026-01-01&to=2026-06-30")
        .await;
    assert_eq!(r.total.nps.responses, 3);
    assert_eq!(r.by_tier["Gold"].nps.score, Some(100.0));
    assert_eq!(r.by_tier["Bronze"].nps.score, Some(-100.0));
    assert_eq!(r.by_tier.values().map(|s| s.nps.responses).sum::<u64>(), 2);
    assert_eq!(r.by_tier["Gold"].csat.average, Some(5.0));
    assert_eq!((r.later_lost.responses, r.later_lost.detractors), (1, 1));
    assert_eq!((r.stayed.responses, r.stayed.promoters), (1, 1));
    assert_eq!(r.churn_reasons_of_lost[0].code, "price");
    assert!(r.by_segment.values().map(|s| s.nps.responses).sum::<u64>() == 2);
}

/// Streamed answers compressed as a browser asks for them end whole: the
/// import's progress with its report, a CSV export with its last row (the
/// compression layer polled an ended stream once more, which cut both short
/// with a panic).
async fn streamed_answers_compressed_end_whole(app: TestApp) {
    let csv = "customer_ref,purchase_id,amount_cents,purchased_at\n\
               z1,z-1,100,2026-03-01\nz2,z-2,200,2026-03-02\n";
    let reply = app
        .raw(
            Method::POST,
            &api::owner(demo::SHOP_ID, "import"),
            &[
                ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
                ("content-type", "text/csv"),
                ("accept", "application/x-ndjson"),
                ("accept-encoding", "br"),
            ],
            csv,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-encoding"), Some("br"));
    let text = unbrotli(&reply.body);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["stage"], "done", "{text}");
    assert_eq!(last["report"]["imported"], 2, "{text}");

    let reply = app
        .raw(
            Method::GET,
            &api::owner(demo::SHOP_ID, "customers.csv?sort=customer_ref"),
            &[
                ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
                ("accept-encoding", "br"),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(reply.header("content-encoding"), Some("br"));
    let text = unbrotli(&reply.body);
    assert!(
        text.trim_end().lines().last().unwrap().starts_with("z2,"),
        "{text}"
    );
}

fn unbrotli(body: &[u8]) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut brotli::Decompressor::new(body, 4096), &mut text)
        .expect("a whole brotli stream");
    text
}

async fn exports_parse_back_to_the_rows_expected(app: TestApp) {
    buy(&app, "cmd", "x-1", d(2, 1), 1234).await;
    buy(&app, "b", "x-2", d(2, 2), 500).await;
    buy(&app, "b", "x-3", d(2, 3), 500).await;
    let reply = app.owner_reply("customers.csv?sort=customer_ref").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("demo-customers.csv")
    );
    let mut rows = csv::Reader::from_reader(&reply.body[..]);
    let headers: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        headers[..5],
        [
            "customer_ref",
            "first_purchase",
            "last_purchase",
            "purchases",
            "total"
        ]
    );
    let records: Vec<Vec<String>> = rows
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    // The demo's alice, bob, carol (points only), then ours; a formula is defused.
    let ours: Vec<_> = records
        .iter()
        .filter(|r| r[3] != "0")
        .map(|r| (r[0].clone(), r[3].clone(), r[4].clone(), r[5].clone()))
        .collect();
    assert_eq!(
        ours,
        [
            (
                "b".to_string(),
                "2".to_string(),
                "10.00".to_string(),
                "5.00".to_string()
            ),
            (
                "cmd".to_string(),
                "1".to_string(),
                "12.34".to_string(),
                "12.34".to_string()
            )
        ]
    );
    let t = Utc::now() - chrono::Duration::hours(1);
    app.send_answers(&[
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 3)
            .reason("slow, \"cold\"\nand late")
            .at(t)
            .build(),
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
            .reason("=HYPERLINK(\"x\")")
            .at(t - chrono::Duration::hours(1))
            .build(),
    ])
    .await;
    let reply = app.owner_reply("answers.csv").await;
    let mut rows = csv::Reader::from_reader(&reply.body[..]);
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (&records[0][2], &records[0][3], &records[0][5]),
        ("nps", "3", "slow, \"cold\"\nand late")
    );
    assert_eq!(
        &records[1][5], "'=HYPERLINK(\"x\")",
        "a formula in an answer is defused"
    );
    let reply = app.owner_reply("win-back.csv").await;
    assert_eq!(reply.status, StatusCode::OK);
    // The byte order mark first: how Excel knows the file is UTF-8.
    assert!(String::from_utf8_lossy(&reply.body).starts_with("\u{feff}customer_ref,segment,"));
}

/// `body` sent as the follow-up of the inbox answer `id`.
async fn follow_up(app: &TestApp, id: uuid::Uuid, body: &[u8]) -> common::Reply {
    app.owner_send(
        Method::PATCH,
        &format!("inbox/{id}"),
        "application/json",
        body.to_vec(),
        "application/json",
    )
    .await
}

async fn the_inbox_keeps_follow_ups_and_filters_by_status(app: TestApp) {
    let detractor = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 4)
        .customer("bob")
        .reason("burnt")
        .build();
    let promoter = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 10).build();
    let churn = AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, &["price"], None).build();
    app.send_answers(&[detractor.clone(), promoter.clone(), churn.clone()])
        .await;
    let inbox: Page<AnswerItem> = app.owner_get("inbox").await;
    let mut ids: Vec<_> = inbox.items.iter().map(|a| a.id).collect();
    ids.sort();
    let mut expected = vec![detractor.id, churn.id];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        inbox
            .items
            .iter()
            .all(|a| a.follow_up.as_ref().unwrap().status == kept_shared::FollowUpStatus::New)
    );

    let update = serde_json::json!({"status": "contacted", "note": "Called, sending a fresh bag"});
    let reply = follow_up(&app, detractor.id, &serde_json::to_vec(&update).unwrap()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    // A note past the limit is refused, not cut, and changes nothing.
    let long = serde_json::json!({"status": "resolved", "note": "я".repeat(1001)});
    let refused = follow_up(&app, detractor.id, &serde_json::to_vec(&long).unwrap()).await;
    assert_eq!(
        (refused.status, refused.error().code),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid)
    );
    let contacted: Page<AnswerItem> = app.owner_get("inbox?status=contacted").await;
    assert_eq!(contacted.items.len(), 1);
    let f = contacted.items[0].follow_up.as_ref().unwrap();
    assert_eq!(
        (f.note.as_str(), f.updated_at.is_some()),
        ("Called, sending a fresh bag", true)
    );
    let new: Page<AnswerItem> = app.owner_get("inbox?status=new").await;
    assert_eq!(
        new.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [churn.id]
    );
    // A status alone keeps the note (it had been erased); a note given, even
    // empty, replaces it; a first follow-up without one has none.
    for (body, status, note) in [
        (
            r#"{"status":"resolved"}"#,
            "resolved",
            "Called, sending a fresh bag",
        ),
        (r#"{"status":"contacted","note":""}"#, "contacted", ""),
    ] {
        let reply = follow_up(&app, detractor.id, body.as_bytes()).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{body}");
        let listed: Page<AnswerItem> = app.owner_get(&format!("inbox?status={status}")).await;
        let f = listed.items[0].follow_up.as_ref().unwrap();
        assert_eq!(
            (listed.items[0].id, f.note.as_str()),
            (detractor.id, note),
            "{body}"
        );
    }
    let reply = follow_up(&app, churn.id, br#"{"status":"resolved"}"#).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let resolved: Page<AnswerItem> = app.owner_get("inbox?status=resolved").await;
    assert_eq!(
        resolved
            .items
            .iter()
            .map(|a| (a.id, a.follow_up.as_ref().unwrap().note.as_str()))
            .collect::<Vec<_>>(),
        [(churn.id, "")]
    );

    // A promoter is not in the inbox; an unknown answer neither.
    for id in [promoter.id, uuid::Uuid::new_v4()] {
        let reply = follow_up(&app, id, &serde_json::to_vec(&update).unwrap()).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    let reply = follow_up(&app, churn.id, br#"{"status":"lost"}"#).await;
    assert!(reply.status.is_client_error());
    // Free-text search finds the detractor's words, whatever their case.
    let found: Page<AnswerItem> = app.owner_get("answers?q=BURNT").await;
    assert_eq!(
        found.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [detractor.id]
    );
}

async fn customers_are_searched_sorted_paged_and_shown_whole(app: TestApp) {
    for (i, c) in ["mia", "max", "leo"].iter().enumerate() {
        for k in 0..=i {
            buy(
                &app,
                c,
                &format!("{c}-{k}"),
                d(3, 1 + k as u32),
                1000 * (i as u64 + 1),
            )
            .await;
        }
    }
    let page: Page<CustomerSummary> = app.owner_get("customers?sort=total&limit=2").await;
    assert_eq!(page.total, 6, "three of ours and the demo's three");
    assert_eq!(
        page.items
            .iter()
            .map(|c| c.customer_ref.as_str())
            .collect::<Vec<_>>(),
        ["leo", "max"]
    );
    assert_eq!(
        (page.items[0].total_cents, page.items[0].average_check_cents),
        (9000, Some(3000))
    );
    let next: Page<CustomerSummary> = app.owner_get("customers?sort=total&limit=2&offset=2").await;
    assert_eq!(next.items[0].customer_ref, "mia");
    // An offset past any list (past SQL's integers too) reads an empty page.
    let past: Page<CustomerSummary> = app.owner_get("customers?offset=18446744073709551615").await;
    assert!(past.items.is_empty() && past.total > 0);
    for list in ["answers", "inbox"] {
        let reply = app
            .owner_reply(&format!("{list}?offset=9223372036854775808"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{list}");
    }
    let found: Page<CustomerSummary> = app.owner_get("customers?q=M&sort=customer_ref").await;
    assert_eq!(
        found
            .items
            .iter()
            .map(|c| c.customer_ref.as_str())
            .collect::<Vec<_>>(),
        ["max", "mia"]
    );
    app.send_answers(&[AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 4)
        .customer("leo")
        .build()])
        .await;
    let leo: CustomerDetail = app.owner_get("customers/leo").await;
    assert_eq!(
        (
            leo.summary.purchases,
            leo.purchases.len(),
            leo.answers.len()
        ),
        (3, 3, 1)
    );
    assert_eq!(leo.purchases[0].purchase_id, "leo-2", "newest first");
    assert_eq!(leo.summary.points, 90);
    assert!(leo.rfm.is_some());
    assert_eq!(
        app.owner_reply("customers/nobody").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_funnel_counts_shown_answered_and_skipped(app: TestApp) {
    let events = serde_json::json!({"events": [
        {"survey": demo::NPS_SURVEY, "kind": "shown", "channel": "web"},
        {"survey": demo::NPS_SURVEY, "kind": "shown", "channel": "web"},
        {"survey": demo::NPS_SURVEY, "kind": "shown", "channel": "kiosk"},
        {"survey": demo::NPS_SURVEY, "kind": "skipped", "channel": "web"},
        {"survey": demo::CSAT_SURVEY, "kind": "shown", "channel": "web"}
    ]});
    let reply = app
        .post_json(&api::events(demo::PUBLIC_KEY), None, &events)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9).build()])
        .await;
    let rows = |f: FunnelReport| -> Vec<(String, u64, u64, u64)> {
        f.surveys
            .iter()
            .map(|r| (r.survey.clone(), r.shown, r.answered, r.skipped))
            .collect()
    };
    let f: FunnelReport = app.owner_get("analytics/funnel").await;
    assert_eq!(
        rows(f),
        [
            (demo::NPS_SURVEY.to_string(), 3, 1, 1),
            (demo::CSAT_SURVEY.to_string(), 1, 0, 0)
        ]
    );
    // Two CSAT answers of which one display was reported (the other visitor
    // offline when it showed): both count as shown.
    app.send_answers(&[
        AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 4).build(),
        AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 5).build(),
    ])
    .await;
    let f: FunnelReport = app.owner_get("analytics/funnel").await;
    assert_eq!(rows(f)[1], (demo::CSAT_SURVEY.to_string(), 2, 2, 0));
    // Unknown surveys and oversized reports are refused.
    let bad =
        serde_json::json!({"events": [{"survey": "nope", "kind": "shown", "channel": "web"}]});
    assert_eq!(
        app.post_json(&api::events(demo::PUBLIC_KEY), None, &bad)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let many = serde_json::json!({"events": vec![serde_json::json!({"survey": demo::NPS_SURVEY, "kind": "shown", "channel": "web"}); 51]});
    assert_eq!(
        app.post_json(&api::events(demo::PUBLIC_KEY), None, &many)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

async fn loyalty_members_per_tier_and_points_issued(app: TestApp) {
    buy(&app, "new1", "n-1", d(4, 1), 60_000).await; // 600 points: Silver
    buy(&app, "new2", "n-2", d(4, 2), 300_000).await; // 3000: Gold
    let r: LoyaltyReport = app
        .owner_get("analytics/loyalty?from=2026-04-01&to=2026-04-30")
        .await;
    let tiers: Vec<_> = r
        .tiers
        .iter()
        .map(|t| (t.tier.as_str(), t.customers))
        .collect();
    assert_eq!(tiers, [("Bronze", 0), ("Silver", 1), ("Gold", 1)]);
    assert_eq!(
        (r.points_issued, r.purchases, r.revenue_cents),
        (3600, 2, 360_000)
    );
}

async fn another_shops_owner_gets_nothing_and_bad_input_is_a_4xx(app: TestApp) {
    let other = app.add_shop("other", chrono_tz::UTC).await;
    for rest in [
        "analytics/retention",
        "analytics/cohorts",
        "analytics/rfm",
        "analytics/satisfaction",
        "analytics/funnel",
        "analytics/loyalty",
        "win-back",
        "win-back.csv",
        "customers",
        "customers.csv",
        "customers/alice",
        "answers",
        "answers.csv",
        "inbox",
    ] {
        let reply = app
            .get_with(
                &api::owner(demo::SHOP_ID, rest),
                &[("authorization", &format!("Bearer {}", other.owner_token))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{rest}");
    }
    for rest in [
        "analytics/retention?period=day",
        "analytics/retention?from=2026-05-01&to=2026-01-01",
        "analytics/retention?from=1970-01-01",
        "analytics/retention?store=a%20b",
        "customers?sort=height",
        "customers?limit=0",
        "customers?limit=501",
        "answers?kind=essay",
        "answers?channel=fax",
        "answers?from=3000-01-01",
        "inbox?status=lost",
        "customers/a%20b",
        // Filters no answer could meet, and searches that are not text.
        "answers?min_score=11",
        "answers?min_score=9&max_score=2",
        "answers?from=2026-05-01&to=2026-01-01",
        "answers?q=%C3%28",
        "answers.csv?q=%00",
        "customers?q=%00",
        "customers?q=%ff%fe",
        "customers.csv?q=%01",
        &format!("customers?q={}", "k".repeat(129)),
        // An export has every row: paging it had been taken and done nothing.
        "customers.csv?limit=1",
        "answers.csv?offset=3",
    ] {
        let reply = app.owner_reply(rest).await;
        assert!(reply.status.is_client_error(), "{rest}: {}", reply.status);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{rest}"
        );
    }
    // A number that does not read is said to be one, not in Rust's words.
    let reply = app.owner_reply("customers?limit=-1").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().message.contains("limit: not a whole number"),
        "{}",
        reply.error().message
    );
}
