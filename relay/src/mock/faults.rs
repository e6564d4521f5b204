//! `X-Mock-Fault` parsing (the kinds of relay/README.md, "Fault
//! injection").

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    RetryAfter(u64),
    Quota,
    Once503(String),
    ErrorEvent(u64),
    Drop(u64),
    Stall(u64),
    KeepAlive(u64),
    StallHeaders(u64),
    BadJson(u64),
    BadUsage,
    Html,
    LongLine(u64),
    SseError400,
    Trickle(u64),
    Linger(u64),
}

/// Parses a comma-separated fault list; an unknown kind or a bad argument
/// is an error naming it, so a typo in a test fails loudly.
pub fn parse(header: &str) -> Result<Vec<Fault>, String> {
    let mut out = Vec::new();
    for item in header.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, arg) = match item.split_once(':') {
            Some((k, a)) => (k.trim(), Some(a.trim())),
            None => (item, None),
        };
        let num = |what: &str| -> Result<u64, String> {
            arg.and_then(|a| a.parse().ok())
                .ok_or_else(|| format!("X-Mock-Fault `{item}`: `{kind}` needs a number ({what})"))
        };
        out.push(match kind {
            "status" => {
                let code = num("HTTP status")?;
                if !(400..=599).contains(&code) {
                    return Err(format!("X-Mock-Fault `{item}`: status must be 400-599"));
                }
                Fault::Status(code as u16)
            }
            "retry-after" => Fault::RetryAfter(num("seconds")?),
            "quota" => Fault::Quota,
            "503-once" => match arg {
                Some(a) if !a.is_empty() => Fault::Once503(a.to_owned()),
                _ => return Err(format!("X-Mock-Fault `{item}`: 503-once needs an id")),
            },
            "error-event" => Fault::ErrorEvent(num("content events before the error")?),
            "drop" => Fault::Drop(num("events before the drop")?),
            "stall" => Fault::Stall(num("milliseconds")?),
            "keepalive" => Fault::KeepAlive(num("milliseconds")?),
            "stall-headers" => Fault::StallHeaders(num("milliseconds")?),
            "bad-json" => Fault::BadJson(num("event number, from 1")?),
            "bad-usage" => Fault::BadUsage,
            "html" => Fault::Html,
            "long-line" => Fault::LongLine(num("bytes")?),
            "sse-error-400" => Fault::SseError400,
            "trickle" => match num("bytes per write")? {
                0 => {
                    return Err(format!(
                        "X-Mock-Fault `{item}`: trickle needs at least 1 byte"
                    ))
                }
                n => Fault::Trickle(n),
            },
            "linger" => Fault::Linger(num("milliseconds")?),
            _ => return Err(format!("X-Mock-Fault: unknown kind `{kind}`")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_with_arguments() {
        assert_eq!(
            parse("status:429, retry-after:0,503-once:abc").unwrap(),
            [
                Fault::Status(429),
                Fault::RetryAfter(0),
                Fault::Once503("abc".into())
            ]
        );
        assert_eq!(parse("html").unwrap(), [Fault::Html]);
        assert_eq!(parse("bad-usage").unwrap(), [Fault::BadUsage]);
        assert_eq!(parse("linger:250").unwrap(), [Fault::Linger(250)]);
    }

    #[test]
    fn rejects_unknown_kinds_and_bad_numbers() {
        assert!(parse("stal:10")
            .unwrap_err()
            .contains("unknown kind `stal`"));
        assert!(parse("drop").unwrap_err().contains("needs a number"));
        assert!(parse("status:200").is_err());
    }
}
