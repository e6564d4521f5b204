//! Sending a reply's events: pacing, and the stream faults.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::faults::Faults;
use super::reply::{self, Reply};
use super::{lock, Entry};

pub(super) type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sleeps until `deadline`; false if the client went away meanwhile.
async fn sleep_until(tx: &Tx, deadline: Instant) -> bool {
    tokio::select! {
        _ = tokio::time::sleep_until(deadline) => true,
        _ = tx.closed() => false,
    }
}

async fn send(tx: &Tx, bytes: impl Into<Bytes>) -> bool {
    tx.send(Ok(bytes.into())).await.is_ok()
}

/// Ends the body with an error, which makes hyper close the connection
/// without the final chunk. hyper drops what it has not written yet when
/// the body fails, so first let it take and flush the events already sent.
async fn abort_after_flush(tx: &Tx) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while tx.capacity() < tx.max_capacity() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = tx
        .send(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "mock drop fault",
        )))
        .await;
}

/// Sends a reply's events with pacing and stream faults; the outcome for
/// `/__mock/requests`.
pub(super) async fn drive(
    tx: &Tx,
    reply: &Reply,
    faults: &Faults,
    tps: f64,
    entry: &Entry,
) -> &'static str {
    let Faults {
        error_event,
        drop_after,
        stall_ms: stall,
        keepalive_ms: keepalive,
        bad_json,
        bad_usage,
        long_line,
        trickle,
        linger_ms: linger,
        ..
    } = *faults;
    // Every event in writes of `n` bytes, a millisecond apart, so the
    // client's reads end mid-line (a proxy that flushes every few bytes).
    let emit = |bytes: String| async move {
        let Some(n) = trickle else {
            return send(tx, bytes).await;
        };
        for piece in bytes.as_bytes().chunks(n as usize) {
            if !send(tx, piece.to_vec()).await
                || !sleep_until(tx, Instant::now() + Duration::from_millis(1)).await
            {
                return false;
            }
        }
        true
    };

    if let Some(n) = long_line {
        // One `data:` line that never ends, then the body ends.
        let mut line = Vec::with_capacity(n as usize);
        line.extend_from_slice(b"data: ");
        line.resize((n as usize).max(6), b'x');
        return if send(tx, line).await {
            "error"
        } else {
            "disconnected"
        };
    }

    let mut events = reply.events();
    let mut start = Instant::now();
    let mut paced_tokens = 0usize;
    let (mut sent, mut content_sent) = (0u64, 0u64);
    loop {
        let seq = events.next_seq();
        let Some(ev) = events.next() else { break };
        if let Some(n) = error_event {
            if content_sent >= n || ev.tokens == 0 {
                let ok = emit(reply.error_event(seq)).await;
                lock(entry).events = sent + 1;
                return if ok { "error" } else { "disconnected" };
            }
        }
        if drop_after == Some(sent) {
            abort_after_flush(tx).await;
            return "error";
        }
        if tps > 0.0 && ev.tokens > 0 {
            paced_tokens += ev.tokens;
            let due = start + Duration::from_secs_f64(paced_tokens as f64 / tps);
            if !sleep_until(tx, due).await {
                return "disconnected";
            }
        }
        let bytes = if bad_json == Some(sent + 1) {
            reply.bad_json_event(seq)
        } else if bad_usage && ev.tokens == 0 {
            reply::break_usage(ev.bytes)
        } else {
            ev.bytes
        };
        if !emit(bytes).await {
            return "disconnected";
        }
        sent += 1;
        if ev.tokens > 0 {
            content_sent += 1;
        }
        lock(entry).events = sent;
        if sent == 1 {
            if let Some(ms) = stall {
                if !sleep_until(tx, Instant::now() + Duration::from_millis(ms)).await {
                    return "disconnected";
                }
            }
            if let Some(ms) = keepalive {
                let end = Instant::now() + Duration::from_millis(ms);
                loop {
                    let next = (Instant::now() + Duration::from_millis(100)).min(end);
                    if !sleep_until(tx, next).await {
                        return "disconnected";
                    }
                    if Instant::now() >= end {
                        break;
                    }
                    if !send(tx, ": keep-alive\n\n").await {
                        return "disconnected";
                    }
                }
            }
            if stall.is_some() || keepalive.is_some() {
                // Resume at the normal pace rather than in one burst.
                start = Instant::now();
                paced_tokens = 0;
            }
        }
    }
    if drop_after.is_some() {
        // Fewer events than asked for: still end abruptly, as requested.
        abort_after_flush(tx).await;
        return "error";
    }
    if let Some(ms) = linger {
        // The reply is whole, but the body stays open: a client that
        // closes it meanwhile is logged as `disconnected`.
        if !sleep_until(tx, Instant::now() + Duration::from_millis(ms)).await {
            return "disconnected";
        }
    }
    // The last event is queued; wait for hyper to take it so "completed"
    // means the client could read everything.
    "completed"
}
