//! Per-client-IP limits: concurrent streams and a request rate (token
//! bucket). State lives in this process only: with several replicas behind a
//! load balancer each enforces its own limits (README "Deploying").

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Limits per client IP; `0` turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_streams_per_ip: usize,
    pub requests_per_minute: u32,
}

#[derive(Debug)]
struct Entry {
    active: usize,
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

/// Why a request was refused, and when to try again (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooManyStreams { retry_after: u64 },
    RateLimited { retry_after: u64 },
}

/// Holds one concurrent-stream slot until dropped (the end of the response
/// body, not of the handler: a stream is "open" while it is being read).
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
    ip: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = self.limiter.lock();
        if let Some(e) = map.get_mut(&self.ip) {
            e.active = e.active.saturating_sub(1);
        }
    }
}

/// Past this many remembered IPs, idle full-bucket entries are forgotten so
/// memory stays bounded under a spray of source addresses.
const PRUNE_AT: usize = 10_000;

impl Limiter {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Limiter {
            limits,
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Entry>> {
        // A panic while holding the lock leaves plain counters behind: keep going.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        self.acquire_at(ip, Instant::now())
    }

    fn acquire_at(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<Permit, Refusal> {
        let capacity = f64::from(self.limits.requests_per_minute);
        let per_sec = capacity / 60.0;
        let mut map = self.lock();
        if map.len() >= PRUNE_AT {
            map.retain(|_, e| {
                let refilled = e.tokens + now.duration_since(e.last).as_secs_f64() * per_sec;
                e.active > 0 || refilled < capacity
            });
        }
        let e = map.entry(ip).or_insert(Entry {
            active: 0,
            tokens: capacity,
            last: now,
        });
        if self.limits.requests_per_minute > 0 {
            let elapsed = now.duration_since(e.last).as_secs_f64();
            e.tokens = (e.tokens + elapsed * per_sec).min(capacity);
            e.last = now;
            if e.tokens < 1.0 {
                let wait = ((1.0 - e.tokens) / per_sec).ceil().max(1.0);
                return Err(Refusal::RateLimited {
                    retry_after: wait as u64,
                });
            }
        }
        if self.limits.max_streams_per_ip > 0 && e.active >= self.limits.max_streams_per_ip {
            // No way to know when a stream ends; a short wait is honest enough.
            return Err(Refusal::TooManyStreams { retry_after: 2 });
        }
        if self.limits.requests_per_minute > 0 {
            e.tokens -= 1.0;
        }
        e.active += 1;
        drop(map);
        Ok(Permit {
            limiter: Arc::clone(self),
            ip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn concurrency_slot_is_released_on_drop() {
        let l = Limiter::new(Limits {
            max_streams_per_ip: 1,
            requests_per_minute: 0,
        });
        let p = l.acquire(IP).unwrap();
        assert_eq!(
            l.acquire(IP).unwrap_err(),
            Refusal::TooManyStreams { retry_after: 2 }
        );
        drop(p);
        assert!(l.acquire(IP).is_ok());
    }

    #[test]
    fn rate_bucket_refills_over_time() {
        let l = Limiter::new(Limits {
            max_streams_per_ip: 0,
            requests_per_minute: 2,
        });
        let t0 = Instant::now();
        drop(l.acquire_at(IP, t0).unwrap());
        drop(l.acquire_at(IP, t0).unwrap());
        // 2 per minute: one token every 30 s.
        assert_eq!(
            l.acquire_at(IP, t0).unwrap_err(),
            Refusal::RateLimited { retry_after: 30 }
        );
        assert!(l.acquire_at(IP, t0 + Duration::from_secs(31)).is_ok());
    }

    #[test]
    fn other_ips_are_not_affected() {
        let l = Limiter::new(Limits {
            max_streams_per_ip: 1,
            requests_per_minute: 0,
        });
        let _p = l.acquire(IP).unwrap();
        assert!(l
            .acquire(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)))
            .is_ok());
    }
}
