//! Importing a customer base through the owner API, on both engines: bad rows
//! and known purchase ids refused with nothing stored, progress, idempotent
//! re-imports, and a large file written in chunks that let other writes through.

#[macro_use]
mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use futures_util::StreamExt;
use kept_server::demo;
use kept_server::owner::import::IMPORT_CHUNK;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{CustomerDetail, CustomerSummary, ImportReport, Page, RecordPurchase, api};
use tokio::sync::mpsc;

on_both_engines!(
    an_import_with_a_bad_row_names_it_and_stores_nothing,
    a_clean_import_stores_once_reports_progress_and_re_imports_as_duplicates,
    a_large_import_is_written_in_chunks_and_other_writes_go_between,
    a_customer_with_more_purchases_than_a_chunk_spans_several_counted_once,
    an_import_stopped_part_way_keeps_its_chunks_and_the_same_file_finishes_it,
    the_dashboard_names_the_row_of_a_known_purchase_id,
    the_dashboard_says_each_problem_in_the_owners_language,
    the_dashboards_streamed_import_counts_against_the_rows,
    columns_not_read_are_named_done_or_refused,
    stores_not_set_up_are_named,
    the_dashboard_says_an_erased_customers_purchases_were_left_out,
);

const BAD_CSV: &str = "customer_ref,purchase_id,amount,purchased_at\n\
                       ann,imp-1,10.00,2026-02-01\n\
                       bob,imp-2,ten,2026-02-02\n\
                       cat,imp-3,5.00,2026-02-03\n";

async fn an_import_with_a_bad_row_names_it_and_stores_nothing(app: TestApp) {
    let reply = app.import(BAD_CSV).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report: ImportReport = reply.json();
    assert_eq!(
        (report.rows, report.imported, report.error_count),
        (3, 0, 1)
    );
    assert_eq!(report.errors[0].row, 3);
    assert_eq!(report.errors[0].field.as_deref(), Some("amount"));
    assert!(
        report.errors[0].message.contains("ten"),
        "{}",
        report.errors[0].message
    );
    // Each problem as a code with its details, beside the words.
    let json: serde_json::Value = reply.json();
    assert_eq!(json["errors"][0]["code"], "not_an_amount");
    assert_eq!(json["errors"][0]["value"], "ten");
    let reply = app
        .import("customer_ref,purchase_id,amount,purchased_at\n,imp-9,1.00,2026-02-01\n")
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = reply.json();
    assert_eq!(
        json["errors"][0],
        serde_json::json!({"row": 2, "field": "customer_ref", "code": "empty",
                           "message": "the value is empty"})
    );
    let page: Page<CustomerSummary> = app.owner_get("customers").await;
    assert!(
        page.items.iter().all(|c| c.purchases == 0),
        "nothing half-imported"
    );
    // The wrong content type is a 415.
    let reply = app
        .owner_send(
            Method::POST,
            "import",
            "text/plain",
            BAD_CSV.into(),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn a_clean_import_stores_once_reports_progress_and_re_imports_as_duplicates(app: TestApp) {
    let mut csv = String::from("customer_ref,purchase_id,amount_cents,purchased_at,store\n");
    for i in 0..2500 {
        csv.push_str(&format!(
            "c{},p{i},{},2026-0{}-1{}T10:00:00Z,old-town\n",
            i % 700,
            1000 + i,
            1 + i % 9,
            i % 10
        ));
    }
    let reply = app
        .owner_send(
            Method::POST,
            "import",
            "text/csv",
            csv.clone().into(),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<serde_json::Value> = String::from_utf8(reply.body.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["stage"], "checked");
    assert!(
        lines.iter().any(|l| l["stage"] == "writing"),
        "progress while writing"
    );
    let last = lines.last().unwrap();
    assert_eq!(last["stage"], "done");
    let report: ImportReport = serde_json::from_value(last["report"].clone()).unwrap();
    assert_eq!(
        (
            report.rows,
            report.imported,
            report.duplicates,
            report.customers
        ),
        (2500, 2500, 0, 700)
    );
    let again = app.import(csv).await;
    let report: ImportReport = again.json();
    assert_eq!((report.imported, report.duplicates), (0, 2500));
    let c0: CustomerDetail = app.owner_get("customers/c0").await;
    assert_eq!(c0.summary.purchases, 4);
    // JSON imports too; a purchase id known with another amount fails the whole
    // import, naming the row.
    let json = serde_json::json!([
        {"customer_ref": "new", "purchase_id": "j-1", "amount_cents": 100, "purchased_at": "2026-03-01"},
        {"customer_ref": "c0", "purchase_id": "p0", "amount_cents": 999999, "purchased_at": "2026-03-01"}
    ]);
    let reply = app
        .owner_send(
            Method::POST,
            "import",
            "application/json",
            serde_json::to_vec(&json).unwrap(),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let report: ImportReport = reply.json();
    assert_eq!((report.imported, report.error_count), (0, 1));
    let conflict = &report.errors[0];
    assert_eq!(
        (conflict.row, conflict.field.as_deref()),
        (2, Some("purchase_id"))
    );
    assert!(conflict.message.contains("\"p0\""), "{}", conflict.message);
    assert_eq!(app.db.customer("demo", "new").await.unwrap(), None);
    // A file that moves a purchase to another day or store is refused the
    // same way, not counted as a duplicate and dropped; the same purchase by
    // its date alone, at another time of its day, or without its store, is
    // a duplicate.
    for corrected in [
        "customer_ref,purchase_id,amount_cents,purchased_at,store\nc0,p0,1000,2026-01-11T10:00:00Z,old-town\n",
        "customer_ref,purchase_id,amount_cents,purchased_at,store\nc0,p0,1000,2026-01-10T10:00:00Z,harbour\n",
    ] {
        let reply = app.import(corrected).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{corrected}");
        let report: ImportReport = reply.json();
        assert_eq!(report.errors[0].row, 2, "{corrected}");
    }
    for unchanged in [
        "customer_ref,purchase_id,amount_cents,purchased_at,store\nc0,p0,1000,2026-01-10T12:00:00+02:00,old-town\n",
        "customer_ref,purchase_id,amount_cents,purchased_at,store\nc0,p0,1000,2026-01-10,old-town\n",
        "customer_ref,purchase_id,amount_cents,purchased_at\nc0,p0,1000,2026-01-10 16:45\n",
    ] {
        let report: ImportReport = app.import(unchanged).await.json();
        assert_eq!((report.imported, report.duplicates), (0, 1), "{unchanged}");
    }
}

/// `rows` purchases of `customers` customers, as CSV.
fn big_csv(rows: usize, customers: usize) -> String {
    let mut csv = String::from("customer_ref,purchase_id,amount_cents,purchased_at\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "k{:05},b{i},{},2026-0{}-1{}T10:00:00Z\n",
            i % customers,
            100 + i % 5000,
            1 + i % 9,
            i % 10
        ));
    }
    csv
}

/// Starts a streamed import of `csv`; its lines arrive on the receiver as the
/// server writes them.
async fn start_import(app: &TestApp, csv: String) -> mpsc::UnboundedReceiver<serde_json::Value> {
    let request = Request::post(api::owner(demo::SHOP_ID, "import"))
        .header("authorization", format!("Bearer {}", demo::OWNER_TOKEN))
        .header("content-type", "text/csv")
        .header("accept", "application/x-ndjson")
        .body(Body::from(csv))
        .unwrap();
    let (status, mut body) = app.send_streaming(request).await;
    assert_eq!(status, StatusCode::OK);
    let (lines, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut pending = Vec::new();
        while let Some(Ok(bytes)) = body.next().await {
            pending.extend_from_slice(&bytes);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let _ = lines.send(serde_json::from_slice(&line).unwrap());
            }
        }
    });
    received
}

/// Waits for the import's line of `stage` (failing on its end), returning it.
async fn line_of(
    lines: &mut mpsc::UnboundedReceiver<serde_json::Value>,
    stage: &str,
) -> serde_json::Value {
    loop {
        let line = tokio::time::timeout(Duration::from_secs(120), lines.recv())
            .await
            .expect("the import goes on")
            .unwrap_or_else(|| panic!("the import ended before a {stage:?} line"));
        if line["stage"] == stage {
            return line;
        }
    }
}

/// Purchases of the demo shop stored now.
async fn purchases_stored(app: &TestApp) -> u64 {
    let mut total = 0;
    let mut offset = 0;
    loop {
        let page: Page<CustomerSummary> = app
            .owner_get(&format!("customers?limit=500&offset={offset}"))
            .await;
        total += page.items.iter().map(|c| c.purchases).sum::<u64>();
        offset += page.items.len();
        if page.items.len() < 500 {
            return total;
        }
    }
}

/// A file of several chunks: each customer's purchases land in one chunk, so the
/// customers add up exactly; another write (an answer) is stored and
/// acknowledged while the import is still writing, not after it.
async fn a_large_import_is_written_in_chunks_and_other_writes_go_between(app: TestApp) {
    let rows = IMPORT_CHUNK * 6;
    let mut lines = start_import(&app, big_csv(rows, 1_500)).await;
    let first = line_of(&mut lines, "writing").await;
    assert!(first["written"].as_u64().unwrap() < rows as u64);
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9).build()])
        .await;
    let stored_when_answered = purchases_stored(&app).await;
    assert!(
        stored_when_answered < rows as u64,
        "the answer waited for the whole import ({stored_when_answered} purchases stored)"
    );
    let mut written = Vec::new();
    let last = loop {
        let line = lines.recv().await.expect("the import ends with a line");
        match line["stage"].as_str() {
            Some("writing") => written.push(line["written"].as_u64().unwrap()),
            _ => break line,
        }
    };
    assert_eq!(last["stage"], "done", "{last}");
    assert!(
        written.is_sorted(),
        "progress only goes forward: {written:?}"
    );
    let report: ImportReport = serde_json::from_value(last["report"].clone()).unwrap();
    assert_eq!(
        (
            report.rows,
            report.imported,
            report.duplicates,
            report.customers
        ),
        (rows as u64, rows as u64, 0, 1_500)
    );
    assert_eq!(purchases_stored(&app).await, rows as u64);
    let k7: CustomerDetail = app.owner_get("customers/k00007").await;
    assert_eq!(k7.summary.purchases, (rows / 1_500) as u64);
}

/// A till's "walk-in" customer with two and a half chunks of purchases: they
/// are written a chunk at a time (no transaction longer than a chunk's), their
/// facts and points are those of all their purchases, and they count once.
async fn a_customer_with_more_purchases_than_a_chunk_spans_several_counted_once(app: TestApp) {
    let walk_in = IMPORT_CHUNK * 5 / 2;
    let mut csv = String::from("customer_ref,purchase_id,amount_cents,purchased_at\n");
    // Customers before and after the walk-in, so that it shares its first
    // chunk and its last with others.
    for (customer, count) in [("a-first", 10), ("walk-in", walk_in), ("z-last", 10)] {
        for i in 0..count {
            csv.push_str(&format!(
                "{customer},{customer}-{i},100,2026-0{}-1{}T10:00:00Z\n",
                1 + i % 9,
                i % 10
            ));
        }
    }
    let rows = (walk_in + 20) as u64;
    let mut lines = start_import(&app, csv.clone()).await;
    let mut written = Vec::new();
    let last = loop {
        let line = lines.recv().await.expect("the import ends with a line");
        match line["stage"].as_str() {
            Some("writing") => written.push(line["written"].as_u64().unwrap()),
            Some("checked") => {}
            _ => break line,
        }
    };
    assert_eq!(last["stage"], "done", "{last}");
    assert!(
        written.len() >= 3
            && written
                .windows(2)
                .all(|w| w[1] - w[0] <= IMPORT_CHUNK as u64),
        "a chunk at a time: {written:?}"
    );
    let report: ImportReport = serde_json::from_value(last["report"].clone()).unwrap();
    assert_eq!(
        (report.imported, report.duplicates, report.customers),
        (rows, 0, 3)
    );
    let walker: CustomerDetail = app.owner_get("customers/walk-in").await;
    assert_eq!(
        (walker.summary.purchases, walker.summary.total_cents),
        (walk_in as u64, walk_in as u64 * 100)
    );
    assert_eq!(
        walker.summary.first_purchase,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap())
    );
    // Their page lists a page of purchases, newest first; the rest by offset;
    // their export has every one.
    assert_eq!(walker.purchases.len(), 50);
    let last: CustomerDetail = app
        .owner_get(&format!(
            "customers/walk-in?offset={}&limit=500",
            walk_in - 10
        ))
        .await;
    assert_eq!(last.purchases.len(), 10);
    assert!(walker.purchases[0].purchased_at >= last.purchases[9].purchased_at);
    let export: kept_shared::CustomerExport = app.owner_get("customers/walk-in/export").await;
    assert_eq!(export.customer.unwrap().purchases.len(), walk_in);
    let (cookie, _) = common::sign_in(&app).await;
    let page = app
        .get_with("/dashboard/customers/walk-in", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    assert!(
        html.contains("href=\"/dashboard/customers/walk-in?offset=50\""),
        "the next page of purchases"
    );
    // Again: every purchase a duplicate, no customer counted.
    let reply = app.import(csv).await;
    let again: ImportReport = reply.json();
    assert_eq!(
        (again.imported, again.duplicates, again.customers),
        (0, rows, 0)
    );
}

/// A purchase under one of the file's ids, recorded with other details while the
/// import writes (after its check), stops it where that id's chunk comes: the
/// chunks before stay, the answer says so and how to finish, and the same file
/// without the conflicting row then finishes it.
async fn an_import_stopped_part_way_keeps_its_chunks_and_the_same_file_finishes_it(app: TestApp) {
    let rows = IMPORT_CHUNK * 6;
    let csv = big_csv(rows, 1_500);
    // The last customer's purchases are written last (customers in order).
    let last_id = format!("b{}", rows - 1);
    let mut lines = start_import(&app, csv.clone()).await;
    line_of(&mut lines, "writing").await;
    let purchase = RecordPurchase::new("someone-else", &last_id, 1);
    app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &purchase)
        .await
        .assert_ok();
    let failed = line_of(&mut lines, "failed").await;
    assert_eq!(failed["status"], 409, "{failed}");
    let report: ImportReport = serde_json::from_value(failed["report"].clone()).unwrap();
    assert!(
        report.imported > 0 && report.imported < rows as u64,
        "{report:?}"
    );
    // The conflicting row is named, as the check before writing names it, and
    // the note on what was stored follows (two problems).
    assert_eq!(
        (
            report.errors[0].row,
            &report.errors[0].problem,
            report.error_count
        ),
        (
            rows as u64 + 1,
            &kept_shared::ImportProblem::RecordedOtherwise {
                purchase_id: last_id.clone()
            },
            2
        ),
        "{report:?}"
    );
    let note = &report.errors.last().unwrap();
    assert_eq!(note.row, 0);
    assert!(
        note.message
            .contains("sending the same file again finishes it"),
        "{}",
        note.message
    );
    assert_eq!(purchases_stored(&app).await, report.imported + 1);
    // The same file again names the conflicting row and stores nothing.
    let reply = app.import(csv.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let refused: ImportReport = reply.json();
    assert_eq!(refused.errors[0].row, rows as u64 + 1, "{refused:?}");
    // Without that row it finishes: what was stored counts as duplicates.
    let fixed: String = csv
        .lines()
        .filter(|l| !l.contains(&format!(",{last_id},")))
        .map(|l| format!("{l}\n"))
        .collect();
    let reply = app.import(fixed).await;
    reply.assert_ok();
    let finished: ImportReport = reply.json();
    assert_eq!(
        (finished.duplicates, finished.imported),
        (report.imported, rows as u64 - 1 - report.imported)
    );
    assert_eq!(purchases_stored(&app).await, rows as u64);
}

/// The dashboard's plain upload form (no script) answers a purchase id known with
/// other details with a 409 page naming the row, and stores nothing.
async fn the_dashboard_names_the_row_of_a_known_purchase_id(app: TestApp) {
    app.purchase(
        demo::SECRET_KEY,
        demo::SHOP_ID,
        &RecordPurchase::new("ann", "till-7", 1250),
    )
    .await
    .assert_ok();
    let csv = "customer_ref,purchase_id,amount,purchased_at\n\
               ann,till-6,3.00,2026-02-01\n\
               ann,till-7,99.00,2026-02-02\n";
    let (status, html) = dashboard_upload(&app, csv, "en").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let row = html
        .split("data-testid=\"import-error\"")
        .nth(1)
        .expect("a row of the table");
    assert!(
        row.contains("<td>3</td>") && row.contains("till-7"),
        "{row}"
    );
    let ann: CustomerDetail = app.owner_get("customers/ann").await;
    assert_eq!(ann.summary.purchases, 1, "nothing of the file was stored");
}

/// `csv` sent by the dashboard's plain upload form (no script), by an owner
/// whose browser speaks `language`: the status and the page.
async fn dashboard_upload(app: &TestApp, csv: &str, language: &str) -> (StatusCode, String) {
    let (cookie, csrf) = common::sign_in(app).await;
    let boundary = "kept-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let reply = app
        .raw(
            Method::POST,
            "/dashboard/import",
            &[
                ("host", "kept.test"),
                ("origin", "http://kept.test"),
                (
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                ),
                ("cookie", &cookie),
                ("accept-language", language),
            ],
            body,
        )
        .await;
    (
        reply.status,
        String::from_utf8(reply.body.to_vec()).unwrap(),
    )
}

/// The page says each problem of a row in the owner's language, with its
/// details, and how many there are when not all are listed.
async fn the_dashboard_says_each_problem_in_the_owners_language(app: TestApp) {
    let mut csv = String::from("customer_ref,purchase_id,amount,purchased_at\n");
    csv.push_str("ann bee,imp-0,12.345,2026-02-01\n");
    for i in 1..=150 {
        csv.push_str(&format!("c{i},imp-{i},ten,2026-02-01\n"));
    }
    let (status, html) = dashboard_upload(&app, &csv, "uk-UA,uk;q=0.9").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let rows: Vec<&str> = html.split("data-testid=\"import-error\"").skip(1).collect();
    assert_eq!(rows.len(), 100, "the first 100 problems are listed");
    // Both problems of row 2, each in its own line, in Ukrainian.
    assert!(
        rows[0].contains("<td>2</td><td><span class=\"field\">customer_ref</span>: ")
            && rows[0].contains("Значення може містити лише латинські літери"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("<td>2</td><td><span class=\"field\">amount</span>: ")
            && rows[1].contains("«12.345» — не сума на кшталт 12.50"),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains("«ten» — не сума"), "{}", rows[2]);
    assert!(
        html.contains("Проблем у файлі: 152; нижче — перші 100."),
        "the count of all problems"
    );
    let (_, html) = dashboard_upload(&app, &csv, "ru").await;
    assert!(html.contains("«ten» — не сумма вида 12.50"));
    let (_, html) = dashboard_upload(&app, &csv, "en").await;
    assert!(html.contains("&quot;ten&quot; is not an amount like 12.50"));
    let page: Page<CustomerSummary> = app.owner_get("customers").await;
    assert!(
        page.items.iter().all(|c| c.purchases == 0),
        "nothing stored"
    );
}

/// The dashboard's script reads the same lines as the API's: the rows once
/// checked, each chunk written out of them, then the outcome rendered.
async fn the_dashboards_streamed_import_counts_against_the_rows(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let rows = IMPORT_CHUNK * 2;
    let reply = app
        .raw(
            Method::POST,
            "/dashboard/import",
            &[
                ("host", "kept.test"),
                ("origin", "http://kept.test"),
                ("content-type", "text/csv"),
                ("accept", "application/x-ndjson"),
                ("x-csrf-token", &csrf),
                ("cookie", &cookie),
            ],
            big_csv(rows, 700),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let lines: Vec<serde_json::Value> = String::from_utf8(reply.body.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["stage"], "checked", "{lines:?}");
    assert_eq!(lines[0]["rows"], rows as u64);
    let writing: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["stage"] == "writing").collect();
    assert!(writing.len() >= 2, "{lines:?}");
    assert!(writing.iter().all(|l| l["rows"] == rows as u64));
    assert_eq!(writing.last().unwrap()["written"], rows as u64);
    let last = lines.last().unwrap();
    assert_eq!(last["stage"], "done");
    assert!(
        last["html"]
            .as_str()
            .unwrap()
            // Its thousands apart, as the dashboard writes counts.
            .contains(&format!(">{}\u{202f}{:03}<", rows / 1000, rows % 1000)),
        "{last}"
    );
}

/// A column the import does not read is named in the report, done or
/// refused, with the field a misspelt one is near: an optional `store`
/// misspelt would otherwise be lost unnoticed, and a required one missing is
/// found beside its refusal. The dashboard lists them in the owner's language.
async fn columns_not_read_are_named_done_or_refused(app: TestApp) {
    let csv = "customer_ref,purchase_id,amount,purchased_at,stor,name\n\
               ann,imp-1,10.00,2026-02-01,old-town,Ann\n";
    let reply = app.import(csv).await;
    assert_eq!(reply.status, StatusCode::OK);
    let json: serde_json::Value = reply.json();
    assert_eq!(json["imported"], 1);
    assert_eq!(
        json["ignored"],
        serde_json::json!([{"name": "stor", "like": "store"}, {"name": "name"}])
    );
    let ann: CustomerDetail = app.owner_get("customers/ann").await;
    assert_eq!(ann.purchases[0].store, None, "the store was not read");

    let refused = "customer_ref,purchase_id,amont,purchased_at\nbob,imp-2,10.00,2026-02-01\n";
    let reply = app.import(refused).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = reply.json();
    assert_eq!(json["errors"][0]["code"], "column_missing");
    assert_eq!(
        json["ignored"],
        serde_json::json!([{"name": "amont", "like": "amount"}])
    );

    // JSON: the keys of its purchases, each once.
    let reply = app
        .owner_send(
            Method::POST,
            "import",
            "application/json",
            r#"[{"customer_ref": "cat", "purchase_id": "imp-3", "amount_cents": 500,
                 "purchased_at": "2026-02-03", "Store": "old-town"},
                {"customer_ref": "cat", "purchase_id": "imp-4", "amount_cents": 500,
                 "purchased_at": "2026-02-04", "Store": "old-town"}]"#
                .into(),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let json: serde_json::Value = reply.json();
    assert_eq!(
        json["ignored"],
        serde_json::json!([{"name": "Store", "like": "store"}])
    );

    let (status, html) = dashboard_upload(&app, csv, "uk-UA,uk;q=0.9").await;
    assert_eq!(status, StatusCode::OK);
    let listed = html
        .split("data-testid=\"import-ignored\"")
        .nth(1)
        .expect("the columns not read are listed");
    assert!(
        listed.contains("Стовпці, які не прочитано")
            && listed.contains("<code>stor</code> — можливо, мався на увазі store?")
            && listed.contains("<code>name</code></li>"),
        "{listed}"
    );
    let (status, html) = dashboard_upload(&app, refused, "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("<code>amont</code> — did you mean amount?"),
        "{html}"
    );
}

/// Stores the file names that the shop has not set up are named, each once:
/// their purchases are stored under those ids all the same.
async fn stores_not_set_up_are_named(app: TestApp) {
    let reply = app
        .owner_send(
            Method::PUT,
            "stores/old-town",
            "application/json",
            r#"{"name": "Old town"}"#.into(),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let csv = "customer_ref,purchase_id,amount,purchased_at,store\n\
               dan,imp-5,1,2026-02-05,north\n\
               dan,imp-6,1,2026-02-06,old-town\n\
               eve,imp-7,1,2026-02-07,north\n\
               eve,imp-8,1,2026-02-08,01\n\
               eve,imp-9,1,2026-02-09,\n";
    let reply = app.import(csv).await;
    assert_eq!(reply.status, StatusCode::OK);
    let json: serde_json::Value = reply.json();
    assert_eq!(json["imported"], 5);
    assert_eq!(json["unknown_stores"], serde_json::json!(["north", "01"]));
    let dan: CustomerDetail = app.owner_get("customers/dan").await;
    assert!(
        dan.purchases
            .iter()
            .any(|p| p.store.as_deref() == Some("north"))
    );

    // Sent again, all duplicates: the stores are still named.
    let (status, html) = dashboard_upload(&app, csv, "ru").await;
    assert_eq!(status, StatusCode::OK);
    let listed = html
        .split("data-testid=\"import-unknown-stores\"")
        .nth(1)
        .expect("the stores not set up are listed");
    assert!(
        listed.contains("Магазины из файла, которые не настроены")
            && listed.contains("<li><code>north</code></li><li><code>01</code></li>")
            && listed.contains("href=\"/dashboard/kiosks\""),
        "{listed}"
    );
}

/// A file whose only new purchases are an erased customer's: nothing is
/// imported, and the page says why (it had said every purchase was imported
/// before, beside "already known: 0").
async fn the_dashboard_says_an_erased_customers_purchases_were_left_out(app: TestApp) {
    app.import_csv(
        "customer_ref,purchase_id,amount,purchased_at\neve,e-1,15.00,2026-02-01\n".into(),
    )
    .await;
    app.owner_send(
        Method::DELETE,
        "customers/eve",
        "application/json",
        vec![],
        "application/json",
    )
    .await
    .assert_ok();
    let csv = "customer_ref,purchase_id,amount,purchased_at\neve,e-5,15.00,2026-02-02\n";
    let (status, html) = dashboard_upload(&app, csv, "uk").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Нічого не імпортовано: покупки з файлу вже було імпортовано або вони належать видаленим клієнтам.")
            && html.contains(r#"data-testid="import-erased">1<"#),
        "{html}"
    );
}
