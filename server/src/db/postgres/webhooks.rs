//! Webhook endpoints, the outbox of deliveries and their attempts. Several
//! instances may deliver at once: taking due deliveries skips the rows another
//! instance has locked, and leases what it takes.

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, Transaction};
use kept_shared::webhooks::{Delivery, DeliveryAttempt, EventKind};

use crate::db::{
    AttemptOutcome, DbError, DbResult, DeliveryPlaces, DueDelivery, NewEvent, WebhookRecord,
    decode_event_kinds, delivery_state, encode_event_kinds,
};

pub async fn create(
    client: &mut Client,
    shop_id: &str,
    w: &WebhookRecord,
    most: usize,
) -> DbResult<bool> {
    super::write_within_limit(
        client,
        shop_id,
        "INSERT INTO webhooks (id, shop_id, url, events, secret, created_at)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE (SELECT count(*) FROM webhooks WHERE shop_id = $2) < $7",
        &[
            &w.id,
            &shop_id,
            &w.url,
            &encode_event_kinds(&w.events),
            &w.secret,
            &w.created_at,
            &(most as i64),
        ],
    )
    .await
}

pub async fn list(client: &Client, shop_id: &str) -> DbResult<Vec<WebhookRecord>> {
    let rows = client
        .query(
            "SELECT id, url, events, secret, created_at FROM webhooks WHERE shop_id = $1 ORDER BY created_at, id",
            &[&shop_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(WebhookRecord {
                id: r.try_get(0)?,
                url: r.try_get(1)?,
                events: decode_event_kinds(r.try_get(2)?),
                secret: r.try_get(3)?,
                created_at: r.try_get(4)?,
            })
        })
        .collect()
}

pub async fn delete(client: &Client, shop_id: &str, id: &str) -> DbResult<()> {
    let n = client
        .execute(
            "DELETE FROM webhooks WHERE shop_id = $1 AND id = $2",
            &[&shop_id, &id],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound(format!("the shop has no webhook {id:?}")));
    }
    Ok(())
}

/// Queues `events` for each of the shop's endpoints that takes their kind, in
/// one statement; runs in the transaction that stored their answers.
pub async fn enqueue(
    tx: &Transaction<'_>,
    shop_id: &str,
    events: &[&NewEvent],
    now: DateTime<Utc>,
) -> DbResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let payloads: Vec<&str> = events.iter().map(|e| e.payload.as_str()).collect();
    tx.execute(
        "INSERT INTO webhook_deliveries (id, shop_id, webhook_id, event_id, kind, payload, created_at, next_attempt_at)
         SELECT e.id || ':' || w.id, w.shop_id, w.id, e.id, e.kind, e.payload, $4, $4
         FROM unnest($1::text[], $2::text[], $3::text[]) AS e(id, kind, payload)
         JOIN webhooks w ON w.shop_id = $5 AND strpos(w.events, ',' || e.kind || ',') > 0
         ON CONFLICT DO NOTHING",
        &[&ids, &kinds, &payloads, &now, &shop_id],
    )
    .await?;
    Ok(())
}

/// Takes up to `limit` deliveries due at `now`, leasing them until `lease_until`.
pub async fn take_due(
    client: &Client,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    places: &DeliveryPlaces,
) -> DbResult<Vec<DueDelivery>> {
    // Each endpoint's oldest due, as many as it has places left, locked as
    // they are taken (another instance skips them) through the index on
    // (webhook_id, next_attempt_at): a backlog is neither read nor locked
    // whole at each look. An endpoint's turns count on from those it has in
    // flight, as on SQLite; then a shop's, over its endpoints' turns, from
    // those its endpoints have.
    let unzip = |in_flight: &[(String, u32)]| -> (Vec<String>, Vec<i64>) {
        in_flight
            .iter()
            .map(|(id, n)| (id.clone(), i64::from(*n)))
            .unzip()
    };
    let (endpoints, endpoint_counts) = unzip(&places.endpoints_in_flight);
    let (shops, shop_counts) = unzip(&places.shops_in_flight);
    let rows = client
        .query(
            "WITH taken AS (
                 SELECT d.id, w.shop_id, d.next_attempt_at, ROW_NUMBER() OVER (
                     PARTITION BY w.id ORDER BY d.next_attempt_at, d.id) + COALESCE(f.n, 0) AS turn
                 FROM webhooks w
                 LEFT JOIN unnest($5::text[], $6::int8[]) AS f(webhook_id, n) ON f.webhook_id = w.id
                 CROSS JOIN LATERAL (
                     SELECT id, next_attempt_at FROM webhook_deliveries
                     WHERE webhook_id = w.id AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1
                     ORDER BY next_attempt_at, id
                     LIMIT GREATEST($4 - COALESCE(f.n, 0), 0)
                     FOR UPDATE SKIP LOCKED) d),
             by_shop AS (
                 SELECT t.id, t.turn, t.next_attempt_at, ROW_NUMBER() OVER (
                     PARTITION BY t.shop_id ORDER BY t.turn, t.next_attempt_at, t.id)
                     + COALESCE(s.n, 0) AS shop_turn
                 FROM taken t
                 LEFT JOIN unnest($7::text[], $8::int8[]) AS s(shop_id, n) ON s.shop_id = t.shop_id)
             UPDATE webhook_deliveries d SET next_attempt_at = $2
             FROM webhooks w
             WHERE w.id = d.webhook_id AND d.id IN (
                 SELECT id FROM by_shop WHERE shop_turn <= $9
                 ORDER BY turn, next_attempt_at LIMIT $3)
             RETURNING d.id, d.shop_id, d.webhook_id, w.url, w.secret, d.event_id, d.payload,
                       d.attempts, d.created_at",
            &[
                &now,
                &lease_until,
                &i64::from(places.free),
                &i64::from(places.per_endpoint),
                &endpoints,
                &endpoint_counts,
                &shops,
                &shop_counts,
                &i64::from(places.per_shop),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DueDelivery {
                id: r.try_get(0)?,
                shop_id: r.try_get(1)?,
                webhook_id: r.try_get(2)?,
                url: r.try_get(3)?,
                secret: r.try_get(4)?,
                event_id: r.try_get(5)?,
                payload: r.try_get(6)?,
                attempts: u32::try_from(r.try_get::<_, i32>(7)?).map_err(DbError::internal)?,
                created_at: r.try_get(8)?,
            })
        })
        .collect()
}

pub async fn record_attempt(
    client: &mut Client,
    delivery_id: &str,
    attempt: &DeliveryAttempt,
    outcome: AttemptOutcome,
) -> DbResult<()> {
    let tx = client.transaction().await?;
    let (next, delivered, gave_up) = match outcome {
        AttemptOutcome::Delivered => (None, Some(attempt.at), None),
        AttemptOutcome::RetryAt(t) => (Some(t), None, None),
        AttemptOutcome::GaveUp => (None, None, Some(attempt.at)),
    };
    // A delivery already settled (by an attempt whose lease another outlived)
    // stays as it is; the attempt is logged all the same.
    tx.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2,
                delivered_at = $3, gave_up_at = $4
         WHERE id = $1 AND delivered_at IS NULL AND gave_up_at IS NULL",
        &[&delivery_id, &next, &delivered, &gave_up],
    )
    .await?;
    let number: i32 = tx
        .query_one(
            "SELECT coalesce(max(attempt), 0) + 1 FROM webhook_attempts WHERE delivery_id = $1",
            &[&delivery_id],
        )
        .await?
        .try_get(0)?;
    tx.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        &[
            &delivery_id,
            &number,
            &attempt.at,
            &attempt.status.map(i32::from),
            &attempt.error,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The endpoint's deliveries, newest first, each with its attempts.
pub async fn deliveries(
    client: &Client,
    shop_id: &str,
    webhook_id: &str,
    limit: u32,
) -> DbResult<Vec<Delivery>> {
    let rows = client
        .query(
            "SELECT id, event_id, kind, created_at, next_attempt_at, delivered_at, gave_up_at
             FROM webhook_deliveries WHERE shop_id = $1 AND webhook_id = $2
             ORDER BY created_at DESC, id LIMIT $3",
            &[&shop_id, &webhook_id, &i64::from(limit)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let kind: String = r.try_get(2)?;
        let delivered: Option<DateTime<Utc>> = r.try_get(5)?;
        let gave_up: Option<DateTime<Utc>> = r.try_get(6)?;
        let attempts = client
            .query(
                "SELECT at, status, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
                &[&id],
            )
            .await?
            .iter()
            .map(|a| {
                Ok(DeliveryAttempt {
                    at: a.try_get(0)?,
                    status: a
                        .try_get::<_, Option<i32>>(1)?
                        .map(|s| u16::try_from(s).map_err(DbError::internal))
                        .transpose()?,
                    error: a.try_get(2)?,
                })
            })
            .collect::<DbResult<Vec<_>>>()?;
        out.push(Delivery {
            event_id: r.try_get(1)?,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| DbError::internal(anyhow::anyhow!("event kind {kind:?}")))?,
            created_at: r.try_get(3)?,
            state: delivery_state(delivered, gave_up),
            next_attempt_at: r.try_get(4)?,
            attempts,
        });
    }
    Ok(out)
}

/// The shops with an endpoint that takes `kind`.
pub async fn shops_listening(client: &Client, kind: EventKind) -> DbResult<Vec<String>> {
    let rows = client
        .query(
            "SELECT DISTINCT shop_id FROM webhooks WHERE strpos(events, ',' || $1 || ',') > 0 ORDER BY shop_id",
            &[&kind.as_str()],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub async fn customers_at_risk(client: &Client, shop_id: &str) -> DbResult<Vec<String>> {
    let rows = client
        .query(
            "SELECT customer_ref FROM customers_at_risk WHERE shop_id = $1 ORDER BY customer_ref",
            &[&shop_id],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// In one transaction: who entered is flagged and their events queued, who
/// left is no longer flagged (and may enter again).
pub async fn mark_at_risk(
    client: &mut Client,
    shop_id: &str,
    change: &crate::db::RiskChange,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let tx = client.transaction().await?;
    // The shop's lock, shared, which an erasure takes whole, then those who
    // entered: one erased since the look is not stored any more, and left
    // out; one being erased is waited for.
    super::lock_shop_shared(&tx, shop_id).await?;
    let mut still_there = std::collections::HashSet::new();
    for r in tx
        .query(
            "SELECT customer_ref FROM customers WHERE shop_id = $1 AND customer_ref = ANY($2)
             ORDER BY customer_ref FOR SHARE",
            &[&shop_id, &change.entered],
        )
        .await?
    {
        still_there.insert(r.try_get::<_, String>(0)?);
    }
    let entered = change.entered_still_there(|c| still_there.contains(c));
    let customers: Vec<&str> = entered.iter().map(|(c, _)| *c).collect();
    tx.execute(
        "INSERT INTO customers_at_risk (shop_id, customer_ref, since)
         SELECT $1, c, $3 FROM unnest($2::text[]) AS c
         ON CONFLICT DO NOTHING",
        &[&shop_id, &customers, &change.day],
    )
    .await?;
    tx.execute(
        "DELETE FROM customers_at_risk WHERE shop_id = $1 AND customer_ref = ANY($2)",
        &[&shop_id, &change.left],
    )
    .await?;
    let events: Vec<&NewEvent> = entered.into_iter().map(|(_, e)| e).collect();
    enqueue(&tx, shop_id, &events, now).await?;
    tx.commit().await?;
    Ok(())
}
