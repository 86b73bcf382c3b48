//! The per-source rate limit of the open survey link: a token bucket per client address (IPv6 by
//! its /64, what one household or phone gets), kept in memory in a bounded map. Refusals come
//! with how long to wait. Token-bearing submissions are not limited (each token works once).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many submissions one source may make: `burst` at once, then `per_hour` (spread evenly).
/// `burst = 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub burst: u32,
    pub per_hour: u32,
    /// Most sources remembered; beyond it idle ones are forgotten first, then the oldest.
    pub max_sources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            burst: 20,
            per_hour: 60,
            max_sources: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Inner {
    limits: Limits,
    buckets: HashMap<String, Bucket>,
}

/// The limiter; cheap to share behind the application state.
pub struct RateLimiter(Mutex<Inner>);

/// The key of a source: an IPv4 address as is, an IPv6 address by its /64 prefix, anything
/// else (an unknown peer) as given.
pub fn source_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

impl RateLimiter {
    pub fn new(limits: Limits) -> RateLimiter {
        RateLimiter(Mutex::new(Inner {
            limits,
            buckets: HashMap::new(),
        }))
    }

    pub fn limits(&self) -> Limits {
        self.0
            .lock()
            .map(|i| i.limits)
            .unwrap_or_else(|p| p.into_inner().limits)
    }

    /// Changes the limits (sources keep what they have used).
    pub fn set_limits(&self, limits: Limits) {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inner.limits = limits;
    }

    /// Sources currently remembered.
    pub fn len(&self) -> usize {
        self.0
            .lock()
            .map(|i| i.buckets.len())
            .unwrap_or_else(|p| p.into_inner().buckets.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one submission from `key`'s bucket: `Err(wait)` when it is empty.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Limits {
            burst,
            per_hour,
            max_sources,
        } = inner.limits;
        if burst == 0 {
            return Ok(());
        }
        let rate = f64::from(per_hour) / 3600.0;
        let cap = f64::from(burst);
        if !inner.buckets.contains_key(key) && inner.buckets.len() >= max_sources.max(1) {
            prune(&mut inner.buckets, now, rate, cap, max_sources.max(1));
        }
        let b = inner.buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: cap,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(cap);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else if rate > 0.0 {
            Err(Duration::from_secs_f64(((1.0 - b.tokens) / rate).ceil()))
        } else {
            Err(Duration::from_secs(3600))
        }
    }
}

/// Makes room in a full map: forgets the sources whose bucket has refilled (they lose nothing),
/// then, if that is not enough, the older half by last use.
fn prune(buckets: &mut HashMap<String, Bucket>, now: Instant, rate: f64, cap: f64, max: usize) {
    buckets
        .retain(|_, b| b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < cap);
    if buckets.len() >= max {
        let mut ages: Vec<Instant> = buckets.values().map(|b| b.at).collect();
        let mid = ages.len() / 2;
        ages.select_nth_unstable(mid);
        let cut = ages[mid];
        buckets.retain(|_, b| b.at > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let l = RateLimiter::new(Limits {
            burst: 3,
            per_hour: 3600,
            max_sources: 10,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at("1.2.3.4", t0).is_ok());
        }
        assert_eq!(l.check_at("1.2.3.4", t0), Err(Duration::from_secs(1)));
        assert!(
            l.check_at("5.6.7.8", t0).is_ok(),
            "another source has its own bucket"
        );
        assert!(l.check_at("1.2.3.4", t0 + Duration::from_secs(1)).is_ok());
        assert!(l.check_at("1.2.3.4", t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn zero_burst_is_off() {
        let l = RateLimiter::new(Limits {
            burst: 0,
            per_hour: 0,
            max_sources: 1,
        });
        for _ in 0..1000 {
            assert!(l.check("x").is_ok());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn the_map_stays_bounded() {
        let l = RateLimiter::new(Limits {
            burst: 2,
            per_hour: 1,
            max_sources: 100,
        });
        let t0 = Instant::now();
        for i in 0..10_000u32 {
            let _ = l.check_at(
                &format!("10.0.{}.{}", i / 256, i % 256),
                t0 + Duration::from_millis(u64::from(i)),
            );
            assert!(l.len() <= 100);
        }
        // The most recent source is still limited after the pruning.
        let last = "10.0.39.15";
        assert!(l.check_at(last, t0 + Duration::from_millis(9_999)).is_ok());
        assert!(l.check_at(last, t0 + Duration::from_millis(9_999)).is_err());
    }

    #[test]
    fn ipv6_by_prefix() {
        assert_eq!(source_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(source_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
        assert_eq!(source_key("::ffff:1.2.3.4"), "1.2.3.4");
        assert_eq!(source_key("1.2.3.4"), "1.2.3.4");
        assert_eq!(source_key("unknown"), "unknown");
    }
}
