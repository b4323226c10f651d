//! The `customer.at_risk` webhook event: once an hour, for each shop with an
//! endpoint that takes it, today's RFM segments are compared with the
//! customers last seen at risk ("at risk" or "can't lose": they bought often or
//! much, and not lately). Each customer who entered is an event; each who left
//! may enter again later. The first look after an endpoint subscribes sends
//! the customers at risk at that moment: the list to act on.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use kept_shared::Segment;
use kept_shared::webhooks::{AtRiskCustomer, EventKind, WebhookEvent};
use sha2::{Digest, Sha256};

use crate::calendar;
use crate::db::{Database, Db, DbError, NewEvent, RiskChange};
use crate::owner::customers::Summaries;
use crate::owner::rfm::scored;

/// How often the segments are looked at (and once at start).
pub const AT_RISK_SWEEP: Duration = Duration::from_secs(3600);

fn at_risk(segment: Segment) -> bool {
    matches!(segment, Segment::AtRisk | Segment::CantLose)
}

/// Looks once at every listening shop; returns how many customers entered.
pub async fn look(db: &dyn Database) -> Result<usize, DbError> {
    let mut entered_in_all = 0;
    for shop_id in db.shops_listening(EventKind::AtRisk).await? {
        let Some(shop) = db.shop(&shop_id).await? else {
            continue;
        };
        let today = calendar::today(shop.time_zone);
        let scored = scored(db, &shop, today).await?;
        let flagged: HashSet<String> = db.customers_at_risk(&shop.id).await?.into_iter().collect();
        let now_at_risk: HashSet<&str> = scored
            .iter()
            .filter(|s| at_risk(s.scores.segment))
            .map(|s| s.customer.customer_ref.as_str())
            .collect();
        let summaries = Summaries::of(db, &shop).await?;
        let mut change = RiskChange {
            day: today,
            entered: Vec::new(),
            left: flagged
                .iter()
                .filter(|c| !now_at_risk.contains(c.as_str()))
                .cloned()
                .collect(),
            events: Vec::new(),
        };
        for s in scored
            .iter()
            .filter(|s| at_risk(s.scores.segment) && !flagged.contains(&s.customer.customer_ref))
        {
            // One id per customer, shop and day: instances that look at the
            // same moment queue the same event, which the outbox keeps once.
            let key = format!("{}\n{}\n{today}", shop.id, s.customer.customer_ref);
            let event = WebhookEvent {
                id: format!(
                    "evt_risk_{}",
                    &hex::encode(Sha256::digest(key.as_bytes()))[..32]
                ),
                kind: EventKind::AtRisk,
                created_at: Utc::now(),
                shop: shop.id.clone(),
                answer: None,
                customer: Some(AtRiskCustomer {
                    summary: summaries.summary(&s.customer),
                    rfm: s.scores,
                }),
            };
            change.entered.push(s.customer.customer_ref.clone());
            change.events.push(NewEvent {
                answer_id: uuid::Uuid::nil(),
                event_id: event.id.clone(),
                kind: EventKind::AtRisk,
                payload: serde_json::to_string(&event).map_err(DbError::internal)?,
            });
        }
        entered_in_all += change.entered.len();
        if !change.entered.is_empty() || !change.left.is_empty() {
            db.mark_at_risk(&shop.id, change).await?;
        }
    }
    Ok(entered_in_all)
}

/// Looks now and every [`AT_RISK_SWEEP`] after, for as long as the server runs.
pub async fn look_forever(db: Db) {
    let mut every = tokio::time::interval(AT_RISK_SWEEP);
    loop {
        every.tick().await;
        match look(db.as_ref()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(customers = n, "customers entered an at-risk segment"),
            Err(e) => tracing::warn!("looking for customers at risk failed: {e}"),
        }
    }
}
