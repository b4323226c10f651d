//! Where Kept's server may send requests on a shop's behalf (webhooks): to
//! public addresses only. A shop owner names the URL; without this, any owner
//! could make Kept call what only Kept's own network reaches (a cloud's
//! metadata service at 169.254.169.254, a database's admin port on 10.0.0.5,
//! the server itself on 127.0.0.1) and read the answers in the delivery log.
//!
//! Checked twice: an address written as an IP (or `localhost`) is refused when
//! the webhook is registered and again before each delivery, and every delivery
//! resolves the receiver's name with [`PublicOnly`], which drops private
//! addresses, so a name that resolves somewhere private later (DNS rebinding)
//! reaches nothing either. Redirects are never followed, and no proxy from the
//! environment is used: it would resolve names itself (`webhooks.rs`).

use std::error::Error;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which receivers the server may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Receivers {
    /// Public addresses only: what a server reachable from the internet needs.
    #[default]
    Public,
    /// Any address, private networks and loopback included: for a server on a
    /// shop's own network, and for tests, whose receivers listen on loopback.
    Any,
}

impl Receivers {
    /// Why `url` may not be called, when its host is written as an address (or
    /// `localhost`) these receivers exclude; names are checked as they resolve.
    pub fn refusal(self, url: &reqwest::Url) -> Option<PrivateAddress> {
        match self {
            Receivers::Public => refused_host(url),
            Receivers::Any => None,
        }
    }

    /// Whether `url` may be called over plain HTTP: only a receiver on the
    /// server's own network (a private address or `localhost`), where these
    /// receivers allow them. Anything else carries customers' answers across
    /// networks, so encrypted: `https://`.
    pub fn plain_http_allowed(self, url: &reqwest::Url) -> bool {
        self == Receivers::Any && refused_host(url).is_some()
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (carrier NAT), multicast, documentation, benchmarking or
/// reserved, nor an IPv6 form of one of them.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms
        // are their IPv4 address.
        IpAddr::V6(v6) => match v6.to_ipv4() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (b & 0xc0) == 64)
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b & 0xfe) == 18)
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Site-local (deprecated, still routed inside some networks), fec0::/10.
        || (first & 0xffc0) == 0xfec0
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IETF protocol assignments, 2001::/23, with Teredo (2001::/32: an
        // IPv4 address inside, through a relay).
        || (first == 0x2001 && ip.segments()[1] < 0x0200)
        // IPv4-translated, ::ffff:0:0/96 (SIIT): an IPv4 address inside,
        // which the translator is to say, so none.
        || ip.segments()[..6] == [0, 0, 0, 0, 0xffff, 0]
        // 6to4, 2002::/16: an IPv4 address inside, through a relay.
        || first == 0x2002
        // Discard-only, 100::/64.
        || (first == 0x0100 && ip.segments()[1..4] == [0, 0, 0])
        // NAT64 (64:ff9b::/96, and local 64:ff9b:1::/48) reaches IPv4 addresses
        // through a gateway: which ones is the gateway's to say, so none.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

/// Why a URL's host may not be called, when it is written as an address (or
/// `localhost`); names are checked when they are resolved.
fn refused_host(url: &reqwest::Url) -> Option<PrivateAddress> {
    let private = match url.host()? {
        url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    private.then(|| PrivateAddress(url.host_str().unwrap_or_default().to_string()))
}

/// A receiver whose address is private.
#[derive(Debug, PartialEq, Eq)]
pub struct PrivateAddress(pub String);

impl fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is a private address: Kept delivers only to public ones",
            self.0
        )
    }
}

impl Error for PrivateAddress {}

/// The first [`PrivateAddress`] among an error's causes.
pub fn private_address<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a PrivateAddress> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(p) = c.downcast_ref::<PrivateAddress>() {
            return Some(p);
        }
        cause = c.source();
    }
    None
}

/// The system's resolver, keeping only public addresses; a name with none
/// fails with [`PrivateAddress`].
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(PrivateAddress(host)) as Box<dyn Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "fec0::1",
            "100::1",
            "::ffff:0:7f00:1",
            "::ffff:0:808:808",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "2001:1::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_written_with_a_private_address_are_refused() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://admin.localhost/hook",
            "http://[::ffff:192.168.0.1]/",
        ] {
            let u = reqwest::Url::parse(url).unwrap();
            assert!(Receivers::Public.refusal(&u).is_some(), "{url}");
            assert!(Receivers::Any.refusal(&u).is_none(), "{url}");
        }
        for url in ["https://hooks.example.com/kept", "http://8.8.8.8/"] {
            let u = reqwest::Url::parse(url).unwrap();
            assert_eq!(refused_host(&u), None, "{url}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_loopback_is_refused() {
        let e = match PublicOnly.resolve("localhost".parse().unwrap()).await {
            Err(e) => e,
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
        };
        assert!(private_address(e.as_ref()).is_some(), "{e}");
    }
}
