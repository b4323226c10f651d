//! Erasing a customer and deleting free text past a shop's retention.

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use kept_shared::ErasedCustomer;

use std::collections::HashMap;

use crate::db::{DELIVERY_LOG_DAYS, DbResult, Erased, erased_key, erased_purchase_key};

/// In one transaction: the customer's answers lose their link to them and to
/// their orders, their text and the owner's notes on them (before the
/// purchases that name those orders go), then their purchases leave the
/// revenue and cohort rollups, and their purchases, spells and balance are
/// deleted: every figure is then as if they had never bought, as a recount
/// from what is stored would have it. Their answers stay, anonymous.
pub async fn erase_customer(
    client: &mut Client,
    shop_id: &str,
    customer_ref: &str,
) -> DbResult<ErasedCustomer> {
    let tx = client.transaction().await?;
    // The shop's lock whole (`super::SHOP_LOCK`): the shop's purchases and
    // answers, which take it shared and read what is erased under it, are
    // either written before this (and taken out by it) or after (and find
    // the customer erased); an answer read before had been written after,
    // the customer named in it. Then the customer's row, in the order every
    // writer of a customer's purchases keeps.
    let window_days = super::lock_shop_whole(&tx, shop_id)
        .await?
        .churn_window_days;
    // The customer's row, made if there is none, as every writer of
    // their purchases makes and locks it first: a purchase recorded meanwhile
    // is either in before this reads their purchases (and taken out with
    // them), or waits, and then finds them erased; and the two queue rather
    // than deadlock. (Without a row to lock, a purchase committed between two
    // of the statements below would be deleted without being taken out.)
    // (`xmax` is 0 on a row this statement inserted, and names the locker of
    // one it found.)
    let made: bool = tx
        .query_one(
            "INSERT INTO customers (shop_id, customer_ref, points) VALUES ($1, $2, 0)
             ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = customers.points
             RETURNING xmax = 0",
            &[&shop_id, &customer_ref],
        )
        .await?
        .try_get(0)?;
    // Webhook deliveries carry the answer, references included: they go (their
    // log with them).
    tx.execute(
        "DELETE FROM webhook_deliveries WHERE shop_id = $1
           AND (strpos(payload, '\"customer_ref\":\"' || $2 || '\"') > 0
                OR EXISTS (SELECT 1 FROM purchases p WHERE p.shop_id = $1 AND p.customer_ref = $2
                           AND strpos(payload, '\"order_ref\":\"' || p.purchase_id || '\"') > 0))",
        &[&shop_id, &customer_ref],
    )
    .await?;
    // The owner's notes on their answers name them as often as not.
    tx.execute(
        "UPDATE answer_follow_ups SET note = '' WHERE answer_id IN
           (SELECT id FROM answers WHERE shop_id = $1 AND (customer_ref = $2 OR order_ref IN
              (SELECT purchase_id FROM purchases WHERE shop_id = $1 AND customer_ref = $2)))",
        &[&shop_id, &customer_ref],
    )
    .await?;
    let answers_unlinked = tx
        .execute(
            "UPDATE answers SET customer_ref = NULL, order_ref = NULL, text = NULL, text_folded = NULL
             WHERE shop_id = $1 AND (customer_ref = $2 OR order_ref IN
                   (SELECT purchase_id FROM purchases WHERE shop_id = $1 AND customer_ref = $2))",
            &[&shop_id, &customer_ref],
        )
        .await?;
    super::customers::forget_purchases(&tx, shop_id, customer_ref, window_days).await?;
    let ids: Vec<Vec<u8>> = tx
        .query(
            "SELECT purchase_id FROM purchases WHERE shop_id = $1 AND customer_ref = $2",
            &[&shop_id, &customer_ref],
        )
        .await?
        .iter()
        .map(|r| Ok(erased_purchase_key(shop_id, r.try_get(0)?)))
        .collect::<DbResult<_>>()?;
    tx.execute(
        "INSERT INTO erased_purchases (shop_id, id_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h
         ON CONFLICT DO NOTHING",
        &[&shop_id, &ids],
    )
    .await?;
    let purchases = tx
        .execute(
            "DELETE FROM purchases WHERE shop_id = $1 AND customer_ref = $2",
            &[&shop_id, &customer_ref],
        )
        .await?;
    tx.execute(
        "DELETE FROM customer_spells WHERE shop_id = $1 AND customer_ref = $2",
        &[&shop_id, &customer_ref],
    )
    .await?;
    tx.execute(
        "DELETE FROM customers_at_risk WHERE shop_id = $1 AND customer_ref = $2",
        &[&shop_id, &customer_ref],
    )
    .await?;
    let customer = tx
        .execute(
            "DELETE FROM customers WHERE shop_id = $1 AND customer_ref = $2",
            &[&shop_id, &customer_ref],
        )
        .await?
        > 0
        && !made;
    tx.execute(
        "INSERT INTO erased_customers (shop_id, ref_hash, erased_at) VALUES ($1, $2, $3)
         ON CONFLICT (shop_id, ref_hash) DO UPDATE SET erased_at = excluded.erased_at",
        // The server's clock, as the purchases' times it is compared with
        // (the database's `now()` is its own, and the transaction's start).
        &[&shop_id, &erased_key(shop_id, customer_ref), &Utc::now()],
    )
    .await?;
    tx.commit().await?;
    Ok(ErasedCustomer {
        purchases,
        customer,
        answers_unlinked,
    })
}

/// What the shop remembers of `customer_refs` and `purchase_ids` as erased
/// ([`Erased`]), by their hashes.
pub async fn erased(
    client: &impl deadpool_postgres::GenericClient,
    shop_id: &str,
    customer_refs: &[impl AsRef<str>],
    purchase_ids: &[impl AsRef<str>],
) -> DbResult<Erased> {
    let customers: HashMap<Vec<u8>, &str> = customer_refs
        .iter()
        .map(|c| (erased_key(shop_id, c.as_ref()), c.as_ref()))
        .collect();
    let purchases: HashMap<Vec<u8>, &str> = purchase_ids
        .iter()
        .map(|id| (erased_purchase_key(shop_id, id.as_ref()), id.as_ref()))
        .collect();
    let (customer_keys, purchase_keys): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) =
        (customers.keys().collect(), purchases.keys().collect());
    let mut erased = Erased::default();
    // One statement for both: it is read on every batch of answers that names anyone.
    let read = client
        .prepare_cached(
            "SELECT ref_hash, erased_at FROM erased_customers WHERE shop_id = $1 AND ref_hash = ANY($2)
             UNION ALL
             SELECT id_hash, NULL FROM erased_purchases WHERE shop_id = $1 AND id_hash = ANY($3)",
        )
        .await?;
    for r in client
        .query(&read, &[&shop_id, &customer_keys, &purchase_keys])
        .await?
    {
        let key: Vec<u8> = r.try_get(0)?;
        match r.try_get::<_, Option<DateTime<Utc>>>(1)? {
            Some(at) => {
                if let Some(customer) = customers.get(&key) {
                    erased.customers.insert(customer.to_string(), at);
                }
            }
            None => {
                if let Some(id) = purchases.get(&key) {
                    erased.purchases.insert(id.to_string());
                }
            }
        }
    }
    Ok(erased)
}

/// Deletes the text (and its folded copy) of every answer older than its shop's
/// retention at `now`, and the webhook deliveries as old (they carry the text);
/// the scores, reasons and the "with text" counts stay. Settled deliveries go
/// after [`DELIVERY_LOG_DAYS`] whatever the shop keeps.
pub async fn purge_expired_texts(client: &mut Client, now: DateTime<Utc>) -> DbResult<u64> {
    // Years of answers, the first time a shop keeps texts for less: a job.
    let tx = client.transaction().await?;
    super::Runs::AsJob.begin(&tx).await?;
    let texts = tx
        .execute(
            "UPDATE answers a SET text = NULL, text_folded = NULL
             FROM shops s
             WHERE s.id = a.shop_id AND s.text_retention_days > 0 AND a.text IS NOT NULL
               AND a.answered_at < $1::timestamptz - make_interval(secs => s.text_retention_days * 86400)",
            &[&now],
        )
        .await?;
    tx.execute(
            "DELETE FROM webhook_deliveries d USING shops s
             WHERE s.id = d.shop_id
               AND ((s.text_retention_days > 0
                     AND d.created_at < $1::timestamptz - make_interval(secs => s.text_retention_days * 86400))
                    OR (d.next_attempt_at IS NULL
                        AND d.created_at < $1::timestamptz - make_interval(days => $2)))",
            &[&now, &(DELIVERY_LOG_DAYS as i32)],
        )
        .await?;
    tx.commit().await?;
    Ok(texts)
}
