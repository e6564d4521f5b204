//! One access-log line per request, written when its response has ended
//! (or was abandoned), so a stream's duration and size are its real ones,
//! and ending in what really happened (an [`Outcome`]). Connections that
//! never got as far as a request (a head that timed out, a connection over
//! a cap) get a line too, with `-` for method and path.
//!
//! Only method, path (no query), status, duration, bytes and request id are
//! logged: never headers (the key) nor bodies (users' images and questions).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// Where log lines go: stderr, or memory (tests read it back).
#[derive(Debug, Clone, Default)]
pub enum LogSink {
    #[default]
    Stderr,
    Memory(Arc<Mutex<Vec<String>>>),
}

impl LogSink {
    pub fn write(&self, line: String) {
        match self {
            LogSink::Stderr => eprintln!("{line}"),
            LogSink::Memory(m) => m.lock().unwrap_or_else(|e| e.into_inner()).push(line),
        }
    }
}

/// How a request ended: the last field of its log line. A handler that
/// knows better than "the response went out whole" puts one in the
/// response's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The whole response was handed to the connection (whatever its status).
    Completed,
    /// The client went away before the response was complete.
    ClientClosed,
    /// The relay refused the request itself with this status.
    Refused(u16),
    /// A connection over a cap, answered 503 and closed: `max-connections`
    /// or `max-connections-per-ip`.
    RefusedConnection(&'static str),
    /// The request head did not arrive within `--header-timeout`.
    TimeoutHeader,
    /// The request body stalled past `--body-timeout`.
    TimeoutBody,
    /// The upstream's response headers did not come within `--upstream-timeout`.
    TimeoutUpstream,
    /// The upstream could not be reached, or its reply broke off; the text
    /// says how (never the key: reqwest errors name the URL at most).
    UpstreamError(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Completed => f.write_str("completed"),
            Outcome::ClientClosed => f.write_str("client-closed"),
            Outcome::Refused(s) => write!(f, "refused {s}"),
            Outcome::RefusedConnection(why) => write!(f, "refused {why}"),
            Outcome::TimeoutHeader => f.write_str("timeout header"),
            Outcome::TimeoutBody => f.write_str("timeout body"),
            Outcome::TimeoutUpstream => f.write_str("timeout upstream"),
            Outcome::UpstreamError(what) => write!(f, "upstream-error {}", one_line(what)),
        }
    }
}

/// An error and its sources on one line: `outer: inner: innermost`.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

pub async fn access_log(State(sink): State<LogSink>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // Written as is if the handler is dropped (the client left while the
    // relay waited for the upstream's headers).
    let mut line = Pending {
        sink,
        start: Instant::now(),
        head: format!("{method} {}", sanitize(&path)),
        status: None,
        request_id: "-".to_owned(),
        bytes: 0,
        ended: false,
        failed: None,
        outcome: Outcome::ClientClosed,
    };
    let res = next.run(req).await;
    let (mut parts, body) = res.into_parts();
    line.status = Some(parts.status.as_u16());
    line.request_id = sanitize(
        ["x-request-id", "x-dashscope-request-id"]
            .iter()
            .find_map(|h| parts.headers.get(*h).and_then(|v| v.to_str().ok()))
            .unwrap_or("-"),
    );
    line.outcome = parts
        .extensions
        .remove::<Outcome>()
        .unwrap_or(Outcome::Completed);
    Response::from_parts(parts, Body::new(LoggedBody { inner: body, line }))
}

/// A line for a connection that made no complete request.
pub fn connection_line(
    sink: &LogSink,
    status: Option<u16>,
    took: Duration,
    bytes: usize,
    outcome: &Outcome,
) {
    let status = status.map_or("-".to_owned(), |s| s.to_string());
    sink.write(format!(
        "{} - - {status} {}ms {bytes}B rid=- {outcome}",
        timestamp(),
        took.as_millis()
    ));
}

/// An error text on one line, bounded.
pub fn one_line(s: &str) -> String {
    s.chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Keeps a log line on one line whatever a client put in its path.
fn sanitize(s: &str) -> String {
    s.chars()
        .take(300)
        .map(|c| if c.is_control() || c == ' ' { '?' } else { c })
        .collect()
}

struct Pending {
    sink: LogSink,
    start: Instant,
    head: String,
    status: Option<u16>,
    request_id: String,
    bytes: u64,
    /// The body was sent to its end.
    ended: bool,
    /// The body failed while being sent (the upstream's reply broke off).
    failed: Option<String>,
    /// What the handler said.
    outcome: Outcome,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let ms = self.start.elapsed().as_millis();
        let outcome = match (&self.failed, self.ended, &self.outcome) {
            (Some(e), _, _) => Outcome::UpstreamError(format!("body: {e}")),
            // A refusal or a timeout stays what it was, even if the client
            // did not wait for all of its (small) body.
            (None, false, Outcome::Completed) => Outcome::ClientClosed,
            (None, _, o) => o.clone(),
        };
        let status = self.status.map_or("-".to_owned(), |s| s.to_string());
        self.sink.write(format!(
            "{} {} {status} {ms}ms {}B rid={} {outcome}",
            timestamp(),
            self.head,
            self.bytes,
            self.request_id
        ));
    }
}

struct LoggedBody {
    inner: Body,
    line: Pending,
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        match &r {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.line.bytes += d.len() as u64;
                }
            }
            Poll::Ready(Some(Err(e))) => this.line.failed = Some(error_chain(e)),
            Poll::Ready(None) => this.line.ended = true,
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        // hyper stops polling a body of known length once it has it all,
        // and never polls an empty one: both ended.
        if http_body::Body::is_end_stream(&self.inner) {
            self.line.ended = true;
        }
    }
}

/// RFC 3339 UTC time with milliseconds, without a date-time crate.
pub fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    #[test]
    fn outcomes_read_as_documented() {
        assert_eq!(Outcome::Refused(413).to_string(), "refused 413");
        assert_eq!(Outcome::TimeoutHeader.to_string(), "timeout header");
        assert_eq!(
            Outcome::UpstreamError("connect: refused\nx".into()).to_string(),
            "upstream-error connect: refused x"
        );
    }

    #[test]
    fn sanitize_keeps_one_line() {
        assert_eq!(sanitize("/a b\nc"), "/a?b?c");
    }
}
