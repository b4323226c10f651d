//! Signing in to the dashboard: the owner token is entered once and exchanged for
//! a session, kept in an `HttpOnly`, `SameSite=Strict` cookie (never in page
//! storage, where a script could read it). Every form that changes something
//! carries the session's CSRF token, and its `Origin` must be the dashboard's own.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::i18n::Lang;
use crate::db::{Db, SessionRecord, Shop};
use crate::tokens::{TokenKind, hash_token, token_matches};

/// The session cookie's name.
pub const COOKIE: &str = "kept_session";
/// The language cookie's name (set by the language links).
pub const LANG_COOKIE: &str = "kept_lang";
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 7;

/// A signed-in owner: their shop, the session's CSRF token, their language.
#[derive(Debug, Clone)]
pub struct Session {
    pub shop: Shop,
    pub csrf: String,
    pub lang: Lang,
    pub id_hash: Vec<u8>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The reader's language: the `lang` cookie, else their browser's.
pub fn language(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// Whether the request came over HTTPS (directly or through a proxy that says so):
/// then cookies are `Secure`.
fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for the dashboard.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    headers: &HeaderMap,
) -> HeaderValue {
    let secure = if secure(headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
    ))
    .expect("cookie values are hex")
}

/// Whether a state-changing request comes from the dashboard's own pages: its
/// `Origin` (or, without one, its `Referer`) names this host. Browsers send
/// `Origin` on every cross-site POST, so a forged form from elsewhere fails here
/// even before its CSRF token does.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match (host, source) {
        (Some(host), Some(source)) => source
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|h| h == host),
        // No host (tests calling the router directly) and no origin: allow.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

impl Session {
    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// Where a request that needs a session goes without one.
pub struct SignIn(String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/dashboard/login?next={}", urlencode(&self.0))).into_response()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<Db> for Session {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, db: &Db) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/dashboard".into());
        let Some(id) = cookie(&parts.headers, COOKIE) else {
            return Err(SignIn(path));
        };
        let id_hash = hash_token(id);
        let found = db.session(&id_hash, Utc::now()).await.ok().flatten();
        let Some(session) = found else {
            return Err(SignIn(path));
        };
        match db.shop(&session.shop_id).await {
            Ok(Some(shop)) => Ok(Session {
                shop,
                csrf: session.csrf,
                lang: language(&parts.headers),
                id_hash,
            }),
            _ => Err(SignIn(path)),
        }
    }
}

impl OptionalFromRequestParts<Db> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        db: &Db,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Session as FromRequestParts<Db>>::from_request_parts(parts, db)
                .await
                .ok(),
        )
    }
}

/// Checks an owner token and, if it is the shop's, opens a session: returns the
/// cookie to set and the session.
pub async fn sign_in(
    db: &Db,
    shop_id: &str,
    token: &str,
    headers: &HeaderMap,
) -> Option<(HeaderValue, SessionRecord)> {
    let shop_id = shop_id.trim();
    kept_shared::validate::validate_ref("shop", shop_id).ok()?;
    let hashes = db.token_hashes(shop_id, TokenKind::Owner).await.ok()?;
    if !token_matches(token.trim(), &hashes) {
        return None;
    }
    let id = random_hex();
    let now = Utc::now();
    let session = SessionRecord {
        id_hash: hash_token(&id),
        shop_id: shop_id.to_string(),
        csrf: random_hex(),
        created_at: now,
        expires_at: now + Duration::days(SESSION_DAYS),
    };
    db.create_session(session.clone()).await.ok()?;
    Some((
        set_cookie(COOKIE, &id, SESSION_DAYS * 24 * 3600, headers),
        session,
    ))
}

/// Ends a session; returns the cookie that clears it.
pub async fn sign_out(db: &Db, session: &Session, headers: &HeaderMap) -> HeaderValue {
    let _ = db.delete_session(&session.id_hash).await;
    set_cookie(COOKIE, "", 0, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = headers(&[("cookie", "a=1; kept_session=abc; kept_lang=uk")]);
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(language(&h), Lang::Uk);
        assert_eq!(cookie(&h, "nope"), None);
    }

    #[test]
    fn only_the_dashboards_own_pages_may_change_things() {
        assert!(same_origin(&headers(&[
            ("host", "kept.example"),
            ("origin", "https://kept.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "kept.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "kept.example:8080"),
            ("referer", "http://kept.example:8080/dashboard/inbox")
        ])));
        assert!(!same_origin(&headers(&[("host", "kept.example")])));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_behind_https() {
        let c = set_cookie(
            COOKIE,
            "abc",
            60,
            &headers(&[("x-forwarded-proto", "https")]),
        );
        assert_eq!(
            c,
            "kept_session=abc; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
    }
}
