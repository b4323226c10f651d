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
use kept_server::db::{Database, DbError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_held_by_a_lock_is_given_up_as_busy() {
    let (url, _) = fresh_db_url(Engine::Postgres).await;
    let db = PgDatabase::connect_with(&url, Duration::from_millis(300))
        .await
        .unwrap();
    let (locker, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    locker
        .batch_execute("BEGIN; LOCK TABLE shops IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // Well past the statement timeout: a read that waits for the lock fails
    // this, rather than hanging the test.
    let read = tokio::time::timeout(Duration::from_secs(15), db.shop("demo"))
        .await
        .expect("the statement is given up, not left waiting for the lock");
    assert!(matches!(read, Err(DbError::Unavailable(_))), "{read:?}");
    locker.batch_execute("ROLLBACK").await.unwrap();
    // Its connection back in the pool, and working.
    assert!(matches!(db.shop("demo").await, Ok(None)));
}
