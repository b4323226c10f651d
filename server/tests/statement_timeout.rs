//! A statement PostgreSQL cannot finish in time (a table locked by someone
//! else: a migration by hand, a long report in psql) is given up after the
//! store's statement timeout and answered as busy: one such lock had held every
//! connection of an instance, and every route with them, for as long as it
//! lasted, the requests' own timeout leaving their statements running.

#[macro_use]
mod common;

use std::time::Duration;

use common::{Engine, fresh_db_url};
use kept_server::db::postgres::PgDatabase;
use kept_server::db::{Database, DbError, NewPurchase};

/// A new store whose requests' statements are given up after 300 ms, with the
/// demo shop, and another session, which holds its `table` locked until it
/// rolls back.
async fn a_store_and_a_lock_on_it(table: &str) -> (PgDatabase, tokio_postgres::Client) {
    let (url, _) = fresh_db_url(Engine::Postgres).await;
    let db = PgDatabase::connect_with(&url, Duration::from_millis(300))
        .await
        .unwrap();
    kept_server::demo::seed(&db, &[]).await.unwrap();
    let (locker, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    locker
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        ))
        .await
        .unwrap();
    (db, locker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_held_by_a_lock_is_given_up_as_busy() {
    let (db, locker) = a_store_and_a_lock_on_it("shops").await;
    // Well past the statement timeout: a read that waits for the lock fails
    // this, rather than hanging the test.
    let read = tokio::time::timeout(Duration::from_secs(15), db.shop("demo"))
        .await
        .expect("the statement is given up, not left waiting for the lock");
    assert!(matches!(read, Err(DbError::Unavailable(_))), "{read:?}");
    locker.batch_execute("ROLLBACK").await.unwrap();
    // Its connection back in the pool, and working.
    assert!(matches!(db.shop("demo").await, Ok(Some(_))));
}

/// A job runs as long as its data needs: an import, which reads the purchases
/// its file names and then stores them, waiting behind a lock longer than a
/// request's statement may, is not given up (an import behind a lock on the
/// shop or on its purchases had been cut short at 20 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_waits_past_the_statement_timeout() {
    for table in ["shops", "purchases"] {
        let (db, locker) = a_store_and_a_lock_on_it(table).await;
        let now = chrono::Utc::now();
        let purchase = NewPurchase {
            purchase_id: "p-1".into(),
            customer_ref: "ann".into(),
            amount_cents: 1250,
            points: 12,
            purchased_at: now,
            day: now.date_naive(),
            store: None,
            time_given: true,
        };
        let db = std::sync::Arc::new(db);
        let shop = kept_server::demo::SHOP_ID;
        let import = tokio::spawn({
            let db = db.clone();
            async move {
                let known = db.known_purchases(shop, vec!["p-1".into()]).await?;
                assert!(known.is_empty());
                db.import_purchases(shop, vec![purchase]).await
            }
        });
        // Until it has waited for the lock well past the statement timeout.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let waited: bool = locker
                .query_one(
                    "SELECT count(*) > 0 FROM pg_stat_activity
                     WHERE wait_event_type = 'Lock' AND clock_timestamp() - query_start > interval '1 second'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if waited {
                break;
            }
            assert!(
                !import.is_finished(),
                "{table}: the import ended before the lock was let go: {:?}",
                import.await
            );
            assert!(
                std::time::Instant::now() < deadline,
                "{table}: the import never waited for the lock"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        locker.batch_execute("ROLLBACK").await.unwrap();
        let outcome = import
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{table}: the import waited, and stored its purchase: {e}"));
        assert_eq!(outcome.imported, 1, "{table}");
    }
}
