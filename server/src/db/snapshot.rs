//! Exports read from one snapshot of the store: every page of a CSV export comes
//! from the same moment, so rows written while a long export streams neither
//! repeat nor go missing (paging with OFFSET across separate reads does both).
//!
//! A snapshot holds a connection (and, on SQLite, keeps the write-ahead log from
//! being reset past it) for as long as the export runs, so at most
//! [`MAX_EXPORTS`] run at once and each ends by [`EXPORT_DEADLINE`].
//!
//! Each engine opens its snapshot and runs the listing's query once, as a
//! cursor, reading the next page of it on demand: the whole export is one pass
//! over the rows (paging with OFFSET, each page would read past all the rows
//! before it, so a long export slowed as it went). The paging, the deadline
//! (also for a reader that stops reading) and how the end is told are here,
//! for both. The export's last message is
//! [`Export::Done`]: an export that ends without it (an error, the deadline) is
//! told as cut short, so a truncated file is never a whole one.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use futures_util::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::{DbError, DbResult};

/// Rows read and sent per page of an export.
pub const EXPORT_PAGE: u64 = 1000;
/// Exports that may hold a snapshot at once (per server).
pub const MAX_EXPORTS: usize = 4;
/// Longest an export may hold its snapshot; one still streaming then is cut off.
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// Longest an export waits for its turn before the answer is "busy".
pub const EXPORT_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Longest a failed export waits for its reader to take the error.
const ERROR_WAIT: Duration = Duration::from_secs(5);

/// What an export sends: a page of rows, and at the end, that it is done.
#[derive(Debug)]
pub enum Export<T> {
    Rows(Vec<T>),
    Done,
}

/// The pages of an export, as the store reads them; the reading stops when the
/// receiver is dropped.
pub type ExportPages<T> = mpsc::Receiver<DbResult<Export<T>>>;

/// The turns of the exports of one store, and how long each may take.
#[derive(Clone)]
pub struct ExportTurns {
    turns: Arc<Semaphore>,
    total: usize,
    longest: Duration,
    /// Counts the times the store cut every running export short.
    cuts: Arc<watch::Sender<u64>>,
}

impl Default for ExportTurns {
    fn default() -> Self {
        ExportTurns::new(MAX_EXPORTS, EXPORT_DEADLINE)
    }
}

/// An export's turn: held until its snapshot ends.
pub struct ExportTurn {
    _permit: OwnedSemaphorePermit,
    deadline: Instant,
    cuts: watch::Receiver<u64>,
}

impl ExportTurns {
    /// `turns` exports at once, each cut off after `longest` (the defaults are
    /// [`MAX_EXPORTS`] and [`EXPORT_DEADLINE`]; tests take less).
    pub fn new(turns: usize, longest: Duration) -> ExportTurns {
        ExportTurns {
            turns: Arc::new(Semaphore::new(turns)),
            total: turns,
            longest,
            cuts: Arc::new(watch::channel(0).0),
        }
    }

    /// Whether an export is running (holds a turn).
    pub fn any_running(&self) -> bool {
        self.turns.available_permits() < self.total
    }

    /// Cuts every running export short (SQLite's writer does, when their
    /// snapshots keep its write-ahead log from being reset for too long); each
    /// ends with the error of [`cut_short`]. Callable from any thread.
    pub fn cut_all(&self) {
        self.cuts.send_modify(|cuts| *cuts += 1);
    }

    /// Waits for a turn; its deadline counts from now.
    pub async fn wait(&self) -> DbResult<ExportTurn> {
        match tokio::time::timeout(EXPORT_QUEUE_WAIT, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(ExportTurn {
                _permit: permit,
                deadline: Instant::now() + self.longest,
                cuts: self.cuts.subscribe(),
            }),
            _ => Err(DbError::AtCapacity(format!(
                "{} exports are running already; try again in half a minute",
                self.total
            ))),
        }
    }
}

impl ExportTurn {
    /// Where this export sends its pages, and where its reader takes them.
    pub fn channel<T>(&self) -> (PageSender<T>, ExportPages<T>) {
        let (pages, received) = mpsc::channel(1);
        let sender = PageSender {
            pages,
            deadline: self.deadline,
            cuts: self.cuts.clone(),
        };
        (sender, received)
    }
}

/// Where the store sends an export's pages, until the export's deadline or
/// until the store cuts it short.
pub struct PageSender<T> {
    pages: mpsc::Sender<DbResult<Export<T>>>,
    deadline: Instant,
    cuts: watch::Receiver<u64>,
}

impl<T> Clone for PageSender<T> {
    fn clone(&self) -> Self {
        PageSender {
            pages: self.pages.clone(),
            deadline: self.deadline,
            cuts: self.cuts.clone(),
        }
    }
}

/// Runs `export` (which opens the snapshot and reads it with
/// [`PageSender::read`]) until the deadline at the latest; a failure is told
/// to the reader if it takes it.
pub async fn run<T>(pages: &PageSender<T>, export: impl Future<Output = DbResult<()>>) {
    let failed = match tokio::time::timeout_at(pages.deadline, export).await {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e,
        Err(_) => cut_off(),
    };
    // A reader too slow to take it still learns: no `Done` comes.
    let _ = tokio::time::timeout(ERROR_WAIT, pages.pages.send(Err(failed))).await;
}

/// The error an export the store cut short ends with.
pub fn cut_short() -> DbError {
    DbError::Unavailable(anyhow::anyhow!(
        "the export was cut short: while it ran, so many writes came in that the \
         database needed its snapshot back; try again"
    ))
}

/// The error an export past its deadline ends with.
pub fn cut_off() -> DbError {
    DbError::Unavailable(anyhow::anyhow!(
        "the export took longer than {} minutes and was cut off",
        EXPORT_DEADLINE.as_secs() / 60
    ))
}

impl<T: Send> PageSender<T> {
    /// Reads `next()`, the next [`EXPORT_PAGE`] rows of the export's cursor,
    /// until a page comes back short, sending each as the receiver takes it,
    /// then [`Export::Done`]. Stops early, without an error, when the receiver
    /// is gone; with the error of [`cut_off`] at the deadline, also while it
    /// waits for a reader that stopped reading.
    pub async fn read<'a, F>(&self, mut next: F) -> DbResult<()>
    where
        F: FnMut() -> BoxFuture<'a, DbResult<Vec<T>>>,
    {
        loop {
            if Instant::now() >= self.deadline {
                return Err(cut_off());
            }
            if self.cuts.has_changed().unwrap_or(false) {
                return Err(cut_short());
            }
            let rows = next().await?;
            let last = (rows.len() as u64) < EXPORT_PAGE;
            if !rows.is_empty() && !self.send(Export::Rows(rows)).await? {
                return Ok(());
            }
            if last {
                self.send(Export::Done).await?;
                return Ok(());
            }
        }
    }

    /// [`read`](Self::read) for a cursor read on a blocking thread (SQLite's):
    /// the thread waits for the reader, and stops at the deadline like any.
    pub fn read_blocking(&self, mut next: impl FnMut() -> DbResult<Vec<T>>) -> DbResult<()> {
        tokio::runtime::Handle::current()
            .block_on(self.read(|| Box::pin(std::future::ready(next()))))
    }

    /// Sends one message, waiting for the reader until the deadline or a cut;
    /// false when the reader is gone.
    async fn send(&self, message: Export<T>) -> DbResult<bool> {
        let mut cuts = self.cuts.clone();
        tokio::select! {
            // A cut wins over a reader that takes the page at the same moment.
            biased;
            Ok(()) = cuts.changed() => Err(cut_short()),
            sent = tokio::time::timeout_at(self.deadline, self.pages.send(Ok(message))) => match sent {
                Ok(sent) => Ok(sent.is_ok()),
                Err(_) => Err(cut_off()),
            },
        }
    }
}

/// The pages of an export as its reader takes them: each page, then the end;
/// or an error, also when the export ended without saying it was done.
pub fn rows<T: Send + 'static>(pages: ExportPages<T>) -> impl Stream<Item = DbResult<Vec<T>>> {
    futures_util::stream::unfold(Some(pages), |pages| async move {
        let mut pages = pages?;
        let item = match pages.recv().await {
            Some(Ok(Export::Rows(rows))) => return Some((Ok(rows), Some(pages))),
            Some(Ok(Export::Done)) => return None,
            Some(Err(e)) => Err(e),
            None => Err(DbError::internal(anyhow::anyhow!(
                "the export ended before its last page"
            ))),
        };
        Some((item, None))
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// An export of `sizes` pages, where page `fail_at` (if any) fails.
    async fn export(
        sizes: Vec<usize>,
        fail_at: Option<usize>,
        deadline: Duration,
    ) -> Vec<DbResult<usize>> {
        let turn = ExportTurns::new(1, deadline).wait().await.unwrap();
        let (pages, received) = turn.channel();
        tokio::spawn(async move {
            let pages = pages;
            run(&pages, async {
                let mut read = 0;
                pages
                    .read(|| {
                        let n = read;
                        read += 1;
                        let size = sizes.get(n).copied().unwrap_or(0);
                        Box::pin(async move {
                            if Some(n) == fail_at {
                                return Err(DbError::internal(anyhow::anyhow!("page {n} failed")));
                            }
                            if size == usize::MAX {
                                std::future::pending::<()>().await;
                            }
                            Ok(vec![0u8; size])
                        })
                    })
                    .await
            })
            .await
        });
        rows(received)
            .map(|page| page.map(|rows| rows.len()))
            .collect()
            .await
    }

    fn sizes(got: &[DbResult<usize>]) -> Vec<Result<usize, String>> {
        got.iter()
            .map(|r| r.as_ref().map(|n| *n).map_err(|e| e.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn an_export_ends_after_its_short_page_and_says_so_when_cut_short() {
        let long = Duration::from_secs(60);
        let full = EXPORT_PAGE as usize;
        assert_eq!(
            sizes(&export(vec![full, full, 3], None, long).await),
            [Ok(full), Ok(full), Ok(3)]
        );
        assert_eq!(
            sizes(&export(vec![full, full], None, long).await),
            [Ok(full), Ok(full)]
        );
        let failed = sizes(&export(vec![full, full, 3], Some(1), long).await);
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(failed[1].as_ref().unwrap_err().contains("page 1 failed"));
        // Past the deadline, a page that never comes: the reader is told.
        let cut = sizes(&export(vec![full, usize::MAX], None, Duration::from_millis(200)).await);
        assert_eq!(cut.len(), 2, "{cut:?}");
        assert!(cut[1].as_ref().unwrap_err().contains("cut off"), "{cut:?}");
    }

    /// A reader that stops reading does not hold the export past its
    /// deadline: the reading ends with the cut-off, on the async runtime and on
    /// a blocking thread (SQLite's) alike.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_that_stops_reading_does_not_hold_the_export_past_its_deadline() {
        for blocking in [false, true] {
            let turns = ExportTurns::new(1, Duration::from_millis(200));
            let turn = turns.wait().await.unwrap();
            let (pages, mut received) = turn.channel::<u8>();
            let endless = || Ok(vec![0u8; EXPORT_PAGE as usize]);
            let reading = if blocking {
                tokio::task::spawn_blocking(move || {
                    let _turn = turn;
                    pages.read_blocking(endless)
                })
            } else {
                tokio::spawn(async move {
                    let _turn = turn;
                    pages.read(|| Box::pin(std::future::ready(endless()))).await
                })
            };
            // One page taken, then no more.
            assert!(matches!(received.recv().await, Some(Ok(Export::Rows(_)))));
            let ended = tokio::time::timeout(Duration::from_secs(10), reading)
                .await
                .expect("the reading ends by its deadline")
                .unwrap();
            assert!(ended.unwrap_err().to_string().contains("cut off"));
            turns.wait().await.expect("its turn is free again");
        }
    }

    /// A cut ends the exports running then, also one whose reader keeps
    /// reading (between two pages); an export started after it runs to its end.
    #[tokio::test]
    async fn a_cut_ends_the_exports_running_then_and_none_started_after() {
        let turns = ExportTurns::new(2, Duration::from_secs(60));
        let before = turns.wait().await.unwrap();
        let (pages, mut received) = before.channel::<u8>();
        let reading = tokio::spawn(async move {
            let _turn = before;
            pages
                .read(|| Box::pin(std::future::ready(Ok(vec![0u8; EXPORT_PAGE as usize]))))
                .await
        });
        assert!(matches!(received.recv().await, Some(Ok(Export::Rows(_)))));
        turns.cut_all();
        while let Some(Ok(Export::Rows(_))) = received.recv().await {}
        let ended = reading.await.unwrap().unwrap_err().to_string();
        assert!(ended.contains("cut short"), "{ended}");

        let after = turns.wait().await.unwrap();
        let (pages, received) = after.channel::<u8>();
        let mut full_pages = 3;
        tokio::spawn(async move {
            let _turn = after;
            pages
                .read(|| {
                    let size = if full_pages > 0 {
                        EXPORT_PAGE as usize
                    } else {
                        3
                    };
                    full_pages -= 1;
                    Box::pin(std::future::ready(Ok(vec![0u8; size])))
                })
                .await
        });
        let got: Vec<_> = rows(received).collect().await;
        assert_eq!(got.len(), 4, "three full pages and the last");
        assert!(got.iter().all(Result::is_ok));
    }

    #[tokio::test]
    async fn an_export_that_vanishes_without_its_end_is_an_error() {
        let (pages, received) = mpsc::channel::<DbResult<Export<u8>>>(1);
        pages.send(Ok(Export::Rows(vec![1]))).await.unwrap();
        drop(pages);
        let got: Vec<_> = rows(received).collect().await;
        assert_eq!(got.len(), 2);
        assert!(
            got[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("before its last page")
        );
    }
}
