//! A store of its own for each test or bench run, on either engine: a SQLite
//! file in a temporary directory, or a new database in the throw-away
//! PostgreSQL cluster of `scripts/pg-test-cluster.sh` (`KEPT_TEST_POSTGRES`, or
//! started here when unset). The tests' fixture and the benches both use it
//! (the benches by `#[path]`).

#![allow(dead_code)]

use std::sync::OnceLock;

use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The URL of the test PostgreSQL cluster's admin database.
fn postgres_admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("KEPT_TEST_POSTGRES") {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-test-cluster.sh");
        let out = std::process::Command::new(script)
            .arg("start")
            .output()
            .expect("running scripts/pg-test-cluster.sh");
        assert!(
            out.status.success(),
            "could not start the test PostgreSQL cluster: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// A store of its own for one test: a SQLite file in a temporary directory, or a
/// new database in the test cluster. Returns the `--db` value and the directory to
/// keep alive.
pub async fn fresh_db_url(engine: Engine) -> (String, Option<TempDir>) {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("kept.db").to_string_lossy().into_owned();
            (path, Some(dir))
        }
        Engine::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("kept_test_{}", uuid::Uuid::new_v4().simple());
            let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
                .await
                .expect("connecting to the test PostgreSQL cluster");
            let conn = tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            drop(client);
            let _ = conn.await;
            let url = match admin.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("KEPT_TEST_POSTGRES must end in /DATABASE"),
            };
            (url, None)
        }
    }
}
