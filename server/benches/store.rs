//! Batch ingest and report computation on a real SQLite file.

use chrono::{Duration, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kept_server::{Store, demo, report, store};
use kept_shared::{Answer, AnswerValue, Channel, Period};
use uuid::Uuid;

fn batch(n: usize, offset: usize) -> Vec<Answer> {
    let now = Utc::now();
    (0..n)
        .map(|i| Answer {
            id: Uuid::new_v4(),
            shop: demo::SHOP_ID.into(),
            survey: demo::NPS_SURVEY.into(),
            channel: if i % 3 == 0 {
                Channel::Kiosk
            } else {
                Channel::Web
            },
            customer_ref: Some(format!("c{}", (i + offset) % 1000)),
            order_ref: None,
            answered_at: now - Duration::minutes(((i + offset) % (60 * 24 * 300)) as i64),
            value: AnswerValue::Nps {
                score: ((i + offset) % 11) as u8,
                reason: Some("because".into()),
            },
        })
        .collect()
}

fn fresh_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&dir.path().join("bench.db")).unwrap();
    demo::seed(&store, &[]).unwrap();
    store
}

fn ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let s = fresh_store(&dir);
    let mut offset = 0;
    c.bench_function("store a batch of 100 new answers", |b| {
        b.iter(|| {
            let answers = batch(100, offset);
            offset += 100;
            s.with_conn(|c| store::store_batch(c, demo::SHOP_ID, &answers, Utc::now()))
                .unwrap()
        })
    });
    let answers = batch(100, 0);
    s.with_conn(|c| store::store_batch(c, demo::SHOP_ID, &answers, Utc::now()))
        .unwrap();
    c.bench_function("re-send a batch of 100 known answers", |b| {
        b.iter(|| {
            s.with_conn(|c| store::store_batch(c, demo::SHOP_ID, &answers, Utc::now()))
                .unwrap()
        })
    });
}

fn reports(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let s = fresh_store(&dir);
    for chunk in 0..1000 {
        let answers = batch(100, chunk * 100);
        s.with_conn(|c| store::store_batch(c, demo::SHOP_ID, &answers, Utc::now()))
            .unwrap();
    }
    let to = Utc::now().date_naive();
    let from: NaiveDate = to - Duration::days(365);
    for period in [Period::Day, Period::Month] {
        c.bench_function(&format!("report over 100k answers by {period:?}"), |b| {
            b.iter(|| {
                let (rows, reasons) = s
                    .with_conn(|c| store::report_rows(c, demo::SHOP_ID, from, to, period))
                    .unwrap();
                report::build(from, to, period, &rows, &reasons)
            })
        });
    }
}

criterion_group!(benches, ingest, reports);
criterion_main!(benches);
