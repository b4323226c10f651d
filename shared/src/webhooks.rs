//! Webhooks: what the owner registers, what Kept sends, and the delivery log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analytics::{AnswerItem, CustomerSummary, RfmScores};

/// Most webhook endpoints a shop may register.
pub const MAX_WEBHOOKS: usize = 10;
/// Longest endpoint URL.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2000;

/// What happened, as a webhook's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// An NPS answer of 0 to 6.
    #[serde(rename = "answer.detractor")]
    Detractor,
    /// A churn-reason answer: a customer said why they stopped buying.
    #[serde(rename = "answer.churn")]
    Churn,
    /// A CSAT answer of 1 or 2.
    #[serde(rename = "answer.low_csat")]
    LowCsat,
    /// A customer entered the "at risk" or "can't lose" RFM segment: they
    /// bought often or much, and not lately (`retention-definitions.md`).
    #[serde(rename = "customer.at_risk")]
    AtRisk,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Detractor,
        EventKind::Churn,
        EventKind::LowCsat,
        EventKind::AtRisk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Detractor => "answer.detractor",
            EventKind::Churn => "answer.churn",
            EventKind::LowCsat => "answer.low_csat",
            EventKind::AtRisk => "customer.at_risk",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An endpoint to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<EventKind>,
}

/// A registered endpoint. `secret` (which signs its deliveries) is shown only
/// when the endpoint is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<EventKind>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// The body of a delivery. `id` is the same on every attempt: the receiver's
/// idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub created_at: DateTime<Utc>,
    pub shop: String,
    /// The answer, for `answer.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerItem>,
    /// The customer and their RFM standing, for `customer.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<AtRiskCustomer>,
}

/// A customer who entered an at-risk segment, with what they did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskCustomer {
    pub summary: CustomerSummary,
    pub rfm: RfmScores,
}

/// One try at delivering an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; tried again at `next_attempt_at`.
    Pending,
    Delivered,
    /// Three days of failures: not tried again.
    GaveUp,
}

/// An event sent (or being sent) to one endpoint, with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub created_at: DateTime<Utc>,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<DeliveryAttempt>,
}
