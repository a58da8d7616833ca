//! `GET /metrics` in the Prometheus text format: requests by route, method and status with a
//! latency histogram per route, events ingested and refused by source, webhook deliveries by
//! hook and outcome, pushed operations by outcome, and the database pool. Counted per node, in
//! memory (a restart starts from zero, as Prometheus expects of counters). Readable without a
//! token from loopback only; from elsewhere with `Authorization: Bearer $CASEBOOK_METRICS_TOKEN`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// One route's requests by (method, status), and its latency.
type RouteCounts = (BTreeMap<(String, u16), u64>, Histogram);

#[derive(Default)]
struct Counters {
    /// By route: counts by (method, status), and the latency histogram.
    routes: BTreeMap<String, RouteCounts>,
    events: BTreeMap<(String, &'static str), u64>,
    hooks: BTreeMap<(String, &'static str), u64>,
    pushed: BTreeMap<&'static str, u64>,
}

/// This node's counts.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

/// The connection's peer, put on each request by the listener.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Counters) -> T) -> T {
        f(&mut self.counters.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        self.with(|c| {
            // The common case allocates nothing: the route and its method and status are known.
            if !c.routes.contains_key(route) {
                c.routes.insert(route.to_string(), Default::default());
            }
            let (counts, h) = c.routes.get_mut(route).expect("just made");
            match counts.iter_mut().find(|((m, st), _)| m == method && *st == status) {
                Some((_, n)) => *n += 1,
                None => {
                    counts.insert((method.to_string(), status), 1);
                }
            }
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// An event ingested (`created`, `duplicate`) or `rejected`, by its source.
    pub fn event(&self, source: &str, outcome: &'static str) {
        self.with(|c| *c.events.entry((source.to_string(), outcome)).or_default() += 1);
    }

    /// A webhook delivery: `stored`, `duplicate`, `refused`, `bad_signature`, `unreadable`,
    /// `unknown_hook`, `failed`.
    pub fn hook(&self, hook: &str, outcome: &'static str) {
        self.with(|c| *c.hooks.entry((hook.to_string(), outcome)).or_default() += 1);
    }

    /// A pushed operation's answer (`applied`, `duplicate`, `conflict`, `rejected`, `retry`).
    pub fn pushed(&self, outcome: &'static str) {
        self.with(|c| *c.pushed.entry(outcome).or_default() += 1);
    }

    /// The text format; `pool` is the database pool's (size, idle).
    /// The metrics as Prometheus text. `pool`: connections open and idle; `outbound`: this
    /// node's delivery tries by outcome; `pending`: deliveries waiting, all nodes.
    pub fn render(&self, pool: (u32, usize), outbound: &[(&str, u64)], pending: Option<i64>) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        self.with(|c| {
            out.push_str("# HELP casebook_http_requests_total HTTP requests by route, method and status.\n");
            out.push_str("# TYPE casebook_http_requests_total counter\n");
            for (route, (counts, _)) in &c.routes {
                for ((method, status), n) in counts {
                    let _ = writeln!(
                        out,
                        "casebook_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                        esc(route)
                    );
                }
            }
            out.push_str("# HELP casebook_http_request_duration_seconds Time to answer, by route.\n");
            out.push_str("# TYPE casebook_http_request_duration_seconds histogram\n");
            for (route, (_, h)) in &c.routes {
                let r = esc(route);
                for (b, n) in BUCKETS.iter().zip(h.counts) {
                    let _ =
                        writeln!(out, "casebook_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {n}");
                }
                let _ = writeln!(
                    out,
                    "casebook_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "casebook_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum);
                let _ = writeln!(out, "casebook_http_request_duration_seconds_count{{route=\"{r}\"}} {}", h.count);
            }
            out.push_str("# HELP casebook_events_total Events posted, by source and outcome.\n");
            out.push_str("# TYPE casebook_events_total counter\n");
            for ((source, outcome), n) in &c.events {
                let _ = writeln!(out, "casebook_events_total{{source=\"{}\",outcome=\"{outcome}\"}} {n}", esc(source));
            }
            out.push_str("# HELP casebook_hook_deliveries_total Webhook deliveries received, by hook and outcome.\n");
            out.push_str("# TYPE casebook_hook_deliveries_total counter\n");
            for ((hook, outcome), n) in &c.hooks {
                let _ =
                    writeln!(out, "casebook_hook_deliveries_total{{hook=\"{}\",outcome=\"{outcome}\"}} {n}", esc(hook));
            }
            out.push_str("# HELP casebook_pushed_operations_total Operations pushed by consoles, by answer.\n");
            out.push_str("# TYPE casebook_pushed_operations_total counter\n");
            for (outcome, n) in &c.pushed {
                let _ = writeln!(out, "casebook_pushed_operations_total{{outcome=\"{outcome}\"}} {n}");
            }
        });
        out.push_str("# HELP casebook_webhook_tries_total Outbound webhook delivery tries by this node, by outcome.\n");
        out.push_str("# TYPE casebook_webhook_tries_total counter\n");
        for (outcome, n) in outbound {
            let _ = writeln!(out, "casebook_webhook_tries_total{{outcome=\"{outcome}\"}} {n}");
        }
        if let Some(n) = pending {
            out.push_str("# HELP casebook_webhook_deliveries_pending Outbound webhook deliveries waiting to be sent (all nodes).\n");
            out.push_str("# TYPE casebook_webhook_deliveries_pending gauge\n");
            let _ = writeln!(out, "casebook_webhook_deliveries_pending {n}");
        }
        out.push_str("# HELP casebook_db_pool_connections Database connections open, and idle.\n");
        out.push_str("# TYPE casebook_db_pool_connections gauge\n");
        let _ = writeln!(out, "casebook_db_pool_connections{{state=\"open\"}} {}", pool.0);
        let _ = writeln!(out, "casebook_db_pool_connections{{state=\"idle\"}} {}", pool.1);
        out
    }
}

/// Who may read the metrics: anyone on loopback; from elsewhere, the holder of the metrics token
/// (none set: nobody).
pub fn may_read(peer: Option<SocketAddr>, bearer: Option<&str>, token: Option<&str>) -> bool {
    if peer.is_some_and(|p| p.ip().is_loopback()) {
        return true;
    }
    match (bearer, token) {
        (Some(b), Some(t)) if !t.is_empty() => {
            use sha2::{Digest, Sha256};
            // Compared as hashes: equal lengths, no early exit on the first differing byte.
            Sha256::digest(b.as_bytes()) == Sha256::digest(t.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_in_the_text_format() {
        let m = Metrics::default();
        m.request("/api/v1/events", "POST", 201, Duration::from_millis(3));
        m.request("/api/v1/events", "POST", 201, Duration::from_millis(30));
        m.event("shop", "created");
        m.hook("stripe", "bad_signature");
        m.pushed("applied");
        let text = m.render((4, 3), &[("delivered", 2)], Some(1));
        assert!(
            text.contains("casebook_http_requests_total{route=\"/api/v1/events\",method=\"POST\",status=\"201\"} 2"),
            "{text}"
        );
        assert!(text.contains("casebook_http_request_duration_seconds_bucket{route=\"/api/v1/events\",le=\"0.005\"} 1"));
        assert!(text.contains("casebook_http_request_duration_seconds_bucket{route=\"/api/v1/events\",le=\"0.05\"} 2"));
        assert!(text.contains("casebook_http_request_duration_seconds_count{route=\"/api/v1/events\"} 2"));
        assert!(text.contains("casebook_events_total{source=\"shop\",outcome=\"created\"} 1"));
        assert!(text.contains("casebook_hook_deliveries_total{hook=\"stripe\",outcome=\"bad_signature\"} 1"));
        assert!(text.contains("casebook_db_pool_connections{state=\"idle\"} 3"));
    }

    #[test]
    fn loopback_reads_freely_others_need_the_token() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let far: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        assert!(may_read(Some(local), None, None));
        assert!(!may_read(Some(far), None, None));
        assert!(!may_read(Some(far), Some("x"), None), "no token set: nobody from elsewhere");
        assert!(!may_read(Some(far), Some("wrong"), Some("s3cret")));
        assert!(may_read(Some(far), Some("s3cret"), Some("s3cret")));
        assert!(!may_read(None, None, Some("s3cret")));
    }
}
