//! A small Redis client: RESP2 over one pipelined TCP connection, enough
//! for the relay's one Lua script (`redis/store.lua`).
//!
//! Chosen over the `redis` crate for control of failure, which is what the
//! budget store's fail mode rests on: every call is bounded by one timeout,
//! a broken connection fails every call waiting on it at once, the next call
//! reconnects (at most one attempt per [`RETRY_AFTER_FAILURE`]), and there
//! is no dependency tree to audit. TLS (`rediss://`) is not supported: run
//! Redis on a private network or through a TLS tunnel.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

/// The script both relays run (README "Shared state in Redis").
pub const SCRIPT: &str = include_str!("../redis/store.lua");

/// After a failed connect, calls fail at once for this long instead of
/// each waiting for its own connect (Redis down must not slow every request).
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(500);

/// Replies larger than this are a protocol error (ours are numbers).
const MAX_REPLY_BYTES: usize = 1 << 20;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// Where Redis is, from `redis://[user[:password]@]host[:port][/db]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub db: Option<u32>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        write!(f, "redis://{}:{}", self.host, self.port)
    }
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("--redis-url: {e}"))?;
        match u.scheme() {
            "redis" => {}
            "rediss" => return Err("--redis-url: rediss:// (TLS) is not supported by this relay; reach Redis over a private network or a TLS tunnel".into()),
            s => return Err(format!("--redis-url: need redis://host[:port][/db], not {s}://")),
        }
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("--redis-url: no host")?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = Some(decode(u.username())).filter(|s| !s.is_empty());
        let password = u.password().map(decode);
        let db = match u.path().trim_start_matches('/') {
            "" => None,
            n => Some(
                n.parse::<u32>()
                    .map_err(|_| "--redis-url: the path must be a database number")?,
            ),
        };
        Ok(Target {
            host,
            port: u.port().unwrap_or(6379),
            user,
            password,
            db,
        })
    }
}

type Waiter = oneshot::Sender<Reply>;

struct Conn {
    tx: mpsc::UnboundedSender<(Vec<u8>, Waiter)>,
}

/// A client for one Redis; cheap to share (`Arc`).
pub struct Client {
    target: Target,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<Conn>>,
    failed_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redis::Client({:?})", self.target)
    }
}

impl Client {
    /// `timeout` bounds each call, connecting included.
    pub fn new(target: Target, timeout: Duration) -> Self {
        Client {
            target,
            timeout,
            conn: tokio::sync::Mutex::new(None),
            failed_at: Mutex::new(None),
        }
    }

    /// Runs one command; `Err` says why in words (never the password).
    pub async fn call(&self, args: &[&[u8]]) -> Result<Reply, String> {
        match tokio::time::timeout(self.timeout, self.call_inner(args)).await {
            Ok(r) => r,
            Err(_) => {
                // A connection that does not answer is as good as broken.
                *self.conn.lock().await = None;
                Err(format!("no answer within {} ms", self.timeout.as_millis()))
            }
        }
    }

    async fn call_inner(&self, args: &[&[u8]]) -> Result<Reply, String> {
        let tx = {
            let mut guard = self.conn.lock().await;
            match &*guard {
                Some(c) if !c.tx.is_closed() => c.tx.clone(),
                _ => {
                    *guard = None;
                    let c = self.connect().await?;
                    let tx = c.tx.clone();
                    *guard = Some(c);
                    tx
                }
            }
        };
        let (done, reply) = oneshot::channel();
        tx.send((encode(args), done))
            .map_err(|_| "connection closed".to_owned())?;
        reply.await.map_err(|_| "connection lost".to_owned())
    }

    async fn connect(&self) -> Result<Conn, String> {
        {
            let failed = self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
            if failed.is_some_and(|t| t.elapsed() < RETRY_AFTER_FAILURE) {
                return Err("unreachable (retrying shortly)".into());
            }
        }
        let r = self.open().await;
        *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = r.is_err().then(Instant::now);
        r
    }

    async fn open(&self) -> Result<Conn, String> {
        let t = &self.target;
        let stream = TcpStream::connect((t.host.as_str(), t.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", t.host, t.port))?;
        let _ = stream.set_nodelay(true);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(stream, rx));
        let conn = Conn { tx };
        let mut hello: Vec<Vec<&[u8]>> = Vec::new();
        match (&t.user, &t.password) {
            (Some(u), Some(p)) => hello.push(vec![b"AUTH", u.as_bytes(), p.as_bytes()]),
            (None, Some(p)) => hello.push(vec![b"AUTH", p.as_bytes()]),
            _ => {}
        }
        let db = t.db.map(|d| d.to_string());
        if let Some(d) = &db {
            hello.push(vec![b"SELECT", d.as_bytes()]);
        }
        for args in hello {
            let (done, reply) = oneshot::channel();
            conn.tx
                .send((encode(&args), done))
                .map_err(|_| "connection closed".to_owned())?;
            match reply.await {
                Ok(Reply::Error(e)) => {
                    // AUTH/SELECT refused: say which, without the password.
                    let what = String::from_utf8_lossy(args[0]).into_owned();
                    return Err(format!(
                        "{what} refused: {}",
                        e.chars().take(200).collect::<String>()
                    ));
                }
                Ok(_) => {}
                Err(_) => return Err("connection lost during AUTH/SELECT".into()),
            }
        }
        Ok(conn)
    }

    /// Runs the store script: `EVALSHA`, loading it with `EVAL` when Redis
    /// does not have it (first use, or after a restart).
    pub async fn script(&self, key: &str, args: &[&str]) -> Result<i64, String> {
        let sha = script_sha();
        let mut argv: Vec<&[u8]> = vec![b"EVALSHA", sha.as_bytes(), b"1", key.as_bytes()];
        argv.extend(args.iter().map(|a| a.as_bytes()));
        let mut reply = self.call(&argv).await?;
        if matches!(&reply, Reply::Error(e) if e.starts_with("NOSCRIPT")) {
            argv[0] = b"EVAL";
            argv[1] = SCRIPT.as_bytes();
            reply = self.call(&argv).await?;
        }
        match reply {
            Reply::Int(n) => Ok(n),
            Reply::Error(e) => Err(format!(
                "script: {}",
                e.chars().take(200).collect::<String>()
            )),
            other => Err(format!("script: unexpected reply {other:?}")),
        }
    }
}

/// The SHA-1 of [`SCRIPT`], as Redis names scripts.
pub fn script_sha() -> &'static str {
    static SHA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SHA.get_or_init(|| {
        let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, SCRIPT.as_bytes());
        d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// A command as a RESP array of bulk strings.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Writes commands in order and hands each reply to the caller waiting
/// for it (Redis answers in order). Ends when the connection breaks or
/// the client drops it; every waiter still queued then sees its channel close.
async fn run(stream: TcpStream, mut rx: mpsc::UnboundedReceiver<(Vec<u8>, Waiter)>) {
    let (mut rd, mut wr) = stream.into_split();
    let mut waiting: VecDeque<Waiter> = VecDeque::new();
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        tokio::select! {
            cmd = rx.recv() => {
                let Some((bytes, waiter)) = cmd else { return };
                waiting.push_back(waiter);
                if wr.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            n = rd.read_buf(&mut buf) => {
                match n {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                loop {
                    match parse(&buf) {
                        Ok(Some((reply, used))) => {
                            buf.advance(used);
                            match waiting.pop_front() {
                                Some(w) => {
                                    let _ = w.send(reply);
                                }
                                None => return, // a reply nobody asked for
                            }
                        }
                        Ok(None) => break,
                        Err(BadReply) => return,
                    }
                }
            }
        }
    }
}

/// Bytes that are not a RESP2 reply (or one past the size caps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadReply;

/// One reply from the start of `buf` and the bytes it took; `None` when
/// it is not all there yet.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, BadReply> {
    parse_at(buf, 0, 0)
}

fn parse_at(buf: &[u8], at: usize, depth: u8) -> Result<Option<(Reply, usize)>, BadReply> {
    if depth > 8 {
        return Err(BadReply);
    }
    let Some(rest) = buf.get(at..) else {
        return Ok(None);
    };
    let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
        return if rest.len() > MAX_REPLY_BYTES {
            Err(BadReply)
        } else {
            Ok(None)
        };
    };
    let (&kind, line) = rest[..end].split_first().ok_or(BadReply)?;
    let line = std::str::from_utf8(line).map_err(|_| BadReply)?;
    let next = at + end + 2;
    let int = || line.parse::<i64>().map_err(|_| BadReply);
    Ok(Some(match kind {
        b'+' => (Reply::Status(line.to_owned()), next),
        b'-' => (Reply::Error(line.to_owned()), next),
        b':' => (Reply::Int(int()?), next),
        b'$' => {
            let n = int()?;
            if n < 0 {
                return Ok(Some((Reply::Bulk(None), next)));
            }
            let n = usize::try_from(n).map_err(|_| BadReply)?;
            if n > MAX_REPLY_BYTES {
                return Err(BadReply);
            }
            let Some(data) = buf.get(next..next + n + 2) else {
                return Ok(None);
            };
            if &data[n..] != b"\r\n" {
                return Err(BadReply);
            }
            (Reply::Bulk(Some(data[..n].to_vec())), next + n + 2)
        }
        b'*' => {
            let n = int()?;
            if n < 0 {
                return Ok(Some((Reply::Array(None), next)));
            }
            if n > 1024 {
                return Err(BadReply);
            }
            let mut items = Vec::with_capacity(n as usize);
            let mut pos = next;
            for _ in 0..n {
                match parse_at(buf, pos, depth + 1)? {
                    Some((r, p)) => {
                        items.push(r);
                        pos = p;
                    }
                    None => return Ok(None),
                }
            }
            (Reply::Array(Some(items)), pos)
        }
        _ => return Err(BadReply),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_whole_and_wait_when_cut() {
        let all = b"+OK\r\n-ERR no\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n";
        let mut at = 0;
        let mut got = Vec::new();
        while at < all.len() {
            let (r, used) = parse(&all[at..]).unwrap().unwrap();
            got.push(r);
            at += used;
        }
        assert_eq!(
            got,
            [
                Reply::Status("OK".into()),
                Reply::Error("ERR no".into()),
                Reply::Int(42),
                Reply::Bulk(Some(b"abc".to_vec())),
                Reply::Bulk(None),
                Reply::Array(Some(vec![Reply::Int(1), Reply::Bulk(Some(b"x".to_vec()))])),
            ]
        );
        // Every cut of a reply waits for the rest.
        let one = b"*2\r\n:1\r\n$1\r\nx\r\n";
        for cut in 0..one.len() {
            assert_eq!(parse(&one[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(b"?what\r\n").is_err());
        assert!(parse(b"$3\r\nabcd\r\n").is_err());
    }

    #[test]
    fn urls_name_host_port_credentials_and_db() {
        let t = Target::parse("redis://u:p%40ss@127.0.0.1:7000/2").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.user.as_deref(),
                t.password.as_deref(),
                t.db
            ),
            ("127.0.0.1", 7000, Some("u"), Some("p@ss"), Some(2))
        );
        let t = Target::parse("redis://:secret@cache").unwrap();
        assert_eq!(
            (t.port, t.user.as_deref(), t.password.as_deref()),
            (6379, None, Some("secret"))
        );
        assert!(!format!("{t:?}").contains("secret"));
        assert!(Target::parse("rediss://cache").unwrap_err().contains("TLS"));
        assert!(Target::parse("http://cache").is_err());
        assert!(Target::parse("redis://cache/x").is_err());
    }

    #[test]
    fn commands_encode_as_bulk_arrays() {
        assert_eq!(encode(&[b"GET", b"k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(script_sha().len(), 40);
    }
}
