//! Tiers, points and purchases.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::millis;
use crate::db::{DbResult, NewPurchase, PurchaseOutcome, Tier};
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

/// Runs inside the writer's IMMEDIATE transaction, so reading the balance and
/// writing the new one cannot interleave with another purchase.
pub fn record_purchase(
    c: &Connection,
    shop_id: &str,
    p: &NewPurchase,
    now: DateTime<Utc>,
) -> DbResult<PurchaseOutcome> {
    let known: Option<(String, u64)> = c
        .query_row(
            "SELECT customer_ref, amount_cents FROM purchases WHERE shop_id = ?1 AND purchase_id = ?2",
            params![shop_id, p.purchase_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let balance = points(c, shop_id, &p.customer_ref)?.unwrap_or(0);
    if let Some(known) = known {
        return repeated_purchase(known, p, balance);
    }
    let total = add_points(balance, p.points)?;
    c.execute(
        "INSERT INTO purchases (shop_id, purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            shop_id,
            p.purchase_id,
            p.customer_ref,
            p.amount_cents,
            p.points,
            millis(p.purchased_at),
            p.day,
            p.store,
            millis(now)
        ],
    )?;
    set_points(c, shop_id, &p.customer_ref, total)?;
    Ok(PurchaseOutcome {
        duplicate: false,
        points: total,
    })
}

pub fn set_points(c: &Connection, shop_id: &str, customer_ref: &str, points: u64) -> DbResult<()> {
    c.execute(
        "INSERT INTO customers (shop_id, customer_ref, points) VALUES (?1, ?2, ?3)
         ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = excluded.points",
        params![shop_id, customer_ref, points],
    )?;
    Ok(())
}
