//! Erasing a customer and deleting free text past a shop's retention.

use chrono::{DateTime, Utc};
use kept_shared::ErasedCustomer;
use rusqlite::{Connection, OptionalExtension, params};

use std::collections::HashMap;

use super::customers::{purchases_by_customer, refresh_customers};
use super::millis;
use crate::analytics::facts::Purchase;
use crate::db::{DELIVERY_LOG_DAYS, DbResult, Erased, erased_key, erased_purchase_key};

/// Runs inside the writer's transaction: the customer's answers lose their
/// link to them and to their orders, their text and the owner's notes on them
/// (before the purchases that name those orders go), then their purchases
/// leave the revenue and cohort rollups, and their purchases, spells and
/// balance are deleted: every figure is then as if they had never bought, as
/// a recount from what is stored would have it (the retention counts, read
/// from the spells, and the cohorts agree). Their answers stay, anonymous.
pub fn erase_customer(
    c: &Connection,
    shop_id: &str,
    customer_ref: &str,
) -> DbResult<ErasedCustomer> {
    // Webhook deliveries carry the answer, references included: they go (their
    // log with them).
    c.execute(
        "DELETE FROM webhook_deliveries WHERE shop_id = ?1
           AND (instr(payload, '\"customer_ref\":\"' || ?2 || '\"') > 0
                OR EXISTS (SELECT 1 FROM purchases p WHERE p.shop_id = ?1 AND p.customer_ref = ?2
                           AND instr(payload, '\"order_ref\":\"' || p.purchase_id || '\"') > 0))",
        params![shop_id, customer_ref],
    )?;
    // The owner's notes on their answers name them as often as not.
    c.execute(
        "UPDATE answer_follow_ups SET note = '' WHERE answer_id IN
           (SELECT id FROM answers WHERE shop_id = ?1 AND (customer_ref = ?2 OR order_ref IN
              (SELECT purchase_id FROM purchases WHERE shop_id = ?1 AND customer_ref = ?2)))",
        params![shop_id, customer_ref],
    )?;
    let answers_unlinked = c.execute(
        "UPDATE answers SET customer_ref = NULL, order_ref = NULL, text = NULL, text_folded = NULL
         WHERE shop_id = ?1 AND (customer_ref = ?2 OR order_ref IN
               (SELECT purchase_id FROM purchases WHERE shop_id = ?1 AND customer_ref = ?2))",
        params![shop_id, customer_ref],
    )? as u64;
    let window_days = super::shop_now(c, shop_id)?.churn_window_days;
    let bought: HashMap<String, Vec<Purchase>> =
        purchases_by_customer(c, shop_id, [customer_ref.to_string()])?
            .into_iter()
            // One who never bought has nothing to take out (and no row to make).
            .filter(|(_, list)| !list.is_empty())
            .map(|(customer, list)| (customer, list.into_iter().map(|(_, p)| p).collect()))
            .collect();
    refresh_customers(c, shop_id, &bought, &HashMap::new(), window_days)?;
    {
        let mut ids = c.prepare_cached(
            "SELECT purchase_id FROM purchases WHERE shop_id = ?1 AND customer_ref = ?2",
        )?;
        let ids: Vec<String> = ids
            .query_map(params![shop_id, customer_ref], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut remember = c.prepare_cached(
            "INSERT OR IGNORE INTO erased_purchases (shop_id, id_hash) VALUES (?1, ?2)",
        )?;
        for id in ids {
            remember.execute(params![shop_id, erased_purchase_key(shop_id, &id)])?;
        }
    }
    let purchases = c.execute(
        "DELETE FROM purchases WHERE shop_id = ?1 AND customer_ref = ?2",
        params![shop_id, customer_ref],
    )? as u64;
    c.execute(
        "DELETE FROM customer_spells WHERE shop_id = ?1 AND customer_ref = ?2",
        params![shop_id, customer_ref],
    )?;
    c.execute(
        "DELETE FROM customers_at_risk WHERE shop_id = ?1 AND customer_ref = ?2",
        params![shop_id, customer_ref],
    )?;
    let customer = c.execute(
        "DELETE FROM customers WHERE shop_id = ?1 AND customer_ref = ?2",
        params![shop_id, customer_ref],
    )? > 0;
    c.execute(
        "INSERT INTO erased_customers (shop_id, ref_hash, erased_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (shop_id, ref_hash) DO UPDATE SET erased_at = excluded.erased_at",
        params![
            shop_id,
            erased_key(shop_id, customer_ref),
            millis(Utc::now())
        ],
    )?;
    Ok(ErasedCustomer {
        purchases,
        customer,
        answers_unlinked,
    })
}

/// What the shop remembers of `customer_refs` and `purchase_ids` as erased
/// ([`Erased`]); the writes ask only in a shop that has erased anyone
/// (`ShopNow`).
pub fn erased(
    c: &Connection,
    shop_id: &str,
    customer_refs: &[String],
    purchase_ids: &[String],
) -> DbResult<Erased> {
    let mut when = c.prepare_cached(
        "SELECT erased_at FROM erased_customers WHERE shop_id = ?1 AND ref_hash = ?2",
    )?;
    let mut theirs =
        c.prepare_cached("SELECT 1 FROM erased_purchases WHERE shop_id = ?1 AND id_hash = ?2")?;
    let mut erased = Erased::default();
    for customer in customer_refs {
        let at: Option<i64> = when
            .query_row(params![shop_id, erased_key(shop_id, customer)], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(at) = at {
            erased
                .customers
                .insert(customer.clone(), super::instant(at)?);
        }
    }
    for id in purchase_ids {
        if theirs.exists(params![shop_id, erased_purchase_key(shop_id, id)])? {
            erased.purchases.insert(id.clone());
        }
    }
    Ok(erased)
}

/// Deletes the text (and its folded copy) of every answer older than its shop's
/// retention at `now`, and the webhook deliveries as old (they carry the text);
/// the scores, reasons and the "with text" counts stay. Settled deliveries go
/// after [`DELIVERY_LOG_DAYS`] whatever the shop keeps.
pub fn purge_expired_texts(c: &Connection, now: DateTime<Utc>) -> DbResult<u64> {
    let now = millis(now);
    let texts = c.execute(
        "UPDATE answers SET text = NULL, text_folded = NULL
         WHERE text IS NOT NULL
           AND answered_at < ?1 - 86400000 * (SELECT s.text_retention_days FROM shops s
                                              WHERE s.id = answers.shop_id AND s.text_retention_days > 0)",
        params![now],
    )? as u64;
    c.execute(
        "DELETE FROM webhook_deliveries
         WHERE created_at < ?1 - 86400000 * (SELECT s.text_retention_days FROM shops s
                                             WHERE s.id = webhook_deliveries.shop_id AND s.text_retention_days > 0)
            OR (next_attempt_at IS NULL AND created_at < ?1 - 86400000 * ?2)",
        params![now, DELIVERY_LOG_DAYS],
    )?;
    Ok(texts)
}
