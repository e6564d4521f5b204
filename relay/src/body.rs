//! Request bodies as they arrive from the client: a read timeout between
//! chunks (nginx `client_body_timeout`), what became of the body (read to
//! the end, timed out, cut off), and reading a whole body under a size cap
//! and a total deadline for the handlers that must buffer it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::time::Sleep;
use visual_reasoning::protocol::Protocol;

use crate::conn::ConnShared;
use crate::errors;
use crate::log::Outcome;

const READING: u8 = 0;
const ENDED: u8 = 1;
const TIMED_OUT: u8 = 2;
const CUT: u8 = 3;
const MALFORMED: u8 = 4;

/// What became of a request body; a request extension, so handlers can
/// tell why a read failed after the error went through another layer
/// (reqwest, for a streamed body).
#[derive(Debug, Default)]
pub struct BodyState(AtomicU8);

impl BodyState {
    fn set(&self, v: u8) {
        // The first verdict stands: a timeout is not later a "cut".
        let _ = self
            .0
            .compare_exchange(READING, v, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The client is still sending it.
    pub fn is_reading(&self) -> bool {
        self.0.load(Ordering::Relaxed) == READING
    }

    /// Why the body could not be read, if it could not.
    pub fn failure(&self) -> Option<BodyError> {
        match self.0.load(Ordering::Relaxed) {
            TIMED_OUT => Some(BodyError::TimedOut),
            CUT => Some(BodyError::Cut),
            MALFORMED => Some(BodyError::Malformed),
            _ => None,
        }
    }
}

/// Why a request body was not read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the size cap.
    TooLarge,
    /// The client sent nothing for the body timeout (or, buffered, did not
    /// finish within it).
    TimedOut,
    /// The connection ended in the middle of the body.
    Cut,
    /// Bad chunked framing.
    Malformed,
}

#[derive(Debug)]
struct TimeoutError;

impl std::fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body timeout")
    }
}

impl std::error::Error for TimeoutError {}

/// The client's body with a timeout between chunks. Dropped before its
/// end, it marks the connection for a lingering close.
pub(crate) struct RequestBody {
    inner: Incoming,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    state: Arc<BodyState>,
    conn: Arc<ConnShared>,
}

impl RequestBody {
    pub(crate) fn new(inner: Incoming, timeout: Duration, conn: Arc<ConnShared>) -> Self {
        RequestBody {
            inner,
            timeout,
            sleep: None,
            state: Arc::default(),
            conn,
        }
    }

    pub(crate) fn state(&self) -> Arc<BodyState> {
        Arc::clone(&self.state)
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.sleep = None;
                if this.inner.is_end_stream() {
                    this.state.set(ENDED);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.state.set(if e.is_incomplete_message() {
                    CUT
                } else {
                    MALFORMED
                });
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                this.state.set(ENDED);
                Poll::Ready(None)
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.state.set(TIMED_OUT);
                    return Poll::Ready(Some(Err(Box::new(TimeoutError))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        if !http_body::Body::is_end_stream(&self.inner)
            && self.state.0.load(Ordering::Relaxed) != ENDED
        {
            self.conn.unread_body.store(true, Ordering::Relaxed);
        }
    }
}

/// Reads a whole body of at most `cap` bytes within `deadline` in total.
/// `state` is the request's [`BodyState`] (absent outside `serve`).
pub async fn read_all(
    body: Body,
    state: Option<&BodyState>,
    cap: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    let read = async {
        let mut body = body;
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                state
                    .and_then(BodyState::failure)
                    .unwrap_or(BodyError::Malformed)
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > cap {
                    return Err(BodyError::TooLarge);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf.freeze())
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(r) => r,
        Err(_) => {
            if let Some(s) = state {
                s.set(TIMED_OUT);
            }
            Err(BodyError::TimedOut)
        }
    }
}

/// The reply to a body that could not be read. Each closes the
/// connection: the rest of the body is still on its way.
pub fn error_response(p: Option<Protocol>, e: BodyError, rid: &str) -> Response {
    use axum::http::StatusCode;
    let (status, kind, message, outcome) = match e {
        BodyError::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            errors::PAYLOAD_TOO_LARGE,
            "The request body is larger than this relay accepts.",
            Outcome::Refused(413),
        ),
        BodyError::TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            errors::REQUEST_TIMEOUT,
            "The request body did not arrive in time; send it without pauses.",
            Outcome::TimeoutBody,
        ),
        BodyError::Cut => (
            StatusCode::BAD_REQUEST,
            errors::INVALID_PARAMETER,
            "The request body was cut off.",
            Outcome::ClientClosed,
        ),
        BodyError::Malformed => (
            StatusCode::BAD_REQUEST,
            errors::INVALID_PARAMETER,
            "The request body could not be read (bad chunked encoding).",
            Outcome::Refused(400),
        ),
    };
    let mut res = errors::response(p, status, kind, message, rid);
    res.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res.extensions_mut().insert(outcome);
    res
}
