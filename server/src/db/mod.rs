//! The storage layer: one async trait, [`Database`], that names every operation the
//! server needs, with typed records and typed errors, and two implementations of
//! it: SQLite (embedded, the default) and PostgreSQL (for several instances).
//! Nothing outside this module sees a driver type.
//!
//! What is *computed* (points earned, the local day of an answer, rollup keys,
//! reports) is computed once, in Rust, outside the engines: the engines store and
//! fetch. Both run the same tests (`server/tests`).

pub mod answer_filter;
pub mod columns;
mod error;
pub mod postgres;
mod records;
pub mod rollup;
pub mod snapshot;
pub mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use kept_shared::{ErasedCustomer, Store, Survey};

pub use error::DbError;
pub use records::*;
pub use rollup::{ReasonRollup, Rollup, RollupKey, rollups_of, rollups_of_stored};

use crate::tokens::TokenKind;

/// What every storage operation returns.
pub type DbResult<T> = Result<T, DbError>;

/// A shared handle on the store, as the HTTP layer, pages, demo and CLI hold it.
pub type Db = Arc<dyn Database>;

/// How an erased customer is remembered (`erased_customers`): a hash of their
/// reference in their shop, so that the list of who asked to be forgotten does
/// not itself name them, yet an old till file's purchases of theirs, or an
/// answer queued offline before the erasure, is known as theirs.
pub fn erased_key(shop_id: &str, customer_ref: &str) -> Vec<u8> {
    hashed("erased", shop_id, customer_ref)
}

/// SHA-256 of what is remembered of an erased customer, under `kind`.
fn hashed(kind: &str, shop_id: &str, value: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("{kind}:{shop_id}\n{value}")).to_vec()
}

/// Why a batch of answers was not written: a customer it names was erased
/// between its check and its write (ingest's `forget_erased`); sent again, it
/// is checked anew, and stored without them.
pub const ERASED_MEANWHILE: &str =
    "a customer these answers name was erased while they were being stored: send them again";

/// What a write of a shop's purchases or answers counts by, read as the write
/// begins (on SQLite's one writer; on PostgreSQL under the shop's lock): its
/// churn window and time zone as stored then, and whether it has erased anyone
/// (`Shop::has_erased_customers`: what is erased is looked up only then).
pub(crate) struct ShopNow {
    pub churn_window_days: u32,
    pub time_zone: chrono_tz::Tz,
    pub has_erased_customers: bool,
}

/// Whether the shop has erased anyone, as a column read `FROM shops` (both
/// engines: [`Shop::has_erased_customers`], [`ShopNow`]).
pub(crate) const HAS_ERASED: &str =
    "EXISTS (SELECT 1 FROM erased_customers e WHERE e.shop_id = shops.id)";

/// A stored time zone's name as the zone.
pub(crate) fn zone_named(name: &str) -> DbResult<chrono_tz::Tz> {
    name.parse()
        .map_err(|e: chrono_tz::ParseError| DbError::internal(anyhow::anyhow!("{e}")))
}

/// Each record's day in the shop's time zone as stored now (`zone`): a
/// change of time zone committed since the batch was read moves every
/// answer's day, and one written after it in the old zone had kept its old day.
pub fn in_zone(records: Vec<AnswerRecord>, zone: chrono_tz::Tz) -> Vec<AnswerRecord> {
    records
        .into_iter()
        .map(|mut r| {
            r.day = crate::calendar::local_day(r.answer.answered_at, zone);
            r
        })
        .collect()
}

/// Each purchase's day in the shop's time zone as stored now (`zone`), as
/// [`in_zone`] does for answers.
pub fn purchases_in_zone(purchases: &[NewPurchase], zone: chrono_tz::Tz) -> Vec<NewPurchase> {
    purchases
        .iter()
        .cloned()
        .map(|mut p| {
            p.day = crate::calendar::local_day(p.purchased_at, zone);
            p
        })
        .collect()
}

/// What the shop remembers of its erased customers, of the references and
/// purchase ids asked about ([`Database::erased`]): the one judge of what
/// belongs to an erased customer, for purchases and answers alike, both
/// before a write and inside it.
#[derive(Debug, Clone, Default)]
pub struct Erased {
    /// When each customer asked about that was erased was erased last.
    pub customers: HashMap<String, DateTime<Utc>>,
    /// The purchase ids asked about that were an erased customer's.
    pub purchases: std::collections::HashSet<String>,
}

impl Erased {
    /// Whether `p` is an erased customer's: its id was theirs, or it was made
    /// before they were erased (an old till file, a till retrying late).
    pub fn bought(&self, p: &NewPurchase) -> bool {
        self.purchases.contains(&p.purchase_id)
            || self
                .customers
                .get(&p.customer_ref)
                .is_some_and(|at| *at >= p.purchased_at)
    }

    /// Whether `a` names an erased customer: given before they were erased
    /// (queued offline), or for one of their orders (a personal link given out
    /// before the erasure).
    pub fn named_in(&self, a: &kept_shared::Answer) -> bool {
        a.customer_ref
            .as_ref()
            .and_then(|c| self.customers.get(c))
            .is_some_and(|at| *at >= a.answered_at)
            || a.order_ref
                .as_ref()
                .is_some_and(|o| self.purchases.contains(o))
    }

    /// The customers and orders `answers` name, as [`Database::erased`] asks.
    pub fn asked_of(answers: &[AnswerRecord]) -> (Vec<String>, Vec<String>) {
        let distinct = |refs: &mut dyn Iterator<Item = &String>| {
            refs.cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        };
        (
            distinct(
                &mut answers
                    .iter()
                    .filter_map(|r| r.answer.customer_ref.as_ref()),
            ),
            distinct(&mut answers.iter().filter_map(|r| r.answer.order_ref.as_ref())),
        )
    }
}

/// How a purchase of an erased customer is remembered (`erased_purchases`),
/// as [`erased_key`]: its id sent again, without a time (a till retrying
/// late), is not recorded anew, nor its points earned twice.
pub fn erased_purchase_key(shop_id: &str, purchase_id: &str) -> Vec<u8> {
    hashed("erased purchase", shop_id, purchase_id)
}

/// Whether `--db` names a PostgreSQL database: a `postgres://` URL, or libpq's
/// `key=value` form (`host=db dbname=kept`, which had been taken for a SQLite
/// file's name, the password in it); anything else is a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://")
        || db.starts_with("postgresql://")
        || ["host=", "dbname=", "user="].iter().any(|k| db.contains(k))
            && db
                .split_whitespace()
                .all(|pair| pair.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
}

/// `--db` as it may be shown (an error, a log): a PostgreSQL URL with its
/// password, in the user part or as `?password=`, masked (a typo in a host had
/// printed it in clear for the journal).
pub fn shown(db: &str) -> String {
    if !is_postgres_url(db) {
        return db.to_string();
    }
    if !db.contains("://") {
        // libpq's `key=value` form.
        return db
            .split_whitespace()
            .map(|pair| match pair.split_once('=') {
                Some(("password", _)) => "password=***".to_string(),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    let Ok(mut url) = url::Url::parse(db) else {
        return "a PostgreSQL URL that does not read".to_string();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Opens the store named by `url`: `postgres://…` (or `postgresql://…`) for
/// PostgreSQL, anything else is a SQLite file path (created if missing). Either is
/// migrated to the current schema before this returns.
pub async fn open(url: &str) -> anyhow::Result<Db> {
    if is_postgres_url(url) {
        Ok(Arc::new(postgres::PgDatabase::connect(url).await?))
    } else {
        let path = std::path::PathBuf::from(url);
        let db = tokio::task::spawn_blocking(move || sqlite::SqliteDatabase::open(&path)).await??;
        Ok(Arc::new(db))
    }
}

/// Every operation the server needs of its store.
#[async_trait]
pub trait Database: Send + Sync + 'static {
    /// Which engine this is ("sqlite" or "postgres"), for logs.
    fn engine(&self) -> &'static str;

    // --- shops and their keys ---

    /// Creates a shop with its tiers and token hashes. [`DbError::Conflict`] if its
    /// id or public key is taken.
    async fn create_shop(&self, shop: NewShop) -> DbResult<()>;
    async fn shop(&self, id: &str) -> DbResult<Option<Shop>>;
    async fn shop_by_public_key(&self, public_key: &str) -> DbResult<Option<Shop>>;
    /// Replaces the origins allowed to call the shop's widget API from a browser.
    async fn set_allowed_origins(&self, shop_id: &str, origins: Vec<String>) -> DbResult<()>;
    /// The stored hashes of the shop's tokens of `kind` (none for an unknown shop);
    /// the caller compares in constant time.
    async fn token_hashes(&self, shop_id: &str, kind: TokenKind) -> DbResult<Vec<Vec<u8>>>;
    /// Changes the shop's settings and tiers. When the time zone or the churn
    /// window changes, everything derived from them (the local days of answers and
    /// purchases, the rollups, the customers' facts and spells) is recomputed in
    /// the same transaction.
    async fn update_shop(&self, shop_id: &str, update: ShopUpdate) -> DbResult<()>;
    /// Replaces every token of `kind` by the one hashed `hash` (the old ones stop
    /// working at once); replacing the owner token also ends the shop's sessions.
    async fn replace_token(&self, shop_id: &str, kind: TokenKind, hash: Vec<u8>) -> DbResult<()>;
    /// Replaces the shop's widget secret (signatures made with the old one stop
    /// verifying at once).
    async fn set_widget_secret(&self, shop_id: &str, secret: String) -> DbResult<()>;
    /// Adds a line to the shop's audit log.
    async fn record_audit(&self, shop_id: &str, entry: AuditRecord) -> DbResult<()>;
    /// The shop's audit log, newest first.
    async fn audit_log(&self, shop_id: &str, limit: u64) -> DbResult<Vec<AuditRecord>>;

    // --- the owner's dashboard sessions ---

    async fn create_session(&self, session: SessionRecord) -> DbResult<()>;
    /// The unexpired session whose id hashes to `id_hash`.
    async fn session(&self, id_hash: &[u8], now: DateTime<Utc>) -> DbResult<Option<SessionRecord>>;
    async fn delete_session(&self, id_hash: &[u8]) -> DbResult<()>;

    // --- surveys ---

    /// Adds the survey, or (as `write` allows) changes it, but not its kind
    /// (its answers keep their meaning); a new one only while the shop has
    /// fewer than `most`, and none whose id differs from another's only in
    /// case (`Nps` beside `nps`: two surveys to the owner's eye): `false`
    /// otherwise, and nothing written. Checked and written at once, as
    /// [`Database::create_webhook`]: two requests making one survey at the
    /// same moment cannot both be taken as new, nor with two kinds.
    async fn put_survey(
        &self,
        shop_id: &str,
        survey: SurveyRecord,
        most: usize,
        write: SurveyWrite,
    ) -> DbResult<bool>;
    /// The shop's surveys (all, or only active ones), in their order.
    async fn surveys(&self, shop_id: &str, only_active: bool) -> DbResult<Vec<SurveyRecord>>;

    // --- answers ---

    /// Stores valid answers in one durable transaction, each once: the result says,
    /// per answer in the order given, whether it was new (`true`) or known
    /// already (`false`): its id, or, for a verified answer, a verified answer to
    /// the same survey for the same order. The rollups the reports read are updated in the
    /// same transaction.
    ///
    /// Each of `events` whose answer is new is queued, in the same transaction,
    /// for every webhook endpoint of the shop that takes its kind.
    async fn insert_answers(
        &self,
        shop_id: &str,
        answers: Vec<AnswerRecord>,
        received_at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> DbResult<Vec<bool>>;
    /// What is stored under each of `ids` that is an answer's id, of any shop:
    /// enough to tell the same answer sent again from another under its id.
    async fn answers_known_by_id(&self, ids: Vec<uuid::Uuid>) -> DbResult<Vec<KnownAnswer>>;
    /// The surveys with an answer stored for `order_ref` (the display plan's
    /// "answered", `shared/targeting.md`).
    async fn surveys_answered_for_order(
        &self,
        shop_id: &str,
        order_ref: &str,
    ) -> DbResult<Vec<String>>;
    /// Every answer `query` selects (its paging ignored), read from one snapshot
    /// a page at a time as the receiver takes them ([`snapshot`]).
    async fn export_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<snapshot::ExportPages<StoredAnswer>>;
    /// The shop's answers, oldest first.
    async fn answers(&self, shop_id: &str) -> DbResult<Vec<AnswerRecord>> {
        let (found, _) = self.find_answers(shop_id, AnswerQuery::default()).await?;
        Ok(found.into_iter().map(|a| a.record).collect())
    }

    // --- loyalty ---

    /// The shop's tiers, lowest first.
    async fn tiers(&self, shop_id: &str) -> DbResult<Vec<Tier>>;
    /// A customer's points (`None` for a customer the shop never credited).
    async fn customer_points(&self, shop_id: &str, customer_ref: &str) -> DbResult<Option<u64>>;
    /// Records a purchase once per purchase id and credits its points, and brings
    /// the customer's facts and the shop's rollups up to date (by the shop's
    /// churn window as stored when the write runs: a change of settings
    /// committed since the caller read the shop is not undone).
    /// [`DbError::Conflict`] when the id is known with other details;
    /// [`DbError::LimitExceeded`] when the balance would pass `MAX_POINTS`.
    async fn record_purchase(
        &self,
        shop_id: &str,
        purchase: NewPurchase,
    ) -> DbResult<PurchaseOutcome>;
    /// Records many purchases (one chunk of an import, `owner::import`) in one
    /// transaction, all or none: each new purchase id is stored and credited, a
    /// known one with the same details counts as a duplicate, one with other
    /// details fails the whole call with [`DbError::Conflict`].
    async fn import_purchases(
        &self,
        shop_id: &str,
        purchases: Vec<NewPurchase>,
    ) -> DbResult<ImportOutcome>;
    /// Which of `purchase_ids` the shop has recorded, with the customer and amount
    /// of each (an import checks its whole file against them before it writes).
    async fn known_purchases(
        &self,
        shop_id: &str,
        purchase_ids: Vec<String>,
    ) -> DbResult<HashMap<String, KnownPurchase>>;
    /// Sets a customer's points outright (the demo's sample customers).
    async fn set_points(&self, shop_id: &str, customer_ref: &str, points: u64) -> DbResult<()>;

    // --- the customer base ---

    async fn customer(&self, shop_id: &str, customer_ref: &str)
    -> DbResult<Option<CustomerRecord>>;
    /// A page of the customer base, and how many customers match in all.
    async fn customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<(Vec<CustomerRecord>, u64)>;
    /// Every customer `query` selects (its paging ignored), read from one
    /// snapshot a page at a time as the receiver takes them ([`snapshot`]).
    async fn export_customers(
        &self,
        shop_id: &str,
        query: CustomerQuery,
    ) -> DbResult<snapshot::ExportPages<CustomerRecord>>;
    /// Every customer with a purchase up to `at`, with their figures up to `at`
    /// (`points`: their balance when `at` is on or after the shop's last purchase
    /// day, else the points their purchases up to `at` earned).
    async fn customers_at(&self, shop_id: &str, at: NaiveDate) -> DbResult<Vec<CustomerRecord>>;
    /// A customer's purchases, newest first: `limit` of them from `offset`.
    async fn purchases_of(
        &self,
        shop_id: &str,
        customer_ref: &str,
        offset: u64,
        limit: u64,
    ) -> DbResult<Vec<PurchaseRecord>>;
    /// The last purchase (the latest, then the greatest id) of each of
    /// `customers` who has one, in one query: bulk personal links ask for
    /// thousands.
    async fn last_purchases(
        &self,
        shop_id: &str,
        customers: &[String],
    ) -> DbResult<Vec<PurchaseRecord>>;
    /// The shop's spells of customer activity (for its churn window).
    async fn spells(&self, shop_id: &str) -> DbResult<Vec<SpellRecord>>;
    /// What each customer spent in `store` on each day they bought there, by
    /// customer and day: `(customer, day, amount in cents)` (one store's spells
    /// and revenue, over its purchases alone).
    async fn store_days(
        &self,
        shop_id: &str,
        store: &str,
    ) -> DbResult<Vec<(String, NaiveDate, u64)>>;
    /// The revenue rollups of days `from..=to`, all stores summed (one
    /// store's revenue is aged from its own first purchases: `store_days`).
    async fn revenue(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<RevenueRecord>>;
    /// Cohort rollup cells `(cohort month, month, customers)` of cohorts from
    /// `from_month` to `to_month`.
    async fn cohort_cells(
        &self,
        shop_id: &str,
        from_month: NaiveDate,
        to_month: NaiveDate,
    ) -> DbResult<Vec<(NaiveDate, NaiveDate, u64)>>;

    // --- answers for the owner ---

    /// The answers `query` selects (a page of them), and how many match in all.
    async fn find_answers(
        &self,
        shop_id: &str,
        query: AnswerQuery,
    ) -> DbResult<(Vec<StoredAnswer>, u64)>;
    /// Sets the follow-up of an inbox answer (its note only when the update
    /// has one). [`DbError::NotFound`] for an answer of another shop or one
    /// that is not in the inbox.
    async fn set_follow_up(
        &self,
        shop_id: &str,
        answer_id: uuid::Uuid,
        update: kept_shared::FollowUpUpdate,
    ) -> DbResult<()>;
    /// Adds to the counts of what the widget did.
    async fn record_widget_events(
        &self,
        shop_id: &str,
        counts: Vec<WidgetEventCount>,
    ) -> DbResult<()>;
    /// The widget's counts of days `from..=to`.
    async fn widget_events(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<WidgetEventCount>>;

    // --- webhooks ---

    /// Adds the endpoint unless the shop has `most` already: `false` then, and
    /// nothing written. Counted and written at once, so that requests at the
    /// same moment cannot pass the limit together.
    async fn create_webhook(
        &self,
        shop_id: &str,
        webhook: WebhookRecord,
        most: usize,
    ) -> DbResult<bool>;
    async fn webhooks(&self, shop_id: &str) -> DbResult<Vec<WebhookRecord>>;
    /// [`DbError::NotFound`] for an endpoint of another shop.
    async fn delete_webhook(&self, shop_id: &str, id: &str) -> DbResult<()>;
    /// Takes deliveries due at `now` (of every shop) into the free `places`,
    /// leased until `lease_until`: no deliverer (of any instance) takes them
    /// again before. Taken in turns: each endpoint's oldest due first, then
    /// each one's second, and so on, so that a backlog of one endpoint does
    /// not keep another's waiting.
    async fn take_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        places: DeliveryPlaces,
    ) -> DbResult<Vec<DueDelivery>>;
    /// Logs an attempt and settles what becomes of its delivery.
    async fn record_delivery_attempt(
        &self,
        delivery_id: &str,
        attempt: kept_shared::webhooks::DeliveryAttempt,
        outcome: AttemptOutcome,
    ) -> DbResult<()>;
    /// An endpoint's latest deliveries, newest first, with their attempts.
    async fn deliveries(
        &self,
        shop_id: &str,
        webhook_id: &str,
        limit: u32,
    ) -> DbResult<Vec<kept_shared::webhooks::Delivery>>;

    /// The shops with an endpoint that takes `kind`.
    async fn shops_listening(
        &self,
        kind: kept_shared::webhooks::EventKind,
    ) -> DbResult<Vec<String>>;
    /// The customers last seen at risk.
    async fn customers_at_risk(&self, shop_id: &str) -> DbResult<Vec<String>>;
    /// Records who entered and left the at-risk segments, and queues the
    /// events of those who entered, in one transaction. A customer erased
    /// since they were looked at is left out, with their event: neither their
    /// reference nor their figures come back.
    async fn mark_at_risk(&self, shop_id: &str, change: RiskChange) -> DbResult<()>;

    // --- privacy ---

    /// Erases a customer in one transaction: their purchases (taken out of
    /// the rollups first, as if never made), balance and facts, and the link
    /// from their answers (and their orders' answers) to them. Erasing an
    /// unknown customer removes nothing and is not an error.
    async fn erase_customer(&self, shop_id: &str, customer_ref: &str) -> DbResult<ErasedCustomer>;
    /// Which of `customer_refs` were erased, and when last, and which of
    /// `purchase_ids` were an erased customer's.
    async fn erased(
        &self,
        shop_id: &str,
        customer_refs: Vec<String>,
        purchase_ids: Vec<String>,
    ) -> DbResult<Erased>;
    /// Deletes the free text of answers older than their shop's retention at
    /// `now` (shops that keep texts are left alone); returns how many.
    async fn purge_expired_texts(&self, now: DateTime<Utc>) -> DbResult<u64>;

    // --- stores, kiosks and their tablets ---

    /// Adds the store, or renames it; a new one only while the shop has fewer
    /// than `most`: `false` otherwise, and nothing written. Counted and
    /// written at once, as [`Database::create_webhook`].
    async fn put_store(&self, shop_id: &str, store: Store, most: usize) -> DbResult<bool>;
    /// The shop's stores, by id.
    async fn stores(&self, shop_id: &str) -> DbResult<Vec<Store>>;
    /// Sets the hash of the shop's kiosk PIN (`None` removes it).
    async fn set_kiosk_pin(&self, shop_id: &str, hash: Option<Vec<u8>>) -> DbResult<()>;
    async fn kiosk_pin(&self, shop_id: &str) -> DbResult<Option<Vec<u8>>>;
    /// Records a tablet's report; its `synced_at` never goes back. Whether it
    /// was recorded: a tablet the owner removed is not, until it is set up again.
    async fn record_device(&self, shop_id: &str, device: DeviceRecord) -> DbResult<bool>;
    /// The shop's tablets, by id (not the ones removed).
    async fn devices(&self, shop_id: &str) -> DbResult<Vec<DeviceRecord>>;
    /// Removes a tablet (`removed`), or takes it back once it is set up again
    /// with the PIN. Removing one the shop has no record of is
    /// [`DbError::NotFound`]; taking back one never removed changes nothing.
    async fn set_device_removed(&self, shop_id: &str, device: &str, removed: bool) -> DbResult<()>;

    // --- reports ---

    /// The answer rollups of the shop's local days `from..=to`.
    async fn rollups(&self, shop_id: &str, from: NaiveDate, to: NaiveDate)
    -> DbResult<Vec<Rollup>>;
    /// The churn reason rollups of the shop's local days `from..=to`.
    async fn reason_rollups(
        &self,
        shop_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DbResult<Vec<ReasonRollup>>;
}

/// An answer stored, as [`Database::answers_known_by_id`] tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAnswer {
    pub id: uuid::Uuid,
    pub shop_id: String,
    pub survey: String,
    pub score: Option<u8>,
    /// A churn answer's reasons, in the order picked.
    pub reasons: Vec<String>,
    pub channel: String,
    pub store: Option<String>,
    pub answered_at: DateTime<Utc>,
    pub customer_ref: Option<String>,
    pub order_ref: Option<String>,
}

/// What [`Database::put_survey`] may do with a survey of that id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyWrite {
    /// Make it: nothing is written where the shop has it already.
    New,
    /// Make it, or change the one there.
    NewOrChange,
}

/// Surveys as stored, with the shop's choices about them.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRecord {
    pub survey: Survey,
    pub active: bool,
    /// Order among the shop's surveys, lowest first.
    pub position: i32,
}
