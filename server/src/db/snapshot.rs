//! Exports read from one snapshot of the store: every page of a CSV export comes
//! from the same moment, so rows written while a long export streams neither
//! repeat nor go missing (paging with OFFSET across separate reads does both).
//!
//! A snapshot holds a connection (and, on SQLite, keeps the write-ahead log from
//! being reset past it) for as long as the export runs, so at most
//! [`MAX_EXPORTS`] run at once and each ends by [`EXPORT_DEADLINE`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::{AnswerQuery, CustomerQuery, DbError, DbResult};

/// Rows read and sent per page of an export.
pub const EXPORT_PAGE: u64 = 1000;
/// Exports that may hold a snapshot at once (per server).
pub const MAX_EXPORTS: usize = 4;
/// Longest an export may hold its snapshot; one still streaming then is cut off.
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// Longest an export waits for its turn before the answer is "busy".
pub const EXPORT_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// A listing's query, read a page at a time by an export.
pub trait ExportPage: Clone {
    /// This query's page of [`EXPORT_PAGE`] rows at `offset`.
    fn export_page(&self, offset: u64) -> Self;
}

impl ExportPage for CustomerQuery {
    fn export_page(&self, offset: u64) -> Self {
        CustomerQuery {
            offset,
            limit: EXPORT_PAGE,
            ..self.clone()
        }
    }
}

impl ExportPage for AnswerQuery {
    fn export_page(&self, offset: u64) -> Self {
        AnswerQuery {
            offset,
            limit: EXPORT_PAGE,
            ..self.clone()
        }
    }
}

/// The pages of an export, as the store reads them; the reading stops when the
/// receiver is dropped.
pub type ExportPages<T> = mpsc::Receiver<DbResult<Vec<T>>>;

/// The turns of the exports of one store.
#[derive(Clone)]
pub struct ExportTurns(Arc<Semaphore>);

impl Default for ExportTurns {
    fn default() -> Self {
        ExportTurns(Arc::new(Semaphore::new(MAX_EXPORTS)))
    }
}

impl ExportTurns {
    /// Waits for a turn; held by the export until its snapshot ends.
    pub async fn wait(&self) -> DbResult<OwnedSemaphorePermit> {
        match tokio::time::timeout(EXPORT_QUEUE_WAIT, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(DbError::Busy(format!(
                "{MAX_EXPORTS} exports are running already; try again in a minute"
            ))),
        }
    }
}

/// The error of an export past its deadline.
pub fn past_deadline() -> DbError {
    DbError::Unavailable(anyhow::anyhow!(
        "the export took longer than {} minutes and was cut off",
        EXPORT_DEADLINE.as_secs() / 60
    ))
}
