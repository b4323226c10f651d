//! Close the loop: an unhappy answer reaches the shop's own systems as a
//! webhook. The event is written to an outbox in the transaction that stores
//! its answer (`Database::insert_answers`), so no acknowledged answer's event
//! is lost, whatever happens to the server after; a background deliverer sends
//! each one, signed, with exponential backoff for up to three days, and logs
//! every attempt. The event id is the receiver's idempotency key: a delivery
//! may arrive twice (a timeout after the receiver took it), never differently.
//!
//! A delivery taken for an attempt is leased for twice the request timeout;
//! the attempts of one look run together, so each ends inside its lease, and
//! recording an attempt never reopens a delivery already settled.
//!
//! The signature is Stripe's scheme: `Kept-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`; the receiver
//! recomputes it and refuses old timestamps.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::Mac;
use kept_shared::AnswerValue;
use kept_shared::webhooks::{DeliveryAttempt, EventKind, WebhookEvent};

use crate::db::{
    AnswerRecord, AttemptOutcome, Db, DeliveryPlaces, DueDelivery, NewEvent, Shop, StoredAnswer,
};
use crate::outbound::{self, PublicOnly, Receivers};
use crate::places::Places;
use crate::signatures::hmac_sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "kept-signature";
/// The header that carries the event id.
pub const EVENT_ID_HEADER: &str = "kept-event-id";

/// How the deliverer paces itself (the README's limits table lists the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTiming {
    /// How often due deliveries are looked for.
    pub poll: Duration,
    /// The wait after the first failure; it doubles with each failure.
    pub first_retry: Duration,
    /// Longest wait between two attempts.
    pub max_retry: Duration,
    /// After this long since the event, a failure is the last attempt.
    pub give_up_after: Duration,
    /// Longest a receiver may take to answer.
    pub request_timeout: Duration,
}

impl Default for DeliveryTiming {
    fn default() -> Self {
        DeliveryTiming {
            poll: Duration::from_secs(1),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(3 * 24 * 3600),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Deliveries in flight at once, of every shop: what one look may take at most.
const IN_FLIGHT: usize = 64;
/// Deliveries of one endpoint in flight at once: a slow or flooded receiver
/// holds up only its own deliveries.
const PER_ENDPOINT: u32 = 4;
/// Deliveries of one shop in flight at once, whatever its endpoints (at most
/// `MAX_WEBHOOKS`, 40 places by [`PER_ENDPOINT`]): a quarter of
/// [`IN_FLIGHT`], so that a shop whose receivers are slow, or two, leave the
/// other shops places (the outside attacker's test of the first fair
/// deliverer: two shops with ten endpoints each filled every place).
const PER_SHOP: u32 = 16;

/// What kind of event an answer is, if any: a detractor (NPS 0–6), a low CSAT
/// (1–2), any churn answer.
pub fn event_kind(value: &AnswerValue) -> Option<EventKind> {
    match value {
        AnswerValue::Nps { score, .. } if *score <= 6 => Some(EventKind::Detractor),
        AnswerValue::Csat { score } if *score <= 2 => Some(EventKind::LowCsat),
        AnswerValue::ChurnReason { .. } => Some(EventKind::Churn),
        _ => None,
    }
}

/// The events of answers about to be stored.
pub fn events_of(shop: &Shop, records: &[AnswerRecord], now: DateTime<Utc>) -> Vec<NewEvent> {
    records
        .iter()
        .filter_map(|r| {
            let kind = event_kind(&r.answer.value)?;
            let event = WebhookEvent {
                id: format!("evt_{}", r.answer.id.simple()),
                kind,
                created_at: now,
                shop: shop.id.clone(),
                answer: Some(crate::owner::inbox::answer_item(StoredAnswer {
                    record: r.clone(),
                    follow_up: None,
                    in_words: crate::db::rollup::answered_in_words(&r.answer.value),
                })),
                customer: None,
            };
            Some(NewEvent {
                answer_id: r.answer.id,
                event_id: event.id.clone(),
                kind,
                payload: serde_json::to_string(&event).ok()?,
            })
        })
        .collect()
}

/// The `Kept-Signature` value of `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mac = hmac_sha256(secret, &[t.to_string().as_bytes(), b".", body.as_bytes()]);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new endpoint secret: `whsec_` and 256 random bits in hex.
pub fn generate_secret() -> String {
    crate::tokens::random_secret("whsec_")
}

/// The wait after failure number `failures` (1 for the first).
pub fn retry_delay(timing: &DeliveryTiming, failures: u32) -> Duration {
    timing
        .first_retry
        .saturating_mul(1 << failures.saturating_sub(1).min(20))
        .min(timing.max_retry)
}

/// Delivers what is due, for as long as the server runs, to the receivers
/// `receivers` allows (`outbound.rs`).
pub async fn deliver_forever(db: Db, timing: DeliveryTiming, receivers: Receivers) {
    let http = reqwest::Client::builder()
        .timeout(timing.request_timeout)
        // A receiver answers for itself; a redirect elsewhere is not followed.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Kept-Webhooks/", env!("CARGO_PKG_VERSION")));
    let http = match receivers {
        // No proxy from the environment: it would resolve receivers' names
        // itself, past the filter.
        Receivers::Public => http.dns_resolver(Arc::new(PublicOnly)).no_proxy(),
        Receivers::Any => http,
    };
    let http = http.build().expect("an HTTP client");
    // An attempt is its request, then its record, which may wait for a store
    // connection (PostgreSQL's pool, shared with the requests served): a
    // delivery whose lease ran out would be sent again (same event id).
    let lease = timing.request_timeout * 3;
    let mut tick = tokio::time::interval(timing.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The attempts under way, each a task of this one (they end with it), and
    // how many each endpoint and each shop has. Each look takes what is due into the free
    // places at once, without waiting for the attempts before: an outside test
    // flooded one shop's endpoints with slow receivers, and as each look
    // waited for its slowest, another shop's event waited past 200 s.
    let mut running = tokio::task::JoinSet::new();
    let endpoints: Places<String> = Places::default();
    let shops: Places<String> = Places::default();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // A place freed: what is due is taken into it at once (a look a
            // second had held an endpoint to its 4 places a second, however
            // fast its receiver answered: a backlog of a busy shop's events
            // that never shrank).
            Some(_) = running.join_next() => {}
        }
        while running.try_join_next().is_some() {}
        let free = IN_FLIGHT - running.len();
        if free == 0 {
            continue;
        }
        let now = Utc::now();
        let due = match db
            .take_due_deliveries(
                now,
                now + lease,
                DeliveryPlaces {
                    free: free as u32,
                    per_endpoint: PER_ENDPOINT,
                    per_shop: PER_SHOP,
                    endpoints_in_flight: endpoints.held(),
                    shops_in_flight: shops.held(),
                },
            )
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!("looking for webhook deliveries failed: {e}");
                continue;
            }
        };
        for delivery in due {
            // The store gave the endpoint and the shop no more than their
            // places left.
            let places = (
                endpoints.take(&delivery.webhook_id, u32::MAX),
                shops.take(&delivery.shop_id, u32::MAX),
            );
            let db = db.clone();
            let http = http.clone();
            running.spawn(async move {
                attempt(&db, &http, &timing, receivers, delivery).await;
                drop(places);
            });
        }
    }
}

async fn attempt(
    db: &Db,
    http: &reqwest::Client,
    timing: &DeliveryTiming,
    receivers: Receivers,
    d: DueDelivery,
) {
    let at = Utc::now();
    // An address written as an IP is never resolved: checked here (an endpoint
    // registered before the check, or with the server allowing any).
    let url = reqwest::Url::parse(&d.url).ok();
    let refused = url.as_ref().and_then(|u| receivers.refusal(u));
    // Plain HTTP to a receiver off the server's own network (an endpoint
    // registered before that was refused): customers' answers do not cross
    // the internet unencrypted.
    let plain = url
        .as_ref()
        .is_some_and(|u| u.scheme() != "https" && !receivers.plain_http_allowed(u));
    let sent = match refused {
        Some(why) => Err(why.to_string()),
        None if plain => Err(format!(
            "{} is not an https:// address: Kept sends customers' answers encrypted only",
            d.url
        )),
        None => http
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                signature(&d.secret, at.timestamp(), &d.payload),
            )
            .header(EVENT_ID_HEADER, &d.event_id)
            .body(d.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e)),
    };
    let (status, error) = match &sent {
        Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), None),
        Ok(resp) => (
            Some(resp.status().as_u16()),
            Some(format!("the receiver answered {}", resp.status())),
        ),
        Err(e) => (None, Some(e.clone())),
    };
    let failures = d.attempts + 1;
    let outcome = if error.is_none() {
        AttemptOutcome::Delivered
    } else {
        let next = at + retry_delay(timing, failures);
        let deadline = d.created_at + timing.give_up_after;
        if next > deadline {
            AttemptOutcome::GaveUp
        } else {
            AttemptOutcome::RetryAt(next)
        }
    };
    let logged = db
        .record_delivery_attempt(&d.id, DeliveryAttempt { at, status, error }, outcome)
        .await;
    if let Err(e) = logged {
        // The lease runs out and the delivery is tried again: sent twice, same id.
        tracing::warn!(delivery = d.id, "logging a webhook attempt failed: {e}");
    }
}

fn describe(e: &reqwest::Error) -> String {
    if let Some(private) = outbound::private_address(e) {
        private.to_string()
    } else if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else if e.is_connect() {
        "could not connect to the receiver".into()
    } else {
        format!("the request failed: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_first_up_to_the_longest() {
        let t = DeliveryTiming::default();
        let waits: Vec<u64> = (1..=12).map(|n| retry_delay(&t, n).as_secs()).collect();
        assert_eq!(
            waits,
            [
                30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600
            ]
        );
    }

    #[test]
    fn signatures_are_stripe_style_and_match_openssl() {
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_x
        assert_eq!(
            signature("whsec_x", 1_700_000_000, "{}"),
            "t=1700000000,v1=be8cb8325f2202445260a855532f967e30ad2a9394ce28da66ee02880ddcb661"
        );
    }

    #[test]
    fn only_unhappy_answers_are_events() {
        let nps = |score| AnswerValue::Nps {
            score,
            reason: None,
        };
        assert_eq!(event_kind(&nps(6)), Some(EventKind::Detractor));
        assert_eq!(event_kind(&nps(7)), None);
        assert_eq!(
            event_kind(&AnswerValue::Csat { score: 2 }),
            Some(EventKind::LowCsat)
        );
        assert_eq!(event_kind(&AnswerValue::Csat { score: 3 }), None);
        let churn = AnswerValue::ChurnReason {
            reasons: vec!["price".into()],
            other: None,
        };
        assert_eq!(event_kind(&churn), Some(EventKind::Churn));
    }
}
