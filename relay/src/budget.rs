//! Token budgets: the whole relay's (`--daily-token-budget`) and each
//! client's (`--per-client-daily-tokens`, a token's `dailyTokens`), counted
//! per epoch-aligned window (UTC days) in the [`Store`], from the usage the
//! upstream really reports (README "Budgets").
//!
//! One integer per scope and window, `used` = spent + reserved. Admission
//! adds the request's estimate and looks at what was there before: below
//! the limit, the request goes on; else the estimate is taken back and the
//! request refused. When the stream ends its real charge replaces the
//! estimate (`add(charge - estimate)`). Concurrent admissions therefore see
//! each other's reservations, on every replica sharing the store.

use std::sync::Arc;

use serde_json::Value;
use visual_reasoning::protocol::Protocol;

use crate::store::{Store, StoreError};
use crate::token::iso8601;

/// The estimate of a request that names no `max_tokens` when no
/// `--max-tokens` cap applies.
pub const DEFAULT_ESTIMATE: u64 = 4096;
/// Estimates are at most this (a bigger `max_tokens` means nothing).
pub const MAX_ESTIMATE: u64 = 1_000_000_000;
/// JavaScript's largest safe integer: larger `max_tokens` are ignored, in
/// both relays alike.
const MAX_SAFE: u64 = (1 << 53) - 1;
/// Keys outlive their window by this much, so a stream that ends after
/// midnight still settles into the window it was admitted in.
pub const KEY_GRACE_SECS: u64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// `--daily-token-budget`: the whole relay (all replicas sharing a store).
    pub relay: Option<u64>,
    /// `--per-client-daily-tokens`: each token `sub`, else each client IP.
    pub per_client: Option<u64>,
    /// `--budget-window-seconds` (86 400: UTC days).
    pub window_secs: u64,
    /// `--budget-store-fail open`: admit uncounted while the store is down.
    pub fail_open: bool,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            relay: None,
            per_client: None,
            window_secs: 86_400,
            fail_open: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Client,
    Relay,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Relay => "relay",
        }
    }
}

/// One budget that applies to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: Kind,
    pub key: String,
    pub limit: u64,
}

/// The window `now` falls in: its index, and when it ends (Unix seconds).
pub fn window(now: i64, window_secs: u64) -> (i64, i64) {
    let w = window_secs.max(1) as i64;
    let index = now.div_euclid(w);
    (index, (index + 1) * w)
}

/// The budgets that apply to a caller (client budget first). `client` is
/// `sub:<sub>` for a signed token, else `ip:<address>`; `token_daily` the
/// token's `dailyTokens`, which lowers the per-client budget or sets one.
pub fn scopes(cfg: &BudgetConfig, client: &str, token_daily: Option<u64>, now: i64) -> Vec<Scope> {
    let (w, _) = window(now, cfg.window_secs);
    let mut out = Vec::new();
    let client_limit = match (cfg.per_client, token_daily) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(limit) = client_limit {
        out.push(Scope {
            kind: Kind::Client,
            key: format!("vr:budget:{w}:{client}"),
            limit,
        });
    }
    if let Some(limit) = cfg.relay {
        out.push(Scope {
            kind: Kind::Relay,
            key: format!("vr:budget:{w}:relay"),
            limit,
        });
    }
    out
}

/// Seconds a key lives from `now`: to the end of its window, plus grace.
pub fn key_ttl(now: i64, window_secs: u64) -> u64 {
    let (_, end) = window(now, window_secs);
    (end - now).max(1) as u64 + KEY_GRACE_SECS
}

/// What a request reserves: its `max_tokens` (or `max_completion_tokens`,
/// top level for openai, `parameters` for dashscope) as sent upstream
/// (after the `--max-tokens` cap), else the cap, else [`DEFAULT_ESTIMATE`].
pub fn estimate(body: &Value, cap: Option<u64>) -> u64 {
    let mut found = None;
    for obj in [Some(body), body.get("parameters")].into_iter().flatten() {
        for key in ["max_tokens", "max_completion_tokens"] {
            if let Some(n) = obj
                .get(key)
                .and_then(Value::as_u64)
                .filter(|n| *n <= MAX_SAFE)
            {
                found = Some(found.map_or(n, |f: u64| f.min(n)));
            }
        }
    }
    let n = match (found, cap) {
        (Some(n), Some(c)) => n.min(c),
        (Some(n), None) => n,
        (None, Some(c)) => c,
        (None, None) => DEFAULT_ESTIMATE,
    };
    n.clamp(1, MAX_ESTIMATE)
}

/// An OpenAI-protocol streaming request that did not ask for usage is
/// made to (`stream_options.include_usage`): the budget needs the count.
/// Returns whether the body changed.
pub fn ask_for_usage(body: &mut Value, protocol: Protocol) -> bool {
    if protocol != Protocol::OpenAi || body.get("stream") != Some(&Value::Bool(true)) {
        return false;
    }
    let Some(obj) = body.as_object_mut() else {
        return false;
    };
    let opts = obj
        .entry("stream_options")
        .or_insert_with(|| Value::Object(Default::default()));
    if !opts.is_object() {
        *opts = Value::Object(Default::default());
    }
    match opts.as_object_mut() {
        Some(o) if o.get("include_usage") != Some(&Value::Bool(true)) => {
            o.insert("include_usage".into(), Value::Bool(true));
            true
        }
        _ => false,
    }
}

/// What a stream is charged: the usage it reported (`total_tokens`, else
/// input + output), else one token per 3 bytes of the UTF-8 text
/// (reasoning and answer) forwarded, rounded up.
pub fn charge(total_reported: Option<u64>, text_bytes: u64) -> u64 {
    total_reported.unwrap_or(text_bytes.div_ceil(3))
}

/// A refused admission.
#[derive(Debug)]
pub enum Refusal {
    Exhausted {
        kind: Kind,
        limit: u64,
        reset_at: i64,
        retry_after: u64,
    },
    Store(StoreError),
}

impl Refusal {
    pub fn code(kind: Kind) -> &'static str {
        match kind {
            Kind::Client => "client_budget_exhausted",
            Kind::Relay => "relay_budget_exhausted",
        }
    }

    /// The refusal's message, saying when the budget resets.
    pub fn message(kind: Kind, limit: u64, reset_at: i64) -> String {
        let whose = match kind {
            Kind::Client => "Your",
            Kind::Relay => "This site's",
        };
        format!(
            "{whose} daily token budget ({limit} tokens) is used up; it resets at {}.",
            iso8601(reset_at)
        )
    }
}

/// Reserves `estimate` in every scope, or refuses (taking back what it
/// had reserved).
pub async fn admit(
    store: &Arc<Store>,
    scopes: Vec<Scope>,
    estimate: u64,
    now: i64,
    window_secs: u64,
) -> Result<Reservation, Refusal> {
    let ttl = key_ttl(now, window_secs);
    let est = estimate as i64;
    let mut done: Vec<Scope> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let after = match store.add(&scope.key, est, ttl).await {
            Ok(v) => v,
            Err(e) => {
                undo(store, &done, est, ttl).await;
                return Err(Refusal::Store(e));
            }
        };
        if after - est >= scope.limit as i64 {
            let _ = store.add(&scope.key, -est, ttl).await;
            undo(store, &done, est, ttl).await;
            let (_, reset_at) = window(now, window_secs);
            return Err(Refusal::Exhausted {
                kind: scope.kind,
                limit: scope.limit,
                reset_at,
                retry_after: (reset_at - now).max(1) as u64,
            });
        }
        done.push(scope);
    }
    Ok(Reservation {
        store: Arc::clone(store),
        scopes: done,
        estimate,
        window_secs,
        settled: false,
    })
}

async fn undo(store: &Store, scopes: &[Scope], est: i64, ttl: u64) {
    for s in scopes {
        let _ = store.add(&s.key, -est, ttl).await;
    }
}

/// An admitted request's reservation. [`Reservation::settle`] replaces it
/// by the real charge; dropped unsettled (the upstream failed or never
/// answered 200), it is taken back: nothing was generated.
#[derive(Debug)]
pub struct Reservation {
    store: Arc<Store>,
    scopes: Vec<Scope>,
    estimate: u64,
    window_secs: u64,
    settled: bool,
}

impl Reservation {
    pub fn settle(mut self, charge: u64) {
        self.settled = true;
        self.spawn_settle(charge);
    }

    fn spawn_settle(&mut self, charge: u64) {
        let delta = i64::try_from(charge)
            .unwrap_or(i64::MAX)
            .saturating_sub(self.estimate as i64);
        if delta == 0 || self.scopes.is_empty() {
            return;
        }
        let store = Arc::clone(&self.store);
        let scopes = std::mem::take(&mut self.scopes);
        let ttl = key_ttl(crate::token::unix_now(), self.window_secs);
        let task = async move {
            for s in &scopes {
                // A store that is down loses this correction: the
                // reservation stays counted until the window ends.
                let _ = store.add(&s.key, delta, ttl).await;
            }
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(task);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.settled {
            self.spawn_settle(0);
        }
    }
}

/// What `GET /budget` answers for the tighter of `scopes`.
pub async fn status(
    store: &Store,
    scopes: &[Scope],
    now: i64,
    window_secs: u64,
) -> Result<Option<(Kind, u64, u64, i64)>, StoreError> {
    let ttl = key_ttl(now, window_secs);
    let (_, reset_at) = window(now, window_secs);
    let mut best: Option<(Kind, u64, u64, i64)> = None;
    for s in scopes {
        let used = store.add(&s.key, 0, ttl).await?;
        let remaining = (s.limit as i64 - used).max(0) as u64;
        if best.map_or(true, |b| remaining < b.2) {
            best = Some((s.kind, s.limit, remaining, reset_at));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryCounters;
    use serde_json::json;

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        assert_eq!(window(86_400 * 3 + 5, 86_400), (3, 86_400 * 4));
        assert_eq!(window(19, 10), (1, 20));
        assert_eq!(window(20, 10), (2, 30));
    }

    #[test]
    fn the_estimate_is_max_tokens_else_the_cap_else_the_default() {
        assert_eq!(estimate(&json!({"max_tokens": 300}), None), 300);
        assert_eq!(estimate(&json!({"max_tokens": 300}), Some(100)), 100);
        assert_eq!(estimate(&json!({"parameters": {"max_tokens": 7}}), None), 7);
        assert_eq!(estimate(&json!({"max_completion_tokens": 9}), None), 9);
        assert_eq!(estimate(&json!({}), Some(250)), 250);
        assert_eq!(estimate(&json!({}), None), DEFAULT_ESTIMATE);
        assert_eq!(estimate(&json!({"max_tokens": 0}), None), 1);
        assert_eq!(
            estimate(&json!({"max_tokens": u64::MAX}), None),
            DEFAULT_ESTIMATE
        );
        assert_eq!(
            estimate(&json!({"max_tokens": 1u64 << 50}), None),
            MAX_ESTIMATE
        );
    }

    #[test]
    fn usage_is_asked_for_only_in_openai_streams() {
        let mut v = json!({"stream": true});
        assert!(ask_for_usage(&mut v, Protocol::OpenAi));
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert!(!ask_for_usage(&mut v, Protocol::OpenAi));
        let mut v = json!({"stream": true, "stream_options": {"include_usage": false}});
        assert!(ask_for_usage(&mut v, Protocol::OpenAi));
        assert_eq!(v["stream_options"]["include_usage"], true);
        let mut v = json!({"stream": false});
        assert!(!ask_for_usage(&mut v, Protocol::OpenAi));
        let mut v = json!({"input": {}});
        assert!(!ask_for_usage(&mut v, Protocol::DashScope));
    }

    #[test]
    fn a_token_lowers_or_sets_the_client_budget() {
        let cfg = BudgetConfig {
            per_client: Some(1000),
            relay: Some(5000),
            ..BudgetConfig::default()
        };
        let s = scopes(&cfg, "sub:a", Some(300), 86_400 * 2);
        assert_eq!(s[0].limit, 300);
        assert_eq!(s[0].key, "vr:budget:2:sub:a");
        assert_eq!(s[1].key, "vr:budget:2:relay");
        assert_eq!(scopes(&cfg, "ip:1.2.3.4", None, 0)[0].limit, 1000);
        let none = BudgetConfig::default();
        assert!(scopes(&none, "ip:1.2.3.4", None, 0).is_empty());
        assert_eq!(scopes(&none, "sub:a", Some(50), 0)[0].limit, 50);
    }

    #[tokio::test]
    async fn admission_reserves_until_the_limit_then_refuses_and_settles() {
        let store = Arc::new(Store::Memory(MemoryCounters::default()));
        let cfg = BudgetConfig {
            relay: Some(250),
            ..BudgetConfig::default()
        };
        let now = 1000;
        let sc = || scopes(&cfg, "ip:x", None, now);
        // 100 each: three fit under 250 (0, 100 and 200 were there before).
        let a = admit(&store, sc(), 100, now, 86_400).await.unwrap();
        let b = admit(&store, sc(), 100, now, 86_400).await.unwrap();
        let c = admit(&store, sc(), 100, now, 86_400).await.unwrap();
        let refused = admit(&store, sc(), 100, now, 86_400).await.unwrap_err();
        assert!(matches!(
            refused,
            Refusal::Exhausted { kind: Kind::Relay, limit: 250, retry_after, .. } if retry_after == 86_400 - 1000
        ));
        assert_eq!(store.add("vr:budget:0:relay", 0, 10).await.unwrap(), 300);
        a.settle(40);
        drop(b); // the upstream failed: nothing charged
        c.settle(100);
        tokio::task::yield_now().await;
        for _ in 0..100 {
            if store.add("vr:budget:0:relay", 0, 10).await.unwrap() == 140 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(store.add("vr:budget:0:relay", 0, 10).await.unwrap(), 140);
        let st = status(&store, &sc(), now, 86_400).await.unwrap().unwrap();
        assert_eq!(st, (Kind::Relay, 250, 110, 86_400));
    }

    #[test]
    fn abandoned_streams_are_charged_from_their_text() {
        assert_eq!(charge(Some(1678), 999), 1678);
        assert_eq!(charge(None, 10), 4);
        assert_eq!(charge(None, 0), 0);
    }

    #[test]
    fn refusals_say_when_the_budget_resets() {
        let m = Refusal::message(Kind::Client, 500, 86_400);
        assert_eq!(
            m,
            "Your daily token budget (500 tokens) is used up; it resets at 1970-01-02T00:00:00Z."
        );
    }
}
