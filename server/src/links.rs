//! Personal survey links (`/s/{token}`), for receipts, e-mail and SMS: the shop's
//! back office asks for one for a customer, an order and a survey, and Kept
//! answers a short token it signed itself, with an expiry. The token carries
//! everything the hosted page needs, so no table of links is kept: the page
//! checks the signature and the expiry, and signs the customer and the order as
//! the shop's server would, so that the answer is stored verified and once per
//! survey and order (the unique index of verified answers).
//!
//! A token is `{payload}.{mac}` in base64url without padding: the payload is
//! `shop\nsurvey\ncustomer\norder\nexpires` (expires in Unix seconds); the mac is
//! the first 16 bytes (128 bits) of HMAC-SHA256 under the shop's widget secret of
//! `link:` and the payload. Rotating the widget secret therefore voids the links
//! given out before.
//!
//! Here too: where a token stands ([`resolve`], for the link's page and the
//! kiosk that scans it) and the server's public address links are written with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use kept_shared::validate::validate_ref;
use subtle::ConstantTimeEq;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::db::{Database, DbResult, Shop};
use crate::http::Failure;
use crate::signatures::{Signed, hmac_sha256, sign_until};

/// Bytes of the MAC kept in a token: 128 bits, as many as a random token's.
const MAC_BYTES: usize = 16;

/// What a personal link asks and of whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub shop: String,
    pub survey: String,
    pub customer: String,
    pub order: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a token is not honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token Kept made (cut, typed wrong, tampered with, or signed with a
    /// secret the shop has since rotated).
    Invalid,
    /// A genuine link whose time is past.
    Expired(DateTime<Utc>),
}

fn mac(secret: &str, payload: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let full = hmac_sha256(secret, &[b"link:", payload])
        .finalize()
        .into_bytes();
    full[..MAC_BYTES].to_vec()
}

impl Link {
    /// The token for this link, signed with the shop's widget secret.
    pub fn token(&self, secret: &str) -> String {
        let payload = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.shop,
            self.survey,
            self.customer,
            self.order,
            self.expires_at.timestamp()
        );
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(mac(secret, payload.as_bytes()))
        )
    }
}

/// The shop a token names, read before its signature can be checked (the
/// secret is the shop's). Nothing here is trusted yet.
pub fn claimed_shop(token: &str) -> Option<String> {
    let (payload, _) = split(token)?;
    Some(payload.split('\n').next()?.to_string())
}

fn split(token: &str) -> Option<(String, Vec<u8>)> {
    let (payload, mac) = token.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    Some((payload, mac))
}

/// The link `token` stands for, if the shop's `secret` signed it and it has not
/// expired at `now`.
pub fn open(token: &str, secret: &str, now: DateTime<Utc>) -> Result<Link, LinkError> {
    let (payload, given) = split(token).ok_or(LinkError::Invalid)?;
    if secret.is_empty() || !bool::from(mac(secret, payload.as_bytes()).ct_eq(&given)) {
        return Err(LinkError::Invalid);
    }
    let parts: Vec<&str> = payload.split('\n').collect();
    let [shop, survey, customer, order, expires] = parts[..] else {
        return Err(LinkError::Invalid);
    };
    // Signed by Kept, so well-formed; checked anyway, as everything put in a page is.
    let well_formed = [
        ("shop", shop),
        ("survey", survey),
        ("customer", customer),
        ("order", order),
    ]
    .iter()
    .all(|(name, value)| validate_ref(name, value).is_ok());
    let expires_at = expires
        .parse::<i64>()
        .ok()
        .and_then(|s| Utc.timestamp_opt(s, 0).single());
    let (true, Some(expires_at)) = (well_formed, expires_at) else {
        return Err(LinkError::Invalid);
    };
    if expires_at <= now {
        return Err(LinkError::Expired(expires_at));
    }
    Ok(Link {
        shop: shop.into(),
        survey: survey.into(),
        customer: customer.into(),
        order: order.into(),
        expires_at,
    })
}

/// Where the server is reached from outside, for the links it writes
/// (`--public-url`); without it, the request's own host over http.
#[derive(Debug, Clone, Default)]
pub struct PublicUrl(pub Option<String>);

/// `--public-url` as the links' base: an absolute `http` or `https` address
/// of a host, with a path or none, and nothing else (a `kept.example.com`
/// without its scheme had written links no phone could open); empty, none (as
/// a compose file writes a variable it leaves unset).
pub fn parse_public_url(text: &str) -> Result<PublicUrl, String> {
    if text.trim().is_empty() {
        return Ok(PublicUrl(None));
    }
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not an address: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{text:?} is not an http or https address of a host (as https://kept.example.com)"
        ));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(format!(
            "{text:?} has a query, a fragment or a user: the base of a link has none"
        ));
    }
    Ok(PublicUrl(Some(
        url.as_str().trim_end_matches('/').to_string(),
    )))
}

/// [`PublicUrl::base`] for this request, as a handler's argument (the app
/// holds the `PublicUrl` as an extension).
pub struct PublicBase(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PublicBase {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Failure> {
        let url = parts
            .extensions
            .get::<Arc<PublicUrl>>()
            .map(|u| u.as_ref().clone())
            .unwrap_or_default();
        Ok(PublicBase(url.base(&parts.headers)?))
    }
}

/// A request's `Host` that is not a host and port alone, which no link is
/// written with (without `--public-url`, links take the request's host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAHost(pub String);

impl From<NotAHost> for Failure {
    fn from(NotAHost(given): NotAHost) -> Self {
        Failure::bad_request(format!(
            "the request's Host {given:?} is not a host name and port: links are written \
             with it (start the server with --public-url to name its address)"
        ))
    }
}

impl PublicUrl {
    /// The links' base: `--public-url`, or `http://` and the request's
    /// `Host`, when that is a host and a port and nothing else. A `Host`
    /// passed on by a proxy is the client's: `shop.example@evil.com` had
    /// written links to evil.com, and a quote or a path went into them as given.
    pub fn base(&self, headers: &HeaderMap) -> Result<String, NotAHost> {
        if let Some(url) = &self.0 {
            return Ok(url.trim_end_matches('/').to_string());
        }
        let Some(host) = headers.get(header::HOST) else {
            return Ok("http://localhost".into());
        };
        let given = String::from_utf8_lossy(host.as_bytes()).into_owned();
        host_alone(&given)
            .map(|host| format!("http://{host}"))
            .ok_or(NotAHost(given))
    }

    /// The link of `token`, as the request's server is reached.
    pub fn link(&self, headers: &HeaderMap, token: &str) -> Result<String, NotAHost> {
        Ok(url(&self.base(headers)?, token))
    }
}

/// `given` as a host and an optional port (in lower case), if it is that and
/// nothing more: no user, path, query or fragment, no character a URL would
/// escape or drop.
fn host_alone(given: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://{given}/")).ok()?;
    // A name of letters, digits, hyphens and dots (as IDNA leaves it), or an
    // address: the URL reader lets `sh"op`, `a,b` or `a$b` through as names.
    let name_or_address = match url.host()? {
        url::Host::Domain(name) => name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
    };
    if !name_or_address || url.port() == Some(0) {
        return None;
    }
    let host = url.host_str()?;
    let alone = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let plain = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    // The URL drops http's own port 80: as given, it is the same host.
    let same =
        given.eq_ignore_ascii_case(&alone) || given.eq_ignore_ascii_case(&format!("{alone}:80"));
    (plain && same).then_some(alone)
}

/// The link of `token` on the server at `base`.
pub fn url(base: &str, token: &str) -> String {
    format!("{base}/s/{token}")
}

/// The shop a token names and its link, when that shop signed it and it has
/// not expired.
pub async fn open_stored(
    db: &dyn Database,
    token: &str,
) -> DbResult<Result<(Shop, Link), LinkError>> {
    let Some(shop) = (match claimed_shop(token) {
        Some(id) => db.shop(&id).await?,
        None => None,
    }) else {
        return Ok(Err(LinkError::Invalid));
    };
    Ok(open(token, &shop.widget_secret, Utc::now()).map(|link| (shop, link)))
}

/// A personal link as its page and the kiosk see it: its shop, its link,
/// and where it stands.
pub struct Resolved {
    pub shop: Shop,
    pub link: Link,
    pub standing: Standing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its survey may be answered now.
    Open,
    /// Its survey was answered for its order already.
    Answered,
    /// Its survey is no longer asked.
    Closed,
}

/// How long past a link's expiry its page's signatures hold: an answer given
/// before it, held in the offline queue, is still verified when it is sent.
pub const SIGNATURES_OUTLIVE_LINK_DAYS: i64 = 30;

impl Resolved {
    /// The customer's and the order's signatures for the page: Kept's, which
    /// hold until [`SIGNATURES_OUTLIVE_LINK_DAYS`] past the link's expiry (a
    /// forwarded or copied page had spoken for the customer for good: their
    /// loyalty card, their verified answers).
    pub fn signatures(&self) -> (String, String) {
        let secret = &self.shop.widget_secret;
        let until = self.link.expires_at + chrono::Duration::days(SIGNATURES_OUTLIVE_LINK_DAYS);
        (
            sign_until(secret, Signed::Customer, &self.link.customer, until),
            sign_until(secret, Signed::Order, &self.link.order, until),
        )
    }
}

/// The link `token` stands for (only one of `shop_id`'s, when given: another
/// shop's link is not a link there, expired or not), and where it stands.
pub async fn resolve(
    db: &dyn Database,
    token: &str,
    shop_id: Option<&str>,
) -> DbResult<Result<Resolved, LinkError>> {
    if shop_id.is_some_and(|id| claimed_shop(token).as_deref() != Some(id)) {
        return Ok(Err(LinkError::Invalid));
    }
    let (shop, link) = match open_stored(db, token).await? {
        Ok(opened) => opened,
        Err(e) => return Ok(Err(e)),
    };
    let active = db
        .surveys(&shop.id, true)
        .await?
        .iter()
        .any(|r| r.survey.id == link.survey);
    let standing = if !active {
        Standing::Closed
    } else if db
        .surveys_answered_for_order(&shop.id, &link.order)
        .await?
        .contains(&link.survey)
    {
        Standing::Answered
    } else {
        Standing::Open
    };
    Ok(Ok(Resolved {
        shop,
        link,
        standing,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_public_url_is_an_http_address_of_a_host_and_nothing_more() {
        for (given, base) in [
            ("https://kept.example.com", "https://kept.example.com"),
            ("https://kept.example.com/", "https://kept.example.com"),
            ("http://10.0.0.5:8080/kept/", "http://10.0.0.5:8080/kept"),
            ("HTTPS://Kept.Example.com", "https://kept.example.com"),
        ] {
            assert_eq!(
                parse_public_url(given).map(|u| u.0),
                Ok(Some(base.to_string())),
                "{given}"
            );
        }
        assert_eq!(parse_public_url("").map(|u| u.0), Ok(None));
        for bad in [
            "kept.example.com",
            "ftp://x",
            "https://",
            "mailto:owner@example.com",
            "https://kept.example.com/?a=1",
            "https://kept.example.com/#top",
            "https://user:pw@kept.example.com",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }

    fn link(expires_at: DateTime<Utc>) -> Link {
        Link {
            shop: "demo".into(),
            survey: "churn".into(),
            customer: "alice".into(),
            order: "o-1001".into(),
            expires_at,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_token_opens_to_its_link_until_it_expires() {
        let l = link(now() + Duration::days(30));
        let token = l.token("ws_secret");
        assert_eq!(open(&token, "ws_secret", now()), Ok(l.clone()));
        assert_eq!(claimed_shop(&token).as_deref(), Some("demo"));
        assert_eq!(
            open(&token, "ws_secret", now() + Duration::days(30)),
            Err(LinkError::Expired(l.expires_at))
        );
        // Short enough for a QR code on a receipt.
        assert!(token.len() < 100, "{} characters", token.len());
    }

    #[test]
    fn a_token_changed_in_any_way_or_under_another_secret_is_invalid() {
        let token = link(now() + Duration::days(30)).token("ws_secret");
        assert_eq!(open(&token, "ws_other", now()), Err(LinkError::Invalid));
        assert_eq!(open(&token, "", now()), Err(LinkError::Invalid));
        // Another customer in the payload, the same MAC.
        let (_, mac_part) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{mac_part}",
            URL_SAFE_NO_PAD.encode("demo\nchurn\nbob\no-1001\n4102444800")
        );
        assert_eq!(open(&forged, "ws_secret", now()), Err(LinkError::Invalid));
        for bad in ["", ".", "abc", "abc.def", &token[..token.len() - 1]] {
            assert_eq!(
                open(bad, "ws_secret", now()),
                Err(LinkError::Invalid),
                "{bad:?}"
            );
        }
        // A payload Kept would never sign, signed: still refused.
        let odd = "demo\nchurn\nal ice\no-1\n4102444800";
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(odd),
            URL_SAFE_NO_PAD.encode(mac("ws_secret", odd.as_bytes()))
        );
        assert_eq!(open(&signed, "ws_secret", now()), Err(LinkError::Invalid));
    }
}
