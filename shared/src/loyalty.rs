use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::survey::pick_locale_label;

/// A customer's standing in the shop's loyalty programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyStatus {
    pub customer_ref: String,
    pub points: u64,
    /// The tier the points reach (its name in the shop's default language).
    pub tier: String,
    /// The tier's name by locale, where the shop gave one ("ru" → "Золото").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tier_labels: BTreeMap<String, String>,
    /// Points at which `tier` starts.
    pub tier_min_points: u64,
    /// The next tier up, or `None` at the top tier.
    pub next_tier: Option<NextTier>,
    /// When the server computed this status (the widget shows cached ones offline).
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTier {
    pub name: String,
    /// The name by locale, like [`LoyaltyStatus::tier_labels`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub min_points: u64,
    pub points_needed: u64,
}

impl LoyaltyStatus {
    /// The tier's name for `locale` (falling back to its language, then to `tier`).
    pub fn tier_name(&self, locale: &str) -> &str {
        localized(&self.tier_labels, locale, &self.tier)
    }

    /// How far from this tier to the next, in whole percent (100 at the top tier).
    pub fn progress_percent(&self) -> u64 {
        progress_percent(
            self.points,
            self.tier_min_points,
            self.next_tier.as_ref().map(|n| n.min_points),
        )
    }
}

/// How far `points` are from a tier starting at `tier_min` to the next one
/// starting at `next_min`, in whole percent, rounded (100 at the top tier).
pub fn progress_percent(points: u64, tier_min: u64, next_min: Option<u64>) -> u64 {
    let Some(next_min) = next_min else {
        return 100;
    };
    let span = next_min.saturating_sub(tier_min);
    if span == 0 {
        return 100;
    }
    let done = points.saturating_sub(tier_min).min(span);
    // In u128: a span near the points limit times 100 overflows u64.
    ((u128::from(done) * 100 + u128::from(span) / 2) / u128::from(span)) as u64
}

impl NextTier {
    /// The next tier's name for `locale`, like [`LoyaltyStatus::tier_name`].
    pub fn name_for(&self, locale: &str) -> &str {
        localized(&self.labels, locale, &self.name)
    }
}

/// A tier name for `locale` from `labels` (exact, then the language), else `default`.
fn localized<'a>(labels: &'a BTreeMap<String, String>, locale: &str, default: &'a str) -> &'a str {
    pick_locale_label(labels, locale).unwrap_or(default)
}

/// The back office's record of a purchase; points are earned by its amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPurchase {
    pub customer_ref: String,
    /// The shop's id of the purchase: recording it twice earns points once.
    pub purchase_id: String,
    /// The amount in minor units (cents).
    pub amount_cents: u64,
    /// When the purchase happened; default: when it is recorded. Past purchases
    /// (an import, a back office catching up) carry their own time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchased_at: Option<DateTime<Utc>>,
    /// The store (location) it was made in, where the shop has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

impl RecordPurchase {
    /// A purchase happening now.
    pub fn new(customer_ref: &str, purchase_id: &str, amount_cents: u64) -> Self {
        RecordPurchase {
            customer_ref: customer_ref.into(),
            purchase_id: purchase_id.into(),
            amount_cents,
            purchased_at: None,
            store: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseReceipt {
    pub points_earned: u64,
    /// The purchase was recorded before; nothing changed.
    pub duplicate: bool,
    pub status: LoyaltyStatus,
    /// The store the purchase names, where the shop has not set it up: the
    /// purchase is stored under that id all the same (a till's purchase is not
    /// lost for a store not named yet, as in an import), and the reports show
    /// the id until the store is given a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_store: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(points: u64, tier_min: u64, next_min: Option<u64>) -> LoyaltyStatus {
        LoyaltyStatus {
            customer_ref: "c1".into(),
            points,
            tier: "Silver".into(),
            tier_labels: BTreeMap::from([("uk".into(), "Срібло".into())]),
            tier_min_points: tier_min,
            next_tier: next_min.map(|m| NextTier {
                name: "Gold".into(),
                labels: BTreeMap::new(),
                min_points: m,
                points_needed: m.saturating_sub(points),
            }),
            as_of: Utc::now(),
        }
    }

    #[test]
    fn progress_is_the_share_of_the_way_to_the_next_tier() {
        assert_eq!(status(150, 100, Some(200)).progress_percent(), 50);
        assert_eq!(status(100, 100, Some(200)).progress_percent(), 0);
        assert_eq!(status(5000, 1000, None).progress_percent(), 100);
        assert_eq!(progress_percent(101, 100, Some(400)), 0);
        assert_eq!(progress_percent(102, 100, Some(400)), 1, "0.67 % rounds up");
        assert_eq!(progress_percent(u64::MAX, 0, Some(u64::MAX)), 100);
    }

    #[test]
    fn tier_names_follow_the_locale_and_fall_back_to_the_default_name() {
        let s = status(150, 100, Some(200));
        assert_eq!(s.tier_name("uk-UA"), "Срібло");
        assert_eq!(s.tier_name("uk"), "Срібло");
        assert_eq!(s.tier_name("ru"), "Silver");
        assert_eq!(s.next_tier.as_ref().unwrap().name_for("uk"), "Gold");
    }
}
