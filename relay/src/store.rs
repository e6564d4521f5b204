//! Where counters live: this process's memory, or Redis shared by replicas
//! (`--redis-url`). Two operations, the same as the JavaScript relay's
//! `RelayStore` and with the same keys and the same Lua script (README
//! "Shared state in Redis"): `add` (an atomic increment with expiry:
//! budgets and stream counts) and `take` (a token bucket: the rate limit).
//! Without Redis the rate limit and stream counts stay in [`crate::limit`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::redis;

/// The store could not be reached or answered nonsense; the words say how
/// (never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

pub enum Store {
    Memory(MemoryCounters),
    Redis(Arc<redis::Client>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Memory(_) => f.write_str("Store::Memory"),
            Store::Redis(c) => write!(f, "Store::Redis({c:?})"),
        }
    }
}

impl Store {
    pub fn is_shared(&self) -> bool {
        matches!(self, Store::Redis(_))
    }

    /// Adds `delta` to the integer at `key` (missing or expired: 0) and
    /// returns the new value; the key then expires `ttl_secs` from now.
    pub async fn add(&self, key: &str, delta: i64, ttl_secs: u64) -> Result<i64, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.add(key, delta, ttl_secs, Instant::now())),
            Store::Redis(r) => r
                .script(
                    key,
                    &["add", &delta.to_string(), &ttl_secs.max(1).to_string()],
                )
                .await
                .map_err(StoreError),
        }
    }

    /// The token bucket at `key` (Redis only; without it [`crate::limit`]
    /// holds the buckets): takes `count` tokens and returns zero, or
    /// returns how long until there are that many.
    pub async fn take(
        &self,
        key: &str,
        count: i64,
        capacity: u32,
        per_minute: u32,
    ) -> Result<Duration, StoreError> {
        match self {
            Store::Memory(_) => Ok(Duration::ZERO),
            Store::Redis(r) => {
                let rate = f64::from(per_minute) / 60.0;
                let ms = r
                    .script(
                        key,
                        &[
                            "take",
                            &count.to_string(),
                            &capacity.to_string(),
                            &format_rate(rate),
                        ],
                    )
                    .await
                    .map_err(StoreError)?;
                Ok(Duration::from_millis(ms.max(0) as u64))
            }
        }
    }
}

/// A rate as Lua's `tonumber` reads it, the same digits as JavaScript's
/// `String(n)` for the rates the flags can give.
pub fn format_rate(rate: f64) -> String {
    let s = format!("{rate}");
    if s.contains('e') {
        format!("{rate:.12}")
    } else {
        s
    }
}

/// Integers with expiry, in memory (budgets without Redis).
#[derive(Debug, Default)]
pub struct MemoryCounters(Mutex<HashMap<String, (i64, Instant)>>);

/// Past this many keys, expired ones are dropped: memory stays bounded
/// under a spray of clients.
const PRUNE_AT: usize = 10_000;

impl MemoryCounters {
    pub fn add(&self, key: &str, delta: i64, ttl_secs: u64, now: Instant) -> i64 {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, (_, exp)| *exp > now);
        }
        let expires = now + Duration::from_secs(ttl_secs.max(1));
        let slot = map.entry(key.to_owned()).or_insert((0, expires));
        if slot.1 <= now {
            slot.0 = 0;
        }
        slot.0 = slot.0.saturating_add(delta);
        slot.1 = expires;
        slot.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_counters_expire_after_their_last_add() {
        let m = MemoryCounters::default();
        let t0 = Instant::now();
        assert_eq!(m.add("k", 5, 10, t0), 5);
        assert_eq!(m.add("k", -2, 10, t0 + Duration::from_secs(9)), 3);
        assert_eq!(m.add("k", 0, 10, t0 + Duration::from_secs(18)), 3);
        assert_eq!(m.add("k", 1, 10, t0 + Duration::from_secs(29)), 1);
        assert_eq!(m.add("other", 1, 10, t0), 1);
    }

    #[test]
    fn rates_print_as_javascript_does() {
        assert_eq!(format_rate(1.0), "1");
        assert_eq!(format_rate(0.5), "0.5");
        assert_eq!(format_rate(6.0 / 60.0), "0.1");
    }
}
