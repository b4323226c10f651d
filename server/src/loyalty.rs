//! The loyalty programme's arithmetic: points earned by a purchase, balances, and
//! where a balance stands among the shop's tiers. Every step is checked: no
//! amount, rate or balance a request can name may overflow.

use chrono::{DateTime, Utc};
use kept_shared::limits::{MAX_POINTS, MAX_POINTS_PER_UNIT, MAX_PURCHASE_CENTS};
use kept_shared::{LoyaltyStatus, NextTier};

use crate::db::{DbError, KnownPurchase, NewPurchase, PurchaseOutcome, Tier};

/// Points a purchase of `amount_cents` earns at `points_per_unit` per whole
/// currency unit. Within the limits the product is at most 10⁹ × 10³, far below
/// `u64::MAX`; the checks hold even if a limit is raised carelessly.
pub fn points_earned(amount_cents: u64, points_per_unit: u64) -> Option<u64> {
    if amount_cents > MAX_PURCHASE_CENTS || points_per_unit > MAX_POINTS_PER_UNIT {
        return None;
    }
    (amount_cents / 100).checked_mul(points_per_unit)
}

/// `balance + points`, refused past [`MAX_POINTS`].
pub fn add_points(balance: u64, points: u64) -> Result<u64, DbError> {
    balance
        .checked_add(points)
        .filter(|total| *total <= MAX_POINTS)
        .ok_or_else(|| {
            DbError::LimitExceeded(format!(
                "this purchase would take the customer's points past {MAX_POINTS}"
            ))
        })
}

/// The error for a purchase id recorded before with another customer, amount,
/// day or store:
/// a reused id is a mistake the back office must hear of, not a silent duplicate.
pub fn conflicting_purchase(purchase_id: &str) -> DbError {
    DbError::Conflict(format!(
        "purchase {purchase_id:?} is recorded already, with another customer, amount, day or store"
    ))
}

/// A purchase id that is recorded already: the same purchase again is a duplicate
/// (nothing changes, `balance` stands), another one under its id a conflict.
pub fn repeated_purchase(
    known: &KnownPurchase,
    p: &NewPurchase,
    balance: u64,
) -> Result<PurchaseOutcome, DbError> {
    if known.is_same(&p.into(), p.time_given) {
        Ok(PurchaseOutcome {
            duplicate: true,
            erased: false,
            points: balance,
        })
    } else {
        Err(conflicting_purchase(&p.purchase_id))
    }
}

/// Where `points` stand among `tiers` (lowest first): the tier reached, the next
/// one and the points still needed. Below the lowest tier, the tier is empty.
/// The index of the tier `points` reach among `tiers` (lowest first), if any.
pub fn tier_index(points: u64, tiers: &[Tier]) -> Option<usize> {
    tiers.iter().rposition(|t| t.min_points <= points)
}

/// The name of the tier `points` reach ("" below the lowest).
pub fn tier_name(points: u64, tiers: &[Tier]) -> String {
    tier_index(points, tiers).map_or_else(String::new, |i| tiers[i].name.clone())
}

pub fn status(
    customer_ref: &str,
    points: u64,
    tiers: &[Tier],
    as_of: DateTime<Utc>,
) -> LoyaltyStatus {
    let reached = tier_index(points, tiers);
    let current = reached.map(|i| &tiers[i]);
    let next = tiers.get(reached.map_or(0, |i| i + 1)).map(|t| NextTier {
        name: t.name.clone(),
        labels: t.labels.clone(),
        min_points: t.min_points,
        points_needed: t.min_points.saturating_sub(points),
    });
    LoyaltyStatus {
        customer_ref: customer_ref.into(),
        points,
        tier: current.map(|t| t.name.clone()).unwrap_or_default(),
        tier_labels: current.map(|t| t.labels.clone()).unwrap_or_default(),
        tier_min_points: current.map_or(0, |t| t.min_points),
        next_tier: next,
        as_of,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Vec<Tier> {
        vec![
            Tier::new("Bronze", 0),
            Tier::new("Silver", 500).with_label("uk", "Срібло"),
            Tier::new("Gold", 2000),
        ]
    }

    #[test]
    fn points_are_earned_per_whole_unit_and_never_overflow() {
        assert_eq!(points_earned(2599, 2), Some(50));
        assert_eq!(
            points_earned(MAX_PURCHASE_CENTS, MAX_POINTS_PER_UNIT),
            Some(1_000_000_000_000)
        );
        assert_eq!(points_earned(MAX_PURCHASE_CENTS + 1, 1), None);
        assert_eq!(points_earned(100, MAX_POINTS_PER_UNIT + 1), None);
        assert_eq!(points_earned(u64::MAX, u64::MAX), None);
    }

    #[test]
    fn balances_stop_at_the_maximum() {
        assert_eq!(add_points(MAX_POINTS - 1, 1).unwrap(), MAX_POINTS);
        assert!(matches!(
            add_points(MAX_POINTS, 1),
            Err(DbError::LimitExceeded(_))
        ));
        assert!(matches!(
            add_points(u64::MAX, u64::MAX),
            Err(DbError::LimitExceeded(_))
        ));
    }

    #[test]
    fn status_names_the_tier_reached_and_the_way_to_the_next() {
        let now = Utc::now();
        let s = status("c", 620, &tiers(), now);
        assert_eq!((s.tier.as_str(), s.tier_min_points), ("Silver", 500));
        assert_eq!(s.tier_name("uk"), "Срібло");
        let next = s.next_tier.unwrap();
        assert_eq!((next.name.as_str(), next.points_needed), ("Gold", 1380));
        let top = status("c", 5000, &tiers(), now);
        assert_eq!((top.tier.as_str(), top.next_tier), ("Gold", None));
        let none = status("c", 10, &[Tier::new("Silver", 500)], now);
        assert_eq!(
            (none.tier.as_str(), none.next_tier.unwrap().points_needed),
            ("", 490)
        );
    }
}
