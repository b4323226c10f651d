//! What the owner API gives and does for one customer's privacy: everything
//! stored about them, and what erasing them removed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analytics::{AnswerItem, CustomerDetail};

/// Everything Kept stores about one customer (`GET …/customers/{ref}/export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerExport {
    pub shop: String,
    pub customer_ref: String,
    pub exported_at: DateTime<Utc>,
    /// Their purchases, points, tier and figures (none for a respondent who
    /// never bought, of whom only answers are stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerDetail>,
    /// Every answer linked to them, with its text and the owner's follow-up.
    pub answers: Vec<AnswerItem>,
}

/// What erasing a customer removed (`DELETE …/customers/{ref}`). The answers
/// stay, unlinked from them, in the shop's anonymous figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErasedCustomer {
    /// Purchases deleted.
    pub purchases: u64,
    /// Whether a balance of points (and their facts) was deleted.
    pub customer: bool,
    /// Answers no longer linked to them (nor to their orders).
    pub answers_unlinked: u64,
}
