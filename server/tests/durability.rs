//! Acknowledged means durable: the real `kept-server` process killed with SIGKILL
//! mid-stream keeps every answer it acknowledged, and no half batch; the SQLite
//! write-ahead log stays bounded under load and shrinks when the server is quiet.

#[macro_use]
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Engine, KeptProcess, TestApp, free_port, fresh_db_url};
use kept_server::db::sqlite::writer::WAL_CHECKPOINT_BYTES;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{SyncBatch, SyncReceipt, api};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_answers_survive_kill_9() {
    acknowledged_answers_survive_kill_9(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_answers_survive_kill_9() {
    acknowledged_answers_survive_kill_9(Engine::Postgres).await;
}

async fn acknowledged_answers_survive_kill_9(engine: Engine) {
    const SENDERS: usize = 4;
    const BATCH: usize = 50;
    let (db_url, _dir) = fresh_db_url(engine).await;
    let port = free_port();
    let server = KeptProcess::start(&db_url, port).await;
    let url = format!("{}{}", server.url, api::answers(demo::PUBLIC_KEY));
    let sent: Arc<Mutex<Vec<Vec<Uuid>>>> = Arc::default();
    let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (url, sent, acked, stop) = (url.clone(), sent.clone(), acked.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let answers: Vec<_> = (0..BATCH)
                    .map(|i| {
                        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, (i % 11) as u8).build()
                    })
                    .collect();
                sent.lock()
                    .unwrap()
                    .push(answers.iter().map(|a| a.id).collect());
                let Ok(resp) = http.post(&url).json(&SyncBatch { answers }).send().await else {
                    break; // the server is gone
                };
                let Ok(receipt) = resp.json::<SyncReceipt>().await else {
                    break;
                };
                acked.lock().unwrap().extend(receipt.stored);
            }
        }));
    }
    // Kill it once it has acknowledged a good number of batches, mid-stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 40 * BATCH {
        assert!(
            Instant::now() < deadline,
            "the server acknowledged too little"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill_9().await;
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }

    let again = KeptProcess::start(&db_url, port).await;
    let db = kept_server::db::open(&db_url).await.unwrap();
    let stored: HashSet<Uuid> = db
        .answers(demo::SHOP_ID)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.answer.id)
        .collect();
    let acked = acked.lock().unwrap().clone();
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged answers are gone after kill -9",
        lost.len()
    );
    for batch in sent.lock().unwrap().iter() {
        let present = batch.iter().filter(|id| stored.contains(id)).count();
        assert!(
            present == 0 || present == batch.len(),
            "a batch is half stored: {present} of {}",
            batch.len()
        );
    }
    again.stop().await;
}

/// The old server let the WAL grow to gigabytes under load (readers always holding
/// a snapshot starved the checkpoints) and never shrank it while it ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_write_ahead_log_stays_bounded_and_shrinks_when_quiet() {
    let app = Arc::new(TestApp::new(Engine::Sqlite).await);
    let wal = format!("{}-wal", app.db_url);
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let done = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for writer in 0..4 {
        let app = app.clone();
        load.push(tokio::spawn(async move {
            for n in 0..60 {
                let answers: Vec<_> = (0..100)
                    .map(|i| {
                        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, ((writer + n + i) % 11) as u8)
                            .reason("a reason long enough to make the rows and the log grow a little faster")
                            .customer(&format!("c{}", (n * 100 + i) % 997))
                            .build()
                    })
                    .collect();
                app.send_answers(&answers).await;
            }
        }));
    }
    for _ in 0..2 {
        let (app, done) = (app.clone(), done.clone());
        load.push(tokio::spawn(async move {
            // Readers all the time, as widgets asking for surveys do.
            while !done.load(Ordering::Relaxed) {
                app.get(&api::surveys(demo::PUBLIC_KEY)).await;
                app.report("period=day").await;
            }
        }));
    }
    let mut largest = 0;
    while load[..4].iter().any(|t| !t.is_finished()) {
        largest = largest.max(wal_size());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    assert_eq!(app.stored().await.len(), 4 * 60 * 100);
    assert!(
        largest <= WAL_CHECKPOINT_BYTES + 8 * 1024 * 1024,
        "the WAL reached {largest} bytes under load"
    );
    // Quiet: the writer truncates the log.
    let deadline = Instant::now() + Duration::from_secs(10);
    while wal_size() > 64 * 1024 {
        assert!(
            Instant::now() < deadline,
            "the WAL is still {} bytes after a quiet while",
            wal_size()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A SQLite file the server may read but not write is refused at start, saying
/// so, instead of serving and failing every write: the database itself, or a
/// shared-memory file left beside it by another user. (As root, which may write
/// anything, the server runs as `nobody` for this.)
#[tokio::test]
async fn a_sqlite_file_that_cannot_be_written_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for stuck in ["kept.db", "kept.db-shm"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.db");
        {
            let store = kept_server::db::open(path.to_str().unwrap()).await.unwrap();
            demo::seed(store.as_ref(), &[]).await.unwrap();
        }
        // Closed: its writer thread's last close removes the WAL and the
        // shared-memory file, which must not take the one placed below with it.
        let (wal, shm) = (
            dir.path().join("kept.db-wal"),
            dir.path().join("kept.db-shm"),
        );
        let closed = Instant::now() + Duration::from_secs(30);
        while wal.exists() || shm.exists() {
            assert!(Instant::now() < closed, "the store did not close");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        mode(dir.path(), 0o777);
        mode(&path, 0o666);
        let file = dir.path().join(stuck);
        if !file.exists() {
            std::fs::write(&file, []).unwrap();
        }
        mode(&file, 0o444);
        refused_at_start(&path, stuck).await;
    }
}

async fn refused_at_start(path: &std::path::Path, stuck: &str) {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_kept-server"));
    server
        .args(["--db", path.to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    let root = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&root.stdout).trim() == "0" {
        server.uid(65534).gid(65534);
    }
    let ran = tokio::time::timeout(Duration::from_secs(60), server.output())
        .await
        .expect("kept-server stops at once")
        .unwrap();
    let said = String::from_utf8_lossy(&ran.stderr);
    assert!(!ran.status.success(), "{said}");
    assert!(
        said.contains(&format!("{stuck} can be read but not written")),
        "{said}"
    );
}
