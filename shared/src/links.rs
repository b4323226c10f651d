//! Personal survey links (`/s/{token}`): asked for by the back office one at a
//! time, or by the owner in bulk.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/shops/{shop}/links` (back-office token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    pub customer_ref: String,
    pub order_ref: String,
    pub survey: String,
    /// Days until the link expires ([`crate::limits::DEFAULT_LINK_DAYS`] if absent).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalLink {
    pub url: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The link's QR code, for a receipt.
    pub qr_svg: String,
    pub qr_png: String,
}

/// `POST /api/v1/shops/{shop}/links.csv` (owner token): links for a list of
/// customers, or for every customer without a purchase for `lapsed_days`. Each
/// link is for the customer's last purchase. The answer is CSV:
/// `customer_ref,order_ref,last_purchase_day,url,expires_at,error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkLinksRequest {
    pub survey: String,
    #[serde(default)]
    pub customers: Vec<String>,
    #[serde(default)]
    pub lapsed_days: Option<u32>,
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}
