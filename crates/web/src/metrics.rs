//! A small Prometheus registry: request counts by method, route and status, request latency
//! histograms by method and route, sign-in failures, and (read at scrape time) the database
//! pool. Hand-written: `metrics` + `metrics-exporter-prometheus` cost more to build than these
//! few counters (see docs/web.md, "Build cost").

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    login_failures: AtomicU64,
    uploads: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let h = m
                .entry((method.to_string(), route.to_string()))
                .or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    pub fn login_failed(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn uploaded(&self) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self, pool_size: u32, pool_idle: usize) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP parindex_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE parindex_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "parindex_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP parindex_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE parindex_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for ((method, route), h) in m.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "parindex_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "parindex_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "parindex_http_request_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "parindex_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        }
        let _ = write!(
            out,
            "# HELP parindex_login_failures_total Failed sign-ins.\n\
             # TYPE parindex_login_failures_total counter\n\
             parindex_login_failures_total {}\n\
             # HELP parindex_evidence_uploads_total Evidence files stored.\n\
             # TYPE parindex_evidence_uploads_total counter\n\
             parindex_evidence_uploads_total {}\n\
             # HELP parindex_db_pool_connections Database pool connections.\n\
             # TYPE parindex_db_pool_connections gauge\n\
             parindex_db_pool_connections{{state=\"open\"}} {pool_size}\n\
             parindex_db_pool_connections{{state=\"idle\"}} {pool_idle}\n\
             # HELP parindex_build_info The running version.\n\
             # TYPE parindex_build_info gauge\n\
             parindex_build_info{{version=\"{}\"}} 1\n",
            self.login_failures.load(Ordering::Relaxed),
            self.uploads.load(Ordering::Relaxed),
            env!("CARGO_PKG_VERSION"),
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
