//! Abuse limits: token buckets kept in memory, one per client address, per shop
//! and per presented token (the HTTP layer decides which keys a request spends
//! from, `http/throttle.rs`).
//!
//! Each bucket is a GCRA ("generic cell rate algorithm"): one instant per key, the
//! time at which its bucket will be full again. A request is allowed while that
//! instant is at most `burst` intervals ahead of now; each allowed request moves it
//! one interval further. It is exact, needs no timer, and forgets nothing a full
//! bucket would remember: keys whose bucket is full are dropped when the table grows.
//!
//! Limits are per server process: behind several instances each instance counts
//! its own share, which is what a per-instance protection should do.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many requests a key may make: `burst` at once, then `per_minute` a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    pub const fn new(per_minute: u32, burst: u32) -> Quota {
        Quota { per_minute, burst }
    }

    /// The time one request costs.
    fn interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/min,burst={}", self.per_minute, self.burst)
    }
}

/// `120/min` or `120/min,burst=240` (the burst defaults to one minute's worth).
impl FromStr for Quota {
    type Err = String;
    fn from_str(s: &str) -> Result<Quota, String> {
        let bad = || format!("{s:?} is not a rate like 120/min or 120/min,burst=240");
        let (rate, burst) = match s.split_once(',') {
            Some((rate, burst)) => (rate, Some(burst.strip_prefix("burst=").ok_or_else(bad)?)),
            None => (s, None),
        };
        let per_minute: u32 = rate
            .strip_suffix("/min")
            .ok_or_else(bad)?
            .parse()
            .map_err(|_| bad())?;
        let burst: u32 = match burst {
            Some(b) => b.parse().map_err(|_| bad())?,
            None => per_minute,
        };
        if per_minute == 0 || burst == 0 {
            return Err(format!("{s:?}: a rate and its burst must be above zero"));
        }
        Ok(Quota { per_minute, burst })
    }
}

/// The limits the server applies (the README's limits table lists the defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// The widget's routes, per client address. Generous: a shop's visitors may
    /// share one address (a mobile carrier's NAT, an office).
    pub widget_per_client: Quota,
    /// The widget's routes, per shop (public key), over all clients.
    pub widget_per_shop: Quota,
    /// The widget's requests of one client a shop's spent limit still lets
    /// through: its visitors' own few, whoever else spent the shop's (many
    /// addresses, each within its own limit, had spent it and shut the widget
    /// for every visitor). All of a shop's together at most its own limit
    /// again: its load stays bounded.
    pub widget_fair_share: Quota,
    /// The owner and back-office routes and the dashboard, per presented token or
    /// session (per client address for requests without one).
    pub per_token: Quota,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            widget_per_client: Quota::new(120, 240),
            widget_per_shop: Quota::new(6_000, 12_000),
            widget_fair_share: Quota::new(30, 30),
            per_token: Quota::new(1_200, 2_400),
        }
    }
}

impl RateLimits {
    /// Limits no client reaches: for benchmarks, which measure something else.
    pub fn unlimited() -> RateLimits {
        let q = Quota::new(u32::MAX, u32::MAX);
        RateLimits {
            widget_per_client: q,
            widget_per_shop: q,
            widget_fair_share: q,
            per_token: q,
        }
    }
}

/// Most keys one table remembers before it forgets those whose bucket is full.
const PRUNE_AT: usize = 100_000;

/// The buckets of one kind of key.
#[derive(Debug)]
pub struct Buckets {
    quota: Quota,
    /// Per key, when its bucket is full again.
    full_at: Mutex<HashMap<String, Instant>>,
}

impl Buckets {
    pub fn new(quota: Quota) -> Buckets {
        Buckets {
            quota,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one request of `key` at `now`: `Ok` when allowed, else how long
    /// until the next request would be.
    pub fn spend(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let interval = self.quota.interval();
        let capacity = interval * self.quota.burst;
        // A poisoned lock means a panic elsewhere mid-update; the map is still usable.
        let mut table = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        if table.len() >= PRUNE_AT {
            table.retain(|_, full_at| *full_at > now);
        }
        let full_at = table.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let after = full_at + interval;
        // Allowed while the bucket, after this request, holds at most `burst`.
        if after > now + capacity {
            return Err(after - (now + capacity));
        }
        table.insert(key.to_string(), after);
        Ok(())
    }

    /// Gives back one request [`Buckets::spend`] allowed `key`: a later check
    /// refused the request it was spent for, which is then to cost nothing.
    pub fn refund(&self, key: &str) {
        let interval = self.quota.interval();
        let mut table = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(full_at) = table.get_mut(key) {
            *full_at = full_at.checked_sub(interval).unwrap_or(*full_at);
        }
    }
}

/// Every bucket the server keeps, built from its [`RateLimits`].
#[derive(Debug)]
pub struct Limiter {
    pub widget_per_client: Buckets,
    pub widget_per_shop: Buckets,
    pub widget_fair_share: Buckets,
    /// All of a shop's fair shares together: as many as its own limit.
    pub widget_fair_shares_per_shop: Buckets,
    pub per_token: Buckets,
}

impl Limiter {
    pub fn new(limits: &RateLimits) -> Limiter {
        Limiter {
            widget_per_client: Buckets::new(limits.widget_per_client),
            widget_per_shop: Buckets::new(limits.widget_per_shop),
            widget_fair_share: Buckets::new(limits.widget_fair_share),
            widget_fair_shares_per_shop: Buckets::new(limits.widget_per_shop),
            per_token: Buckets::new(limits.per_token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_one_request_per_interval() {
        let b = Buckets::new(Quota::new(60, 3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.spend("a", t0), Ok(()));
        }
        let wait = b.spend("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // Another key has its own bucket.
        assert_eq!(b.spend("b", t0), Ok(()));
        // A refused request costs nothing: one second later exactly one more passes.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(b.spend("a", t1), Ok(()));
        assert!(b.spend("a", t1).is_err());
        // After the bucket refills, the whole burst is available again.
        let t2 = t1 + Duration::from_secs(10);
        for _ in 0..3 {
            assert_eq!(b.spend("a", t2), Ok(()));
        }
        assert!(b.spend("a", t2).is_err());
    }

    #[test]
    fn a_refunded_request_costs_nothing() {
        let b = Buckets::new(Quota::new(60, 2));
        let t0 = Instant::now();
        assert_eq!(b.spend("a", t0), Ok(()));
        b.refund("a");
        b.refund("never spent");
        // Both of the burst are still there.
        assert_eq!(b.spend("a", t0), Ok(()));
        assert_eq!(b.spend("a", t0), Ok(()));
        assert!(b.spend("a", t0).is_err());
    }

    #[test]
    fn unlimited_is_not_reached() {
        let b = Buckets::new(RateLimits::unlimited().widget_per_client);
        let t0 = Instant::now();
        assert!((0..100_000).all(|_| b.spend("bench", t0).is_ok()));
    }

    #[test]
    fn full_buckets_are_forgotten_when_the_table_grows() {
        let b = Buckets::new(Quota::new(60, 1));
        let t0 = Instant::now();
        for i in 0..PRUNE_AT {
            b.spend(&i.to_string(), t0).unwrap();
        }
        let later = t0 + Duration::from_secs(2);
        b.spend("new", later).unwrap();
        assert_eq!(b.full_at.lock().unwrap().len(), 1);
    }

    #[test]
    fn quotas_read_as_written_in_the_readme() {
        assert_eq!("120/min".parse(), Ok(Quota::new(120, 120)));
        assert_eq!("120/min,burst=240".parse(), Ok(Quota::new(120, 240)));
        assert!("0/min".parse::<Quota>().is_err());
        assert!("120/s".parse::<Quota>().is_err());
        assert!("120/min,240".parse::<Quota>().is_err());
        let q = RateLimits::default().widget_per_client;
        assert_eq!(q.to_string().parse(), Ok(q));
    }
}
