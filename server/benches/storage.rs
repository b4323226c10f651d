//! Storage benchmarks, both engines, measured in one run with their references:
//!
//! - ingest: answers per second through the HTTP API (the real server on loopback,
//!   concurrent clients, batches of 100), next to the raw insert rate of the same
//!   rows into the same engine (prepared multi-row inserts, 100 rows a transaction,
//!   the same durability settings) measured in the same run;
//! - the owner report over 1 000 000 answers spread over a year, from the rollups.
//!
//! `cargo bench -p kept-server --bench storage` (PostgreSQL: the cluster
//! `KEPT_TEST_POSTGRES` names, as for the tests, or else the test cluster of
//! scripts/pg-test-cluster.sh, started if needed; `KEPT_BENCH_ENGINES=sqlite`
//! skips it).
//! Prints a Markdown table for the README.

#[path = "../tests/common/store.rs"]
mod store;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use kept_server::db::{AnswerRecord, Db};
use kept_server::rate_limit::RateLimits;
use kept_server::{AppConfig, HEADER_READ_TIMEOUT, RunningServer, calendar, demo, report};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{Answer, Channel, Period, SyncBatch, SyncReceipt, api};

/// Concurrent HTTP clients in the ingest benchmark.
const CLIENTS: usize = 8;
const BATCH: usize = 100;
/// Batches each client sends.
const BATCHES_PER_CLIENT: usize = 40;
/// Answers in the report benchmark, over 365 days.
const REPORT_ANSWERS: usize = 1_000_000;

fn answers(n: usize, seed: usize) -> Vec<Answer> {
    (0..n)
        .map(|i| {
            let k = seed * n + i;
            let b = match k % 5 {
                0 => AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, (k % 5 + 1) as u8),
                1 => AnswerBuilder::churn(
                    demo::SHOP_ID,
                    demo::CHURN_SURVEY,
                    &["price", "quality"],
                    Some("too far"),
                ),
                _ => AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, (k % 11) as u8)
                    .reason("because"),
            };
            b.customer(&format!("c{}", k % 5000))
                .channel(if k.is_multiple_of(3) {
                    Channel::Kiosk
                } else {
                    Channel::Web
                })
                .build()
        })
        .collect()
}

struct Engine {
    name: &'static str,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A store of its own: `engine` is `sqlite` or `postgres`.
async fn fresh(engine: &'static str) -> Engine {
    let (kind, name) = match engine {
        "sqlite" => (store::Engine::Sqlite, "SQLite"),
        _ => (store::Engine::Postgres, "PostgreSQL"),
    };
    let (url, dir) = store::fresh_db_url(kind).await;
    Engine {
        name,
        url,
        _dir: dir,
    }
}

/// Answers per second through the HTTP API.
async fn http_ingest(db: Db) -> f64 {
    // Eight clients on one address would be cut by the per-address limit.
    let config = AppConfig {
        rate_limits: RateLimits::unlimited(),
        ..AppConfig::default()
    };
    let server = RunningServer::serve_with(
        db,
        "127.0.0.1:0".parse().unwrap(),
        config,
        HEADER_READ_TIMEOUT,
    )
    .await
    .unwrap();
    let url = format!("{}{}", server.url(), api::answers(demo::PUBLIC_KEY));
    let batches: Vec<Vec<Vec<Answer>>> = (0..CLIENTS)
        .map(|c| {
            (0..BATCHES_PER_CLIENT)
                .map(|b| answers(BATCH, 1_000_000 + c * 1000 + b))
                .collect()
        })
        .collect();
    let http = reqwest::Client::new();
    let start = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|mine| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for answers in mine {
                    let r: SyncReceipt = http
                        .post(&url)
                        .json(&SyncBatch { answers })
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert_eq!(r.stored.len(), BATCH);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rate = (CLIENTS * BATCHES_PER_CLIENT * BATCH) as f64 / start.elapsed().as_secs_f64();
    server.stop().await;
    rate
}

/// The same rows inserted straight into the engine, 100 per transaction.
async fn raw_insert(engine: &Engine) -> f64 {
    let rows: Vec<Vec<Answer>> = (0..CLIENTS * BATCHES_PER_CLIENT)
        .map(|b| answers(BATCH, 2_000_000 + b))
        .collect();
    let total = rows.len() * BATCH;
    if engine.name == "SQLite" {
        let path = engine.url.clone();
        return tokio::task::spawn_blocking(move || {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").unwrap();
            let start = Instant::now();
            for batch in rows {
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
                {
                    let mut st = c
                        .prepare_cached(
                            "INSERT INTO answers (id, shop_id, survey_id, kind, channel, store_id, score, text, has_text,
                                                  customer_ref, order_ref, verified, answered_at, day, received_at)
                             VALUES (?1, 'demo', ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, NULL, 0, ?9, ?10, ?9)",
                        )
                        .unwrap();
                    for a in &batch {
                        let (score, text) = score_and_text(a);
                        st.execute(rusqlite::params![
                            a.id, a.survey, a.value.kind_name(), a.channel.as_str(), score, text, text.is_some(),
                            a.customer_ref, a.answered_at.timestamp_millis(), a.answered_at.date_naive()
                        ])
                        .unwrap();
                    }
                }
                c.execute_batch("COMMIT").unwrap();
            }
            total as f64 / start.elapsed().as_secs_f64()
        })
        .await
        .unwrap();
    }
    let (mut client, conn) = tokio_postgres::connect(&engine.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("SET synchronous_commit = on")
        .await
        .unwrap();
    let st = client
        .prepare(
            "INSERT INTO answers (shop_id, received_at, id, survey_id, kind, channel, score, text, has_text,
                                  customer_ref, verified, answered_at, day)
             SELECT 'demo', now(), * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[],
                                                 $6::text[], $7::bool[], $8::text[], $9::bool[], $10::timestamptz[], $11::date[])",
        )
        .await
        .unwrap();
    let start = Instant::now();
    for batch in rows {
        let ids: Vec<_> = batch.iter().map(|a| a.id).collect();
        let surveys: Vec<_> = batch.iter().map(|a| a.survey.clone()).collect();
        let kinds: Vec<_> = batch.iter().map(|a| a.value.kind_name()).collect();
        let channels: Vec<_> = batch.iter().map(|a| a.channel.as_str()).collect();
        let scores: Vec<Option<i16>> = batch
            .iter()
            .map(|a| score_and_text(a).0.map(i16::from))
            .collect();
        let texts: Vec<Option<&str>> = batch.iter().map(|a| score_and_text(a).1).collect();
        let has: Vec<bool> = texts.iter().map(Option::is_some).collect();
        let customers: Vec<_> = batch.iter().map(|a| a.customer_ref.clone()).collect();
        let verified = vec![false; batch.len()];
        let at: Vec<_> = batch.iter().map(|a| a.answered_at).collect();
        let days: Vec<_> = batch.iter().map(|a| a.answered_at.date_naive()).collect();
        let tx = client.transaction().await.unwrap();
        tx.execute(
            &st,
            &[
                &ids, &surveys, &kinds, &channels, &scores, &texts, &has, &customers, &verified,
                &at, &days,
            ],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn score_and_text(a: &Answer) -> (Option<u8>, Option<&str>) {
    match &a.value {
        kept_shared::AnswerValue::Nps { score, reason } => (Some(*score), reason.as_deref()),
        kept_shared::AnswerValue::Csat { score } => (Some(*score), None),
        kept_shared::AnswerValue::ChurnReason { other, .. } => (None, other.as_deref()),
    }
}

/// Loads a year of answers straight through the store (not timed), then times the
/// report from its rollups.
async fn report_over_a_year(db: Db) -> (Duration, Duration) {
    let shop = db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let today = calendar::today(shop.time_zone);
    let chunk = 2_000;
    for c in 0..REPORT_ANSWERS / chunk {
        let records: Vec<AnswerRecord> = answers(chunk, 10_000_000 + c)
            .into_iter()
            .enumerate()
            .map(|(i, mut answer)| {
                answer.answered_at = Utc::now()
                    - chrono::Duration::minutes(((c * chunk + i) % (365 * 24 * 60)) as i64);
                AnswerRecord {
                    day: calendar::local_day(answer.answered_at, shop.time_zone),
                    answer,
                    verified: false,
                    store: None,
                }
            })
            .collect();
        db.insert_answers(demo::SHOP_ID, records, Utc::now(), Vec::new())
            .await
            .unwrap();
    }
    let from: NaiveDate = today - chrono::Days::new(364);
    let mut times = Vec::new();
    for period in [Period::Day, Period::Month] {
        let mut runs = Vec::new();
        for _ in 0..21 {
            let start = Instant::now();
            let (rollups, reasons) = tokio::try_join!(
                db.rollups(demo::SHOP_ID, from, today),
                db.reason_rollups(demo::SHOP_ID, from, today)
            )
            .unwrap();
            let r = report::build(from, today, period, &rollups, &reasons);
            runs.push(start.elapsed());
            assert!(r.total.nps.responses >= (REPORT_ANSWERS * 3 / 5) as u64);
        }
        runs.sort();
        times.push(runs[runs.len() / 2]);
    }
    (times[0], times[1])
}

#[tokio::main]
async fn main() {
    let engines = std::env::var("KEPT_BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    println!(
        "| engine | HTTP ingest (answers/s) | raw insert, same rows (answers/s) | HTTP ÷ raw | report over 1 000 000 answers, by day | by month |"
    );
    println!("|---|---|---|---|---|---|");
    for name in engines.split(',').map(str::trim) {
        let name: &'static str = if name == "sqlite" {
            "sqlite"
        } else {
            "postgres"
        };
        let engine = fresh(name).await;
        let db = kept_server::db::open(&engine.url).await.unwrap();
        demo::seed(db.as_ref(), &[]).await.unwrap();
        let raw = raw_insert(&engine).await;
        let http = http_ingest(db.clone()).await;
        let (by_day, by_month) = report_over_a_year(db.clone()).await;
        println!(
            "| {} | {:.0} | {:.0} | {:.0}% | {:.1} ms | {:.1} ms |",
            engine.name,
            http,
            raw,
            100.0 * http / raw,
            by_day.as_secs_f64() * 1000.0,
            by_month.as_secs_f64() * 1000.0
        );
        drop(engine);
    }
}
