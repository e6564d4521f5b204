//! One access-log line per request, written when the response body ends
//! (or is dropped), so a stream's duration and size are its real ones.
//! Only method, path (no query), status, duration, bytes and request id are
//! logged: never headers (the key) nor bodies (users' images and questions).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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

pub async fn access_log(State(sink): State<LogSink>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    let request_id = ["x-request-id", "x-dashscope-request-id"]
        .iter()
        .find_map(|h| parts.headers.get(*h).and_then(|v| v.to_str().ok()))
        .unwrap_or("-")
        .to_owned();
    let line = Pending {
        sink,
        start,
        head: format!("{method} {} {}", sanitize(&path), parts.status.as_u16()),
        request_id: sanitize(&request_id),
        bytes: 0,
        ended: false,
    };
    Response::from_parts(parts, Body::new(LoggedBody { inner: body, line }))
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
    request_id: String,
    bytes: u64,
    ended: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let ms = self.start.elapsed().as_millis();
        let end = if self.ended { "complete" } else { "aborted" };
        self.sink.write(format!(
            "{} {} {ms}ms {}B rid={} {end}",
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
            Poll::Ready(None) => this.line.ended = true,
            _ => {}
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
fn civil_from_days(z: i64) -> (i64, u32, u32) {
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
    fn sanitize_keeps_one_line() {
        assert_eq!(sanitize("/a b\nc"), "/a?b?c");
    }
}
