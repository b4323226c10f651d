//! CSV exports read from one snapshot, on both engines: rows written while an
//! export streams neither repeat nor go missing in it, and the exports that may
//! hold a snapshot at once are bounded.

#[macro_use]
mod common;

use axum::body::BodyDataStream;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::TestApp;
use futures_util::StreamExt;
use kept_server::db::snapshot::{EXPORT_PAGE, MAX_EXPORTS};
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;

on_both_engines!(
    a_long_export_has_every_row_in_order_with_its_own_reasons,
    rows_written_during_an_export_neither_repeat_nor_go_missing,
    exports_past_the_limit_wait_for_a_turn_and_a_closed_one_gives_its_turn_back,
);

/// Imports a purchase (`order`, numbered) each for customers `{prefix}0000` onwards.
async fn customers(app: &TestApp, prefix: &str, order: &str, count: usize) {
    let mut csv = String::from("customer_ref,purchase_id,amount_cents,purchased_at\n");
    for i in 0..count {
        csv.push_str(&format!("{prefix}{i:04},{order}-{i},500,2026-03-01\n"));
    }
    app.import_csv(csv).await;
}

/// The records of a CSV export.
fn records(csv: &[u8]) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(csv)
        .records()
        .map(Result::unwrap)
        .collect()
}

/// An export reads its listing in one pass, a page at a time: over several
/// pages, each row comes once, in the listing's order (a filter and a
/// descending sort), and each answer with its own churn reasons; a listing of
/// exactly two pages ends after them.
async fn a_long_export_has_every_row_in_order_with_its_own_reasons(app: TestApp) {
    let two_pages = 2 * EXPORT_PAGE as usize;
    customers(&app, "m", "first", two_pages).await;
    customers(&app, "x", "other", 10).await;
    let reply = app
        .owner_reply("customers.csv?q=M&sort=customer_ref&order=desc")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let refs: Vec<String> = records(&reply.body)
        .iter()
        .map(|r| r[0].to_string())
        .collect();
    let expected: Vec<String> = (0..two_pages).rev().map(|i| format!("m{i:04}")).collect();
    assert_eq!(refs, expected);

    // Answer i is i minutes old, so the export (newest first) lists them by i;
    // its reasons name it, in an order that changes from one answer to the next.
    let now = Utc::now();
    let reasons = |i: usize| {
        if i.is_multiple_of(2) {
            ["price", "delivery"]
        } else {
            ["delivery", "price"]
        }
    };
    let count = two_pages + 500;
    let answers: Vec<_> = (0..count)
        .map(|i| {
            AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, &reasons(i), None)
                .customer(&format!("m{i:04}"))
                .at(now - Duration::minutes(i as i64 + 1))
                .build()
        })
        .collect();
    for batch in answers.chunks(kept_shared::limits::MAX_BATCH_ANSWERS) {
        app.send_answers(batch).await;
    }
    let reply = app.owner_reply("answers.csv?kind=churn_reason").await;
    let rows = records(&reply.body);
    assert_eq!(rows.len(), count);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            (&row[4], &row[8]),
            (reasons(i).join(" ").as_str(), format!("m{i:04}").as_str()),
            "row {i}"
        );
    }
}

/// The next chunk of a streaming body.
async fn next_chunk(body: &mut BodyDataStream) -> Option<Vec<u8>> {
    body.next()
        .await
        .map(|chunk| chunk.expect("the export goes on").to_vec())
}

/// The export is sorted by customer: customers added before the rows already
/// sent would shift every later page by as many rows, and each one bought again
/// could move; read from one snapshot, each customer of the moment the export
/// began is there once, and none added later.
async fn rows_written_during_an_export_neither_repeat_nor_go_missing(app: TestApp) {
    let count = 5 * EXPORT_PAGE as usize;
    customers(&app, "m", "first", count).await;
    let (status, mut body) = app.owner_streaming("customers.csv?sort=customer_ref").await;
    assert_eq!(status, StatusCode::OK);
    let mut csv = next_chunk(&mut body).await.unwrap();
    let first = next_chunk(&mut body).await.unwrap();
    csv.extend(first);
    // While the rest streams: new customers sorting first, and more purchases.
    customers(&app, "a", "new", 500).await;
    customers(&app, "m", "again", 200).await;
    while let Some(chunk) = next_chunk(&mut body).await {
        csv.extend(chunk);
    }
    let csv_bytes = csv.clone();
    let mut reader = csv::Reader::from_reader(&csv[..]);
    let refs: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let mut expected: Vec<String> = ["alice", "bob", "carol"].map(String::from).to_vec();
    expected.extend((0..count).map(|i| format!("m{i:04}")));
    assert_eq!(
        refs.len(),
        expected.len(),
        "every customer once, no new ones"
    );
    assert_eq!(refs, expected);
    // Each as the export began: one purchase, not the second one bought since.
    let purchases: Vec<String> = csv::Reader::from_reader(&csv_bytes[..])
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    assert!(
        purchases.iter().all(|p| p == "1" || p == "0"),
        "{purchases:?}"
    );
}

/// Each export holds a snapshot while it streams: past [`MAX_EXPORTS`], one
/// waits for a turn and is told "busy" (503) when none comes; closing an export
/// gives its turn back.
async fn exports_past_the_limit_wait_for_a_turn_and_a_closed_one_gives_its_turn_back(app: TestApp) {
    customers(&app, "m", "first", 4 * EXPORT_PAGE as usize).await;
    let mut open = Vec::new();
    for _ in 0..MAX_EXPORTS {
        let (status, body) = app.owner_streaming("customers.csv").await;
        assert_eq!(status, StatusCode::OK);
        open.push(body);
    }
    let reply = app.owner_reply("customers.csv").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("retry-after"), Some("30"));
    let busy = reply.error();
    assert_eq!(busy.code, kept_shared::ErrorCode::Busy);
    assert!(busy.message.contains("exports are running already"));
    // An export read to its end, and one closed half-read, give their turns back.
    let mut finished = open.pop().unwrap();
    while next_chunk(&mut finished).await.is_some() {}
    drop(open.pop());
    for _ in 0..2 {
        let (status, body) = app.owner_streaming("customers.csv").await;
        assert_eq!(status, StatusCode::OK);
        open.push(body);
    }
}
