//! The SQLite store: one file, embedded, zero set-up.
//!
//! Reads use a small pool of connections on tokio's blocking threads (WAL lets
//! them run beside the writer); writes go to the single [`writer::Writer`] thread.
//! Durability: WAL with `synchronous = FULL`, so a write the server acknowledged
//! survives `kill -9` and power loss.

mod answers;
pub mod customers;
mod loyalty;
mod privacy;
mod reports;
pub mod schema;
mod settings;
mod shops;
mod stores;
mod surveys;
mod webhooks;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use super::*;
use snapshot::{EXPORT_PAGE, ExportPages, ExportTurns, PageSender};
use writer::{WalLimit, Writer};

/// Read connections: reports and lookups run beside the writer.
const READ_POOL_SIZE: u32 = 8;
/// How long a connection waits for a lock held by another process (the CLI).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a read waits for a free pooled connection.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteDatabase {
    readers: Pool<SqliteConnectionManager>,
    writer: Writer,
    exports: ExportTurns,
}

/// Settings every connection gets. `synchronous = FULL` syncs the WAL at every
/// commit (NORMAL would lose the last commits on power loss); the WAL is kept
/// to [`writer::WAL_CHECKPOINT_BYTES`] when it is reset. `secure_delete`
/// overwrites what is deleted: an erased customer's words must not stay
/// readable in the file's free pages (deletions are rare, so the extra writes
/// cost little).
fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON; PRAGMA journal_size_limit = {};",
        writer::WAL_CHECKPOINT_BYTES
    ))
}

/// A read connection from `pool` (none free within its wait: the store is busy).
fn pooled(
    pool: &Pool<SqliteConnectionManager>,
) -> DbResult<r2d2::PooledConnection<SqliteConnectionManager>> {
    pool.get().map_err(|e| DbError::Unavailable(e.into()))
}

/// Runs `work` (a blocking read) off the async runtime.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> DbResult<T> + Send + 'static,
) -> DbResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(DbError::internal)?
}

fn cannot_write(file: &Path) -> String {
    format!(
        "the SQLite file {} can be read but not written: kept-server needs to write it \
         (check its owner and permissions)",
        file.display()
    )
}

/// A pooled connection inside a read transaction: an export's snapshot. However
/// the export ends (done, failed, past the deadline), the transaction ends
/// before the connection goes back to the pool.
struct ReadSnapshot(r2d2::PooledConnection<SqliteConnectionManager>);

impl ReadSnapshot {
    fn begin(pool: &Pool<SqliteConnectionManager>) -> DbResult<ReadSnapshot> {
        let conn = pooled(pool)?;
        // Deferred: the first read fixes the snapshot.
        conn.execute_batch("BEGIN")?;
        Ok(ReadSnapshot(conn))
    }
}

impl Drop for ReadSnapshot {
    fn drop(&mut self) {
        if !self.0.is_autocommit()
            && let Err(e) = self.0.execute_batch("ROLLBACK")
        {
            tracing::warn!("could not end an export's read transaction: {e}");
        }
    }
}

/// The next page of an export's cursor: up to [`EXPORT_PAGE`] of `rows`.
fn next_page<T>(rows: &mut impl Iterator<Item = rusqlite::Result<T>>) -> DbResult<Vec<T>> {
    Ok(rows
        .by_ref()
        .take(EXPORT_PAGE as usize)
        .collect::<Result<_, _>>()?)
}

impl SqliteDatabase {
    /// Opens (creating if needed) the file, migrates it, and starts its writer.
    pub fn open(path: &Path) -> anyhow::Result<SqliteDatabase> {
        // SQLite opens a file it may not write (the database, or the WAL and
        // shared-memory files beside it) for reading only, without a word: every
        // write would then fail. Better refused now, saying which.
        let beside = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        for file in [path.to_path_buf(), beside("-wal"), beside("-shm")] {
            let writable = std::fs::OpenOptions::new().write(true).open(&file);
            if let Err(e) = writable
                && e.kind() == std::io::ErrorKind::PermissionDenied
            {
                anyhow::bail!(cannot_write(&file));
            }
        }
        let mut conn = Connection::open(path)
            .with_context(|| format!("opening the SQLite file {}", path.display()))?;
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            anyhow::bail!(cannot_write(path));
        }
        configure(&conn).with_context(|| {
            format!(
                "setting up the SQLite file {} (its directory must be writable too, \
                 for the write-ahead log)",
                path.display()
            )
        })?;
        schema::MIGRATIONS
            .to_latest(&mut conn)
            .context("migrating the SQLite schema")?;
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                configure(c)?;
                // Readers never write: a bug that tried would fail loudly.
                c.execute_batch("PRAGMA query_only = ON")
            });
        let readers = Pool::builder()
            .max_size(READ_POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(POOL_TIMEOUT)
            .build(manager)
            .context("opening the SQLite read pool")?;
        let exports = ExportTurns::default();
        let limit = WalLimit {
            bytes: writer::WAL_CUT_EXPORTS_BYTES,
            exports: exports.clone(),
        };
        let writer = Writer::start(conn, beside("-wal"), limit)?;
        Ok(SqliteDatabase {
            readers,
            writer,
            exports,
        })
    }

    /// Runs `read` inside one read transaction (one snapshot), on a blocking
    /// thread: it sends the pages as the receiver takes them
    /// ([`PageSender::read_blocking`]), until the deadline at the latest.
    async fn export<T, F>(&self, read: F) -> DbResult<ExportPages<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &PageSender<T>) -> DbResult<()> + Send + 'static,
    {
        let turn = self.exports.wait().await?;
        let pool = self.readers.clone();
        let (pages, received) = turn.channel();
        let reading = pages.clone();
        tokio::spawn(async move {
            snapshot::run(
                &pages,
                off_runtime(move || {
                    // The turn ends with the snapshot (the thread goes on for
                    // at most the page it is reading at the deadline).
                    let _turn = turn;
                    let snapshot = ReadSnapshot::begin(&pool)?;
                    read(&snapshot.0, &reading)
                }),
            )
            .await;
        });
        Ok(received)
    }

    /// Runs a read on a pooled connection, off the async runtime.
    async fn read<T, F>(&self, read: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        off_runtime(move || read(&*pooled(&pool)?)).await
    }
}

/// Milliseconds since the epoch: how SQLite columns hold instants.
fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn instant(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, ms))
}

/// The shop as a write of its customers' purchases or answers, or an
/// erasure, on the writer counts by ([`ShopNow`], as PostgreSQL's
/// `lock_shop_shared` reads it): one statement, prepared once.
fn shop_now(c: &Connection, shop_id: &str) -> DbResult<ShopNow> {
    let mut read = c.prepare_cached(&format!(
        "SELECT churn_window_days, time_zone, {HAS_ERASED} FROM shops WHERE id = ?1"
    ))?;
    let (window, zone, has_erased_customers): (u32, String, bool) =
        read.query_row([shop_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(ShopNow {
        churn_window_days: window,
        time_zone: zone_named(&zone)?,
        has_erased_customers,
    })
}

#[async_trait]
impl Database for SqliteDatabase {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn create_shop(&self, shop: NewShop) -> DbResult<()> {
        self.writer
            .write(move |c| shops::create(c, &shop, Utc::now()))
            .await
    }

    async fn shop(&self, id: &str) -> DbResult<Option<Shop>> {
        let id = id.to_string();
        self.read(move |c| shops::by_id(c, &id)).await
    }

    async fn shop_by_public_key(&self, public_key: &str) -> DbResult<Option<Shop>> {
        let key = public_key.to_string();
        self.read(move |c| shops::by_public_key(c, &key)).await
    }

    async fn set_allowed_origins(&self, shop_id: &str, origins: Vec<String>) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| shops::set_origins(c, &id, &origins))
            .await
    }

    async fn token_hashes(&self, shop_id: &str, kind: TokenKind) -> DbResult<Vec<Vec<u8>>> {
        let id = shop_id.to_string();
        self.read(move |c| shops::token_hashes(c, &id, kind)).await
    }

    async fn update_shop(&self, shop_id: &str, update: ShopUpdate) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| settings::update_shop(c, &id, &update))
            .await
    }

    async fn replace_token(&self, shop_id: &str, kind: TokenKind, hash: Vec<u8>) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| settings::replace_token(c, &id, kind, &hash, Utc::now()))
            .await
    }

    async fn put_store(&self, shop_id: &str, store: Store, most: usize) -> DbResult<bool> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| stores::put_store(c, &id, &store, most))
            .await
    }

    async fn stores(&self, shop_id: &str) -> DbResult<Vec<Store>> {
        let id = shop_id.to_string();
        self.read(move |c| stores::stores(c, &id)).await
    }

    async fn set_kiosk_pin(&self, shop_id: &str, hash: Option<Vec<u8>>) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| stores::set_kiosk_pin(c, &id, hash.as_deref()))
            .await
    }

    async fn kiosk_pin(&self, shop_id: &str) -> DbResult<Option<Vec<u8>>> {
        let id = shop_id.to_string();
        self.read(move |c| stores::kiosk_pin(c, &id)).await
    }

    async fn set_device_removed(&self, shop_id: &str, device: &str, removed: bool) -> DbResult<()> {
        let (id, device) = (shop_id.to_string(), device.to_string());
        self.writer
            .write(move |c| stores::set_device_removed(c, &id, &device, removed))
            .await
    }

    async fn record_device(&self, shop_id: &str, device: DeviceRecord) -> DbResult<bool> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| stores::record_device(c, &id, &device))
            .await
    }

    async fn devices(&self, shop_id: &str) -> DbResult<Vec<DeviceRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| stores::devices(c, &id)).await
    }

    async fn create_webhook(
        &self,
        shop_id: &str,
        webhook: WebhookRecord,
        most: usize,
    ) -> DbResult<bool> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| webhooks::create(c, &id, &webhook, most))
            .await
    }

    async fn webhooks(&self, shop_id: &str) -> DbResult<Vec<WebhookRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| webhooks::list(c, &id)).await
    }

    async fn delete_webhook(&self, shop_id: &str, webhook_id: &str) -> DbResult<()> {
        let (id, webhook) = (shop_id.to_string(), webhook_id.to_string());
        self.writer
            .write(move |c| webhooks::delete(c, &id, &webhook))
            .await
    }

    async fn take_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        places: DeliveryPlaces,
    ) -> DbResult<Vec<DueDelivery>> {
        self.writer
            .write(move |c| webhooks::take_due(c, now, lease_until, &places))
            .await
    }

    async fn record_delivery_attempt(
        &self,
        delivery_id: &str,
        attempt: kept_shared::webhooks::DeliveryAttempt,
        outcome: AttemptOutcome,
    ) -> DbResult<()> {
        let id = delivery_id.to_string();
        self.writer
            .write(move |c| webhooks::record_attempt(c, &id, &attempt, outcome))
            .await
    }

    async fn deliveries(
        &self,
        shop_id: &str,
        webhook_id: &str,
        limit: u32,
    ) -> DbResult<Vec<kept_shared::webhooks::Delivery>> {
        let (id, webhook) = (shop_id.to_string(), webhook_id.to_string());
        self.read(move |c| webhooks::deliveries(c, &id, &webhook, limit))
            .await
    }

    async fn shops_listening(
        &self,
        kind: kept_shared::webhooks::EventKind,
    ) -> DbResult<Vec<String>> {
        self.read(move |c| webhooks::shops_listening(c, kind)).await
    }

    async fn customers_at_risk(&self, shop_id: &str) -> DbResult<Vec<String>> {
        let id = shop_id.to_string();
        self.read(move |c| webhooks::customers_at_risk(c, &id))
            .await
    }

    async fn mark_at_risk(&self, shop_id: &str, change: RiskChange) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| webhooks::mark_at_risk(c, &id, &change, Utc::now()))
            .await
    }

    async fn erase_customer(&self, shop_id: &str, customer_ref: &str) -> DbResult<ErasedCustomer> {
        let (id, customer) = (shop_id.to_string(), customer_ref.to_string());
        self.writer
            .write(move |c| privacy::erase_customer(c, &id, &customer))
            .await
    }

    async fn erased(
        &self,
        shop_id: &str,
        customer_refs: Vec<String>,
        purchase_ids: Vec<String>,
    ) -> DbResult<Erased> {
        let id = shop_id.to_string();
        self.read(move |c| privacy::erased(c, &id, &customer_refs, &purchase_ids))
            .await
    }

    async fn purge_expired_texts(&self, now: DateTime<Utc>) -> DbResult<u64> {
        self.writer
            .write(move |c| privacy::purge_expired_texts(c, now))
            .await
    }

    async fn set_widget_secret(&self, shop_id: &str, secret: String) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| settings::set_widget_secret(c, &id, &secret))
            .await
    }

    async fn record_audit(&self, shop_id: &str, entry: AuditRecord) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| settings::record_audit(c, &id, &entry))
            .await
    }

    async fn audit_log(&self, shop_id: &str, limit: u64) -> DbResult<Vec<AuditRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| settings::audit_log(c, &id, limit)).await
    }

    async fn create_session(&self, session: SessionRecord) -> DbResult<()> {
        self.writer
            .write(move |c| settings::create_session(c, &session))
            .await
    }

    async fn session(&self, id_hash: &[u8], now: DateTime<Utc>) -> DbResult<Option<SessionRecord>> {
        let id = id_hash.to_vec();
        self.read(move |c| settings::session(c, &id, now)).await
    }

    async fn delete_session(&self, id_hash: &[u8]) -> DbResult<()> {
        let id = id_hash.to_vec();
        self.writer
            .write(move |c| settings::delete_session(c, &id))
            .await
    }

    async fn put_survey(
        &self,
        shop_id: &str,
        survey: SurveyRecord,
        most: usize,
        write: SurveyWrite,
    ) -> DbResult<bool> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| surveys::put(c, &id, &survey, most, write))
            .await
    }

    async fn surveys(&self, shop_id: &str, only_active: bool) -> DbResult<Vec<SurveyRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| surveys::list(c, &id, only_active)).await
    }

    async fn insert_answers(
        &self,
        shop_id: &str,
        answers: Vec<AnswerRecord>,
        received_at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> DbResult<Vec<bool>> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| {
                // An erasure written since the batch was read for it (ingest's
                // `forget_erased`): the batch is sent again, and read anew.
                let shop = shop_now(c, &id)?;
                if shop.has_erased_customers {
                    let (customers, orders) = Erased::asked_of(&answers);
                    let erased = privacy::erased(c, &id, &customers, &orders)?;
                    if answers.iter().any(|r| erased.named_in(&r.answer)) {
                        return Err(DbError::AtCapacity(ERASED_MEANWHILE.into()));
                    }
                }
                let answers = in_zone(answers, shop.time_zone);
                let inserted = answers::insert(c, &id, &answers, received_at)?;
                for event in events_of_new(&answers, &inserted, &events) {
                    webhooks::enqueue(c, &id, event, received_at)?;
                }
                Ok(inserted)
            })
            .await
    }

    async fn answers_known_by_id(&self, ids: Vec<uuid::Uuid>) -> DbResult<Vec<KnownAnswer>> {
        self.read(move |c| answers::known_by_id(c, &ids)).await
    }

    async fn surveys_answered_for_order(
        &self,
        shop_id: &str,
        order_ref: &str,
    ) -> DbResult<Vec<String>> {
        let (id, order) = (shop_id.to_string(), order_ref.to_string());
        self.read(move |c| answers::answered_for_order(c, &id, &order))
            .await
    }

    async fn find_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<(Vec<StoredAnswer>, u64)> {
        let id = shop_id.to_string();
        self.read(move |c| answers::find(c, &id, &query)).await
    }

    async fn export_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<ExportPages<StoredAnswer>> {
        let id = shop_id.to_string();
        self.export(move |c, pages| answers::export(c, &id, &query, pages))
            .await
    }

    async fn set_follow_up(
        &self,
        shop_id: &str,
        answer_id: uuid::Uuid,
        update: kept_shared::FollowUpUpdate,
    ) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| answers::set_follow_up(c, &id, answer_id, &update, Utc::now()))
            .await
    }

    async fn record_widget_events(
        &self,
        shop_id: &str,
        counts: Vec<WidgetEventCount>,
    ) -> DbResult<()> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| answers::record_widget_events(c, &id, &counts))
            .await
    }

    async fn widget_events(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<WidgetEventCount>> {
        let id = shop_id.to_string();
        self.read(move |c| answers::widget_events(c, &id, from, to))
            .await
    }

    async fn customer(
        &self,
        shop_id: &str,
        customer_ref: &str,
    ) -> DbResult<Option<CustomerRecord>> {
        let (id, customer) = (shop_id.to_string(), customer_ref.to_string());
        self.read(move |c| customers::customer(c, &id, &customer))
            .await
    }

    async fn customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<(Vec<CustomerRecord>, u64)> {
        let id = shop_id.to_string();
        self.read(move |c| customers::customers(c, &id, &query))
            .await
    }

    async fn export_customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<ExportPages<CustomerRecord>> {
        let id = shop_id.to_string();
        self.export(move |c, pages| customers::export(c, &id, &query, pages))
            .await
    }

    async fn customers_at(&self, shop_id: &str, at: NaiveDate) -> DbResult<Vec<CustomerRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| customers::customers_at(c, &id, at))
            .await
    }

    async fn purchases_of(
        &self,
        shop_id: &str,
        customer_ref: &str,
        offset: u64,
        limit: u64,
    ) -> DbResult<Vec<PurchaseRecord>> {
        let (id, customer) = (shop_id.to_string(), customer_ref.to_string());
        self.read(move |c| customers::purchases_of(c, &id, &customer, offset, limit))
            .await
    }

    async fn last_purchases(
        &self,
        shop_id: &str,
        customers: &[String],
    ) -> DbResult<Vec<PurchaseRecord>> {
        let (id, customers) = (shop_id.to_string(), customers.to_vec());
        self.read(move |c| customers::last_purchases(c, &id, &customers))
            .await
    }

    async fn spells(&self, shop_id: &str) -> DbResult<Vec<SpellRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| customers::spells(c, &id)).await
    }

    async fn store_days(
        &self,
        shop_id: &str,
        store: &str,
    ) -> DbResult<Vec<(String, NaiveDate, u64)>> {
        let (id, store) = (shop_id.to_string(), store.to_string());
        self.read(move |c| customers::store_days(c, &id, &store))
            .await
    }

    async fn revenue(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<RevenueRecord>> {
        let id = shop_id.to_string();
        self.read(move |c| customers::revenue(c, &id, from, to))
            .await
    }

    async fn cohort_cells(
        &self,
        shop_id: &str,
        from_month: NaiveDate,
        to_month: NaiveDate,
    ) -> DbResult<Vec<(NaiveDate, NaiveDate, u64)>> {
        let id = shop_id.to_string();
        self.read(move |c| customers::cohort_cells(c, &id, from_month, to_month))
            .await
    }

    async fn tiers(&self, shop_id: &str) -> DbResult<Vec<Tier>> {
        let id = shop_id.to_string();
        self.read(move |c| loyalty::tiers(c, &id)).await
    }

    async fn customer_points(&self, shop_id: &str, customer_ref: &str) -> DbResult<Option<u64>> {
        let (id, customer) = (shop_id.to_string(), customer_ref.to_string());
        self.read(move |c| loyalty::points(c, &id, &customer)).await
    }

    async fn record_purchase(
        &self,
        shop_id: &str,
        purchase: NewPurchase,
    ) -> DbResult<PurchaseOutcome> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| {
                let (mut outcomes, _) =
                    loyalty::record_purchases(c, &id, std::slice::from_ref(&purchase), Utc::now())?;
                Ok(outcomes.remove(0))
            })
            .await
    }

    async fn import_purchases(
        &self,
        shop_id: &str,
        purchases: Vec<NewPurchase>,
    ) -> DbResult<ImportOutcome> {
        let id = shop_id.to_string();
        self.writer
            .write(move |c| {
                loyalty::record_purchases(c, &id, &purchases, Utc::now())
                    .map(|(_, summary)| summary)
            })
            .await
    }

    async fn known_purchases(
        &self,
        shop_id: &str,
        purchase_ids: Vec<String>,
    ) -> DbResult<HashMap<String, KnownPurchase>> {
        let id = shop_id.to_string();
        self.read(move |c| loyalty::known_purchases(c, &id, &purchase_ids))
            .await
    }

    async fn set_points(&self, shop_id: &str, customer_ref: &str, points: u64) -> DbResult<()> {
        let (id, customer) = (shop_id.to_string(), customer_ref.to_string());
        self.writer
            .write(move |c| loyalty::set_points(c, &id, &customer, points))
            .await
    }

    async fn rollups(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<Rollup>> {
        let id = shop_id.to_string();
        self.read(move |c| reports::rollups(c, &id, from, to)).await
    }

    async fn reason_rollups(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<ReasonRollup>> {
        let id = shop_id.to_string();
        self.read(move |c| reports::reason_rollups(c, &id, from, to))
            .await
    }
}
