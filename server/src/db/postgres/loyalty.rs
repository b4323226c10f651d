//! Tiers, points and purchases. Instances may record purchases for one customer
//! at once: the customer's row is locked (by an upsert that always ends
//! holding it) before the balance is read, so the increments serialise and
//! none is lost.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;

use super::customers::refresh_customers;
use super::{signed, unsigned};
use crate::db::{DbResult, ImportOutcome, KnownPurchase, NewPurchase, PurchaseOutcome, Tier};
use crate::loyalty::{add_points, conflicting_purchase, repeated_purchase};

pub async fn tiers(client: &Client, shop_id: &str) -> DbResult<Vec<Tier>> {
    let st = client
        .prepare_cached(
            "SELECT name, min_points, labels FROM tiers WHERE shop_id = $1 ORDER BY min_points, name",
        )
        .await?;
    client
        .query(&st, &[&shop_id])
        .await?
        .iter()
        .map(|r| {
            Ok(Tier {
                name: r.try_get(0)?,
                min_points: unsigned(r.try_get(1)?)?,
                labels: serde_json::from_value(r.try_get(2)?)?,
            })
        })
        .collect()
}

pub async fn points(client: &Client, shop_id: &str, customer_ref: &str) -> DbResult<Option<u64>> {
    let st = client
        .prepare_cached("SELECT points FROM customers WHERE shop_id = $1 AND customer_ref = $2")
        .await?;
    client
        .query_opt(&st, &[&shop_id, &customer_ref])
        .await?
        .map(|r| unsigned(r.try_get(0)?))
        .transpose()
}

/// Records purchases (one, or an import's many) in one transaction, in a few
/// multi-row statements whatever their number: the customers' rows are locked
/// first, in order (so instances recording for the same customers queue instead
/// of deadlocking), balances are read, checked and written, then the customers'
/// facts and the rollups are brought up to date.
pub async fn record_purchases(
    client: &mut Client,
    shop_id: &str,
    purchases: &[NewPurchase],
    now: DateTime<Utc>,
    runs: super::Runs,
) -> DbResult<(Vec<PurchaseOutcome>, ImportOutcome)> {
    let tx = client.transaction().await?;
    runs.begin(&tx).await?;
    // The shop's lock first, shared (a change of its settings, which recounts
    // every customer, and an erasure take it whole, so they take turns in the
    // one order every writer keeps: the shop, its customers, their rows), and
    // its churn window as it is now, not as the caller read it before.
    let shop = super::lock_shop_shared(&tx, shop_id).await?;
    let window_days = shop.churn_window_days;
    // Each purchase's day in the shop's time zone as it is now (a change of
    // zone between the caller's read and this write had left it on the old
    // zone's day, and the figures off a recount).
    let purchases = &crate::db::purchases_in_zone(purchases, shop.time_zone);
    let mut customers: Vec<&str> = purchases.iter().map(|p| p.customer_ref.as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    // Each customer's row, made if new, and locked, in one statement (an
    // upsert always ends with the row), in key order: the lock every writer
    // of a customer's purchases takes after the shop's, so they queue rather
    // than deadlock. (An erased customer's old purchases are left out below,
    // and the row made for them with them.)
    let mut balances: HashMap<String, u64> = HashMap::new();
    for r in tx
        .query(
            "INSERT INTO customers (shop_id, customer_ref, points)
             SELECT $1, c, 0 FROM unnest($2::text[]) AS c ORDER BY c
             ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = customers.points
             RETURNING customer_ref, points",
            &[&shop_id, &customers],
        )
        .await?
    {
        balances.insert(r.try_get(0)?, unsigned(r.try_get(1)?)?);
    }
    let ids: Vec<&str> = purchases.iter().map(|p| p.purchase_id.as_str()).collect();
    // Read under the shop's lock: an erasure, which takes it whole, is
    // either before this write (and read here) or after it.
    let erased = if shop.has_erased_customers {
        super::privacy::erased(&tx, shop_id, &customers, &ids).await?
    } else {
        crate::db::Erased::default()
    };
    let mut known = known_purchases(&tx, shop_id, &ids).await?;
    let mut outcomes = Vec::with_capacity(purchases.len());
    let mut summary = ImportOutcome::default();
    let mut fresh: Vec<&NewPurchase> = Vec::new();
    for p in purchases {
        let balance = balances[&p.customer_ref];
        if let Some(recorded) = known.get(&p.purchase_id) {
            outcomes.push(repeated_purchase(recorded, p, balance)?);
            summary.duplicates += 1;
            continue;
        }
        if erased.bought(p) {
            outcomes.push(PurchaseOutcome::not_recorded_as_erased(balance));
            summary.erased += 1;
            continue;
        }
        let total = add_points(balance, p.points)?;
        balances.insert(p.customer_ref.clone(), total);
        known.insert(p.purchase_id.clone(), KnownPurchase::from(p));
        fresh.push(p);
        outcomes.push(PurchaseOutcome {
            duplicate: false,
            erased: false,
            points: total,
        });
    }
    for chunk in fresh.chunks(INSERT_CHUNK) {
        let inserted = tx
            .query(
                "INSERT INTO purchases (shop_id, recorded_at, purchase_id, customer_ref, amount_cents, points,
                                        purchased_at, day, store_id)
                 SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                              $7::timestamptz[], $8::date[], $9::text[])
                 ON CONFLICT (shop_id, purchase_id) DO NOTHING RETURNING purchase_id",
                &[
                    &shop_id,
                    &now,
                    &chunk.iter().map(|p| p.purchase_id.as_str()).collect::<Vec<_>>(),
                    &chunk.iter().map(|p| p.customer_ref.as_str()).collect::<Vec<_>>(),
                    &chunk.iter().map(|p| signed(p.amount_cents)).collect::<DbResult<Vec<_>>>()?,
                    &chunk.iter().map(|p| signed(p.points)).collect::<DbResult<Vec<_>>>()?,
                    &chunk.iter().map(|p| p.purchased_at).collect::<Vec<_>>(),
                    &chunk.iter().map(|p| p.day).collect::<Vec<_>>(),
                    &chunk.iter().map(|p| p.store.as_deref()).collect::<Vec<_>>(),
                ],
            )
            .await?;
        if inserted.len() < chunk.len() {
            // Another transaction recorded one of these ids since we looked (for a
            // customer whose row we did not lock): a conflict the caller may retry.
            let lost = chunk
                .iter()
                .find(|p| {
                    !inserted
                        .iter()
                        .any(|r| r.get::<_, &str>(0) == p.purchase_id)
                })
                .map_or("", |p| p.purchase_id.as_str());
            return Err(conflicting_purchase(lost));
        }
        summary.imported += chunk.len() as u64;
    }
    let touched: Vec<&str> = {
        let mut t: Vec<&str> = fresh.iter().map(|p| p.customer_ref.as_str()).collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    summary.customers = touched.len() as u64;
    tx.execute(
        "UPDATE customers c SET points = b.points FROM unnest($2::text[], $3::bigint[]) AS b(customer_ref, points)
         WHERE c.shop_id = $1 AND c.customer_ref = b.customer_ref",
        &[
            &shop_id,
            &touched,
            &touched
                .iter()
                .map(|c| signed(balances[*c]))
                .collect::<DbResult<Vec<_>>>()?,
        ],
    )
    .await?;
    // The rows made above for erased customers who bought nothing since
    // (their old purchases were not recorded): none is left to name them.
    if summary.erased > 0 {
        tx.execute(
            "DELETE FROM customers c WHERE c.shop_id = $1 AND c.customer_ref = ANY($2) AND c.points = 0
               AND NOT EXISTS (SELECT 1 FROM purchases p
                               WHERE p.shop_id = $1 AND p.customer_ref = c.customer_ref)",
            &[&shop_id, &customers],
        )
        .await?;
    }
    let new_ids: HashSet<&str> = fresh.iter().map(|p| p.purchase_id.as_str()).collect();
    refresh_customers(&tx, shop_id, &touched, &new_ids, window_days).await?;
    let summary = summary.ends(purchases, |c| touched.binary_search(&c).is_ok());
    tx.commit().await?;
    Ok((outcomes, summary))
}

/// Purchases written per statement.
const INSERT_CHUNK: usize = 5_000;

/// The customer, amount, day and store read from columns `at` to `at + 3`.
fn known_purchase(r: &tokio_postgres::Row, at: usize) -> DbResult<KnownPurchase> {
    Ok(KnownPurchase {
        customer_ref: r.try_get(at)?,
        amount_cents: unsigned(r.try_get(at + 1)?)?,
        day: r.try_get(at + 2)?,
        store: r.try_get(at + 3)?,
    })
}

/// Which of `ids` the shop has recorded.
pub async fn known_purchases<Id: tokio_postgres::types::ToSql + Sync>(
    client: &impl deadpool_postgres::GenericClient,
    shop_id: &str,
    ids: &[Id],
) -> DbResult<HashMap<String, KnownPurchase>> {
    let mut known = HashMap::new();
    for r in client
        .query(
            "SELECT purchase_id, customer_ref, amount_cents, day, store_id FROM purchases
             WHERE shop_id = $1 AND purchase_id = ANY($2)",
            &[&shop_id, &ids],
        )
        .await?
    {
        known.insert(r.try_get(0)?, known_purchase(&r, 1)?);
    }
    Ok(known)
}

pub async fn set_points(
    client: &Client,
    shop_id: &str,
    customer_ref: &str,
    points: u64,
) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO customers (shop_id, customer_ref, points) VALUES ($1, $2, $3)
             ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = excluded.points",
            &[&shop_id, &customer_ref, &signed(points)?],
        )
        .await?;
    Ok(())
}
