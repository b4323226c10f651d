//! The records the store takes and gives back.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kept_shared::{Answer, TierSetting};

/// Days without a purchase after which a customer counts as lost, unless the shop
/// sets its own (see `docs/retention-definitions.md`).
pub const DEFAULT_CHURN_WINDOW_DAYS: u32 = 90;

/// A shop and the settings every request may need.
#[derive(Debug, Clone, PartialEq)]
pub struct Shop {
    pub id: String,
    pub name: String,
    /// Identifies the shop to the widget; grants no reading.
    pub public_key: String,
    /// Origins allowed to call the widget API from a browser (CORS).
    pub allowed_origins: Vec<String>,
    /// Loyalty points per whole currency unit (100 minor units) spent.
    pub points_per_unit: u64,
    /// The shop's time zone: it decides which day an answer or purchase belongs to.
    pub time_zone: Tz,
    /// Days without a purchase after which a customer counts as lost.
    pub churn_window_days: u32,
    /// Days after any survey during which a visitor is shown no other.
    pub survey_cooldown_days: u32,
    /// Signs customer and order references (`signatures.rs`). Never shown after
    /// it is made, and never sent to a browser.
    pub widget_secret: String,
    /// Store only verified answers (signed references).
    pub require_verified: bool,
    /// Days after which free-text answers are deleted; 0 keeps them.
    pub text_retention_days: u32,
    /// Whether the shop has ever erased a customer: what is erased is looked
    /// up for a write only then (most shops never have; the writes of those
    /// that have read it again under their lock, in case one was erased since).
    pub has_erased_customers: bool,
}

/// A shop to create, with its tiers and the hashes of its first tokens.
#[derive(Debug, Clone)]
pub struct NewShop {
    pub shop: Shop,
    pub tiers: Vec<Tier>,
    pub back_office_token_hash: Vec<u8>,
    pub owner_token_hash: Vec<u8>,
}

/// A loyalty tier: reached at `min_points`, named per locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// The name in the shop's default language.
    pub name: String,
    pub min_points: u64,
    /// Names by locale ("uk" → "Золото").
    pub labels: BTreeMap<String, String>,
}

impl Tier {
    pub fn new(name: &str, min_points: u64) -> Tier {
        Tier {
            name: name.into(),
            min_points,
            labels: BTreeMap::new(),
        }
    }

    pub fn with_label(mut self, locale: &str, name: &str) -> Tier {
        self.labels.insert(locale.into(), name.into());
        self
    }
}

/// A tier as the owner sets it, and as it is stored.
impl From<TierSetting> for Tier {
    fn from(t: TierSetting) -> Tier {
        Tier {
            name: t.name,
            min_points: t.min_points,
            labels: t.labels,
        }
    }
}

impl From<&Tier> for TierSetting {
    fn from(t: &Tier) -> TierSetting {
        TierSetting {
            name: t.name.clone(),
            min_points: t.min_points,
            labels: t.labels.clone(),
        }
    }
}

/// An answer as stored: the answer itself (its texts sanitised) and what the
/// server derived from it on arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerRecord {
    pub answer: Answer,
    /// The shop's local day of `answer.answered_at`.
    pub day: NaiveDate,
    /// Whether the shop vouched for the customer and order references.
    pub verified: bool,
    /// The store (location) the answer was given in, where known.
    pub store: Option<String>,
}

/// A purchase to record, its points already computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPurchase {
    pub purchase_id: String,
    pub customer_ref: String,
    pub amount_cents: u64,
    pub points: u64,
    pub purchased_at: DateTime<Utc>,
    /// The shop's local day of `purchased_at`.
    pub day: NaiveDate,
    pub store: Option<String>,
    /// Whether the sender gave `purchased_at` (else it is when the purchase
    /// came): only a time given names the purchase's day, so that a retry
    /// without one is the same purchase again.
    pub time_given: bool,
}

/// What recording a purchase did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseOutcome {
    /// The purchase id was recorded before (with the same details): nothing changed.
    pub duplicate: bool,
    /// The purchase is an erased customer's (its id was theirs, or the
    /// customer was erased after it was made): it is not recorded (an erased
    /// customer is not brought back by their old purchases).
    pub erased: bool,
    /// The customer's balance afterwards.
    pub points: u64,
}

impl PurchaseOutcome {
    /// An erased customer's purchase, left out (`Erased::bought`): `balance` stands.
    pub fn not_recorded_as_erased(balance: u64) -> PurchaseOutcome {
        PurchaseOutcome {
            duplicate: false,
            erased: true,
            points: balance,
        }
    }
}

/// A customer of the base: the loyalty balance and the facts of their purchases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerRecord {
    pub customer_ref: String,
    pub points: u64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub purchases: u64,
    pub total_cents: u64,
    pub points_earned: u64,
}

/// A recorded purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRecord {
    pub purchase_id: String,
    pub customer_ref: String,
    pub amount_cents: u64,
    pub points: u64,
    pub purchased_at: DateTime<Utc>,
    pub day: NaiveDate,
    pub store: Option<String>,
}

/// A spell of a customer's activity, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpellRecord {
    pub customer_ref: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub first: bool,
}

/// A revenue rollup row (see `analytics::facts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevenueRecord {
    pub day: NaiveDate,
    pub age: i16,
    pub purchases: u64,
    pub amount_cents: u64,
    pub points: u64,
}

/// How to order a list of customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerSort {
    #[default]
    LastPurchase,
    FirstPurchase,
    Total,
    Purchases,
    Points,
    Reference,
}

/// A page of the customer base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Part of a customer reference (case-insensitive).
    pub search: Option<String>,
    pub sort: CustomerSort,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

/// Which answers to list. Every condition that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerQuery {
    pub survey: Option<String>,
    /// "nps", "csat" or "churn_reason".
    pub kind: Option<String>,
    pub min_score: Option<u8>,
    pub max_score: Option<u8>,
    pub channel: Option<kept_shared::Channel>,
    pub store: Option<String>,
    pub customer: Option<String>,
    /// Shop-local days, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Words the free text must contain (case-insensitive).
    pub text: Option<String>,
    /// Only the inbox: NPS 0–6, and churn answers (with or without text).
    pub inbox: bool,
    /// Only verified answers (signed references).
    pub verified_only: bool,
    /// With `customer`: their answers given for their orders (by purchase id)
    /// count as theirs too.
    pub with_their_orders: bool,
    /// Only inbox answers with this follow-up status (answers never followed up are "new").
    pub status: Option<kept_shared::FollowUpStatus>,
    /// Only each customer's latest answer of each kind (answers with a customer).
    pub latest_per_customer: bool,
    /// Newest first (else oldest first).
    pub newest_first: bool,
    pub offset: u64,
    /// `0`: no limit.
    pub limit: u64,
}

/// An answer with the owner's follow-up of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    pub record: AnswerRecord,
    pub follow_up: Option<kept_shared::FollowUp>,
    /// It came with words (`rollup::answered_in_words`), which may since
    /// have been deleted (the shop keeps free text for a while only).
    pub in_words: bool,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: u64,
    pub duplicates: u64,
    /// Purchases of customers erased after they were made: not recorded.
    pub erased: u64,
    /// The customers it stored purchases for.
    pub customers: u64,
    /// Whether the first and the last customer of the purchases written got
    /// new ones: a customer whose purchases run across two chunks of an
    /// import is counted by both, and these say when.
    pub first_customer_new: bool,
    pub last_customer_new: bool,
}

impl ImportOutcome {
    /// Says of the first and last customer of `purchases` whether `got_new`.
    pub fn ends(mut self, purchases: &[NewPurchase], got_new: impl Fn(&str) -> bool) -> Self {
        self.first_customer_new = purchases.first().is_some_and(|p| got_new(&p.customer_ref));
        self.last_customer_new = purchases.last().is_some_and(|p| got_new(&p.customer_ref));
        self
    }
}

/// A purchase as recorded, in what makes it the same purchase when its id comes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPurchase {
    pub customer_ref: String,
    pub amount_cents: u64,
    /// The shop's local day of the purchase (what every figure counts it by).
    pub day: NaiveDate,
    pub store: Option<String>,
}

impl KnownPurchase {
    /// Whether `again`, sent under this purchase's id, is this purchase again:
    /// the same customer and amount, the same store where `again` names one,
    /// and the same day in the shop's time zone where its sender gave a time
    /// (`time_given`). A day, not an instant: the same purchase comes from a
    /// back office at the moment it arrived, from a till's export to the
    /// minute, or from a file by its date alone (noon). The same id with other
    /// details is another purchase, or a correction, which the id cannot name
    /// twice: a conflict, never a duplicate dropped in silence.
    pub fn is_same(&self, again: &KnownPurchase, time_given: bool) -> bool {
        self.customer_ref == again.customer_ref
            && self.amount_cents == again.amount_cents
            && (again.store.is_none() || self.store == again.store)
            && (!time_given || self.day == again.day)
    }
}

impl From<&NewPurchase> for KnownPurchase {
    fn from(p: &NewPurchase) -> KnownPurchase {
        KnownPurchase {
            customer_ref: p.customer_ref.clone(),
            amount_cents: p.amount_cents,
            day: p.day,
            store: p.store.clone(),
        }
    }
}

/// Reports an import's progress: purchases written so far.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// How many times the widget did something on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetEventCount {
    pub day: NaiveDate,
    pub survey: String,
    pub channel: kept_shared::Channel,
    pub kind: kept_shared::WidgetEventKind,
    pub count: u64,
}

/// A shop's settings as the owner changes them.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopUpdate {
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub points_per_unit: u64,
    pub churn_window_days: u32,
    pub survey_cooldown_days: u32,
    pub require_verified: bool,
    pub text_retention_days: u32,
    pub time_zone: Tz,
    pub tiers: Vec<Tier>,
}

/// An owner's dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session id the cookie holds.
    pub id_hash: Vec<u8>,
    pub shop_id: String,
    /// The token forms must echo (against cross-site request forgery).
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One line of a shop's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A webhook endpoint as stored (`webhooks.rs` delivers to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: String,
    pub url: String,
    pub events: Vec<kept_shared::webhooks::EventKind>,
    /// Signs each delivery (`Kept-Signature`).
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// An event for each of the shop's endpoints that takes its kind, written in
/// the transaction that stores its answer (and only if the answer is new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub answer_id: uuid::Uuid,
    pub event_id: String,
    pub kind: kept_shared::webhooks::EventKind,
    /// The body to send, as JSON.
    pub payload: String,
}

/// The places a look for due deliveries may fill: `free` in all, and of each
/// endpoint and each shop as many as bring it to its most with those it has in
/// flight already (`(id, count)`; an id not named has none).
#[derive(Debug, Clone, Default)]
pub struct DeliveryPlaces {
    pub free: u32,
    pub per_endpoint: u32,
    pub per_shop: u32,
    pub endpoints_in_flight: Vec<(String, u32)>,
    pub shops_in_flight: Vec<(String, u32)>,
}

/// A delivery taken for an attempt: no other deliverer takes it until the
/// attempt is recorded or its lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: String,
    /// Its shop.
    pub shop_id: String,
    /// Its endpoint.
    pub webhook_id: String,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// How an attempt ended, and so what becomes of its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(DateTime<Utc>),
    GaveUp,
}

/// The list of event kinds as webhooks store it: `,a,b,`, so that SQL finds a
/// kind by looking for `,kind,`.
pub fn encode_event_kinds(kinds: &[kept_shared::webhooks::EventKind]) -> String {
    let mut s = String::from(",");
    for k in kinds {
        s.push_str(k.as_str());
        s.push(',');
    }
    s
}

pub fn decode_event_kinds(s: &str) -> Vec<kept_shared::webhooks::EventKind> {
    s.split(',')
        .filter_map(kept_shared::webhooks::EventKind::parse)
        .collect()
}

/// Who entered and who left the at-risk segments at `day`, with the events of
/// those who entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskChange {
    pub day: NaiveDate,
    pub entered: Vec<String>,
    pub left: Vec<String>,
    /// One per customer of `entered`, in the same order.
    pub events: Vec<NewEvent>,
}

impl RiskChange {
    /// Those who entered, each with their event, kept where `still_there`
    /// says the customer is still stored.
    pub fn entered_still_there(
        &self,
        still_there: impl Fn(&str) -> bool,
    ) -> Vec<(&str, &NewEvent)> {
        self.entered
            .iter()
            .zip(&self.events)
            .filter(|(c, _)| still_there(c))
            .map(|(c, e)| (c.as_str(), e))
            .collect()
    }
}

/// Days a settled webhook delivery (delivered, or given up) stays in its
/// endpoint's log.
pub const DELIVERY_LOG_DAYS: i64 = 30;

/// The events of the answers the store found new (`inserted` says, per record
/// in order, whether it was), the ones both engines queue for webhooks.
pub fn events_of_new<'a>(
    records: &[AnswerRecord],
    inserted: &[bool],
    events: &'a [NewEvent],
) -> Vec<&'a NewEvent> {
    let new: std::collections::HashSet<uuid::Uuid> = records
        .iter()
        .zip(inserted)
        .filter(|(_, new)| **new)
        .map(|(r, _)| r.answer.id)
        .collect();
    events
        .iter()
        .filter(|e| new.contains(&e.answer_id))
        .collect()
}

/// Where a delivery stands, from when it was delivered or given up (neither:
/// still pending).
pub fn delivery_state<T>(
    delivered: Option<T>,
    gave_up: Option<T>,
) -> kept_shared::webhooks::DeliveryState {
    use kept_shared::webhooks::DeliveryState;
    match (delivered, gave_up) {
        (Some(_), _) => DeliveryState::Delivered,
        (None, Some(_)) => DeliveryState::GaveUp,
        (None, None) => DeliveryState::Pending,
    }
}

/// A kiosk tablet as its last report left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub store: Option<String>,
    pub version: String,
    pub pending: u32,
    /// When its queue was last known to be sent.
    pub synced_at: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
}
