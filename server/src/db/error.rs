//! What a storage operation can fail with. A missing shop or a conflicting id is an
//! answer about the data, not a failure of the store: the HTTP layer turns each
//! into its own 4xx, and only [`DbError::Unavailable`] and [`DbError::Internal`]
//! become 5xx.

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The named shop (or customer, survey…) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The write conflicts with what is stored (an id that exists, an id reused
    /// with other details).
    #[error("{0}")]
    Conflict(String),
    /// The write would pass a limit (a customer's points).
    #[error("{0}")]
    LimitExceeded(String),
    /// One of this server's own limits is reached for now (exports running at
    /// once): the message says which, and retrying later works.
    #[error("{0}")]
    AtCapacity(String),
    /// The store's disk is full: nothing was written, and retrying works only
    /// once the server's operator frees space.
    #[error("the database's disk is full: {0:#}")]
    StorageFull(anyhow::Error),
    /// The store cannot be reached or is saturated; retrying later may work.
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// Anything else: a bug or a broken database.
    #[error("database error: {0:#}")]
    Internal(anyhow::Error),
}

impl DbError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        DbError::Internal(e.into())
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match e.sqlite_error_code() {
            // Still locked after the busy timeout: worth a retry.
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                DbError::Unavailable(e.into())
            }
            Some(ErrorCode::DiskFull) => DbError::StorageFull(e.into()),
            _ => DbError::Internal(e.into()),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.is_closed() || e.as_db_error().is_none() && e.code().is_none() {
            // The connection broke: the server went away or the network did.
            return DbError::Unavailable(e.into());
        }
        use tokio_postgres::error::SqlState;
        match e.code() {
            Some(c) if *c == SqlState::DISK_FULL => DbError::StorageFull(e.into()),
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::TOO_MANY_CONNECTIONS
                    || *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    // The statement timeout: a lock held elsewhere, a store
                    // too slow to answer in time.
                    || *c == SqlState::QUERY_CANCELED =>
            {
                DbError::Unavailable(e.into())
            }
            _ => DbError::Internal(e.into()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Unavailable(e.into())
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError::Internal(e.into())
    }
}
