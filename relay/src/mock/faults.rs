//! `X-Mock-Fault`, parsed once into [`Faults`] (the kinds of relay/README.md,
//! "Fault injection").

/// A reply given instead of the model's (the first that applies, in the
/// header's order, wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instead {
    /// `status:<code>`: the provider's error body for that status.
    Status(u16),
    /// `quota`: the free-quota 429.
    Quota,
    /// `503-once:<id>`: a 503 the first time this id is seen.
    Once503(String),
    /// `html`: a 200 sign-in page.
    Html,
    /// `sse-error-400`: a 400 whose body is one SSE error event.
    SseError400,
}

/// Every fault a request asked for. Of a kind given twice, the first
/// counts (`stall-headers` adds up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub instead: Vec<Instead>,
    /// `retry-after:<s>`, for the status replies.
    pub retry_after: Option<u64>,
    /// `stall-headers:<ms>`: the wait before the response headers.
    pub stall_headers_ms: u64,
    /// `error-event:<n>`: content events before the error event.
    pub error_event: Option<u64>,
    /// `drop:<n>`: events before the connection drops.
    pub drop_after: Option<u64>,
    /// `stall:<ms>` after the first event.
    pub stall_ms: Option<u64>,
    /// `keepalive:<ms>` after the first event.
    pub keepalive_ms: Option<u64>,
    /// `bad-json:<n>`: the event (from 1) that carries truncated JSON.
    pub bad_json: Option<u64>,
    /// `bad-usage`: the closing event's usage object is not valid JSON.
    pub bad_usage: bool,
    /// `long-line:<bytes>`: the whole body is one endless line.
    pub long_line: Option<u64>,
    /// `trickle:<bytes>` per write.
    pub trickle: Option<u64>,
    /// `linger:<ms>` after the last event.
    pub linger_ms: Option<u64>,
}

/// Parses a comma-separated fault list; an unknown kind or a bad argument
/// is an error naming it, so a typo in a test fails loudly.
pub fn parse(header: &str) -> Result<Faults, String> {
    let mut f = Faults::default();
    for item in header.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, arg) = match item.split_once(':') {
            Some((k, a)) => (k.trim(), Some(a.trim())),
            None => (item, None),
        };
        let num = |what: &str| -> Result<u64, String> {
            arg.and_then(|a| a.parse().ok())
                .ok_or_else(|| format!("X-Mock-Fault `{item}`: `{kind}` needs a number ({what})"))
        };
        // The first of each kind counts.
        let first = |slot: &mut Option<u64>, n: u64| {
            slot.get_or_insert(n);
        };
        match kind {
            "status" => {
                let code = num("HTTP status")?;
                if !(400..=599).contains(&code) {
                    return Err(format!("X-Mock-Fault `{item}`: status must be 400-599"));
                }
                f.instead.push(Instead::Status(code as u16));
            }
            "retry-after" => first(&mut f.retry_after, num("seconds")?),
            "quota" => f.instead.push(Instead::Quota),
            "503-once" => match arg {
                Some(a) if !a.is_empty() => f.instead.push(Instead::Once503(a.to_owned())),
                _ => return Err(format!("X-Mock-Fault `{item}`: 503-once needs an id")),
            },
            "error-event" => first(&mut f.error_event, num("content events before the error")?),
            "drop" => first(&mut f.drop_after, num("events before the drop")?),
            "stall" => first(&mut f.stall_ms, num("milliseconds")?),
            "keepalive" => first(&mut f.keepalive_ms, num("milliseconds")?),
            "stall-headers" => {
                f.stall_headers_ms = f.stall_headers_ms.saturating_add(num("milliseconds")?)
            }
            "bad-json" => first(&mut f.bad_json, num("event number, from 1")?),
            "bad-usage" => f.bad_usage = true,
            "html" => f.instead.push(Instead::Html),
            "long-line" => first(&mut f.long_line, num("bytes")?),
            "sse-error-400" => f.instead.push(Instead::SseError400),
            "trickle" => match num("bytes per write")? {
                0 => {
                    return Err(format!(
                        "X-Mock-Fault `{item}`: trickle needs at least 1 byte"
                    ))
                }
                n => first(&mut f.trickle, n),
            },
            "linger" => first(&mut f.linger_ms, num("milliseconds")?),
            _ => return Err(format!("X-Mock-Fault: unknown kind `{kind}`")),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_with_arguments() {
        assert_eq!(
            parse("status:429, retry-after:0,503-once:abc").unwrap(),
            Faults {
                instead: vec![Instead::Status(429), Instead::Once503("abc".into())],
                retry_after: Some(0),
                ..Faults::default()
            }
        );
        assert_eq!(parse("html").unwrap().instead, [Instead::Html]);
        assert_eq!(parse("linger:250").unwrap().linger_ms, Some(250));
        assert!(parse("bad-usage").unwrap().bad_usage);
        assert_eq!(parse("").unwrap(), Faults::default());
    }

    #[test]
    fn the_first_of_a_kind_counts_and_stall_headers_add_up() {
        let f =
            parse("drop:3,drop:5,stall-headers:10,stall-headers:20,trickle:7,trickle:1").unwrap();
        assert_eq!(
            (f.drop_after, f.stall_headers_ms, f.trickle),
            (Some(3), 30, Some(7))
        );
    }

    #[test]
    fn rejects_unknown_kinds_and_bad_numbers() {
        assert!(parse("stal:10")
            .unwrap_err()
            .contains("unknown kind `stal`"));
        assert!(parse("drop").unwrap_err().contains("needs a number"));
        assert!(parse("status:200").is_err());
        assert!(parse("trickle:0").is_err());
    }
}
