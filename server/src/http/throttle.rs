//! The abuse limits in front of the routes (`rate_limit.rs` keeps the buckets):
//! the widget's routes spend from the client address's bucket and the shop's;
//! the owner and back-office routes and the dashboard from the presented token's
//! (or session's). A refused request is a `429` with `Retry-After`, readable by
//! any origin so the widget can honour it, and costs nothing else: it is refused
//! before the store is asked anything.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use kept_shared::ErrorCode;
use kept_shared::validate::validate_ref;
use sha2::{Digest, Sha256};

use super::error::Failure;
use crate::dashboard::SESSION_COOKIE;
use crate::rate_limit::{Buckets, Limiter, RateLimits};

/// The limits and how to tell a client's address.
#[derive(Debug)]
pub struct Throttle {
    limiter: Limiter,
    /// Proxies whose `X-Forwarded-For` is believed (the addresses they connect from).
    trusted_proxies: Vec<IpAddr>,
}

impl Throttle {
    pub fn new(limits: &RateLimits, trusted_proxies: Vec<IpAddr>) -> Arc<Throttle> {
        Arc::new(Throttle {
            limiter: Limiter::new(limits),
            trusted_proxies,
        })
    }

    /// The client's address: the connection's peer, or, when the peer is a
    /// trusted proxy, the nearest address in `X-Forwarded-For` that is not one
    /// (each proxy appends the address it was reached from, so only the entries
    /// the trusted proxies added can be believed). In-process tests have no peer.
    fn client(&self, req: &Request) -> Option<IpAddr> {
        // A dual-stack listener sees IPv4 clients as `::ffff:a.b.c.d`.
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical())?;
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = forwarded_for(req.headers());
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !self.trusted_proxies.contains(ip))
                .unwrap_or(peer),
        )
    }
}

impl Throttle {
    /// Spends one request of the client's bucket in `buckets` (nothing for a
    /// request without a peer: the in-process tests).
    fn spend_client(&self, buckets: &Buckets, req: &Request) -> Result<(), Duration> {
        match self.client(req) {
            Some(ip) => spend(buckets, &client_key(ip)),
            None => Ok(()),
        }
    }
}

/// The addresses in every `X-Forwarded-For` header, in order; an entry that is
/// not an address drops everything before it (nothing before it can be trusted).
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut all = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return all;
        };
        for entry in value.split(',') {
            match address(entry.trim()) {
                Some(ip) => all.push(ip.to_canonical()),
                None => all.clear(),
            }
        }
    }
    all
}

/// An `X-Forwarded-For` entry's address: bare, or with the client's port as some
/// proxies write it (`198.51.100.7:51234`, `[2001:db8::1]:51234`).
fn address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// The bucket key of a client address: an IPv4 address, or an IPv6 address's
/// /64 (one subscriber's network holds billions of addresses).
fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Spends one request of `key`; `Err` holds how long to wait.
fn spend(buckets: &Buckets, key: &str) -> Result<(), Duration> {
    buckets.spend(key, Instant::now())
}

/// `429` with whole seconds to wait (rounded up) in `Retry-After` and the message,
/// readable by any origin: it says nothing about the shop.
pub(super) fn too_many_requests(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("too many requests; try again in {seconds} s"),
    )
    .readable_by_any_origin();
    let h = resp.headers_mut();
    h.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after"),
    );
    resp
}

/// In front of the widget's routes: the client's bucket, then the shop's (the
/// public key in the path; a key that cannot be one shares one bucket). CORS
/// preflights are let through: a refused one reaches the widget as a network
/// error, without its `Retry-After`, and browsers cache them for two hours.
pub async fn widget(State(t): State<Arc<Throttle>>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        return next.run(req).await;
    }
    let shop = super::first_segment(&req);
    if let Err(wait) = t.spend_widget(&req, &shop) {
        return too_many_requests(wait);
    }
    next.run(req).await
}

impl Throttle {
    /// Spends one widget request of the client's bucket, then of the shop's
    /// (`public_key`; one that cannot be a key shares one bucket): the widget's
    /// routes and the loader with a shop's rules (`shop_loader.rs`). Where the
    /// shop's is spent, the client's fair share still lets its request
    /// through: others spending the shop's limit do not shut out a visitor
    /// who asks as visitors do. A request refused costs the client nothing.
    pub fn spend_widget(&self, req: &Request, public_key: &str) -> Result<(), Duration> {
        let clients = &self.limiter.widget_per_client;
        let client = self.client(req).map(client_key);
        if let Some(client) = &client {
            spend(clients, client)?;
        }
        let shop = if validate_ref("public_key", public_key).is_ok() {
            public_key
        } else {
            "(not a key)"
        };
        let Err(wait) = spend(&self.limiter.widget_per_shop, shop) else {
            return Ok(());
        };
        let Some(client) = &client else {
            return Err(wait);
        };
        // One fair share per client and shop (a visitor of two shops is two
        // shops' visitor); all of a shop's fair shares together as many
        // requests again as its own limit, so that the shop's load stays
        // bounded, however many addresses ask.
        let fair = &self.limiter.widget_fair_share;
        let key = format!("{client} {shop}");
        spend(fair, &key)
            .and_then(|()| {
                spend(&self.limiter.widget_fair_shares_per_shop, shop)
                    .inspect_err(|_| fair.refund(&key))
            })
            .map_err(|_| {
                clients.refund(client);
                wait
            })
    }
}

/// In front of the pages that read the store (the kiosk, the demo): the
/// client's widget bucket, as the widget those pages load spends from.
pub async fn pages(State(t): State<Arc<Throttle>>, req: Request, next: Next) -> Response {
    if let Err(wait) = t.spend_client(&t.limiter.widget_per_client, &req) {
        return too_many_requests(wait);
    }
    next.run(req).await
}

/// In front of the owner and back-office routes and the dashboard: the client
/// address's bucket first (so that guessing tokens or sessions, each a new
/// credential, is limited too), then the bucket of the credential presented (a
/// bearer token or a session cookie, by its hash), so that one token used
/// from many addresses is limited as well.
pub async fn per_token(State(t): State<Arc<Throttle>>, req: Request, next: Next) -> Response {
    // Token keys start `token:`, which no address does.
    if let Err(wait) = t.spend_client(&t.limiter.per_token, &req) {
        return too_many_requests(wait);
    }
    let credential = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            crate::dashboard::cookie(req.headers(), SESSION_COOKIE).map(|c| format!("session {c}"))
        });
    if let Some(c) = credential {
        let key = format!("token:{}", hex::encode(&Sha256::digest(c.as_bytes())[..16]));
        if let Err(wait) = spend(&t.limiter.per_token, &key) {
            return too_many_requests(wait);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(peer: &str, forwarded: &[&str]) -> Request {
        let mut req = Request::builder().uri("/x");
        for f in forwarded {
            req = req.header("x-forwarded-for", *f);
        }
        let mut req = req.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 1)));
        req
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let t = Throttle::new(&RateLimits::default(), vec!["10.0.0.1".parse().unwrap()]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Not through the proxy: the header is the client's to forge.
        assert_eq!(
            t.client(&request("203.0.113.9", &["1.2.3.4"])),
            ip("203.0.113.9")
        );
        // Through the proxy: the address it appended, not what the client wrote before it.
        assert_eq!(
            t.client(&request("10.0.0.1", &["1.2.3.4, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            t.client(&request("10.0.0.1", &["1.2.3.4", "198.51.100.7, 10.0.0.1"])),
            ip("198.51.100.7")
        );
        // With the client's port, as some proxies write it.
        assert_eq!(
            t.client(&request("10.0.0.1", &["198.51.100.7:51234"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            t.client(&request("10.0.0.1", &["[2001:db8::1]:51234"])),
            ip("2001:db8::1")
        );
        // Nothing usable: the proxy itself.
        assert_eq!(t.client(&request("10.0.0.1", &[])), ip("10.0.0.1"));
        assert_eq!(
            t.client(&request("10.0.0.1", &["1.2.3.4, garbage"])),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn clients_are_ipv4_addresses_and_ipv6_networks() {
        let key = |s: &str| client_key(s.parse::<IpAddr>().unwrap());
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        // Seen through a dual-stack listener, an IPv4 client is still itself.
        let t = Throttle::new(&RateLimits::default(), vec![]);
        assert_eq!(
            t.client(&request("::ffff:203.0.113.9", &[])),
            Some("203.0.113.9".parse().unwrap())
        );
    }

    #[test]
    fn a_refusal_says_when_to_come_back_to_any_origin() {
        let resp = too_many_requests(Duration::from_millis(1500));
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "2");
        assert_eq!(resp.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(
            resp.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS],
            "retry-after"
        );
    }
}
