use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The widget embedded in the shop's website.
    Web,
    /// The full-screen widget on an in-store tablet.
    Kiosk,
    /// A personal link (`/s/{token}`) sent by e-mail or SMS or printed on a receipt.
    Link,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Web, Channel::Kiosk, Channel::Link];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Kiosk => "kiosk",
            Channel::Link => "link",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// An instant as milliseconds since 1970-01-01 UTC: how the widget holds the
/// time it writes into an answer, without chrono's calendar (README, "Where
/// the widget's bytes go"). Written as a `DateTime` of the same instant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixMillis(pub i64);

/// One respondent's answer to one survey. `At`, how its time is held: a
/// `DateTime` wherever answers are read or checked, [`UnixMillis`] in the
/// widget, which only writes them; the two are written alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer<At = DateTime<Utc>> {
    /// Generated once by the client when the answer is given: the idempotency key.
    pub id: Uuid,
    /// The shop's id (not its public key).
    pub shop: String,
    pub survey: String,
    pub channel: Channel,
    /// The shop's own pseudonymous customer id, if the shop passed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<String>,
    /// The shop's signature of `customer_ref` (`data-customer-sig`): HMAC-SHA256
    /// under the shop's widget secret, hex. With it the answer is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_sig: Option<String>,
    /// The shop's signature of `order_ref` (`data-order-sig`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_sig: Option<String>,
    /// The shop's store (location) the answer was given in: a kiosk's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// When the respondent answered, by the client's clock.
    pub answered_at: At,
    pub value: AnswerValue,
}

/// What was answered; the variant must match the survey's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerValue {
    Nps {
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Csat {
        score: u8,
    },
    ChurnReason {
        /// Codes of the picked reasons.
        reasons: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        other: Option<String>,
    },
}

impl AnswerValue {
    pub fn kind_name(&self) -> &'static str {
        match self {
            AnswerValue::Nps { .. } => "nps",
            AnswerValue::Csat { .. } => "csat",
            AnswerValue::ChurnReason { .. } => "churn_reason",
        }
    }
}
