//! The one writer of a SQLite database: a thread that owns the write connection
//! and runs every write the server asks for.
//!
//! SQLite lets one transaction write at a time. Many connections taking turns
//! through the busy handler is slow, and a deferred transaction that reads before
//! it writes can fail at once with `SQLITE_BUSY_SNAPSHOT` when another writer moved
//! on. Here every write runs on this thread, inside `BEGIN IMMEDIATE` (so a second
//! process, such as the CLI, waits for the lock up front, within the busy timeout),
//! and writes that queue up while one commits go together into the next
//! transaction ("group commit"), each in a savepoint of its own: one fsync makes
//! them all durable, and one that fails is rolled back alone. A caller hears of
//! its write only after the commit, so an acknowledged write is on disk.
//!
//! The thread also bounds the write-ahead log: after a commit that leaves it past
//! [`WAL_CHECKPOINT_BYTES`], and whenever the server is idle for
//! [`IDLE_CHECKPOINT_AFTER`], it checkpoints and truncates it. Readers holding a
//! snapshot (exports) defer that; past [`WAL_CUT_EXPORTS_BYTES`] the exports
//! are cut short, so that the log can be reset.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::db::snapshot::ExportTurns;
use crate::db::{DbError, DbResult};

/// Most writes committed together.
const MAX_GROUP: usize = 64;
/// WAL size past which the writer checkpoints and truncates it after a commit.
pub const WAL_CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;
/// Longest a checkpoint waits for readers of old frames.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(100);
/// WAL size past which the exports whose snapshots keep it from being reset
/// are cut short. Every write of every shop slows as the log grows: an outside
/// test measured 1.9 GB, and writes ten times slower, under four exports held
/// open by slow readers for a quarter of an hour.
pub const WAL_CUT_EXPORTS_BYTES: u64 = 256 * 1024 * 1024;
/// Quiet time after which the writer truncates any WAL left.
pub const IDLE_CHECKPOINT_AFTER: Duration = Duration::from_millis(500);

/// A write waiting for its turn: it runs, and hears of the commit afterwards.
trait WriteJob: Send {
    /// Runs the write on `conn` (inside a savepoint); returns whether it succeeded
    /// and what to do once the commit's outcome is known.
    fn run(self: Box<Self>, conn: &Connection) -> Ran;
    /// The transaction could not even start: tell the caller.
    fn fail(self: Box<Self>, error: DbError);
}

struct Ran {
    ok: bool,
    finish: Box<dyn FnOnce(Option<DbError>) + Send>,
}

struct Job<T, F> {
    write: F,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> DbResult<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> Ran {
        let Job { write, reply } = *self;
        // A panicking write must not take the writer thread (and every later write) with it.
        let result =
            std::panic::catch_unwind(AssertUnwindSafe(|| write(conn))).unwrap_or_else(|_| {
                Err(DbError::internal(anyhow::anyhow!(
                    "a database write panicked"
                )))
            });
        Ran {
            ok: result.is_ok(),
            finish: Box::new(move |commit_error| {
                let _ = reply.send(match commit_error {
                    Some(e) if result.is_ok() => Err(e),
                    _ => result,
                });
            }),
        }
    }

    fn fail(self: Box<Self>, error: DbError) {
        let _ = self.reply.send(Err(error));
    }
}

/// The handle the store keeps: sends writes to the writer thread. When the last
/// handle is dropped the thread finishes the queued writes and ends.
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn WriteJob>>,
}

impl Writer {
    /// Starts the writer thread on `conn` (already configured). `wal` is the path
    /// of the database's write-ahead log, watched to bound it.
    pub fn start(conn: Connection, wal: PathBuf, limit: WalLimit) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("kept-sqlite-writer".into())
            .spawn(move || run(conn, queue, wal, limit))?;
        Ok(Writer { jobs })
    }

    /// Runs `write` in the next transaction and returns its result once committed.
    pub async fn write<T, F>(&self, write: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Job { write, reply }))
            .map_err(|_| DbError::internal(anyhow::anyhow!("the SQLite writer has stopped")))?;
        answer
            .await
            .map_err(|_| DbError::internal(anyhow::anyhow!("the SQLite writer dropped a write")))?
    }

    /// Runs `write` from a thread that may block (the CLI, tests, benches).
    pub fn write_blocking<T, F>(&self, write: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Job { write, reply }))
            .map_err(|_| DbError::internal(anyhow::anyhow!("the SQLite writer has stopped")))?;
        answer
            .blocking_recv()
            .map_err(|_| DbError::internal(anyhow::anyhow!("the SQLite writer dropped a write")))?
    }
}

/// How far the WAL may grow while exports' snapshots keep it from being
/// reset, and the exports to cut short past that.
pub struct WalLimit {
    pub bytes: u64,
    pub exports: ExportTurns,
}

impl WalLimit {
    /// The WAL size past which the next commit checkpoints, after `truncation`.
    /// A WAL kept past the limit while exports run cuts them short first (then
    /// the next commit tries again); kept by anything else, the checkpoint is
    /// tried again only once the log has grown by another step.
    fn next_commit_limit(&self, truncation: Truncation, commit_limit: u64) -> u64 {
        match truncation {
            Truncation::Blocked { size } if size > self.bytes && self.exports.any_running() => {
                tracing::warn!(
                    "the SQLite WAL is {size} bytes, kept by exports' snapshots: cutting them short"
                );
                self.exports.cut_all();
                WAL_CHECKPOINT_BYTES
            }
            Truncation::Blocked { size } => size + WAL_CHECKPOINT_BYTES,
            Truncation::Done => WAL_CHECKPOINT_BYTES,
            Truncation::NotNeeded => commit_limit,
        }
    }
}

fn run(conn: Connection, queue: mpsc::Receiver<Box<dyn WriteJob>>, wal: PathBuf, limit: WalLimit) {
    // The WAL size past which a commit is followed by a checkpoint. Raised while
    // a reader's snapshot blocks the truncation (an export), so the writes meet
    // the checkpoint's wait once per further [`WAL_CHECKPOINT_BYTES`], not after
    // every commit; past the limit, the exports are cut short and the next
    // commit tries again.
    let mut commit_limit = WAL_CHECKPOINT_BYTES;
    loop {
        let first = match queue.recv_timeout(IDLE_CHECKPOINT_AFTER) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let truncation = truncate_wal_if_over(&conn, &wal, 0);
                commit_limit = limit.next_commit_limit(truncation, commit_limit);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&conn, group);
        let truncation = truncate_wal_if_over(&conn, &wal, commit_limit);
        commit_limit = limit.next_commit_limit(truncation, commit_limit);
    }
    // The store is closing: leave no WAL behind.
    truncate_wal_if_over(&conn, &wal, 0);
}

fn commit_group(conn: &Connection, group: Vec<Box<dyn WriteJob>>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let failed = Failed::of(e);
        for job in group {
            job.fail(failed.error());
        }
        return;
    }
    let mut finishes = Vec::with_capacity(group.len());
    let mut broken: Option<Failed> = None;
    for job in group {
        if let Some(failed) = &broken {
            job.fail(failed.error());
            continue;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            let failed = Failed::of(e);
            job.fail(failed.error());
            broken = Some(failed);
            continue;
        }
        let ran = job.run(conn);
        let end = if ran.ok {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if let Err(e) = conn.execute_batch(end) {
            broken = Some(Failed::of(e));
        }
        finishes.push(ran.finish);
    }
    let outcome = match broken {
        Some(failed) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(failed)
        }
        None => conn.execute_batch("COMMIT").map_err(|e| {
            let failed = Failed::of(e);
            let _ = conn.execute_batch("ROLLBACK");
            failed
        }),
    };
    for finish in finishes {
        finish(outcome.as_ref().err().map(Failed::error));
    }
}

/// A group's failure, told to each of its callers alike (errors are not
/// `Clone`): its kind (busy, disk full, other) and its message.
struct Failed {
    kind: fn(anyhow::Error) -> DbError,
    message: String,
}

impl Failed {
    fn of(e: rusqlite::Error) -> Failed {
        let message = e.to_string();
        let kind = match DbError::from(e) {
            DbError::Unavailable(_) => DbError::Unavailable,
            DbError::StorageFull(_) => DbError::StorageFull,
            _ => DbError::Internal,
        };
        Failed { kind, message }
    }

    fn error(&self) -> DbError {
        (self.kind)(anyhow::anyhow!("{}", self.message))
    }
}

/// Checkpoints the whole WAL into the database and truncates it, if it is larger
/// than `limit` bytes. Waits up to [`CHECKPOINT_WAIT`] for readers still using
/// old frames (new readers read the database file meanwhile); a reader that
/// holds a snapshot longer (an export) only defers the truncation to a later
/// try, instead of holding up every write behind it for the busy timeout.
fn truncate_wal_if_over(conn: &Connection, wal: &std::path::Path, limit: u64) -> Truncation {
    let size = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
    if size <= limit {
        return Truncation::NotNeeded;
    }
    // The first column says whether readers kept it from finishing.
    let checkpoint = conn.busy_timeout(CHECKPOINT_WAIT).and_then(|()| {
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        })
    });
    if let Err(e) = conn.busy_timeout(super::BUSY_TIMEOUT) {
        tracing::warn!("could not restore the SQLite busy timeout: {e}");
    }
    match checkpoint {
        Ok(0) => Truncation::Done,
        Ok(_) => {
            tracing::debug!("a reader's snapshot defers truncating the SQLite WAL ({size} bytes)");
            Truncation::Blocked { size }
        }
        Err(e) => {
            tracing::warn!("could not checkpoint the SQLite WAL ({size} bytes): {e}");
            Truncation::Blocked { size }
        }
    }
}

/// What became of a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truncation {
    /// The WAL was within its limit.
    NotNeeded,
    /// Checkpointed and truncated.
    Done,
    /// Readers (or an error) kept it from finishing, at this size.
    Blocked { size: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk is told as such to the writes that met it (the HTTP layer
    /// answers 507), and the writer goes on once there is room again.
    #[tokio::test]
    async fn a_full_disk_is_told_as_such_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("full.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB); PRAGMA max_page_count = 8;",
        )
        .unwrap();
        let limit = WalLimit {
            bytes: WAL_CUT_EXPORTS_BYTES,
            exports: ExportTurns::default(),
        };
        let writer = Writer::start(conn, dir.path().join("full.db-wal"), limit).unwrap();
        let mut full = None;
        for _ in 0..64 {
            let written = writer
                .write(|c| {
                    c.execute("INSERT INTO t VALUES (zeroblob(2000))", [])?;
                    Ok(())
                })
                .await;
            if let Err(e) = written {
                full = Some(e);
                break;
            }
        }
        assert!(matches!(full, Some(DbError::StorageFull(_))), "{full:?}");
        writer
            .write(|c| {
                c.execute_batch("DELETE FROM t; PRAGMA max_page_count = 1000;")?;
                Ok(())
            })
            .await
            .unwrap();
        writer
            .write(|c| {
                c.execute("INSERT INTO t VALUES (zeroblob(2000))", [])?;
                Ok(())
            })
            .await
            .unwrap();
    }

    /// An export whose snapshot keeps the WAL from being reset (its reader
    /// stopped reading) is cut short once the log passes the limit; the log
    /// is then reset.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exports_holding_the_wal_past_its_limit_are_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("held.db");
        let wal = dir.path().join("held.db-wal");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB);")
            .unwrap();
        let exports = ExportTurns::default();
        let limit = WalLimit {
            bytes: 2 * WAL_CHECKPOINT_BYTES,
            exports: exports.clone(),
        };
        let writer = Writer::start(conn, wal.clone(), limit).unwrap();
        let turn = exports.wait().await.unwrap();
        let (pages, _received) = turn.channel::<u8>();
        let snapshot = Connection::open(&path).unwrap();
        let reading = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            snapshot.execute_batch("BEGIN; SELECT count(*) FROM t;")?;
            // Pages no one takes: the reading waits, holding its snapshot.
            pages.read_blocking(|| Ok(vec![0u8; crate::db::snapshot::EXPORT_PAGE as usize]))
        });
        let mut writes = 0;
        while !reading.is_finished() {
            writes += 1;
            assert!(writes < 200, "the export was never cut short");
            writer
                .write(|c| {
                    c.execute("INSERT INTO t VALUES (zeroblob(1048576))", [])?;
                    Ok(())
                })
                .await
                .unwrap();
        }
        let ended = reading.await.unwrap().unwrap_err().to_string();
        assert!(ended.contains("cut short"), "{ended}");
        // Its snapshot gone, the next commits reset the log.
        let mut more = 0;
        while std::fs::metadata(&wal).unwrap().len() > WAL_CHECKPOINT_BYTES {
            more += 1;
            assert!(more < 20, "the WAL was not reset");
            writer
                .write(|c| {
                    c.execute("INSERT INTO t VALUES (1)", [])?;
                    Ok(())
                })
                .await
                .unwrap();
        }
    }
}
