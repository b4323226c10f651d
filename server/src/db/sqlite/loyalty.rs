//! Tiers, points and purchases.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::customers::{purchases_by_customer, refresh_customers};
use super::millis;
use crate::db::{DbResult, ImportOutcome, KnownPurchase, NewPurchase, PurchaseOutcome, Tier};
use crate::loyalty::{add_points, repeated_purchase};

pub fn tiers(c: &Connection, shop_id: &str) -> DbResult<Vec<Tier>> {
    let mut st = c.prepare_cached(
        "SELECT name, min_points, labels FROM tiers WHERE shop_id = ?1 ORDER BY min_points, name",
    )?;
    let rows = st
        .query_map([shop_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(name, min_points, labels)| {
            Ok(Tier {
                name,
                min_points,
                labels: serde_json::from_str(&labels)?,
            })
        })
        .collect()
}

pub fn points(c: &Connection, shop_id: &str, customer_ref: &str) -> DbResult<Option<u64>> {
    let mut st =
        c.prepare_cached("SELECT points FROM customers WHERE shop_id = ?1 AND customer_ref = ?2")?;
    Ok(st
        .query_row(params![shop_id, customer_ref], |r| r.get(0))
        .optional()?)
}

/// Records purchases (one, or an import's many) inside the writer's IMMEDIATE
/// transaction, so reading a balance and writing the new one cannot interleave
/// with another write; then brings the customers' facts and the rollups up to
/// date. A purchase id known with other details fails the whole call.
pub fn record_purchases(
    c: &Connection,
    shop_id: &str,
    purchases: &[NewPurchase],
    now: DateTime<Utc>,
) -> DbResult<(Vec<PurchaseOutcome>, ImportOutcome)> {
    // The churn window as stored now, on the one writer: a change of settings
    // queued before this write has recounted every customer by its own.
    let shop = super::shop_now(c, shop_id)?;
    let window_days = shop.churn_window_days;
    // Each purchase's day in the shop's time zone as it is now, on the one
    // writer (a change of zone between the caller's read and this write had
    // left it on the old zone's day, and the figures off a recount).
    let purchases = &crate::db::purchases_in_zone(purchases, shop.time_zone);
    let mut known = c.prepare_cached(
        "SELECT customer_ref, amount_cents, day, store_id FROM purchases
         WHERE shop_id = ?1 AND purchase_id = ?2",
    )?;
    let mut insert = c.prepare_cached(
        "INSERT INTO purchases (shop_id, purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    // On the one writer: an erasure is either before this write (and read
    // here) or after it (and takes out what it wrote).
    let erased = if !shop.has_erased_customers {
        crate::db::Erased::default()
    } else {
        let customers: Vec<String> = purchases
            .iter()
            .map(|p| p.customer_ref.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let ids: Vec<String> = purchases.iter().map(|p| p.purchase_id.clone()).collect();
        super::privacy::erased(c, shop_id, &customers, &ids)?
    };
    let mut balances: HashMap<String, u64> = HashMap::new();
    let mut new_ids: HashMap<String, HashSet<String>> = HashMap::new();
    let mut outcomes = Vec::with_capacity(purchases.len());
    let mut summary = ImportOutcome::default();
    for p in purchases {
        let balance = match balances.get(&p.customer_ref) {
            Some(b) => *b,
            None => points(c, shop_id, &p.customer_ref)?.unwrap_or(0),
        };
        let recorded = known
            .query_row(params![shop_id, p.purchase_id], |r| known_purchase(r, 0))
            .optional()?;
        if let Some(recorded) = recorded {
            outcomes.push(repeated_purchase(&recorded, p, balance)?);
            summary.duplicates += 1;
            continue;
        }
        if erased.bought(p) {
            outcomes.push(PurchaseOutcome::not_recorded_as_erased(balance));
            summary.erased += 1;
            continue;
        }
        let total = add_points(balance, p.points)?;
        insert.execute(params![
            shop_id,
            p.purchase_id,
            p.customer_ref,
            p.amount_cents,
            p.points,
            millis(p.purchased_at),
            p.day,
            p.store,
            millis(now)
        ])?;
        balances.insert(p.customer_ref.clone(), total);
        new_ids
            .entry(p.customer_ref.clone())
            .or_default()
            .insert(p.purchase_id.clone());
        outcomes.push(PurchaseOutcome {
            duplicate: false,
            erased: false,
            points: total,
        });
        summary.imported += 1;
    }
    for (customer, total) in &balances {
        set_points(c, shop_id, customer, *total)?;
    }
    summary.customers = new_ids.len() as u64;
    let after = purchases_by_customer(c, shop_id, new_ids.keys().cloned())?;
    let mut before = HashMap::new();
    let mut now_ = HashMap::new();
    for (customer, list) in after {
        let fresh = &new_ids[&customer];
        before.insert(
            customer.clone(),
            list.iter()
                .filter(|(id, _)| !fresh.contains(id))
                .map(|(_, p)| p.clone())
                .collect(),
        );
        now_.insert(customer, list.into_iter().map(|(_, p)| p).collect());
    }
    refresh_customers(c, shop_id, &before, &now_, window_days)?;
    let summary = summary.ends(purchases, |c| new_ids.contains_key(c));
    Ok((outcomes, summary))
}

/// The customer, amount, day and store read from columns `at` to `at + 3`.
fn known_purchase(r: &rusqlite::Row, at: usize) -> rusqlite::Result<KnownPurchase> {
    Ok(KnownPurchase {
        customer_ref: r.get(at)?,
        amount_cents: r.get(at + 1)?,
        day: r.get(at + 2)?,
        store: r.get(at + 3)?,
    })
}

/// Which of `ids` the shop has recorded (read in slices, so one statement's
/// JSON stays small).
pub fn known_purchases(
    c: &Connection,
    shop_id: &str,
    ids: &[String],
) -> DbResult<HashMap<String, KnownPurchase>> {
    let mut st = c.prepare_cached(
        "SELECT purchase_id, customer_ref, amount_cents, day, store_id FROM purchases
         WHERE shop_id = ?1 AND purchase_id IN (SELECT value FROM json_each(?2))",
    )?;
    let mut known = HashMap::new();
    for slice in ids.chunks(KNOWN_SLICE) {
        let rows = st.query_map(params![shop_id, serde_json::to_string(slice)?], |r| {
            Ok((r.get(0)?, known_purchase(r, 1)?))
        })?;
        for row in rows {
            let (id, purchase) = row?;
            known.insert(id, purchase);
        }
    }
    Ok(known)
}

/// Purchase ids looked up by one statement.
const KNOWN_SLICE: usize = 10_000;

pub fn set_points(c: &Connection, shop_id: &str, customer_ref: &str, points: u64) -> DbResult<()> {
    c.execute(
        "INSERT INTO customers (shop_id, customer_ref, points) VALUES (?1, ?2, ?3)
         ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = excluded.points",
        params![shop_id, customer_ref, points],
    )?;
    Ok(())
}
