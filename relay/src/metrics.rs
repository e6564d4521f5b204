//! Counters for operators, served as Prometheus text on a separate address
//! (`--metrics-listen`): requests by route and status, tokens by kind,
//! budget refusals, active streams and the upstream's time to first byte.
//! Labels are fixed words and status codes: never a key, a token, a client
//! or a body.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::{DASHSCOPE_PATH, OPENAI_PATH};

/// Upper bounds of the time-to-first-byte buckets, in seconds.
const TTFB_BUCKETS: [f64; 11] = [0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    tokens_input: AtomicU64,
    tokens_output: AtomicU64,
    tokens_reasoning: AtomicU64,
    tokens_estimated: AtomicU64,
    refusals_client: AtomicU64,
    refusals_relay: AtomicU64,
    store_errors: AtomicU64,
    active_streams: AtomicI64,
    ttfb_counts: [AtomicU64; TTFB_BUCKETS.len()],
    ttfb_count: AtomicU64,
    ttfb_sum_micros: AtomicU64,
}

/// The route label of a path.
pub fn route(path: &str) -> &'static str {
    match path {
        OPENAI_PATH => "openai",
        DASHSCOPE_PATH => "dashscope",
        "/budget" => "budget",
        "/config" => "config",
        "/healthz" => "healthz",
        _ => "other",
    }
}

impl Metrics {
    pub fn request(&self, route: &'static str, status: u16) {
        let mut m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((route, status)).or_insert(0) += 1;
    }

    /// Reported usage: input, output (reasoning included) and reasoning.
    pub fn tokens(&self, input: u64, output: u64, reasoning: u64) {
        self.tokens_input.fetch_add(input, Ordering::Relaxed);
        self.tokens_output.fetch_add(output, Ordering::Relaxed);
        self.tokens_reasoning
            .fetch_add(reasoning, Ordering::Relaxed);
    }

    /// A charge estimated from text (a stream that ended without usage).
    pub fn estimated(&self, tokens: u64) {
        self.tokens_estimated.fetch_add(tokens, Ordering::Relaxed);
    }

    pub fn refused(&self, relay: bool) {
        if relay {
            &self.refusals_relay
        } else {
            &self.refusals_client
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn store_error(&self) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stream_started(&self) {
        self.active_streams.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stream_ended(&self) {
        self.active_streams.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn ttfb(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in TTFB_BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.ttfb_counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.ttfb_count.fetch_add(1, Ordering::Relaxed);
        self.ttfb_sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP vr_relay_requests_total Requests answered, by route and status.\n# TYPE vr_relay_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "vr_relay_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP vr_relay_tokens_total Tokens the upstream reported, by kind (output includes reasoning).\n# TYPE vr_relay_tokens_total counter\n");
        for (kind, a) in [
            ("input", &self.tokens_input),
            ("output", &self.tokens_output),
            ("reasoning", &self.tokens_reasoning),
        ] {
            let _ = writeln!(out, "vr_relay_tokens_total{{kind=\"{kind}\"}} {}", load(a));
        }
        let _ = writeln!(out, "# HELP vr_relay_tokens_estimated_total Tokens charged by the text rule to streams that ended without usage.\n# TYPE vr_relay_tokens_estimated_total counter\nvr_relay_tokens_estimated_total {}", load(&self.tokens_estimated));
        out.push_str("# HELP vr_relay_budget_refusals_total Requests refused because a token budget was used up.\n# TYPE vr_relay_budget_refusals_total counter\n");
        for (scope, a) in [
            ("client", &self.refusals_client),
            ("relay", &self.refusals_relay),
        ] {
            let _ = writeln!(
                out,
                "vr_relay_budget_refusals_total{{scope=\"{scope}\"}} {}",
                load(a)
            );
        }
        let _ = writeln!(out, "# HELP vr_relay_store_errors_total Calls to the shared store (Redis) that failed.\n# TYPE vr_relay_store_errors_total counter\nvr_relay_store_errors_total {}", load(&self.store_errors));
        let _ = writeln!(out, "# HELP vr_relay_active_streams Upstream replies being forwarded now.\n# TYPE vr_relay_active_streams gauge\nvr_relay_active_streams {}", self.active_streams.load(Ordering::Relaxed).max(0));
        out.push_str("# HELP vr_relay_upstream_ttfb_seconds Time from sending a request upstream to its response headers.\n# TYPE vr_relay_upstream_ttfb_seconds histogram\n");
        for (i, le) in TTFB_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "vr_relay_upstream_ttfb_seconds_bucket{{le=\"{le}\"}} {}",
                load(&self.ttfb_counts[i])
            );
        }
        let count = load(&self.ttfb_count);
        let _ = writeln!(
            out,
            "vr_relay_upstream_ttfb_seconds_bucket{{le=\"+Inf\"}} {count}\nvr_relay_upstream_ttfb_seconds_sum {}\nvr_relay_upstream_ttfb_seconds_count {count}",
            load(&self.ttfb_sum_micros) as f64 / 1e6
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_holds_every_family() {
        let m = Metrics::default();
        m.request("openai", 200);
        m.request("openai", 200);
        m.request("budget", 429);
        m.tokens(10, 20, 5);
        m.refused(true);
        m.stream_started();
        m.ttfb(Duration::from_millis(70));
        let t = m.render();
        assert!(t.contains("vr_relay_requests_total{route=\"openai\",status=\"200\"} 2\n"));
        assert!(t.contains("vr_relay_requests_total{route=\"budget\",status=\"429\"} 1\n"));
        assert!(t.contains("vr_relay_tokens_total{kind=\"reasoning\"} 5\n"));
        assert!(t.contains("vr_relay_budget_refusals_total{scope=\"relay\"} 1\n"));
        assert!(t.contains("vr_relay_active_streams 1\n"));
        assert!(t.contains("vr_relay_upstream_ttfb_seconds_bucket{le=\"0.05\"} 0\n"));
        assert!(t.contains("vr_relay_upstream_ttfb_seconds_bucket{le=\"0.1\"} 1\n"));
        assert!(t.contains("vr_relay_upstream_ttfb_seconds_count 1\n"));
    }
}
