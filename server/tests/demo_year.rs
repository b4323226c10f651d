//! The demo year (`--demo`) on both engines: loaded once, and a load cut short
//! (the server killed part-way) finished by the next start with the same year,
//! not left half-loaded and not loaded twice.

#[macro_use]
mod common;

use chrono::{Days, NaiveDate, Utc};
use common::TestApp;
use kept_server::db::{AnswerQuery, AuditRecord, CustomerQuery, Database};
use kept_server::demo::{self, history};

on_both_engines!(
    the_year_is_loaded_once,
    a_load_cut_short_is_finished_by_the_next_start,
);

/// What the demo shop holds: answers, purchases, the widget's counts, follow-ups.
async fn held(db: &dyn Database, last_day: NaiveDate) -> (u64, u64, u64, u64) {
    let (_, answers) = db
        .find_answers(
            demo::SHOP_ID,
            AnswerQuery {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (customers, _) = db
        .customers(
            demo::SHOP_ID,
            CustomerQuery {
                limit: 0,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let purchases = customers.iter().map(|c| c.purchases).sum();
    let first_day = last_day - Days::new(400);
    let events = db
        .widget_events(demo::SHOP_ID, first_day, last_day)
        .await
        .unwrap()
        .iter()
        .map(|e| e.count)
        .sum();
    let (all, _) = db
        .find_answers(demo::SHOP_ID, AnswerQuery::default())
        .await
        .unwrap();
    let followed = all.iter().filter(|a| a.follow_up.is_some()).count() as u64;
    (answers, purchases, events, followed)
}

/// The year's last day as the load picks it (the demo shop keeps UTC).
fn yesterday() -> NaiveDate {
    Utc::now().date_naive() - Days::new(1)
}

async fn the_year_is_loaded_once(app: TestApp) {
    demo::seed_history(app.db.as_ref()).await.unwrap();
    let once = held(app.db.as_ref(), yesterday()).await;
    let h = history::history(demo::SHOP_ID, yesterday());
    assert_eq!(
        (once.0, once.1),
        (h.answers.len() as u64, h.purchases.len() as u64)
    );
    assert!(once.2 > 0 && once.3 > 0, "{once:?}");
    demo::seed_history(app.db.as_ref()).await.unwrap();
    assert_eq!(held(app.db.as_ref(), yesterday()).await, once);
    let log = app.db.audit_log(demo::SHOP_ID, 50).await.unwrap();
    assert_eq!(
        log.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["demo year loaded", "demo year loading"]
    );
}

/// The first start, nine days ago, began the year ending the day before and
/// stored its purchases and a third of its answers before it was killed; the
/// next start finishes that same year (its first days' answers, past a year old
/// by now, included), and a third start leaves it as it is.
async fn a_load_cut_short_is_finished_by_the_next_start(app: TestApp) {
    let db = app.db.as_ref();
    let began_at = Utc::now() - Days::new(9);
    let began = began_at.date_naive() - Days::new(1);
    db.record_audit(
        demo::SHOP_ID,
        AuditRecord {
            at: began_at,
            actor: "kept-server --demo".into(),
            action: "demo year loading".into(),
            detail: began.to_string(),
        },
    )
    .await
    .unwrap();
    let mut h = history::history(demo::SHOP_ID, began);
    for p in &mut h.purchases {
        p.points = kept_server::loyalty::points_earned(p.amount_cents, 1).unwrap();
    }
    let purchases = h.purchases.len() as u64;
    db.import_purchases(demo::SHOP_ID, h.purchases)
        .await
        .unwrap();
    let shop = db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let third = h.answers.len() / 3;
    for chunk in h.answers[..third].chunks(kept_shared::limits::MAX_BATCH_ANSWERS) {
        kept_server::ingest::ingest(db, &shop, chunk.to_vec(), began_at)
            .await
            .unwrap();
    }

    demo::seed_history(db).await.unwrap();
    let finished = held(db, began).await;
    assert_eq!(
        (finished.0, finished.1),
        (h.answers.len() as u64, purchases),
        "the year that began, whole"
    );
    assert!(finished.2 > 0 && finished.3 > 0, "{finished:?}");
    demo::seed_history(db).await.unwrap();
    assert_eq!(held(db, began).await, finished);
}
