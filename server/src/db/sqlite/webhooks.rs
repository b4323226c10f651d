//! Webhook endpoints, the outbox of deliveries and their attempts.

use chrono::{DateTime, Utc};
use kept_shared::webhooks::{Delivery, DeliveryAttempt, EventKind};
use rusqlite::{Connection, OptionalExtension, params};

use super::{instant, millis};
use crate::db::{
    AttemptOutcome, DbError, DbResult, DeliveryPlaces, DueDelivery, NewEvent, WebhookRecord,
    decode_event_kinds, delivery_state, encode_event_kinds,
};

/// One statement, on the one writer: counted and written at once.
pub fn create(c: &Connection, shop_id: &str, w: &WebhookRecord, most: usize) -> DbResult<bool> {
    let written = c.execute(
        "INSERT INTO webhooks (id, shop_id, url, events, secret, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE (SELECT count(*) FROM webhooks WHERE shop_id = ?2) < ?7",
        params![
            w.id,
            shop_id,
            w.url,
            encode_event_kinds(&w.events),
            w.secret,
            millis(w.created_at),
            most as i64
        ],
    )?;
    Ok(written == 1)
}

pub fn list(c: &Connection, shop_id: &str) -> DbResult<Vec<WebhookRecord>> {
    let mut st = c.prepare_cached(
        "SELECT id, url, events, secret, created_at FROM webhooks WHERE shop_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = st.query_map([shop_id], |r| {
        Ok(WebhookRecord {
            id: r.get(0)?,
            url: r.get(1)?,
            events: decode_event_kinds(&r.get::<_, String>(2)?),
            secret: r.get(3)?,
            created_at: instant(r.get(4)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete(c: &Connection, shop_id: &str, id: &str) -> DbResult<()> {
    let n = c.execute(
        "DELETE FROM webhooks WHERE shop_id = ?1 AND id = ?2",
        params![shop_id, id],
    )?;
    if n == 0 {
        return Err(DbError::NotFound(format!("the shop has no webhook {id:?}")));
    }
    Ok(())
}

/// Queues `event` for each of the shop's endpoints that takes its kind; runs in
/// the transaction that stored its answer.
pub fn enqueue(
    c: &Connection,
    shop_id: &str,
    event: &NewEvent,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO webhook_deliveries (id, shop_id, webhook_id, event_id, kind, payload, created_at, next_attempt_at)
         SELECT ?1 || ':' || w.id, w.shop_id, w.id, ?1, ?2, ?3, ?4, ?4 FROM webhooks w
         WHERE w.shop_id = ?5 AND instr(w.events, ',' || ?2 || ',') > 0
         ON CONFLICT DO NOTHING",
    )?;
    st.execute(params![
        event.event_id,
        event.kind.as_str(),
        event.payload,
        millis(now),
        shop_id
    ])?;
    Ok(())
}

/// Takes deliveries due at `now` into the free `places`, leasing them until
/// `lease_until`.
pub fn take_due(
    c: &Connection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    places: &DeliveryPlaces,
) -> DbResult<Vec<DueDelivery>> {
    // Each endpoint's oldest due, at most as many as its places, through the
    // index on (webhook_id, next_attempt_at): a backlog is not read whole at
    // each look. An endpoint's turns count on from those it has in flight;
    // then a shop's, over its endpoints' turns, from those its endpoints have.
    let mut st = c.prepare_cached(
        "UPDATE webhook_deliveries SET next_attempt_at = ?2
         WHERE id IN (SELECT id FROM (
                          SELECT id, turn, next_attempt_at, ROW_NUMBER() OVER (
                              PARTITION BY shop_id ORDER BY turn, next_attempt_at, id)
                              + COALESCE((SELECT value FROM json_each(?7) WHERE key = shop_id), 0)
                              AS shop_turn
                          FROM (
                              SELECT d.id, d.shop_id, d.next_attempt_at, ROW_NUMBER() OVER (
                                  PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id)
                                  + COALESCE((SELECT value FROM json_each(?5) WHERE key = d.webhook_id), 0)
                                  AS turn
                              FROM webhooks w JOIN webhook_deliveries d ON d.id IN (
                                  SELECT id FROM webhook_deliveries
                                  WHERE webhook_id = w.id AND next_attempt_at IS NOT NULL
                                    AND next_attempt_at <= ?1
                                  ORDER BY next_attempt_at, id LIMIT ?4))
                          WHERE turn <= ?4)
                      WHERE shop_turn <= ?6 ORDER BY turn, next_attempt_at LIMIT ?3)
         RETURNING id, shop_id, webhook_id, event_id, payload, attempts, created_at",
    )?;
    let counts = |in_flight: &[(String, u32)]| {
        let map: std::collections::BTreeMap<&str, u32> =
            in_flight.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        serde_json::to_string(&map).map_err(DbError::internal)
    };
    let taken = st
        .query_map(
            params![
                millis(now),
                millis(lease_until),
                places.free,
                places.per_endpoint,
                counts(&places.endpoints_in_flight)?,
                places.per_shop,
                counts(&places.shops_in_flight)?,
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u32>(5)?,
                    instant(r.get(6)?)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut endpoint = c.prepare_cached("SELECT url, secret FROM webhooks WHERE id = ?1")?;
    let mut due = Vec::with_capacity(taken.len());
    for (id, shop_id, webhook, event_id, payload, attempts, created_at) in taken {
        let Some((url, secret)) = endpoint
            .query_row([&webhook], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
        else {
            continue;
        };
        due.push(DueDelivery {
            id,
            shop_id,
            webhook_id: webhook,
            url,
            secret,
            event_id,
            payload,
            attempts,
            created_at,
        });
    }
    Ok(due)
}

pub fn record_attempt(
    c: &Connection,
    delivery_id: &str,
    attempt: &DeliveryAttempt,
    outcome: AttemptOutcome,
) -> DbResult<()> {
    let number: u32 = c.query_row(
        "SELECT coalesce(max(attempt), 0) FROM webhook_attempts WHERE delivery_id = ?1",
        [delivery_id],
        |r| r.get(0),
    )?;
    c.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![
            delivery_id,
            number + 1,
            millis(attempt.at),
            attempt.status,
            attempt.error
        ],
    )?;
    let (next, delivered, gave_up) = match outcome {
        AttemptOutcome::Delivered => (None, Some(millis(attempt.at)), None),
        AttemptOutcome::RetryAt(t) => (Some(millis(t)), None, None),
        AttemptOutcome::GaveUp => (None, None, Some(millis(attempt.at))),
    };
    // A delivery already settled (by an attempt whose lease another outlived)
    // stays as it is; the attempt is logged all the same.
    c.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?2,
                delivered_at = ?3, gave_up_at = ?4
         WHERE id = ?1 AND delivered_at IS NULL AND gave_up_at IS NULL",
        params![delivery_id, next, delivered, gave_up],
    )?;
    Ok(())
}

/// The endpoint's deliveries, newest first, each with its attempts.
pub fn deliveries(
    c: &Connection,
    shop_id: &str,
    webhook_id: &str,
    limit: u32,
) -> DbResult<Vec<Delivery>> {
    let mut st = c.prepare_cached(
        "SELECT id, event_id, kind, created_at, next_attempt_at, delivered_at, gave_up_at
         FROM webhook_deliveries WHERE shop_id = ?1 AND webhook_id = ?2
         ORDER BY created_at DESC, id LIMIT ?3",
    )?;
    let rows = st
        .query_map(params![shop_id, webhook_id, limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut attempts_of = c.prepare_cached(
        "SELECT at, status, error FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY attempt",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, event_id, kind, created_at, next, delivered, gave_up) in rows {
        let attempts = attempts_of
            .query_map([&id], |r| {
                Ok(DeliveryAttempt {
                    at: instant(r.get(0)?)?,
                    status: r.get(1)?,
                    error: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let state = delivery_state(delivered, gave_up);
        out.push(Delivery {
            event_id,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| DbError::internal(anyhow::anyhow!("event kind {kind:?}")))?,
            created_at: instant(created_at)?,
            state,
            next_attempt_at: next.map(instant).transpose()?,
            attempts,
        });
    }
    Ok(out)
}

/// The shops with an endpoint that takes `kind`.
pub fn shops_listening(c: &Connection, kind: EventKind) -> DbResult<Vec<String>> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT shop_id FROM webhooks WHERE instr(events, ',' || ?1 || ',') > 0 ORDER BY shop_id",
    )?;
    let rows = st.query_map([kind.as_str()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn customers_at_risk(c: &Connection, shop_id: &str) -> DbResult<Vec<String>> {
    let mut st = c.prepare_cached(
        "SELECT customer_ref FROM customers_at_risk WHERE shop_id = ?1 ORDER BY customer_ref",
    )?;
    let rows = st.query_map([shop_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Runs in one transaction: who entered is flagged and their events queued,
/// who left is no longer flagged (and may enter again).
pub fn mark_at_risk(
    c: &Connection,
    shop_id: &str,
    change: &crate::db::RiskChange,
    now: DateTime<Utc>,
) -> DbResult<()> {
    // On the one writer, after any erasure before it: one erased since the
    // look is not stored any more, and left out.
    let mut stored = c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE shop_id = ?1 AND customer_ref = ?2)",
    )?;
    let mut still_there = std::collections::HashSet::new();
    for customer in &change.entered {
        if stored.query_row(params![shop_id, customer], |r| r.get::<_, bool>(0))? {
            still_there.insert(customer.as_str());
        }
    }
    let entered = change.entered_still_there(|c| still_there.contains(c));
    let mut enter = c.prepare_cached(
        "INSERT INTO customers_at_risk (shop_id, customer_ref, since) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for (customer, _) in &entered {
        enter.execute(params![shop_id, customer, change.day.to_string()])?;
    }
    let mut leave =
        c.prepare_cached("DELETE FROM customers_at_risk WHERE shop_id = ?1 AND customer_ref = ?2")?;
    for customer in &change.left {
        leave.execute(params![shop_id, customer])?;
    }
    for (_, event) in entered {
        enqueue(c, shop_id, event, now)?;
    }
    Ok(())
}
