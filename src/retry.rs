//! When and how long to wait before retrying a failed request.
//!
//! Pure functions: the binding layer passes the clock (`now_ms`) and the
//! randomness (`jitter`), so everything here is deterministic and tested on
//! the host.

use crate::error::ErrorKind;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text::find;

/// Statuses worth a retry (API.md "Errors"): rate limits, server faults and
/// gateway failures. A free-quota 429 is decided on its body, by the caller.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The one retry rule (API.md "Errors"): whether a failed attempt may be
/// sent again. `status`: the HTTP status, when the server answered one;
/// `body_started`: bytes of the reply's body had arrived. Nothing is
/// retried once the body has started; before it, the statuses above, a
/// network failure and a `timeoutMs` expiry are. The HTTP error decoder
/// asks this for every status (and refuses a free-quota 429 on top), the
/// JavaScript transport for the failures only it sees (`web/wire.rs`
/// `retryable`).
pub fn is_retryable(kind: ErrorKind, status: Option<u16>, body_started: bool) -> bool {
    if body_started {
        return false;
    }
    match kind {
        ErrorKind::Api => status.is_some_and(is_retryable_status),
        ErrorKind::Network | ErrorKind::Timeout => true,
        ErrorKind::Abort | ErrorKind::Stream | ErrorKind::InvalidRequest => false,
    }
}

/// PROTOCOL.md §5: a 429 for a used-up free quota looks like a rate limit,
/// but waiting does not help, so the HTTP error decoder refuses to retry it
/// on top of [`is_retryable`].
pub fn is_free_quota(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("AllocationQuota.FreeTierOnly")
        || message.is_some_and(|m| find(m, "Free allocated quota exceeded").is_some())
}

/// Longest wait a `Retry-After` may impose: past a minute the caller is
/// better served by the error than by a silent hang.
pub const MAX_RETRY_AFTER_MS: f64 = 60_000.0;

const BASE_MS: f64 = 500.0;
const CAP_MS: f64 = 8_000.0;

/// A `Retry-After` header value in milliseconds from `now_ms` (Unix epoch
/// milliseconds): delta-seconds (`"120"`) or an IMF-fixdate
/// (`"Sun, 06 Nov 1994 08:49:37 GMT"`, RFC 9110 §5.6.7). A date in the past
/// gives 0; anything is clamped to 60 s. Anything else — including the
/// obsolete RFC 850 and asctime date forms, negative or fractional
/// seconds — is `None`: the normal backoff applies.
pub fn retry_after_ms(header: &str, now_ms: f64) -> Option<f64> {
    let v = header.trim_matches(|c| c == ' ' || c == '\t');
    if v.is_empty() {
        return None;
    }
    let ms = if v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate instead of overflowing: anything long is over the cap.
        let mut secs: u64 = 0;
        for b in v.bytes() {
            secs = secs.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        }
        secs as f64 * 1000.0
    } else {
        if !now_ms.is_finite() {
            return None;
        }
        imf_fixdate_ms(v)? - now_ms
    };
    Some(ms.clamp(0.0, MAX_RETRY_AFTER_MS))
}

/// How long to wait before retry number `attempt + 1` (`attempt` counts
/// the retries already made, so the first retry passes 0).
///
/// Exponential: 500 ms, 1 s, 2 s, 4 s, then 8 s for every later attempt,
/// with *equal jitter*: half the step is fixed and half is `jitter`
/// (uniform in 0..1) times the step, so the wait is in [step/2, step].
/// Full jitter spreads clients a bit better but can draw ~0 ms, and an
/// instant retry of a 429 only earns another 429. A `Retry-After`
/// (already clamped by `retry_after_ms`) wins over the schedule.
pub fn backoff_ms(attempt: u32, jitter: f64, retry_after_ms: Option<f64>) -> f64 {
    if let Some(ms) = retry_after_ms {
        if ms.is_finite() {
            return ms.clamp(0.0, MAX_RETRY_AFTER_MS);
        }
    }
    let step = if attempt >= 4 {
        CAP_MS
    } else {
        BASE_MS * f64::from(1u32 << attempt)
    };
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    step / 2.0 + jitter * step / 2.0
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` -> Unix epoch milliseconds. Exact form
/// only (the format is fixed-width); the weekday must be a weekday name but
/// is not checked against the date, as RFC 9110 lets recipients ignore it.
fn imf_fixdate_ms(s: &str) -> Option<f64> {
    // A fixed-size array: every index below is checked at compile time.
    let b: &[u8; 29] = s.as_bytes().try_into().ok()?;
    if b[3..5] != *b", " || b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
        return None;
    }
    if b[19] != b':' || b[22] != b':' || b[25..] != *b" GMT" {
        return None;
    }
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    if !DAYS.contains(&&b[0..3]) {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &b[8..11])? as u32 + 1;
    let day = digits(&b[5..7])?;
    let year = digits(&b[12..16])?;
    let hour = digits(&b[17..19])?;
    let minute = digits(&b[20..22])?;
    let second = digits(&b[23..25])?;
    // Second 60 is a leap second (RFC 9110 allows it).
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(secs as f64 * 1000.0)
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
