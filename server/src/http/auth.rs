//! The secret-token gate in front of a shop's back-office and owner routes: the
//! first path segment names the shop, `Authorization: Bearer <token>` must be one
//! of its tokens of the route's kind. An unknown shop looks exactly like a wrong
//! token, so ids cannot be probed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kept_shared::validate::validate_ref;

use super::Failure;
use crate::db::Db;
use crate::tokens::{TokenKind, token_matches};

/// The token of an `Authorization: Bearer <token>` header. The scheme is
/// case-insensitive (RFC 9110, section 11.1).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware: lets the request through only with a valid token of `kind` for the
/// shop in the path; the handler then finds the shop in the request's extensions.
pub async fn require_token(
    State((db, kind)): State<(Db, TokenKind)>,
    mut req: Request,
    next: Next,
) -> Response {
    let shop_id = super::first_segment(&req);
    let Some(token) = bearer(req.headers()) else {
        return Failure::unauthorized().into_response();
    };
    if validate_ref("shop_id", &shop_id).is_err() {
        return Failure::unauthorized().into_response();
    }
    let (hashes, shop) = match tokio::try_join!(db.token_hashes(&shop_id, kind), db.shop(&shop_id))
    {
        Ok(found) => found,
        Err(e) => return Failure::from(e).into_response(),
    };
    match shop {
        Some(shop) if token_matches(token, &hashes) => {
            req.extensions_mut().insert(shop);
            next.run(req).await
        }
        _ => Failure::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_is_required() {
        assert_eq!(bearer(&with("Bearer ot_1")), Some("ot_1"));
        assert_eq!(bearer(&with("bearer ot_1")), Some("ot_1"));
        assert_eq!(bearer(&with("BEARER   ot_1 ")), Some("ot_1"));
        assert_eq!(bearer(&with("Basic ot_1")), None);
        assert_eq!(bearer(&with("Bearer ")), None);
        assert_eq!(bearer(&with("Bearerot_1")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
