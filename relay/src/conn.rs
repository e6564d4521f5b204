//! Connections: the listening socket, the accept loop with its caps, one
//! HTTP/1.1 connection per task with a header-read timeout, and a lingering
//! close so that a refusal sent before the request body was read still
//! reaches the client.
//!
//! hyper parses and writes HTTP; what it leaves to the server, and this
//! module does, is what nginx calls `listen … backlog`, `worker_connections`
//! / `limit_conn`, `client_header_timeout` and `lingering_close`
//! (README "Limits and timeouts").

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::Sleep;
use tower::ServiceExt;

use crate::body::RequestBody;
use crate::log::{LogSink, Outcome};

/// The listen backlog when none is given: a burst of this many
/// simultaneous connects is queued by the kernel instead of waiting for a
/// SYN retransmit (capped by `net.core.somaxconn`).
pub const DEFAULT_BACKLOG: u32 = 1024;

/// Lingering close (nginx `lingering_time` / `lingering_timeout`): after a
/// response sent before the request body was read, keep reading and
/// discarding for at most this long in total, this long of silence, and
/// this many bytes, then close.
const LINGER_TOTAL: Duration = Duration::from_secs(30);
const LINGER_IDLE: Duration = Duration::from_secs(5);
const LINGER_MAX_BYTES: usize = 64 << 20;

/// Binds `addr` with a listen backlog of `backlog` (the standard library's
/// and tokio's `bind` use 128).
pub fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // What `TcpListener::bind` does too: a restart need not wait for
    // TIME_WAIT sockets of the previous run.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Timeouts and caps of the connection layer.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// From the moment a connection waits for a request until its head is
    /// complete; an idle kept-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// Between two reads of a request body (and, in the handlers that
    /// buffer one, for the whole body).
    pub body_timeout: Duration,
    /// Open connections in total; 0 = no cap.
    pub max_connections: usize,
    /// Open connections per peer address (IPv6: per /64); 0 = no cap.
    pub max_connections_per_ip: usize,
}

/// The soft limit on open descriptors, raised to the hard limit first
/// (what Go's runtime does at start-up, and what systemd expects of a
/// server that needs many). Returns the limit in force.
#[cfg(unix)]
pub fn raise_fd_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every target
    Some(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}

/// The soft limit on open descriptors, as it is.
#[cfg(unix)]
pub fn fd_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed.
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every target
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn fd_limit() -> Option<u64> {
    None
}

/// Descriptors kept for everything but client connections: the listener,
/// stdio, the idle upstream pool, resolver and runtime internals.
const FD_RESERVE: u64 = 128;
/// Upper bound of the default total cap, whatever the descriptor limit.
const MAX_CONNECTIONS_CEILING: usize = 10_000;

/// The default total cap: each relayed stream holds two descriptors (the
/// client's and the upstream's), so half of what the descriptor limit
/// leaves after a reserve, at most 10 000.
pub fn default_max_connections(fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(n) => {
            (n.saturating_sub(FD_RESERVE) / 2).clamp(16, MAX_CONNECTIONS_CEILING as u64) as usize
        }
        None => 1024,
    }
}

/// The key connections are counted under: the address, or for IPv6 its
/// /64 (one subscriber's whole prefix).
fn conn_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
        v4 => v4,
    }
}

/// Open connections, in total and per peer.
struct Counter {
    limits: ConnLimits,
    total: AtomicUsize,
    /// The most open at once since the heap was last trimmed.
    peak: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in the counts, given back on drop.
struct Slot {
    counter: Arc<Counter>,
    key: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Full {
    Total,
    PerIp,
}

impl Counter {
    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Full> {
        let key = conn_key(ip);
        let mut map = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let total = self.total.load(Ordering::Relaxed);
        if self.limits.max_connections > 0 && total >= self.limits.max_connections {
            return Err(Full::Total);
        }
        let n = map.entry(key).or_insert(0);
        if self.limits.max_connections_per_ip > 0 && *n >= self.limits.max_connections_per_ip {
            return Err(Full::PerIp);
        }
        *n += 1;
        self.total.store(total + 1, Ordering::Relaxed);
        self.peak.fetch_max(total + 1, Ordering::Relaxed);
        Ok(Slot {
            counter: Arc::clone(self),
            key,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .counter
            .per_ip
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
        self.counter.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the connection's task, its socket wrapper and its requests share.
#[derive(Default)]
pub(crate) struct ConnShared {
    /// Requests begun on this connection.
    requests: AtomicUsize,
    /// Requests whose response has not finished yet.
    in_flight: AtomicUsize,
    /// The last request's body was left (partly) unread: close lingering.
    pub(crate) unread_body: AtomicBool,
    /// The socket's last pending read: woken when the last response ends,
    /// so the head-read timer starts even if no byte comes.
    reader: Mutex<Option<std::task::Waker>>,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// requests finish; returns when every connection is closed (the caller
/// bounds how long it waits).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    log: LogSink,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let counter = Arc::new(Counter {
        limits,
        total: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
        per_ip: Mutex::new(HashMap::new()),
    });
    let mut trim_tick = tokio::time::interval(TRIM_EVERY);
    trim_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A value sent on `stop_tx` tells every connection to finish; the
    // receivers they hold tell us, when all are dropped, that all have.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_accept_error: Option<Instant> = None;
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of descriptors or memory: wait instead of
                        // spinning, and say so at most once a second.
                        if last_accept_error.map_or(true, |t| t.elapsed() >= Duration::from_secs(1)) {
                            log.write(format!("{} accept error: {e}", crate::log::timestamp()));
                            last_accept_error = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
            _ = trim_tick.tick() => {
                let now = counter.total.load(Ordering::Relaxed);
                if counter.peak.load(Ordering::Relaxed) >= now + TRIM_AFTER_DROP {
                    counter.peak.store(now, Ordering::Relaxed);
                    tokio::task::spawn_blocking(trim_heap);
                }
                continue;
            }
        };
        // Each SSE event is a small write: Nagle would hold it back.
        let _ = tcp.set_nodelay(true);
        let slot = match counter.acquire(peer.ip()) {
            Ok(s) => s,
            Err(full) => {
                refuse(tcp, full, &log);
                continue;
            }
        };
        let conn = Connection {
            router: router.clone(),
            limits,
            log: log.clone(),
            peer,
        };
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            conn.run(tcp, stop).await;
            drop(slot);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    // Resolves once every connection has dropped its receiver.
    stop_tx.closed().await;
    Ok(())
}

/// How often to look whether the heap should be trimmed, and by how many
/// connections the count must have fallen from its peak: a burst is over.
const TRIM_EVERY: Duration = Duration::from_secs(5);
const TRIM_AFTER_DROP: usize = 64;

/// Gives freed memory back to the OS. glibc's malloc keeps what a burst of
/// streams freed in its per-thread arenas (RSS stayed at 80–130 MB after
/// 2 000 streams; README "Memory"); `malloc_trim` returns it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    // SAFETY: malloc_trim only walks glibc's own heap, under its locks.
    // It took 22 ms after 2 000 streams, on a blocking thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Answers 503 on a connection over a cap and closes it, without a task:
/// the refusal must cost less than the connection it refuses.
fn refuse(tcp: TcpStream, full: Full, log: &LogSink) {
    let (why, message) = match full {
        Full::Total => (
            "max-connections",
            "The relay is at its connection limit; try again shortly.",
        ),
        Full::PerIp => (
            "max-connections-per-ip",
            "Too many open connections from this address; close some and try again.",
        ),
    };
    let body = crate::errors::body(None, crate::errors::UNAVAILABLE, message, "-");
    let res = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let sent = tcp.try_write(res.as_bytes()).unwrap_or(0);
    // Read what already arrived (the request, usually) so closing does not
    // turn into a reset that would discard the 503 at the client.
    let mut buf = [0u8; 4096];
    for _ in 0..16 {
        match tcp.try_read(&mut buf) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let std = tcp.into_std();
    if let Ok(s) = &std {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    drop(std);
    crate::log::connection_line(
        log,
        Some(503),
        Duration::ZERO,
        sent,
        &Outcome::RefusedConnection(why),
    );
}

struct Connection {
    router: Router,
    limits: ConnLimits,
    log: LogSink,
    peer: SocketAddr,
}

impl Connection {
    async fn run(self, tcp: TcpStream, mut stop: watch::Receiver<()>) {
        let shared = Arc::new(ConnShared::default());
        let io = TokioIo::new(ConnIo::new(
            tcp,
            Arc::clone(&shared),
            self.limits.header_timeout,
        ));
        let router = self.router;
        let peer = self.peer;
        let body_timeout = self.limits.body_timeout;
        let sh = Arc::clone(&shared);
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let guard = InFlight::begin(Arc::clone(&sh));
            let (mut parts, incoming) = req.into_parts();
            let body = RequestBody::new(incoming, body_timeout, Arc::clone(&sh));
            parts.extensions.insert(ConnectInfo(peer));
            parts.extensions.insert(body.state());
            let req = axum::extract::Request::from_parts(parts, Body::new(body));
            let router = router.clone();
            Box::pin(async move {
                let res = match router.oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(res.map(|b| {
                    Body::new(ResponseBody {
                        inner: b,
                        _guard: guard,
                    })
                }))
            })
        });
        let mut conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        let mut stopping = false;
        // Without shutdown: the socket comes back for a lingering close.
        let result = loop {
            tokio::select! {
                r = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => break r,
                _ = stop.changed(), if !stopping => {
                    stopping = true;
                    Pin::new(&mut conn).graceful_shutdown();
                }
            }
        };
        let parts = conn.into_parts();
        let io = parts.io.into_inner();
        let mut linger = shared.unread_body.load(Ordering::Relaxed);
        match (&io.timed_out, &result) {
            // A request was begun (or a fresh connection stayed silent)
            // and its head never came: that is a request's line too. An
            // idle kept-alive connection made no request: no line.
            (Some(t), _) if t.head_bytes > 0 || t.first => {
                crate::log::connection_line(
                    &self.log,
                    (t.head_bytes > 0).then_some(408),
                    t.waited,
                    t.sent,
                    &Outcome::TimeoutHeader,
                );
            }
            (Some(_), _) => {}
            (None, Err(e)) if e.is_parse() || e.is_parse_too_large() => {
                // hyper answered 400/431 itself.
                let status = if e.is_parse_too_large() { 431 } else { 400 };
                crate::log::connection_line(
                    &self.log,
                    Some(status),
                    io.phase_start.elapsed(),
                    io.phase_written,
                    &Outcome::Refused(status),
                );
                linger = true;
            }
            // Bytes after a refused request are the rest of its body, not
            // a new head: only a head cut off mid-way is a request's line.
            (None, _) if io.head_bytes > 0 && io.waiting && !linger => {
                // The client went away in the middle of a request head.
                crate::log::connection_line(
                    &self.log,
                    None,
                    io.phase_start.elapsed(),
                    0,
                    &Outcome::ClientClosed,
                );
            }
            _ => {}
        }
        let mut tcp = io.tcp;
        // Shutting down: no lingering, the grace period is for streams.
        if linger && io.timed_out.is_none() && !stopping {
            lingering_close(&mut tcp, &mut stop).await;
        } else {
            let _ = tcp.shutdown().await;
        }
    }
}

/// Half-closes (the client sees the response, then end of stream), then
/// reads and discards what the client still sends, within bounds, so the
/// final close does not reset the connection under an unread response.
async fn lingering_close(tcp: &mut TcpStream, stop: &mut watch::Receiver<()>) {
    if tcp.shutdown().await.is_err() {
        return;
    }
    let deadline = tokio::time::Instant::now() + LINGER_TOTAL;
    let mut buf = vec![0u8; 16 * 1024];
    let mut discarded = 0usize;
    while discarded < LINGER_MAX_BYTES {
        let idle = (tokio::time::Instant::now() + LINGER_IDLE).min(deadline);
        tokio::select! {
            r = tokio::time::timeout_at(idle, tcp.read(&mut buf)) => match r {
                Ok(Ok(n)) if n > 0 => discarded += n,
                _ => break,
            },
            _ = stop.changed() => break,
        }
    }
}

/// Counts a request as in flight from its head until its response body
/// is finished or dropped; the connection waits for the next head after.
struct InFlight(Arc<ConnShared>);

impl InFlight {
    fn begin(shared: Arc<ConnShared>) -> Self {
        shared.unread_body.store(false, Ordering::Relaxed);
        shared.requests.fetch_add(1, Ordering::Relaxed);
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(shared)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            let waker = self
                .0
                .reader
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
}

struct ResponseBody {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for ResponseBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

const RESPONSE_408: &[u8] = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 58\r\n\r\nThe request head did not arrive in time (--header-timeout)";

/// Why a connection's socket stopped reading: the head-read timeout.
#[derive(Debug, Clone, Copy)]
struct TimedOut {
    /// Bytes of a request head that had arrived (0: an idle connection).
    head_bytes: usize,
    /// No request had been made on this connection yet.
    first: bool,
    waited: Duration,
    sent: usize,
}

/// The socket, with a header-read timeout: while no request is in flight
/// (the connection waits for a head), a read that has not completed a head
/// within `timeout` ends the connection, with a 408 if part of a head came.
/// hyper has such a timer too, but it closes silently and cannot tell a
/// slow head from an idle kept-alive connection.
struct ConnIo {
    tcp: TcpStream,
    shared: Arc<ConnShared>,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Waiting for a request head (as of the last read).
    waiting: bool,
    /// Requests begun before the current wait.
    seen_requests: usize,
    phase_start: Instant,
    head_bytes: usize,
    phase_written: usize,
    timed_out: Option<TimedOut>,
}

impl ConnIo {
    fn new(tcp: TcpStream, shared: Arc<ConnShared>, timeout: Duration) -> Self {
        ConnIo {
            tcp,
            shared,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            waiting: true,
            seen_requests: 0,
            phase_start: Instant::now(),
            head_bytes: 0,
            phase_written: 0,
            timed_out: None,
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.timed_out.is_some() {
            return Poll::Ready(Ok(()));
        }
        // hyper calls the service and drops response bodies on this
        // connection's task, so these counters only move between our reads.
        let requests = this.shared.requests.load(Ordering::Relaxed);
        if requests != this.seen_requests {
            if this.shared.in_flight.load(Ordering::Relaxed) == 0 {
                // Responses finished: the wait for the next head begins.
                this.seen_requests = requests;
                this.waiting = true;
                this.head_bytes = 0;
                this.phase_written = 0;
                this.phase_start = Instant::now();
                let at = tokio::time::Instant::now() + this.timeout;
                this.deadline.as_mut().reset(at);
            } else {
                this.waiting = false;
            }
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.waiting {
                    this.head_bytes += buf.filled().len() - before;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.waiting && this.deadline.as_mut().poll(cx).is_ready() => {
                let mut sent = 0;
                if this.head_bytes > 0 {
                    sent = this.tcp.try_write(RESPONSE_408).unwrap_or(0);
                }
                this.timed_out = Some(TimedOut {
                    head_bytes: this.head_bytes,
                    first: this.seen_requests == 0,
                    waited: this.phase_start.elapsed(),
                    sent,
                });
                // End of stream: hyper ends the connection.
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if !this.waiting {
                    *this.shared.reader.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(cx.waker().clone());
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.tcp).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.phase_written += n;
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            self.phase_written += n;
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_peers_count_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(conn_key(a), conn_key(b));
        assert_ne!(conn_key(a), conn_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(conn_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn caps_hold_and_slots_come_back() {
        let counter = Arc::new(Counter {
            limits: ConnLimits {
                header_timeout: Duration::from_secs(1),
                body_timeout: Duration::from_secs(1),
                max_connections: 3,
                max_connections_per_ip: 2,
            },
            total: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = counter.acquire(a).unwrap();
        let _s2 = counter.acquire(a).unwrap();
        assert_eq!(counter.acquire(a).err(), Some(Full::PerIp));
        let s3 = counter.acquire(b).unwrap();
        assert_eq!(counter.acquire(b).err(), Some(Full::Total));
        drop(s1);
        let _s4 = counter.acquire(a).unwrap();
        drop(s3);
        assert_eq!(
            counter.per_ip.lock().unwrap().len(),
            1,
            "freed entries are removed"
        );
        assert_eq!(counter.total.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn default_cap_follows_the_descriptor_limit() {
        assert_eq!(default_max_connections(Some(1024)), 448);
        assert_eq!(default_max_connections(Some(100)), 16);
        assert_eq!(default_max_connections(Some(1 << 20)), 10_000);
    }
}
