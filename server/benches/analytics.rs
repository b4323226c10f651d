//! Owner-view benchmarks, both engines, in one run:
//!
//! - every owner API view over the demo year (2 000 customers, ~13 000 purchases,
//!   ~4 000 answers), through the in-process app with the owner token, median of
//!   15 requests each; the goal is 100 ms; with them, the page and the data
//!   export of one customer with 3 000 purchases (a till's walk-in customer):
//!   the export once took seconds a thousand purchases;
//! - retention (twelve months) and RFM over 100 000 customers and 1 000 000
//!   purchases, median of 5; the goal is 500 ms;
//! - the CSV export of those 100 000 customers, median of 5, against its
//!   reference: the same listing read whole by the same engine (its count and
//!   its rows, as the owner API's listing reads them), no CSV.
//!
//! `cargo bench -p kept-server --bench analytics` (PostgreSQL: the cluster
//! `KEPT_TEST_POSTGRES` names, as for the tests, or else the test cluster of
//! scripts/pg-test-cluster.sh, started if needed; `KEPT_BENCH_ENGINES=sqlite`
//! skips PostgreSQL; `KEPT_BENCH_SKIP_LARGE=1` skips the million purchases).

#[path = "../tests/common/store.rs"]
mod store;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Days, TimeZone, Utc};
use futures_util::StreamExt;
use kept_server::db::{CustomerQuery, CustomerSort, Db, NewPurchase};
use kept_server::{calendar, demo, owner};
use kept_shared::{Period, api};
use tower::ServiceExt;

/// A store of its own: `engine` is `sqlite` or `postgres`.
async fn fresh(engine: &str) -> (String, Option<tempfile::TempDir>) {
    let engine = if engine == "sqlite" {
        store::Engine::Sqlite
    } else {
        store::Engine::Postgres
    };
    store::fresh_db_url(engine).await
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn demo_year(engine: &str) -> Vec<(&'static str, Duration)> {
    let (url, _dir) = fresh(engine).await;
    let db: Db = kept_server::db::open(&url).await.unwrap();
    demo::seed(db.as_ref(), &[]).await.unwrap();
    let seeding = Instant::now();
    demo::seed_history(db.as_ref()).await.unwrap();
    eprintln!(
        "{engine}: the demo year seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    walk_in(&db).await;
    let app = kept_server::app(db.clone(), None);
    let views: [(&str, String); 15] = [
        ("survey report, 30 days", "report?period=day".into()),
        ("retention, 12 months", "analytics/retention".into()),
        (
            "retention of one store",
            "analytics/retention?store=old-town".into(),
        ),
        ("cohorts", "analytics/cohorts".into()),
        ("RFM segments", "analytics/rfm".into()),
        ("satisfaction × behaviour", "analytics/satisfaction".into()),
        ("survey funnel", "analytics/funnel".into()),
        ("loyalty", "analytics/loyalty".into()),
        ("win-back list", "win-back".into()),
        ("customers, by total", "customers?sort=total".into()),
        ("one customer", "customers/cust-0001".into()),
        (
            "a customer of 3 000 purchases, their page",
            format!("customers/{WALK_IN}"),
        ),
        (
            "a customer of 3 000 purchases, their data export",
            format!("customers/{WALK_IN}/export"),
        ),
        ("answers, text search", "answers?q=delivery".into()),
        ("inbox, new", "inbox?status=new".into()),
    ];
    let mut out = Vec::new();
    for (name, rest) in views {
        let mut runs = Vec::new();
        for _ in 0..15 {
            let req = Request::get(api::owner(demo::SHOP_ID, &rest))
                .header("authorization", format!("Bearer {}", demo::OWNER_TOKEN))
                .body(Body::empty())
                .unwrap();
            let start = Instant::now();
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            runs.push(start.elapsed());
            assert_eq!(status, StatusCode::OK, "{rest}");
        }
        out.push((name, median(runs)));
    }
    out
}

/// The customer a till records every anonymous sale under.
const WALK_IN: &str = "walk-in";

/// Gives the demo shop a walk-in customer of 3 000 purchases over the year.
async fn walk_in(db: &Db) {
    let shop = db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let today = calendar::today(shop.time_zone);
    let purchases = (0..3_000u64)
        .map(|k| {
            let day = today - Days::new(k % 365);
            NewPurchase {
                purchase_id: format!("till-{k}"),
                customer_ref: WALK_IN.into(),
                amount_cents: 500 + k % 5_000,
                points: 10,
                purchased_at: Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
                day,
                store: Some("old-town".into()),
                time_given: true,
            }
        })
        .collect();
    db.import_purchases(demo::SHOP_ID, purchases).await.unwrap();
}

/// The medians over 100 000 customers, and how long loading them took.
struct Large {
    retention: Duration,
    rfm: Duration,
    export: Duration,
    one_query: Duration,
    load: Duration,
}

/// 100 000 customers with 10 purchases each over the last year.
async fn large(engine: &str) -> Large {
    const CUSTOMERS: u64 = 100_000;
    const EACH: u64 = 10;
    let (url, _dir) = fresh(engine).await;
    let db: Db = kept_server::db::open(&url).await.unwrap();
    demo::seed(db.as_ref(), &[]).await.unwrap();
    let shop = db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let today = calendar::today(shop.time_zone);
    let loading = Instant::now();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for chunk in 0..(CUSTOMERS / 10_000) {
        let mut purchases = Vec::new();
        for c in chunk * 10_000..(chunk + 1) * 10_000 {
            for k in 0..EACH {
                let day = today - Days::new(next() % 365);
                purchases.push(NewPurchase {
                    purchase_id: format!("p{c}-{k}"),
                    customer_ref: format!("c{c}"),
                    amount_cents: 500 + next() % 10_000,
                    points: 10,
                    purchased_at: Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
                    day,
                    store: None,
                    time_given: true,
                });
            }
        }
        db.import_purchases(demo::SHOP_ID, purchases).await.unwrap();
    }
    let load = loading.elapsed();
    eprintln!(
        "{engine}: {} purchases loaded in {:.0} s",
        CUSTOMERS * EACH,
        load.as_secs_f64()
    );
    let from = Period::Month.start_of(today) - chrono::Months::new(11);
    let mut retention = Vec::new();
    let mut rfm = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let r = owner::retention::retention_report(
            db.as_ref(),
            &shop,
            from,
            today,
            Period::Month,
            None,
        )
        .await
        .unwrap();
        retention.push(start.elapsed());
        assert_eq!(r.periods.len(), 12);
        let start = Instant::now();
        let scored = owner::rfm::scored(db.as_ref(), &shop, today).await.unwrap();
        let report = owner::rfm::rfm_report(today, &scored);
        rfm.push(start.elapsed());
        assert!(report.customers >= CUSTOMERS);
    }
    let everyone = CustomerQuery {
        sort: CustomerSort::Reference,
        ..CustomerQuery::default()
    };
    let (mut export, mut one_query) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let start = Instant::now();
        let csv = owner::exports::customers_csv(db.clone(), shop.clone(), everyone.clone())
            .await
            .unwrap();
        let bytes: usize = csv
            .map(|chunk| chunk.unwrap().len())
            .collect::<Vec<_>>()
            .await
            .iter()
            .sum();
        export.push(start.elapsed());
        assert!(bytes > 100_000 * 20);
        let start = Instant::now();
        let (rows, _) = db.customers(demo::SHOP_ID, everyone.clone()).await.unwrap();
        one_query.push(start.elapsed());
        assert!(rows.len() as u64 >= CUSTOMERS);
    }
    Large {
        retention: median(retention),
        rfm: median(rfm),
        export: median(export),
        one_query: median(one_query),
        load,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let engines: Vec<String> = std::env::var("KEPT_BENCH_ENGINES")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let mut columns = Vec::new();
    for engine in &engines {
        columns.push(demo_year(engine).await);
    }
    let names: Vec<&str> = engines
        .iter()
        .map(|e| {
            if e == "sqlite" {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        })
        .collect();
    println!(
        "| owner view over the demo year (median of 15) | {} |",
        names.join(" | ")
    );
    println!("|---|{}", "---|".repeat(names.len()));
    for (i, (view, _)) in columns[0].iter().enumerate() {
        let cells: Vec<String> = columns.iter().map(|c| ms(c[i].1)).collect();
        println!("| {view} | {} |", cells.join(" | "));
    }
    if std::env::var("KEPT_BENCH_SKIP_LARGE").is_ok() {
        return;
    }
    println!();
    println!(
        "| 100 000 customers, 1 000 000 purchases (median of 5) | {} |",
        names.join(" | ")
    );
    println!("|---|{}", "---|".repeat(names.len()));
    let mut large_results = Vec::new();
    for engine in &engines {
        large_results.push(large(engine).await);
    }
    let row = |name: &str, f: fn(&Large) -> Duration| {
        let cells: Vec<String> = large_results.iter().map(|r| ms(f(r))).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    row("retention, 12 months by month", |r| r.retention);
    row("RFM scores and segments, today", |r| r.rfm);
    row("CSV export of every customer", |r| r.export);
    row("(reference: the same listing read whole, no CSV)", |r| {
        r.one_query
    });
    let cells: Vec<String> = large_results
        .iter()
        .map(|r| format!("{:.0} s", r.load.as_secs_f64()))
        .collect();
    println!(
        "| (loading them: import in 10 batches of 100 000) | {} |",
        cells.join(" | ")
    );
}
