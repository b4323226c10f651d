//! What one customer's purchases say, once: their summary, their spells of
//! activity, and their contributions to the shop's revenue and cohort rollups.
//! Both engines keep these up to date by computing them here, for the customers a
//! write touched, and storing the difference.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::spells::{Spell, spells_of};

/// Ages (days from a customer's first purchase to a purchase) at or past this are
/// stored together: no week or month period holds a purchase this far from a first
/// purchase in the same period, so they are never "new" revenue.
pub const AGE_CAP_DAYS: i64 = 31;

/// One purchase, as the analytics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub day: NaiveDate,
    pub amount_cents: u64,
    pub points: u64,
    pub store: Option<String>,
}

/// A customer's figures from their purchases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub purchases: u64,
    pub total_cents: u64,
    pub points_earned: u64,
    pub spells: Vec<Spell>,
    pub revenue: BTreeMap<RevenueKey, RevenueCell>,
    /// (cohort month, month bought in), each once.
    pub months: Vec<(NaiveDate, NaiveDate)>,
}

/// A revenue rollup row's key: the day, the store ("" unknown), the age bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevenueKey {
    pub day: NaiveDate,
    pub store: String,
    /// Days since the customer's first purchase, capped at [`AGE_CAP_DAYS`].
    pub age: i16,
}

/// Sums in a revenue rollup row (signed: a customer's change may subtract).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevenueCell {
    pub purchases: i64,
    pub amount_cents: i64,
    pub points: i64,
}

/// The age bucket of a purchase on `day` by a customer whose first purchase
/// was on `first_day`: days between, capped at [`AGE_CAP_DAYS`].
pub fn age_of(day: NaiveDate, first_day: NaiveDate) -> i16 {
    (day - first_day).num_days().min(AGE_CAP_DAYS) as i16
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The facts of a customer with these purchases (any order); `None` without any.
pub fn facts(purchases: &[Purchase], window_days: u32) -> Option<Facts> {
    let first_day = purchases.iter().map(|p| p.day).min()?;
    let last_day = purchases.iter().map(|p| p.day).max()?;
    let mut revenue: BTreeMap<RevenueKey, RevenueCell> = BTreeMap::new();
    for p in purchases {
        let age = age_of(p.day, first_day);
        let cell = revenue
            .entry(RevenueKey {
                day: p.day,
                store: p.store.clone().unwrap_or_default(),
                age,
            })
            .or_default();
        cell.purchases += 1;
        cell.amount_cents += p.amount_cents as i64;
        cell.points += p.points as i64;
    }
    let cohort = month_of(first_day);
    let mut months: Vec<_> = purchases
        .iter()
        .map(|p| (cohort, month_of(p.day)))
        .collect();
    months.sort();
    months.dedup();
    let mut with_stores: Vec<(NaiveDate, Option<&str>)> = purchases
        .iter()
        .map(|p| (p.day, p.store.as_deref()))
        .collect();
    with_stores.sort();
    Some(Facts {
        first_day,
        last_day,
        purchases: purchases.len() as u64,
        total_cents: purchases.iter().map(|p| p.amount_cents).sum(),
        points_earned: purchases.iter().map(|p| p.points).sum(),
        spells: spells_of(&with_stores, window_days),
        revenue,
        months,
    })
}

/// What storing customers' new facts instead of their old ones changes in the
/// rollups, summed over the customers a write touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactsDelta {
    revenue: BTreeMap<RevenueKey, RevenueCell>,
    months: BTreeMap<(NaiveDate, NaiveDate), i64>,
}

impl FactsDelta {
    /// The change from `old` to `new` of one customer.
    pub fn between(old: Option<&Facts>, new: Option<&Facts>) -> FactsDelta {
        let mut delta = FactsDelta::default();
        delta.add(old, new);
        delta
    }

    /// Adds one customer's change from `old` to `new`.
    pub fn add(&mut self, old: Option<&Facts>, new: Option<&Facts>) {
        for (facts, sign) in [(old, -1), (new, 1)] {
            let Some(f) = facts else { continue };
            for (k, c) in &f.revenue {
                let d = self.revenue.entry(k.clone()).or_default();
                d.purchases += sign * c.purchases;
                d.amount_cents += sign * c.amount_cents;
                d.points += sign * c.points;
            }
            for m in &f.months {
                *self.months.entry(*m).or_default() += sign;
            }
        }
    }

    /// Revenue rollup changes, in key order (no zero changes).
    pub fn revenue(&self) -> impl Iterator<Item = (&RevenueKey, &RevenueCell)> {
        self.revenue
            .iter()
            .filter(|(_, c)| **c != RevenueCell::default())
    }

    /// Cohort rollup changes: ((cohort month, month), customers), in key order.
    pub fn months(&self) -> impl Iterator<Item = (&(NaiveDate, NaiveDate), &i64)> {
        self.months.iter().filter(|(_, n)| **n != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.revenue().next().is_none() && self.months().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn p(m: u32, day: u32, amount: u64) -> Purchase {
        Purchase {
            day: d(m, day),
            amount_cents: amount,
            points: amount / 100,
            store: None,
        }
    }

    #[test]
    fn a_customers_facts_sum_their_purchases_in_any_order() {
        let f = facts(&[p(3, 1, 500), p(1, 1, 1000), p(1, 20, 250)], 90).unwrap();
        assert_eq!((f.first_day, f.last_day), (d(1, 1), d(3, 1)));
        assert_eq!((f.purchases, f.total_cents, f.points_earned), (3, 1750, 17));
        assert_eq!(f.months, [(d(1, 1), d(1, 1)), (d(1, 1), d(3, 1))]);
        let ages: Vec<_> = f.revenue.keys().map(|k| k.age).collect();
        assert_eq!(ages, [0, 19, AGE_CAP_DAYS as i16]);
        assert!(facts(&[], 90).is_none());
    }

    #[test]
    fn an_earlier_purchase_moves_the_cohort_and_the_ages_and_the_delta_says_so() {
        let old = facts(&[p(3, 1, 500)], 90).unwrap();
        let new = facts(&[p(3, 1, 500), p(2, 25, 100)], 90).unwrap();
        let delta = FactsDelta::between(Some(&old), Some(&new));
        let months: Vec<_> = delta.months().map(|(k, n)| (*k, *n)).collect();
        assert_eq!(
            months,
            [
                ((d(2, 1), d(2, 1)), 1),
                ((d(2, 1), d(3, 1)), 1),
                ((d(3, 1), d(3, 1)), -1)
            ]
        );
        // Mar 1 was age 0, is now age 4 (from Feb 25); Feb 25 is new at age 0.
        let revenue: Vec<_> = delta
            .revenue()
            .map(|(k, c)| (k.day, k.age, c.amount_cents))
            .collect();
        assert_eq!(
            revenue,
            [(d(2, 25), 0, 100), (d(3, 1), 0, -500), (d(3, 1), 4, 500)]
        );
        assert!(FactsDelta::between(Some(&new), Some(&new)).is_empty());
    }
}
