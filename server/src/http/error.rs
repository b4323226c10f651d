//! The API's one error type: a status and the shared `{code, message}` body.
//! Storage errors, extractor rejections and validation failures all become one.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use kept_shared::limits::MAX_BODY_BYTES;
use kept_shared::{ApiError, ErrorCode, ValidationError};

use crate::db::DbError;

#[derive(Debug)]
pub struct Failure(pub StatusCode, pub ApiError);

pub type ApiResult<T> = Result<Json<T>, Failure>;

impl Failure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Failure(status, ApiError::new(code, message))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub fn unauthorized() -> Self {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid 'Authorization: Bearer <token>' for this shop is required",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// The response of an error that tells nothing about a shop, readable by any
    /// origin (so a misconfigured or throttled embed can say what is wrong).
    pub fn readable_by_any_origin(self) -> Response {
        readable_by_any_origin(self.into_response())
    }
}

/// `resp`, readable by a page of any origin: for answers that tell nothing
/// about a shop (a refusal of the request's size or time, an unknown key).
pub fn readable_by_any_origin(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// The `Retry-After` of a 503: the store or the exports are busy for now.
const RETRY_BUSY_AFTER_SECONDS: u32 = 30;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(self.1)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Busy (the store, or the exports at once): when to try again.
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_BUSY_AFTER_SECONDS),
            );
        }
        resp
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(m) => Failure::not_found(m),
            DbError::Conflict(m) => Failure::new(StatusCode::CONFLICT, ErrorCode::Conflict, m),
            DbError::LimitExceeded(m) => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::LimitExceeded,
                m,
            ),
            DbError::AtCapacity(m) => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, m)
            }
            DbError::StorageFull(e) => {
                tracing::error!("database disk full: {e:#}");
                Failure::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    ErrorCode::Internal,
                    "the server's disk is full, so nothing was stored; try again once its operator has freed space",
                )
            }
            DbError::Unavailable(e) => {
                tracing::warn!("database unavailable: {e:#}");
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Busy,
                    "the database is busy or unreachable; try again shortly",
                )
            }
            DbError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "internal error; try again later",
                )
            }
        }
    }
}

impl From<JsonRejection> for Failure {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        // 415 without a JSON content type, 422 for JSON of the wrong shape, 400 for
        // broken JSON: the rejection's own status, with the API's body.
        Failure::new(
            r.status(),
            ErrorCode::BadRequest,
            in_plain_words(&r.body_text()),
        )
    }
}

impl From<QueryRejection> for Failure {
    fn from(r: QueryRejection) -> Self {
        Failure::bad_request(in_plain_words(&r.body_text()))
    }
}

/// A reader's message with Rust's names of number types said as what they
/// hold (`amount_cents: -6000` had been told it "expected u64"), and a query
/// string's number that does not read said so (its reader gives the
/// standard library's parse errors, without the type).
fn in_plain_words(message: &str) -> String {
    const PARSED: [(&str, &str); 5] = [
        (
            "invalid digit found in string",
            "not a whole number (digits only, none below 0 where counts go)",
        ),
        (
            "number too large to fit in target type",
            "a number too large",
        ),
        (
            "number too small to fit in target type",
            "a number too small",
        ),
        (
            "cannot parse integer from empty string",
            "empty where a whole number belongs",
        ),
        ("invalid float literal", "not a number"),
    ];
    let mut out = message.to_string();
    for (std, plain) in PARSED {
        out = out.replace(std, plain);
    }
    // Not the type's bounds: the field's own rule (a score's 0–10, a churn
    // window's 7–730) is checked once the value reads.
    const TYPES: [(&str, &str); 10] = [
        ("expected u8", "expected a whole number not below 0"),
        ("expected u16", "expected a whole number not below 0"),
        ("expected u32", "expected a whole number not below 0"),
        ("expected u64", "expected a whole number not below 0"),
        ("expected usize", "expected a whole number not below 0"),
        ("expected i8", "expected a whole number"),
        ("expected i16", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
    ];
    for (rust, plain) in TYPES {
        // Whole words only (`expected u64x` is no number type's).
        let mut from = 0;
        while let Some(i) = out[from..].find(rust).map(|i| i + from) {
            let end = i + rust.len();
            if out[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                from = end;
                continue;
            }
            out.replace_range(i..end, plain);
            from = i + plain.len();
        }
    }
    out
}

/// A value that breaks one of the shared rules: 400, in the rule's words.
impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Failure::bad_request(e.to_string())
    }
}

impl From<PathRejection> for Failure {
    fn from(r: PathRejection) -> Self {
        Failure::bad_request(r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_types_are_said_as_what_they_hold() {
        assert_eq!(
            in_plain_words("amount_cents: invalid value: integer `-6000`, expected u64 at line 1"),
            "amount_cents: invalid value: integer `-6000`, expected a whole number not below 0 at line 1"
        );
        assert_eq!(
            in_plain_words("score: expected u8; n: expected u16"),
            "score: expected a whole number not below 0; n: expected a whole number not below 0"
        );
        assert_eq!(in_plain_words("expected u64x"), "expected u64x");
        assert_eq!(
            in_plain_words(
                "Failed to deserialize query string: limit: invalid digit found in string"
            ),
            "Failed to deserialize query string: limit: not a whole number (digits only, none below 0 where counts go)"
        );
    }

    #[test]
    fn a_full_disk_and_a_server_limit_say_what_they_are() {
        let Failure(status, error) =
            Failure::from(DbError::StorageFull(anyhow::anyhow!("SQLITE_FULL")));
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(error.message.contains("disk is full"), "{}", error.message);
        let Failure(status, error) =
            Failure::from(DbError::AtCapacity("4 exports are running".into()));
        assert_eq!(
            (status, error.message.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "4 exports are running")
        );
    }
}
