//! The PostgreSQL store, for hosts that run several `kept-server` instances on one
//! database (and for the engines that speak its protocol).
//!
//! Driver and pool, chosen deliberately: `tokio-postgres` with `deadpool-postgres`.
//! tokio-postgres is async end to end and pipelines queries on one connection;
//! deadpool is a small, runtime-agnostic pool that recycles connections cheaply.
//! sqlx was the other candidate: its compile-time checked queries need a live
//! database (or checked-in query data) at build time, and it would bring a second
//! SQLite driver beside rusqlite. Plain SQL on tokio-postgres keeps the build
//! self-contained.
//!
//! Durability and concurrency: every connection runs with `synchronous_commit =
//! on`; writes are single transactions whose locks are taken in a fixed order
//! (the shop's advisory lock first, `SHOP_LOCK`: shared where purchases or
//! answers are written, whole for a change of settings or an erasure; then
//! customers and answers by key, rollups by key), so instances writing at once
//! never deadlock, and a customer's balance is read with their row locked
//! before it changes.

mod answers;
mod customers;
mod loyalty;
mod privacy;
mod reports;
mod schema;
mod settings;
mod shops;
mod stores;
mod surveys;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use snapshot::{ExportPages, ExportTurns, PageSender};

use super::*;

/// Connections per instance.
const POOL_SIZE: usize = 16;
/// How long a request waits for a free connection, and for a new one to open.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one statement of a request may run, waiting for locks included,
/// before PostgreSQL gives it up (503 `busy`). Without it, a table locked by
/// someone else had held every connection of an instance, and every route with
/// them, for as long as the lock lasted; a request's own timeout leaves its
/// statement running. The jobs that may rightly run long have none: the
/// schema's migration at start, an import's batches, a settings change's
/// recount of every customer, the retention purge ([`Runs::AsJob`]).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a transaction's statements may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// A request's: each statement given up after [`STATEMENT_TIMEOUT`].
    AsRequest,
    /// A job's, which takes as long as its data: no limit.
    AsJob,
}

impl Runs {
    /// Lifts the statement timeout for the rest of `tx`, for a job.
    async fn begin(self, tx: &tokio_postgres::Transaction<'_>) -> DbResult<()> {
        if self == Runs::AsJob {
            tx.batch_execute("SET LOCAL statement_timeout = 0").await?;
        }
        Ok(())
    }
}

pub struct PgDatabase {
    pool: Pool,
    exports: ExportTurns,
}

/// Sends an export's pages, read in the export's transaction.
type ReadExport<T> = Box<
    dyn for<'t> FnOnce(
            &'t tokio_postgres::Transaction<'t>,
            &'t PageSender<T>,
        ) -> futures_util::future::BoxFuture<'t, DbResult<()>>
        + Send,
>;

/// Query arguments built at run time.
type Args = Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>>;

/// The arguments as the driver takes them.
fn params(args: &Args) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|a| a.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

/// Sends the rows of `sql` in pages, each read by `row`: one query, read as a
/// cursor (a portal) in `tx`'s snapshot, [`snapshot::EXPORT_PAGE`] rows at a time.
async fn send_cursor<T: Send>(
    tx: &tokio_postgres::Transaction<'_>,
    sql: &str,
    args: &Args,
    pages: &PageSender<T>,
    row: impl Fn(&tokio_postgres::Row) -> DbResult<T> + Sync,
) -> DbResult<()> {
    let cursor = tx.bind(sql, &params(args)).await?;
    pages
        .read(|| {
            Box::pin(async {
                tx.query_portal(&cursor, snapshot::EXPORT_PAGE as i32)
                    .await?
                    .iter()
                    .map(&row)
                    .collect()
            })
        })
        .await
}

impl PgDatabase {
    /// Connects to `url` (a libpq-style `postgres://user:pass@host:port/db`),
    /// checks that the server answers, and migrates the schema.
    pub async fn connect(url: &str) -> anyhow::Result<PgDatabase> {
        Self::connect_with(url, STATEMENT_TIMEOUT).await
    }

    /// [`PgDatabase::connect`], each statement given up after `statement_timeout`.
    pub async fn connect_with(
        url: &str,
        statement_timeout: Duration,
    ) -> anyhow::Result<PgDatabase> {
        let config = tokio_postgres::Config::from_str(url).context("reading the PostgreSQL URL")?;
        let bounded = format!("SET statement_timeout = {}", statement_timeout.as_millis());
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .post_create(Hook::async_fn({
                let bounded = bounded.clone();
                move |client, _| {
                    let bounded = bounded.clone();
                    Box::pin(async move {
                        // Acknowledged means durable, whatever the server's default; and
                        // instants are read and written as UTC.
                        client
                            .batch_execute(&format!(
                                "SET synchronous_commit = on; SET TIME ZONE 'UTC'; {bounded}"
                            ))
                            .await
                            .map_err(HookError::Backend)
                    })
                }
            }))
            .build()
            .context("building the PostgreSQL pool")?;
        let mut client = pool.get().await.context("connecting to PostgreSQL")?;
        // A migration of a large store (an index built) may take longer than
        // any request's statement.
        client.batch_execute("SET statement_timeout = 0").await?;
        schema::migrate(&mut client)
            .await
            .context("migrating the PostgreSQL schema")?;
        client.batch_execute(&bounded).await?;
        drop(client);
        Ok(PgDatabase {
            pool,
            exports: ExportTurns::default(),
        })
    }

    async fn client(&self) -> DbResult<deadpool_postgres::Client> {
        Ok(self.pool.get().await?)
    }

    /// Runs `read` inside one read-only REPEATABLE READ transaction (one
    /// snapshot): it sends the pages as the receiver takes them ([`snapshot`]).
    async fn export<T: Send + 'static>(&self, read: ReadExport<T>) -> DbResult<ExportPages<T>> {
        let turn = self.exports.wait().await?;
        let mut client = self.client().await?;
        let (pages, received) = turn.channel();
        tokio::spawn(async move {
            let _turn = turn;
            snapshot::run(&pages, async {
                // Dropped unfinished (past the deadline), it rolls back.
                let tx = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                read(&tx, &pages).await?;
                tx.commit().await?;
                Ok(())
            })
            .await;
        });
        Ok(received)
    }
}

/// Counts and points are `u64` in Rust and BIGINT in PostgreSQL; every limit keeps
/// them below `i64::MAX`.
fn signed(n: u64) -> DbResult<i64> {
    i64::try_from(n).map_err(DbError::internal)
}

fn unsigned(n: i64) -> DbResult<u64> {
    u64::try_from(n).map_err(DbError::internal)
}

/// The shop's lock, which every write of its customers' purchases (and an
/// erasure) takes shared and a change of its settings (which recounts every
/// customer) takes whole ([`lock_shop_whole`]), so they take turns, in the one
/// order every writer keeps (the shop, then its customers' rows), and each
/// reads the window the other left. An advisory lock, not the shop's row: a
/// row's lockers are not queued, so a shop's purchases, each taking the row
/// shared while others held it, had kept a settings change waiting for as
/// long as they came (a 408, the change lost); a lock's waiters are served in
/// turn. Keyed by the shop's id (two shops sharing a key only take turns).
const SHOP_LOCK: &str = "hashtextextended('kept shop ' || $1, 0)";

/// Takes the shop's lock shared until `tx` ends ([`SHOP_LOCK`]).
async fn lock_shop_shared(
    tx: &deadpool_postgres::Transaction<'_>,
    shop_id: &str,
) -> DbResult<ShopNow> {
    lock_shop(tx, shop_id, "pg_advisory_xact_lock_shared").await
}

/// Takes the shop's lock whole until `tx` ends ([`SHOP_LOCK`]): once it
/// waits, the shop's writes that come after it wait for it.
async fn lock_shop_whole(
    tx: &deadpool_postgres::Transaction<'_>,
    shop_id: &str,
) -> DbResult<ShopNow> {
    lock_shop(tx, shop_id, "pg_advisory_xact_lock").await
}

/// The lock by `function`, then [`ShopNow`] as stored once the lock is held,
/// read by a statement of its own after it (a statement's snapshot is taken
/// as it starts, before a lock it waits for inside): each a statement
/// prepared once per connection (every batch of answers and every purchase
/// takes them).
async fn lock_shop(
    tx: &deadpool_postgres::Transaction<'_>,
    shop_id: &str,
    function: &str,
) -> DbResult<ShopNow> {
    let lock = tx
        .prepare_cached(&format!("SELECT {function}({SHOP_LOCK})"))
        .await?;
    tx.execute(&lock, &[&shop_id]).await?;
    let read = tx
        .prepare_cached(&format!(
            "SELECT churn_window_days, time_zone, {HAS_ERASED} FROM shops WHERE id = $1"
        ))
        .await?;
    let row = tx.query_one(&read, &[&shop_id]).await?;
    Ok(ShopNow {
        churn_window_days: u32::try_from(row.try_get::<_, i32>(0)?).map_err(DbError::internal)?,
        time_zone: zone_named(row.try_get(1)?)?,
        has_erased_customers: row.try_get(2)?,
    })
}

/// Runs `write`, a statement that writes its row only while the shop is under
/// a limit (its `WHERE` counts what the shop has), with the shop's row locked
/// against other such writes: such writes of one shop take turns, each
/// counting what the one before wrote, so that requests at the same moment
/// cannot pass the limit together. Whether it wrote.
async fn write_within_limit(
    client: &mut deadpool_postgres::Client,
    shop_id: &str,
    write: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> DbResult<bool> {
    let tx = client.transaction().await?;
    // Not `FOR UPDATE`: that would also wait for every purchase, answer or
    // import of the shop in progress (their references to it take the row
    // shared); these writes only take turns among themselves.
    tx.execute(
        "SELECT 1 FROM shops WHERE id = $1 FOR NO KEY UPDATE",
        &[&shop_id],
    )
    .await?;
    let written = tx.execute(write, params).await?;
    tx.commit().await?;
    Ok(written == 1)
}

#[async_trait]
impl Database for PgDatabase {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn create_shop(&self, shop: NewShop) -> DbResult<()> {
        shops::create(&mut self.client().await?, &shop, Utc::now()).await
    }

    async fn shop(&self, id: &str) -> DbResult<Option<Shop>> {
        shops::by_column(&self.client().await?, "id", id).await
    }

    async fn shop_by_public_key(&self, public_key: &str) -> DbResult<Option<Shop>> {
        shops::by_column(&self.client().await?, "public_key", public_key).await
    }

    async fn set_allowed_origins(&self, shop_id: &str, origins: Vec<String>) -> DbResult<()> {
        shops::set_origins(&self.client().await?, shop_id, &origins).await
    }

    async fn token_hashes(&self, shop_id: &str, kind: TokenKind) -> DbResult<Vec<Vec<u8>>> {
        shops::token_hashes(&self.client().await?, shop_id, kind).await
    }

    async fn update_shop(&self, shop_id: &str, update: ShopUpdate) -> DbResult<()> {
        settings::update_shop(&mut self.client().await?, shop_id, &update).await
    }

    async fn replace_token(&self, shop_id: &str, kind: TokenKind, hash: Vec<u8>) -> DbResult<()> {
        settings::replace_token(&mut self.client().await?, shop_id, kind, &hash, Utc::now()).await
    }

    async fn put_store(&self, shop_id: &str, store: Store, most: usize) -> DbResult<bool> {
        stores::put_store(&mut self.client().await?, shop_id, &store, most).await
    }

    async fn stores(&self, shop_id: &str) -> DbResult<Vec<Store>> {
        stores::stores(&self.client().await?, shop_id).await
    }

    async fn set_kiosk_pin(&self, shop_id: &str, hash: Option<Vec<u8>>) -> DbResult<()> {
        stores::set_kiosk_pin(&self.client().await?, shop_id, hash.as_deref()).await
    }

    async fn kiosk_pin(&self, shop_id: &str) -> DbResult<Option<Vec<u8>>> {
        stores::kiosk_pin(&self.client().await?, shop_id).await
    }

    async fn set_device_removed(&self, shop_id: &str, device: &str, removed: bool) -> DbResult<()> {
        stores::set_device_removed(&self.client().await?, shop_id, device, removed).await
    }

    async fn record_device(&self, shop_id: &str, device: DeviceRecord) -> DbResult<bool> {
        stores::record_device(&self.client().await?, shop_id, &device).await
    }

    async fn devices(&self, shop_id: &str) -> DbResult<Vec<DeviceRecord>> {
        stores::devices(&self.client().await?, shop_id).await
    }

    async fn create_webhook(
        &self,
        shop_id: &str,
        webhook: WebhookRecord,
        most: usize,
    ) -> DbResult<bool> {
        webhooks::create(&mut self.client().await?, shop_id, &webhook, most).await
    }

    async fn webhooks(&self, shop_id: &str) -> DbResult<Vec<WebhookRecord>> {
        webhooks::list(&self.client().await?, shop_id).await
    }

    async fn delete_webhook(&self, shop_id: &str, webhook_id: &str) -> DbResult<()> {
        webhooks::delete(&self.client().await?, shop_id, webhook_id).await
    }

    async fn take_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        places: DeliveryPlaces,
    ) -> DbResult<Vec<DueDelivery>> {
        webhooks::take_due(&self.client().await?, now, lease_until, &places).await
    }

    async fn record_delivery_attempt(
        &self,
        delivery_id: &str,
        attempt: kept_shared::webhooks::DeliveryAttempt,
        outcome: AttemptOutcome,
    ) -> DbResult<()> {
        webhooks::record_attempt(&mut self.client().await?, delivery_id, &attempt, outcome).await
    }

    async fn deliveries(
        &self,
        shop_id: &str,
        webhook_id: &str,
        limit: u32,
    ) -> DbResult<Vec<kept_shared::webhooks::Delivery>> {
        webhooks::deliveries(&self.client().await?, shop_id, webhook_id, limit).await
    }

    async fn shops_listening(
        &self,
        kind: kept_shared::webhooks::EventKind,
    ) -> DbResult<Vec<String>> {
        webhooks::shops_listening(&self.client().await?, kind).await
    }

    async fn customers_at_risk(&self, shop_id: &str) -> DbResult<Vec<String>> {
        webhooks::customers_at_risk(&self.client().await?, shop_id).await
    }

    async fn mark_at_risk(&self, shop_id: &str, change: RiskChange) -> DbResult<()> {
        webhooks::mark_at_risk(&mut self.client().await?, shop_id, &change, Utc::now()).await
    }

    async fn erase_customer(&self, shop_id: &str, customer_ref: &str) -> DbResult<ErasedCustomer> {
        privacy::erase_customer(&mut self.client().await?, shop_id, customer_ref).await
    }

    async fn erased(
        &self,
        shop_id: &str,
        customer_refs: Vec<String>,
        purchase_ids: Vec<String>,
    ) -> DbResult<Erased> {
        privacy::erased(
            &self.client().await?,
            shop_id,
            &customer_refs,
            &purchase_ids,
        )
        .await
    }

    async fn purge_expired_texts(&self, now: DateTime<Utc>) -> DbResult<u64> {
        privacy::purge_expired_texts(&mut self.client().await?, now).await
    }

    async fn set_widget_secret(&self, shop_id: &str, secret: String) -> DbResult<()> {
        settings::set_widget_secret(&self.client().await?, shop_id, &secret).await
    }

    async fn record_audit(&self, shop_id: &str, entry: AuditRecord) -> DbResult<()> {
        settings::record_audit(&self.client().await?, shop_id, &entry).await
    }

    async fn audit_log(&self, shop_id: &str, limit: u64) -> DbResult<Vec<AuditRecord>> {
        settings::audit_log(&self.client().await?, shop_id, limit).await
    }

    async fn create_session(&self, session: SessionRecord) -> DbResult<()> {
        settings::create_session(&self.client().await?, &session).await
    }

    async fn session(&self, id_hash: &[u8], now: DateTime<Utc>) -> DbResult<Option<SessionRecord>> {
        settings::session(&self.client().await?, id_hash, now).await
    }

    async fn delete_session(&self, id_hash: &[u8]) -> DbResult<()> {
        settings::delete_session(&self.client().await?, id_hash).await
    }

    async fn put_survey(
        &self,
        shop_id: &str,
        survey: SurveyRecord,
        most: usize,
        write: SurveyWrite,
    ) -> DbResult<bool> {
        surveys::put(&mut self.client().await?, shop_id, &survey, most, write).await
    }

    async fn surveys(&self, shop_id: &str, only_active: bool) -> DbResult<Vec<SurveyRecord>> {
        surveys::list(&self.client().await?, shop_id, only_active).await
    }

    async fn insert_answers(
        &self,
        shop_id: &str,
        answers: Vec<AnswerRecord>,
        received_at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> DbResult<Vec<bool>> {
        answers::insert(
            &mut self.client().await?,
            shop_id,
            &answers,
            received_at,
            &events,
        )
        .await
    }

    async fn answers_known_by_id(&self, ids: Vec<uuid::Uuid>) -> DbResult<Vec<KnownAnswer>> {
        answers::known_by_id(&self.client().await?, &ids).await
    }

    async fn surveys_answered_for_order(
        &self,
        shop_id: &str,
        order_ref: &str,
    ) -> DbResult<Vec<String>> {
        answers::answered_for_order(&self.client().await?, shop_id, order_ref).await
    }

    async fn find_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<(Vec<StoredAnswer>, u64)> {
        answers::find(&self.client().await?, shop_id, &query).await
    }

    async fn export_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<ExportPages<StoredAnswer>> {
        let id = shop_id.to_string();
        self.export(Box::new(move |tx, pages| {
            Box::pin(async move { answers::export(tx, &id, &query, pages).await })
        }))
        .await
    }

    async fn set_follow_up(
        &self,
        shop_id: &str,
        answer_id: uuid::Uuid,
        update: kept_shared::FollowUpUpdate,
    ) -> DbResult<()> {
        answers::set_follow_up(
            &self.client().await?,
            shop_id,
            answer_id,
            &update,
            Utc::now(),
        )
        .await
    }

    async fn record_widget_events(
        &self,
        shop_id: &str,
        counts: Vec<WidgetEventCount>,
    ) -> DbResult<()> {
        answers::record_widget_events(&self.client().await?, shop_id, &counts).await
    }

    async fn widget_events(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<WidgetEventCount>> {
        answers::widget_events(&self.client().await?, shop_id, from, to).await
    }

    async fn customer(
        &self,
        shop_id: &str,
        customer_ref: &str,
    ) -> DbResult<Option<CustomerRecord>> {
        customers::customer(&self.client().await?, shop_id, customer_ref).await
    }

    async fn customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<(Vec<CustomerRecord>, u64)> {
        customers::customers(&self.client().await?, shop_id, &query).await
    }

    async fn export_customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<ExportPages<CustomerRecord>> {
        let id = shop_id.to_string();
        self.export(Box::new(move |tx, pages| {
            Box::pin(async move { customers::export(tx, &id, &query, pages).await })
        }))
        .await
    }

    async fn customers_at(&self, shop_id: &str, at: NaiveDate) -> DbResult<Vec<CustomerRecord>> {
        customers::customers_at(&self.client().await?, shop_id, at).await
    }

    async fn purchases_of(
        &self,
        shop_id: &str,
        customer_ref: &str,
        offset: u64,
        limit: u64,
    ) -> DbResult<Vec<PurchaseRecord>> {
        customers::purchases_of(&self.client().await?, shop_id, customer_ref, offset, limit).await
    }

    async fn last_purchases(
        &self,
        shop_id: &str,
        customers: &[String],
    ) -> DbResult<Vec<PurchaseRecord>> {
        customers::last_purchases(&self.client().await?, shop_id, customers).await
    }

    async fn spells(&self, shop_id: &str) -> DbResult<Vec<SpellRecord>> {
        customers::spells(&self.client().await?, shop_id).await
    }

    async fn store_days(
        &self,
        shop_id: &str,
        store: &str,
    ) -> DbResult<Vec<(String, NaiveDate, u64)>> {
        customers::store_days(&self.client().await?, shop_id, store).await
    }

    async fn revenue(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<RevenueRecord>> {
        customers::revenue(&self.client().await?, shop_id, from, to).await
    }

    async fn cohort_cells(
        &self,
        shop_id: &str,
        from_month: NaiveDate,
        to_month: NaiveDate,
    ) -> DbResult<Vec<(NaiveDate, NaiveDate, u64)>> {
        customers::cohort_cells(&self.client().await?, shop_id, from_month, to_month).await
    }

    async fn tiers(&self, shop_id: &str) -> DbResult<Vec<Tier>> {
        loyalty::tiers(&self.client().await?, shop_id).await
    }

    async fn customer_points(&self, shop_id: &str, customer_ref: &str) -> DbResult<Option<u64>> {
        loyalty::points(&self.client().await?, shop_id, customer_ref).await
    }

    async fn record_purchase(
        &self,
        shop_id: &str,
        purchase: NewPurchase,
    ) -> DbResult<PurchaseOutcome> {
        let (mut outcomes, _) = loyalty::record_purchases(
            &mut self.client().await?,
            shop_id,
            std::slice::from_ref(&purchase),
            Utc::now(),
            Runs::AsRequest,
        )
        .await?;
        Ok(outcomes.remove(0))
    }

    async fn import_purchases(
        &self,
        shop_id: &str,
        purchases: Vec<NewPurchase>,
    ) -> DbResult<ImportOutcome> {
        let (_, summary) = loyalty::record_purchases(
            &mut self.client().await?,
            shop_id,
            &purchases,
            Utc::now(),
            Runs::AsJob,
        )
        .await?;
        Ok(summary)
    }

    async fn known_purchases(
        &self,
        shop_id: &str,
        purchase_ids: Vec<String>,
    ) -> DbResult<HashMap<String, KnownPurchase>> {
        // An import's first read of its file's purchases: a job, as its
        // batches are (it had been given up behind a lock at 20 s).
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        Runs::AsJob.begin(&tx).await?;
        let known = loyalty::known_purchases(&tx, shop_id, &purchase_ids).await?;
        tx.commit().await?;
        Ok(known)
    }

    async fn set_points(&self, shop_id: &str, customer_ref: &str, points: u64) -> DbResult<()> {
        loyalty::set_points(&self.client().await?, shop_id, customer_ref, points).await
    }

    async fn rollups(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<Rollup>> {
        reports::rollups(&self.client().await?, shop_id, from, to).await
    }

    async fn reason_rollups(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<ReasonRollup>> {
        reports::reason_rollups(&self.client().await?, shop_id, from, to).await
    }
}
