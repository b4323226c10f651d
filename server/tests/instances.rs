//! Several `kept-server` processes on one PostgreSQL database, as behind a load
//! balancer: the same batch sent to both at once is stored once, purchases for one
//! customer through both give exact points, and either reports the same.

#[macro_use]
mod common;

use std::collections::HashSet;

use common::{Engine, KeptProcess, free_port, fresh_db_url};
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{RecordPurchase, SyncBatch, SyncReceipt, api};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_store_once_count_exactly_and_report_alike() {
    let (db_url, _) = fresh_db_url(Engine::Postgres).await;
    let a = KeptProcess::start(&db_url, free_port()).await;
    let b = KeptProcess::start(&db_url, free_port()).await;
    let http = reqwest::Client::new();

    // The same batches to both instances at once, many times over.
    for round in 0..20 {
        let answers: Vec<_> = (0..50)
            .map(|i| {
                AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, ((round + i) % 11) as u8)
                    .build()
            })
            .collect();
        let batch = SyncBatch {
            answers: answers.clone(),
        };
        let send = |base: &str| {
            http.post(format!("{base}{}", api::answers(demo::PUBLIC_KEY)))
                .json(&batch)
                .send()
        };
        let (ra, rb) = tokio::join!(send(&a.url), send(&b.url));
        let ra: SyncReceipt = ra.unwrap().json().await.unwrap();
        let rb: SyncReceipt = rb.unwrap().json().await.unwrap();
        // Each id stored by exactly one of them, a duplicate for the other.
        let stored: Vec<_> = ra.stored.iter().chain(&rb.stored).collect();
        assert_eq!(stored.len(), 50, "round {round}");
        assert_eq!(stored.iter().collect::<HashSet<_>>().len(), 50);
        assert_eq!(ra.duplicates.len() + rb.duplicates.len(), 50);
    }
    let db = kept_server::db::open(&db_url).await.unwrap();
    assert_eq!(db.answers(demo::SHOP_ID).await.unwrap().len(), 20 * 50);

    // Purchases for one customer through both instances at once.
    let mut tasks = Vec::new();
    for client in 0..16 {
        let base = if client % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..12 {
                let p = RecordPurchase::new("shared", &format!("c{client}-{n}"), 500);
                let resp = http
                    .post(format!("{base}{}", api::purchases(demo::SHOP_ID)))
                    .bearer_auth(demo::SECRET_KEY)
                    .json(&p)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        db.customer_points(demo::SHOP_ID, "shared").await.unwrap(),
        Some(16 * 12 * 5)
    );

    let report = |base: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}{}?period=week", api::report(demo::SHOP_ID)))
                .bearer_auth(demo::OWNER_TOKEN)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let (from_a, from_b) = tokio::join!(report(a.url.clone()), report(b.url.clone()));
    assert_eq!(from_a, from_b);
    let parsed: kept_shared::Report = serde_json::from_str(&from_a).unwrap();
    assert_eq!(parsed.total.nps.responses, 20 * 50);
    a.stop().await;
    b.stop().await;
}
