//! Tiers, points and purchases. Instances may record purchases for one customer
//! at once: the customer's row is locked (`FOR UPDATE`) before the balance is
//! read, so the increments serialise and none is lost.

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;

use super::{signed, unsigned};
use crate::db::{DbResult, NewPurchase, PurchaseOutcome, Tier};
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

pub async fn record_purchase(
    client: &mut Client,
    shop_id: &str,
    p: &NewPurchase,
    now: DateTime<Utc>,
) -> DbResult<PurchaseOutcome> {
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO customers (shop_id, customer_ref, points) VALUES ($1, $2, 0)
         ON CONFLICT (shop_id, customer_ref) DO NOTHING",
        &[&shop_id, &p.customer_ref],
    )
    .await?;
    let balance = unsigned(
        tx.query_one(
            "SELECT points FROM customers WHERE shop_id = $1 AND customer_ref = $2 FOR UPDATE",
            &[&shop_id, &p.customer_ref],
        )
        .await?
        .try_get(0)?,
    )?;
    if let Some(known) = known_purchase(&tx, shop_id, &p.purchase_id).await? {
        tx.rollback().await?;
        return repeated_purchase(known, p, balance);
    }
    let total = add_points(balance, p.points)?;
    let inserted = tx
        .execute(
            "INSERT INTO purchases (shop_id, purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (shop_id, purchase_id) DO NOTHING",
            &[
                &shop_id,
                &p.purchase_id,
                &p.customer_ref,
                &signed(p.amount_cents)?,
                &signed(p.points)?,
                &p.purchased_at,
                &p.day,
                &p.store,
                &now,
            ],
        )
        .await?;
    if inserted == 0 {
        // Another transaction recorded this id since we looked (for another
        // customer, whose row we did not lock).
        let known = known_purchase(&tx, shop_id, &p.purchase_id).await?;
        tx.rollback().await?;
        return match known {
            Some(known) => repeated_purchase(known, p, balance),
            None => Err(conflicting_purchase(&p.purchase_id)),
        };
    }
    tx.execute(
        "UPDATE customers SET points = $3 WHERE shop_id = $1 AND customer_ref = $2",
        &[&shop_id, &p.customer_ref, &signed(total)?],
    )
    .await?;
    tx.commit().await?;
    Ok(PurchaseOutcome {
        duplicate: false,
        points: total,
    })
}

/// The customer and amount a purchase id is recorded with, if it is.
async fn known_purchase(
    tx: &deadpool_postgres::Transaction<'_>,
    shop_id: &str,
    purchase_id: &str,
) -> DbResult<Option<(String, u64)>> {
    tx.query_opt(
        "SELECT customer_ref, amount_cents FROM purchases WHERE shop_id = $1 AND purchase_id = $2",
        &[&shop_id, &purchase_id],
    )
    .await?
    .map(|r| Ok((r.try_get(0)?, unsigned(r.try_get(1)?)?)))
    .transpose()
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
