use serde::{Deserialize, Serialize};

/// The body of every 4xx/5xx answer of the API: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// For `invalid`: every field that is wrong, for a form to show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::FieldError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed (bad JSON, bad query, a value out of range).
    BadRequest,
    /// A change breaks the rules: `fields` says which fields and why.
    Invalid,
    /// No valid key or token was presented.
    Unauthorized,
    /// The shop, survey or customer does not exist.
    NotFound,
    /// A customer's loyalty card asked for without the shop's signature of
    /// the customer (`data-customer-sig` missing, or not the shop's): a 404,
    /// the same whether the customer exists or not.
    NotSigned,
    /// No shop has the public key the widget was given (`data-key`).
    UnknownKey,
    /// The page's origin is not one the shop allowed to embed its widget.
    OriginNotAllowed,
    /// The route exists, but not with this method.
    MethodNotAllowed,
    /// The request (headers or body) took longer than the server waits.
    RequestTimeout,
    /// The request conflicts with what is stored (an id that exists with other details).
    Conflict,
    /// The request would take a stored value past a limit (a customer's points).
    LimitExceeded,
    /// The body is larger than [`crate::limits::MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The batch holds more than [`crate::limits::MAX_BATCH_ANSWERS`] answers.
    BatchTooLarge,
    /// Too many requests from this client, shop or token: wait as `Retry-After` says.
    RateLimited,
    /// The server is busy (its store, or as many exports as it runs at once):
    /// try again after `Retry-After`.
    Busy,
    /// Something failed on the server; the request may be retried.
    Internal,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
}
