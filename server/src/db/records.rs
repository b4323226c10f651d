//! The records the store takes and gives back.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kept_shared::Answer;

/// Days without a purchase after which a customer counts as lost, unless the shop
/// sets its own (see `retention-definitions.md`).
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
}

/// What recording a purchase did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseOutcome {
    /// The purchase id was recorded before (with the same details): nothing changed.
    pub duplicate: bool,
    /// The customer's balance afterwards.
    pub points: u64,
}
