//! The portal's visit counter (today and in all): counted in memory, flushed to the database
//! (`Db::add_visits`) every few seconds and at shutdown, so a page view costs no write. Bots (by
//! User-Agent) are not counted, nor a visitor (address and User-Agent) seen again within
//! `RELOAD_WINDOW`.

use parindex_store::{Db, Timestamp};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A visitor seen again within this time is the same visit (a reload, the next page).
pub const RELOAD_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How often counts go to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(15);
/// Visitors remembered per shard before the oldest are forgotten (bounds memory under a flood
/// of distinct addresses).
const SHARD_CAP: usize = 16_384;
const SHARDS: usize = 16;

/// Words of User-Agents that announce robots and tools, lower case.
const BOT_WORDS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "curl",
    "wget",
    "python",
    "go-http",
    "java/",
    "libwww",
    "httpclient",
    "okhttp",
    "headless",
    "lighthouse",
    "preview",
    "monitor",
    "wrk",
    "ab/",
];

/// Whether a User-Agent is a robot's (or missing, as most scripts' are).
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim).filter(|u| !u.is_empty()) else {
        return true;
    };
    let ua = ua.to_ascii_lowercase();
    BOT_WORDS.iter().any(|w| ua.contains(w))
}

/// The province's day of a moment (`YYYY-MM-DD`, UTC+7).
pub fn local_day(t: Timestamp) -> String {
    let s = Timestamp(t.0 + 7 * 3_600_000).to_string();
    s[..10].to_string()
}

#[derive(Default)]
struct Counts {
    day: String,
    /// Counted today and not yet written.
    pending: i64,
    /// Counted on earlier days and not yet written (the day turned before a flush).
    carry: Vec<(String, i64)>,
    /// As last read from the database.
    today_stored: i64,
    total_stored: i64,
}

pub struct Visits {
    counts: Mutex<Counts>,
    seen: Vec<Mutex<HashMap<u64, Instant>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Visits {
    fn default() -> Self {
        Visits {
            counts: Mutex::new(Counts {
                day: local_day(Timestamp::now()),
                ..Counts::default()
            }),
            seen: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl Visits {
    /// Counts a page view by `client` (an address) with `user_agent`, unless a robot's or a
    /// repeat within the window. Returns whether it counted.
    pub fn hit(&self, client: &str, user_agent: Option<&str>) -> bool {
        if is_bot(user_agent) {
            return false;
        }
        let mut h = self.hasher.build_hasher();
        client.hash(&mut h);
        user_agent.hash(&mut h);
        let key = h.finish();
        let now = Instant::now();
        {
            let Ok(mut seen) = self.seen[(key as usize) % SHARDS].lock() else {
                return false;
            };
            if let Some(last) = seen.get_mut(&key) {
                let repeat = now.duration_since(*last) < RELOAD_WINDOW;
                *last = now;
                if repeat {
                    return false;
                }
            } else {
                if seen.len() >= SHARD_CAP {
                    seen.retain(|_, t| now.duration_since(*t) < RELOAD_WINDOW);
                    if seen.len() >= SHARD_CAP {
                        seen.clear();
                    }
                }
                seen.insert(key, now);
            }
        }
        let today = local_day(Timestamp::now());
        if let Ok(mut c) = self.counts.lock() {
            if c.day != today {
                let (day, n) = (std::mem::replace(&mut c.day, today), c.pending);
                if n > 0 {
                    c.carry.push((day, n));
                }
                c.pending = 0;
                c.today_stored = 0;
            }
            c.pending += 1;
        }
        true
    }

    /// (visits today, visits in all), including those not yet written.
    pub fn snapshot(&self) -> (i64, i64) {
        match self.counts.lock() {
            Ok(c) => {
                let carried: i64 = c.carry.iter().map(|(_, n)| n).sum();
                (
                    c.today_stored + c.pending,
                    c.total_stored + c.pending + carried,
                )
            }
            Err(_) => (0, 0),
        }
    }

    /// Writes what was counted, then reads the stored counts back (other servers may count
    /// too). On a failed write the counts are kept for the next flush.
    pub async fn flush(&self, db: &Db) -> parindex_store::Result<()> {
        let (day, pending, carry) = match self.counts.lock() {
            Ok(mut c) => (
                c.day.clone(),
                std::mem::take(&mut c.pending),
                std::mem::take(&mut c.carry),
            ),
            Err(_) => return Ok(()),
        };
        let mut failed: Option<parindex_store::Error> = None;
        let mut unwritten = Vec::new();
        for (d, n) in carry
            .into_iter()
            .chain(std::iter::once((day.clone(), pending)))
        {
            if n == 0 {
                continue;
            }
            if failed.is_some() {
                unwritten.push((d, n));
                continue;
            }
            if let Err(e) = db.add_visits(&d, n).await {
                failed = Some(e);
                unwritten.push((d, n));
            }
        }
        let stored = if failed.is_none() {
            db.visit_counts(&day).await.ok()
        } else {
            None
        };
        if let Ok(mut c) = self.counts.lock() {
            for (d, n) in unwritten {
                if d == c.day {
                    c.pending += n;
                } else {
                    c.carry.push((d, n));
                }
            }
            if let Some((today, total)) = stored
                && c.day == day
            {
                // Visits counted meanwhile stay in `pending`.
                c.today_stored = today;
                c.total_stored = total;
            }
        }
        // Forget visitors out of the window.
        let now = Instant::now();
        for shard in &self.seen {
            if let Ok(mut s) = shard.lock() {
                s.retain(|_, t| now.duration_since(*t) < RELOAD_WINDOW);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

    #[test]
    fn robots_and_reloads_do_not_count() {
        let v = Visits::default();
        assert!(v.hit("1.2.3.4", Some(FIREFOX)));
        assert!(!v.hit("1.2.3.4", Some(FIREFOX)), "a reload");
        assert!(v.hit("1.2.3.5", Some(FIREFOX)), "another address");
        assert!(!v.hit("1.2.3.6", Some("Googlebot/2.1")));
        assert!(!v.hit("1.2.3.6", None));
        assert!(!v.hit("1.2.3.6", Some("curl/8.5.0")));
        assert_eq!(v.snapshot(), (2, 2));
    }

    #[test]
    fn days_are_the_provinces() {
        let t = Timestamp::parse_rfc3339("2019-12-10T17:30:00Z").unwrap();
        assert_eq!(local_day(t), "2019-12-11");
    }
}
