//! The relay driven as an attacker or a busy day would, over loopback
//! (127.0.0.x only), each scenario bounded in count and time: slow heads,
//! stalled bodies, over-cap bodies from clients that keep sending, caps on
//! connections, the listen backlog, and a log line for each of them.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use visual_reasoning_relay::conn;

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(src: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(IpAddr::V4(src), 0)).unwrap();
    s.connect(addr).await.unwrap()
}

/// Reads until the peer closes (or `bound` passes): what it sent, and
/// whether it closed.
async fn read_until_closed(
    r: &mut (impl AsyncReadExt + Unpin),
    bound: Duration,
) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let closed = tokio::time::timeout(bound, async {
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (got, closed)
}

fn lines_with<'a>(log: &'a str, needle: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(needle)).collect()
}

/// `/healthz` on a fresh connection from 127.0.0.1, bounded.
async fn healthz(url: &str) -> Result<u16, String> {
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    match c.get(format!("{url}/healthz")).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn slow_heads_get_408_and_close_while_healthz_stays_fast() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.conn.header_timeout = Duration::from_secs(1);
    cfg.conn.max_connections_per_ip = 0;
    let relay = start(cfg).await;
    let addr = addr_of(&relay.url);
    const N: usize = 100;
    let mut slow = Vec::new();
    for _ in 0..N {
        slow.push(tokio::spawn(async move {
            let c = connect_from(Ipv4Addr::new(127, 0, 0, 2), addr).await;
            let (mut r, mut w) = c.into_split();
            // A byte every 200 ms: the head would never end.
            let head = b"POST /compatible-mode/v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            let writer = tokio::spawn(async move {
                for b in head {
                    if w.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            let out = read_until_closed(&mut r, Duration::from_secs(20)).await;
            writer.abort();
            out
        }));
    }
    // While they drip, /healthz from another address answers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_eq!(healthz(&relay.url).await, Ok(200));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in slow {
        let (got, closed) = t.await.unwrap();
        assert!(closed, "a slow head was still open after 20 s");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
        assert!(text.contains("connection: close"), "{text}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = relay.log_text();
    let timeouts = lines_with(&log, " - - 408 ");
    assert_eq!(timeouts.len(), N, "{log}");
    assert!(timeouts.iter().all(|l| l.ends_with("rid=- timeout header")));
    assert_eq!(lines_with(&log, "GET /healthz 200 ").len(), 3, "{log}");
}

#[tokio::test]
async fn idle_connections_close_a_fresh_silent_one_leaves_a_line() {
    let mut cfg = visual_reasoning_relay::Config::mock(0.0);
    cfg.conn.header_timeout = Duration::from_secs(1);
    let m = start(cfg).await;
    let addr = addr_of(&m.url);
    // A kept-alive connection after one request: closed quietly.
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(15)).await;
    assert!(closed, "an idle kept-alive connection stayed open");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200 ") && !text.contains("408"),
        "{text}"
    );
    // A connection that never says anything: closed, no 408, one line.
    let mut c = TcpStream::connect(addr).await.unwrap();
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(15)).await;
    assert!(closed && got.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = m.log_text();
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(lines_with(&log, "GET /healthz 200 ")[0].ends_with(" completed"));
    assert!(
        lines_with(&log, " - - - ")[0].ends_with("rid=- timeout header"),
        "{log}"
    );
}

#[tokio::test]
async fn connection_caps_answer_503_per_address_and_in_total() {
    let mut cfg = visual_reasoning_relay::Config::mock(0.0);
    cfg.conn.max_connections_per_ip = 4;
    cfg.conn.max_connections = 6;
    let m = start(cfg).await;
    let addr = addr_of(&m.url);
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from(Ipv4Addr::new(127, 0, 0, 2), addr).await);
    }
    // The fifth from the same address is refused at once.
    let mut c = connect_from(Ipv4Addr::new(127, 0, 0, 2), addr).await;
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&got);
    assert!(closed && text.starts_with("HTTP/1.1 503 "), "{text}");
    assert!(text.contains("retry-after: 1"), "{text}");
    // Other addresses still get in, up to the total.
    for _ in 0..2 {
        held.push(connect_from(Ipv4Addr::new(127, 0, 0, 3), addr).await);
    }
    let mut c = connect_from(Ipv4Addr::new(127, 0, 0, 4), addr).await;
    let (got, _) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 503 "));
    // Slots come back when connections close.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match healthz(&m.url).await {
            Ok(200) => break,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "slots never came back: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let log = m.log_text();
    assert!(
        lines_with(&log, " - - 503 ")[0].ends_with("refused max-connections-per-ip"),
        "{log}"
    );
    assert!(lines_with(&log, " - - 503 ")[1].ends_with("refused max-connections"));
}

/// Sends a head and `sent` bytes of a `declared`-byte JSON body, then
/// (optionally) one more byte every `drip`; returns the answer's bytes.
async fn stalled_body(url: &str, sent: usize, drip: Option<Duration>) -> String {
    let body = openai_body(
        "qwen3-vl-plus",
        json!({"messages": [{"role": "user", "content": "x".repeat(2000)}]}),
    )
    .to_string();
    let c = TcpStream::connect(addr_of(url)).await.unwrap();
    let (mut r, mut w) = c.into_split();
    let head = format!(
        "POST {OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    w.write_all(head.as_bytes()).await.unwrap();
    w.write_all(&body.as_bytes()[..sent]).await.unwrap();
    let writer = tokio::spawn(async move {
        let Some(gap) = drip else {
            return std::future::pending().await;
        };
        for i in sent..body.len() - 1 {
            tokio::time::sleep(gap).await;
            if w.write_all(&body.as_bytes()[i..=i]).await.is_err() {
                break;
            }
        }
    });
    let (got, _) = read_until_closed(&mut r, Duration::from_secs(15)).await;
    writer.abort();
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_stalled_body_gets_408_streamed_buffered_and_in_mock_mode() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.conn.body_timeout = Duration::from_secs(2);
    // Shorter than the body timeout: the client's stall is still a 408,
    // not the upstream's 504.
    cfg.upstream_timeout = Duration::from_secs(1);
    let streamed = start(cfg.clone()).await;
    cfg.max_tokens = Some(100);
    let buffered = start(cfg).await;
    let mut mcfg = visual_reasoning_relay::Config::mock(0.0);
    mcfg.allow_origins = vec![ORIGIN.into()];
    mcfg.conn.body_timeout = Duration::from_secs(2);
    let mock_mode = start(mcfg).await;
    let (a, b, c, d) = tokio::join!(
        stalled_body(&streamed.url, 100, None),
        stalled_body(&buffered.url, 100, None),
        stalled_body(&mock_mode.url, 100, None),
        // Never 2 s of silence, but never done: the total deadline.
        stalled_body(&buffered.url, 100, Some(Duration::from_millis(200))),
    );
    for (name, text) in [
        ("streamed", a),
        ("buffered", b),
        ("mock", c),
        ("dripping", d),
    ] {
        assert!(text.starts_with("HTTP/1.1 408 "), "{name}: {text}");
        assert!(text.contains("connection: close"), "{name}: {text}");
        assert!(text.contains("request_timeout"), "{name}: {text}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for s in [&streamed, &buffered, &mock_mode] {
        let log = s.log_text();
        let lines = lines_with(&log, &format!("POST {OPENAI} 408 "));
        assert!(!lines.is_empty(), "{log}");
        assert!(lines.iter().all(|l| l.ends_with(" timeout body")), "{log}");
    }
}

/// Sends a head and `total` body bytes, all of them, and only then reads
/// the answer, as a plain blocking client would.
async fn send_all_then_read(url: &str, chunked: bool, total: usize) -> String {
    let mut c = TcpStream::connect(addr_of(url)).await.unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {total}")
    };
    let head = format!(
        "POST {OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    let sent = tokio::time::timeout(Duration::from_secs(20), async {
        c.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 << 10];
        for _ in 0..total / chunk.len() {
            if chunked {
                c.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                c.write_all(&chunk).await?;
                c.write_all(b"\r\n").await?;
            } else {
                c.write_all(&chunk).await?;
            }
        }
        if chunked {
            c.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    assert!(
        matches!(sent, Ok(Ok(()))),
        "the relay stopped reading before the client could finish: {sent:?}"
    );
    let (got, _) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn the_413_reaches_a_client_that_keeps_sending() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.max_body_bytes = 1 << 20;
    let relay = start(cfg.clone()).await;
    cfg.max_tokens = Some(100);
    let buffered = start(cfg).await;
    // Well past the socket buffers on both sides.
    let total = 16 << 20;
    for (url, chunked) in [
        (&relay.url, false),
        (&relay.url, true),
        (&buffered.url, true),
    ] {
        let text = send_all_then_read(url, chunked, total).await;
        assert!(
            text.starts_with("HTTP/1.1 413 "),
            "chunked={chunked}: {text:?}"
        );
        assert!(text.contains("connection: close"), "{text}");
    }
    // And reqwest (hyper's client), which stops at a write error: before
    // the lingering close it mostly reported a send error instead.
    for _ in 0..3 {
        let res = client()
            .post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .body(vec![b' '; total])
            .send()
            .await;
        assert_eq!(res.map(|r| r.status().as_u16()).ok(), Some(413));
    }
    let log = relay.log_text() + "\n" + &buffered.log_text();
    // One line each: the discarded rest of a body is not a new request.
    assert_eq!(log.lines().count(), 6, "{log}");
    let lines = lines_with(&log, " 413 ");
    assert_eq!(lines.len(), 6, "{log}");
    assert!(lines.iter().all(|l| l.ends_with(" refused 413")), "{log}");
}

#[tokio::test]
async fn the_listen_backlog_queues_a_burst_of_connects() {
    conn::raise_fd_limit();
    let listener = conn::bind("127.0.0.1:0".parse().unwrap(), conn::DEFAULT_BACKLOG).unwrap();
    let addr = listener.local_addr().unwrap();
    // Nobody accepts: the kernel queues up to the backlog (+1), then
    // drops SYNs. 700 is beyond std's and tokio's 128 and nginx's 511.
    let mut tasks = Vec::new();
    for i in 0..700u32 {
        let src = Ipv4Addr::new(127, 0, 3, 2 + (i % 50) as u8);
        tasks.push(tokio::spawn(async move {
            let s = TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::new(IpAddr::V4(src), 0)).unwrap();
            tokio::time::timeout(Duration::from_millis(2500), s.connect(addr))
                .await
                .ok()
                .and_then(Result::ok)
        }));
    }
    let mut queued = Vec::new();
    for t in tasks {
        if let Some(c) = t.await.unwrap() {
            queued.push(c);
        }
    }
    assert_eq!(
        queued.len(),
        700,
        "only {} connects were queued",
        queued.len()
    );
    drop(listener);
}
