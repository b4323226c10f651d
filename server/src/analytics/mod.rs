//! The retention analytics: pure computations over what the store keeps, each
//! following one definition of `docs/retention-definitions.md` and tested against small
//! hand-computed fixtures. The store keeps per-customer facts and rollups current
//! (see [`facts`]); these modules turn them into the owner's figures.

pub mod cohorts;
pub mod facts;
pub mod retention;
pub mod rfm;
pub mod satisfaction;
pub mod spells;

use std::collections::HashMap;

use facts::{Facts, FactsDelta, Purchase, facts};

/// Brings the customers a write touched up to date: for each, its facts after the
/// write (`None`: no purchases left) and, over all of them, what the rollups gain.
/// `before` and `after` hold each touched customer's purchases.
pub fn refresh(
    before: &HashMap<String, Vec<Purchase>>,
    after: &HashMap<String, Vec<Purchase>>,
    window_days: u32,
) -> (Vec<(String, Option<Facts>)>, FactsDelta) {
    let mut delta = FactsDelta::default();
    let mut updated = Vec::with_capacity(after.len());
    let mut customers: Vec<&String> = after.keys().chain(before.keys()).collect();
    customers.sort();
    customers.dedup();
    for customer in customers {
        let old = before.get(customer).and_then(|p| facts(p, window_days));
        let new = after.get(customer).and_then(|p| facts(p, window_days));
        delta.add(old.as_ref(), new.as_ref());
        updated.push((customer.clone(), new));
    }
    (updated, delta)
}
