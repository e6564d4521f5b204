//! retry: which statuses retry, Retry-After parsing, the backoff schedule.

use proptest::prelude::*;
use visual_reasoning::protocol::http_error;
use visual_reasoning::retry::{backoff_ms, is_retryable, is_retryable_status, retry_after_ms};
use visual_reasoning::ErrorKind;

#[test]
fn retryable_statuses() {
    for s in [429, 500, 502, 503, 504] {
        assert!(is_retryable_status(s), "{s}");
    }
    for s in [200, 400, 401, 403, 404, 408, 409, 413, 422, 501, 505, 599] {
        assert!(!is_retryable_status(s), "{s}");
    }
}

#[test]
fn one_rule_for_every_kind_before_and_after_the_body() {
    use ErrorKind::*;
    // Before any body byte: the statuses above, network failures and the
    // headers timeout (API.md "Errors").
    assert!(is_retryable(Network, None, false));
    assert!(is_retryable(Timeout, None, false));
    assert!(is_retryable(Api, Some(503), false));
    assert!(!is_retryable(Api, Some(400), false));
    assert!(
        !is_retryable(Api, None, false),
        "an error event has no status"
    );
    for kind in [Abort, Stream, InvalidRequest] {
        assert!(!is_retryable(kind, None, false), "{kind:?}");
        assert!(!is_retryable(kind, Some(503), false), "{kind:?}");
    }
    // Nothing is retried once the body has started.
    for kind in ErrorKind::ALL {
        assert!(!is_retryable(kind, Some(503), true), "{kind:?}");
        assert!(!is_retryable(kind, None, true), "{kind:?}");
    }
}

#[test]
fn http_errors_are_retryable_by_that_rule_alone() {
    // The HTTP error decoder asks the rule (it once kept its own copy of
    // the status list): every status agrees, for either error body shape.
    for status in 400..=599u16 {
        for body in [
            &b""[..],
            br#"{"code":"X","message":"m"}"#,
            br#"{"error":{"code":"x","message":"m"}}"#,
        ] {
            let e = http_error(status, body, None);
            assert_eq!(
                e.retryable,
                is_retryable(ErrorKind::Api, Some(status), false),
                "{status} {}",
                String::from_utf8_lossy(body)
            );
        }
    }
    // ...except a 429 for a used-up free quota (PROTOCOL.md §5).
    let quota = http_error(
        429,
        br#"{"code":"AllocationQuota.FreeTierOnly","message":"m"}"#,
        None,
    );
    assert!(!quota.retryable);
}

#[test]
fn retry_after_delta_seconds() {
    assert_eq!(retry_after_ms("0", 0.0), Some(0.0));
    assert_eq!(retry_after_ms("1", 0.0), Some(1000.0));
    assert_eq!(retry_after_ms(" 12 ", 5e12), Some(12_000.0));
    assert_eq!(retry_after_ms("60", 0.0), Some(60_000.0));
    // Clamped to a minute, however long (no overflow on absurd values).
    assert_eq!(retry_after_ms("61", 0.0), Some(60_000.0));
    assert_eq!(
        retry_after_ms("99999999999999999999999999", 0.0),
        Some(60_000.0)
    );
}

/// (IMF-fixdate, Unix seconds), from Python's `calendar.timegm`.
const DATES: &[(&str, i64)] = &[
    ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
    ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
    ("Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199),
    ("Wed, 21 Oct 2026 07:28:00 GMT", 1_792_567_680),
    ("Sat, 01 Jan 2000 00:00:00 GMT", 946_684_800),
    ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
];

#[test]
fn retry_after_http_date() {
    for &(date, secs) in DATES {
        let at = secs as f64 * 1000.0;
        assert_eq!(
            retry_after_ms(date, at - 12_345.0),
            Some(12_345.0),
            "{date}"
        );
        assert_eq!(retry_after_ms(date, at), Some(0.0), "{date}");
        // In the past: retry now.
        assert_eq!(retry_after_ms(date, at + 5_000.0), Some(0.0), "{date}");
        // Far future: clamped.
        assert_eq!(
            retry_after_ms(date, at - 3_600_000.0),
            Some(60_000.0),
            "{date}"
        );
    }
}

#[test]
fn retry_after_garbage_is_none() {
    let now = 784_111_777_000.0;
    for bad in [
        "",
        "   ",
        "-1",
        "1.5",
        "+3",
        "soon",
        "12s",
        // Obsolete RFC 850 and asctime forms are not accepted.
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        // Wrong zone, weekday, month, lengths, ranges.
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 2023 08:49:37 GMT",
        "Sun, 29 Feb 1900 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, 06 Nov 1994 08:4a:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMTX",
        "Sun,06 Nov 1994 08:49:37 GMT",
    ] {
        assert_eq!(retry_after_ms(bad, now), None, "{bad:?}");
    }
    // Spaces around the value are not part of it (OWS).
    assert_eq!(
        retry_after_ms(" Sun, 06 Nov 1994 08:49:37 GMT\t", now - 1000.0),
        Some(1000.0)
    );
    // A leap second and 29 Feb of a leap century are fine.
    assert!(retry_after_ms("Sat, 31 Dec 2016 23:59:60 GMT", 0.0).is_some());
    assert!(retry_after_ms("Tue, 29 Feb 2000 00:00:00 GMT", 0.0).is_some());
    // A date needs a clock.
    assert_eq!(
        retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", f64::NAN),
        None
    );
}

#[test]
fn backoff_schedule_with_equal_jitter() {
    // No jitter: the lower half of each step; full jitter: the whole step.
    let lows = [250.0, 500.0, 1000.0, 2000.0, 4000.0, 4000.0, 4000.0];
    for (attempt, low) in lows.iter().enumerate() {
        assert_eq!(backoff_ms(attempt as u32, 0.0, None), *low, "{attempt}");
        assert_eq!(
            backoff_ms(attempt as u32, 1.0, None),
            low * 2.0,
            "{attempt}"
        );
    }
    assert_eq!(backoff_ms(0, 0.5, None), 375.0);
    assert_eq!(backoff_ms(u32::MAX, 0.5, None), 6000.0);
    // Jitter outside 0..1 or NaN is held to the range.
    assert_eq!(backoff_ms(1, -3.0, None), 500.0);
    assert_eq!(backoff_ms(1, 7.0, None), 1000.0);
    assert_eq!(backoff_ms(1, f64::NAN, None), 500.0);
}

#[test]
fn retry_after_wins_over_the_schedule() {
    assert_eq!(backoff_ms(0, 0.9, Some(3000.0)), 3000.0);
    assert_eq!(backoff_ms(5, 0.9, Some(0.0)), 0.0);
    assert_eq!(backoff_ms(5, 0.9, Some(1e9)), 60_000.0);
    // A non-finite value cannot come from retry_after_ms; ignore it.
    assert_eq!(backoff_ms(0, 0.0, Some(f64::NAN)), 250.0);
}

/// An IMF-fixdate by plain counting (deliberately not the library's
/// closed-form day arithmetic).
fn format_date(secs: i64) -> String {
    let mut days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lens = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut month = 0;
    while days >= lens[month] {
        days -= lens[month];
        month += 1;
    }
    format!(
        "{weekday}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        days + 1,
        names[month],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

proptest! {
    #[test]
    fn http_dates_round_trip(secs in 0i64..4_102_444_800, ahead in 0i64..60) {
        let date = format_date(secs);
        let now = (secs - ahead) as f64 * 1000.0;
        prop_assert_eq!(retry_after_ms(&date, now), Some(ahead as f64 * 1000.0), "{}", date);
    }

    #[test]
    fn retry_after_is_never_negative_or_over_a_minute(s in "\\PC{0,40}", now in 0f64..1e13) {
        if let Some(ms) = retry_after_ms(&s, now) {
            prop_assert!((0.0..=60_000.0).contains(&ms));
        }
    }

    #[test]
    fn backoff_is_within_its_step(attempt in 0u32..64, jitter in 0f64..=1.0) {
        let step = 500.0 * 2f64.powi(attempt.min(4) as i32);
        let ms = backoff_ms(attempt, jitter, None);
        prop_assert!(ms >= step / 2.0 && ms <= step);
        prop_assert!(ms <= 8000.0);
    }
}
