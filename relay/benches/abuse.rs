//! Load and abuse harness for the relay binary (README "Limits and
//! timeouts"). A measurement, not a test: every scenario is bounded in
//! count and time and stays on 127.0.0.x.
//!
//! ```sh
//! cargo bench --manifest-path relay/Cargo.toml --bench abuse -- SCENARIO [OPTIONS]
//! ```
//!
//! Scenarios:
//! - `slowloris`: N connections (default 1000) from 127.0.0.2 send a request
//!   head one byte per `--gap-ms` (1000) for `--secs` (30) while `/healthz`
//!   is fetched from 127.0.0.1 every 200 ms. Prints how many were closed by
//!   the relay, and when, and how `/healthz` fared.
//! - `stall-body`: a body that stops after 100 of its 5000 bytes, streamed
//!   and buffered (`--max-tokens`), and a buffered body dripping one byte
//!   every 2 s. Prints what each caller got, and when (waits up to `--secs`,
//!   default 45).
//! - `oversize`: 5 `Content-Length` and 5 chunked 30 MiB bodies (cap 20 MiB)
//!   from a raw client that keeps sending while it reads. Prints how many
//!   saw the 413.
//! - `connect-burst`: N (2000) simultaneous connects, each `GET /healthz`.
//!   Prints time to first byte and the kernel's listen-queue overflows.
//! - `burst`: N (2000) concurrent streams through the relay in front of the
//!   mock (`--tps`, default 100), each compared with a direct reply; the
//!   relay's RSS and open descriptors before, at peak and for `--settle`
//!   (30) seconds after.
//!
//! Options: `--bin PATH` (another build of the relay, e.g. an older one),
//! `--n N`, `--secs S`, `--nofile N` (the relay runs under `ulimit -n N`),
//! `--relay-arg ARG` (repeatable: extra relay flags), `--show-log TEXT`
//! (print the relay's log lines containing TEXT).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ORIGIN: &str = "http://a.example";
const OPENAI: &str = "/compatible-mode/v1/chat/completions";

struct Opts {
    scenario: String,
    bin: String,
    n: Option<usize>,
    secs: Option<u64>,
    gap_ms: u64,
    nofile: Option<u64>,
    tps: f64,
    settle: u64,
    relay_args: Vec<String>,
    show_log: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts {
        scenario: String::new(),
        bin: env!("CARGO_BIN_EXE_visual-reasoning-relay").to_owned(),
        n: None,
        secs: None,
        gap_ms: 1000,
        nofile: None,
        tps: 100.0,
        settle: 30,
        relay_args: Vec::new(),
        show_log: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("missing value");
        match a.as_str() {
            "--bench" => {}
            "--bin" => o.bin = val(),
            "--n" => o.n = Some(val().parse().unwrap()),
            "--secs" => o.secs = Some(val().parse().unwrap()),
            "--gap-ms" => o.gap_ms = val().parse().unwrap(),
            "--nofile" => o.nofile = Some(val().parse().unwrap()),
            "--tps" => o.tps = val().parse().unwrap(),
            "--settle" => o.settle = val().parse().unwrap(),
            "--relay-arg" => o.relay_args.push(val()),
            "--show-log" => o.show_log = Some(val()),
            s if !s.starts_with('-') && o.scenario.is_empty() => o.scenario = s.to_owned(),
            s => panic!("unknown option {s}"),
        }
    }
    o
}

/// A relay or mock process, its URL and its stderr lines.
struct Proc {
    child: Child,
    url: String,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }
    fn rss_mb(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |d| d.count())
    }
    /// Counts of each log line's outcome (the text after `rid=…`).
    fn outcomes(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for l in self.log.lock().unwrap().iter() {
            if let Some(i) = l.find(" rid=") {
                let rest = &l[i + 5..];
                let outcome = rest.split_once(' ').map_or("", |x| x.1);
                // Keep the status with the outcome: `408 timeout header`.
                let status = l[..i].split(' ').rev().nth(2).unwrap_or("?");
                let outcome: String = outcome.chars().take(40).collect();
                *m.entry(format!("{status} {outcome}")).or_default() += 1;
            }
        }
        m
    }
}

fn spawn(bin: &str, args: &[String], nofile: Option<u64>, key: bool) -> Proc {
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg("ulimit -n \"$0\" && exec \"$@\"")
                .arg(n.to_string())
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if key {
        cmd.env("DASHSCOPE_API_KEY", "sk-abuse-harness");
    }
    let mut child = cmd.spawn().expect("spawn relay");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim()
        .to_owned();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    Proc {
        child,
        url,
        addr,
        log,
    }
}

fn mock(bin: &str, tps: f64) -> Proc {
    let args = [
        "--mock",
        "--listen",
        "127.0.0.1:0",
        "--allow-no-origin",
        "--tokens-per-second",
        &tps.to_string(),
    ]
    .map(String::from);
    spawn(bin, &args, None, false)
}

fn relay(o: &Opts, upstream: &str, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = [
        "--upstream",
        upstream,
        "--listen",
        "127.0.0.1:0",
        "--allow-origin",
        ORIGIN,
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(o.relay_args.iter().cloned());
    spawn(&o.bin, &args, o.nofile, true)
}

async fn connect_from(src: Ipv4Addr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(IpAddr::V4(src), 0))?;
    s.connect(addr).await
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "n={} p50={:.0} p90={:.0} p99={:.0} max={:.0} ms",
        v.len(),
        pct(&v, 0.5),
        pct(&v, 0.9),
        pct(&v, 0.99),
        pct(&v, 1.0)
    )
}

fn status_of(bytes: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(bytes.get(..12)?).ok()?;
    s.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

// ---------------------------------------------------------------- slowloris

async fn slowloris(o: &Opts) {
    let n = o.n.unwrap_or(1000);
    let secs = o.secs.unwrap_or(30);
    let mock = mock(&o.bin, 0.0);
    let relay = relay(o, &mock.url, &[]);
    let addr = relay.addr;
    let gap = Duration::from_millis(o.gap_ms);
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..n {
        tasks.push(tokio::spawn(async move {
            // (connected, answered status, closed after)
            let c = match tokio::time::timeout(
                Duration::from_secs(10),
                connect_from(Ipv4Addr::new(127, 0, 0, 2), addr),
            )
            .await
            {
                Ok(Ok(c)) => c,
                _ => return (false, None, None),
            };
            let start = Instant::now();
            let (mut r, mut w) = c.into_split();
            let head = b"POST /compatible-mode/v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Pad: ";
            let writer = async move {
                let mut i = 0usize;
                while Instant::now() < until {
                    let b = head.get(i).copied().unwrap_or(b'a');
                    if w.write_all(&[b]).await.is_err() {
                        break;
                    }
                    i += 1;
                    tokio::time::sleep(gap).await;
                }
                std::future::pending::<()>().await
            };
            let reader = async move {
                let mut got = Vec::new();
                let _ = r.read_to_end(&mut got).await;
                got
            };
            tokio::select! {
                got = reader => (true, status_of(&got), Some(start.elapsed())),
                _ = tokio::time::sleep_until(until.into()) => (true, None, None),
                _ = writer => unreachable!(),
            }
        }));
    }
    // /healthz from another address, fresh connection each time.
    let url = format!("{}/healthz", relay.url);
    let probe = tokio::spawn(async move {
        let c = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let (mut ok, mut bad) = (Vec::new(), 0usize);
        while Instant::now() < until {
            let t = Instant::now();
            match c.get(&url).send().await {
                Ok(r) if r.status() == 200 => ok.push(t.elapsed().as_secs_f64() * 1000.0),
                _ => bad += 1,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (ok, bad)
    });
    let mut connected = 0;
    let mut closed = Vec::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        let (c, status, after) = t.await.unwrap();
        connected += usize::from(c);
        if let Some(a) = after {
            closed.push(a.as_secs_f64() * 1000.0);
            let s = status.map_or("none".to_owned(), |s| s.to_string());
            *statuses.entry(s).or_default() += 1;
        }
    }
    let (ok, bad) = probe.await.unwrap();
    println!(
        "slowloris: {n} connections from 127.0.0.2, 1 byte per {} ms, for {secs} s; relay nofile={:?}",
        o.gap_ms, o.nofile
    );
    println!("  connected: {connected}; closed by the relay within the window: {} (answers: {statuses:?})", closed.len());
    println!("  time to close: {}", summary(closed));
    println!(
        "  /healthz from 127.0.0.1 every 200 ms: {} ok, {bad} failed; latency {}",
        ok.len(),
        summary(ok)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("  relay log: {:?}", relay.outcomes());
    show_log(o, &relay);
}

// ---------------------------------------------------------------- stall-body

async fn stall_one(addr: SocketAddr, drip: bool, wait: Duration) -> (Option<u16>, Duration) {
    let body = serde_json::json!({
        "model": "qwen3-vl-plus",
        "messages": [{"role": "user", "content": "x".repeat(4900)}],
        "stream": true,
    })
    .to_string();
    let mut c = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let t0 = Instant::now();
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(&body.as_bytes()[..100]).await.unwrap();
    let (mut r, mut w) = c.into_split();
    let dripper = async move {
        let mut i = 100;
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if drip && i < body.len() - 1 {
                if w.write_all(&body.as_bytes()[i..i + 1]).await.is_err() {
                    break;
                }
                i += 1;
            }
        }
        std::future::pending::<()>().await
    };
    let reader = async move {
        let mut buf = vec![0u8; 4096];
        let n = r.read(&mut buf).await.unwrap_or(0);
        status_of(&buf[..n])
    };
    tokio::select! {
        s = reader => (s, t0.elapsed()),
        _ = tokio::time::sleep(wait) => (None, t0.elapsed()),
        _ = dripper => unreachable!(),
    }
}

async fn stall_body(o: &Opts) {
    let wait = Duration::from_secs(o.secs.unwrap_or(45));
    let mock = mock(&o.bin, 0.0);
    let streamed = relay(o, &mock.url, &["--upstream-timeout", "10"]);
    let buffered = relay(
        o,
        &mock.url,
        &["--upstream-timeout", "10", "--max-tokens", "1000"],
    );
    let (a, b, c) = tokio::join!(
        stall_one(streamed.addr, false, wait),
        stall_one(buffered.addr, false, wait),
        stall_one(buffered.addr, true, wait),
    );
    println!("stall-body: 100 of 5000 body bytes sent, then nothing (or 1 byte / 2 s); relays with --upstream-timeout 10; waiting up to {wait:?}");
    for (name, (s, t)) in [
        ("streamed, stalled", a),
        ("buffered (--max-tokens), stalled", b),
        ("buffered, dripping", c),
    ] {
        println!(
            "  {name}: {} after {:.1} s",
            s.map_or("no answer".into(), |s| format!("HTTP {s}")),
            t.as_secs_f64()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!(
        "  relay logs: streamed {:?}; buffered {:?}",
        streamed.outcomes(),
        buffered.outcomes()
    );
}

// ---------------------------------------------------------------- oversize

/// Sends `total` body bytes while reading; returns (status seen, bytes sent, write error).
async fn oversize_one(
    addr: SocketAddr,
    chunked: bool,
    total: usize,
    read_while_sending: bool,
) -> (Option<u16>, usize, String) {
    let c = TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = c.into_split();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {total}")
    };
    let head = format!(
        "POST {OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    let writer = async move {
        if w.write_all(head.as_bytes()).await.is_err() {
            return (0, "head".to_owned());
        }
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let r = if chunked {
                let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
                c.extend_from_slice(&chunk);
                c.extend_from_slice(b"\r\n");
                w.write_all(&c).await
            } else {
                w.write_all(&chunk).await
            };
            if let Err(e) = r {
                return (sent, e.kind().to_string());
            }
            sent += chunk.len();
        }
        if chunked {
            let _ = w.write_all(b"0\r\n\r\n").await;
        }
        (sent, "none".to_owned())
    };
    let reader = async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match r.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        status_of(&got)
    };
    let ((sent, err), status) = tokio::time::timeout(Duration::from_secs(60), async {
        if read_while_sending {
            tokio::join!(writer, reader)
        } else {
            // A plain client: send the whole request, then read the answer.
            let w = writer.await;
            (w, reader.await)
        }
    })
    .await
    .unwrap_or(((0, "timeout".into()), None));
    (status, sent, err)
}

async fn oversize(o: &Opts) {
    let mock = mock(&o.bin, 0.0);
    let relay = relay(o, &mock.url, &[]);
    let total = 30 << 20;
    for (chunked, concurrent) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut seen = 0;
        let mut notes = Vec::new();
        for _ in 0..5 {
            let (s, sent, err) = oversize_one(relay.addr, chunked, total, concurrent).await;
            seen += usize::from(s == Some(413));
            notes.push(format!(
                "{} sent {} MiB, write error {err}",
                s.map_or("no status".into(), |s| s.to_string()),
                sent >> 20
            ));
        }
        println!(
            "oversize ({}, {}): 413 seen in {seen} of 5: {notes:?}",
            if chunked { "chunked" } else { "Content-Length" },
            if concurrent {
                "reading while sending"
            } else {
                "reading after sending"
            }
        );
    }
    // reqwest (hyper's client), as a Rust caller would send it.
    let c = reqwest::Client::new();
    for chunked in [false, true] {
        let mut seen = 0;
        let mut notes = Vec::new();
        for _ in 0..5 {
            let req = c
                .post(format!("{}{OPENAI}", relay.url))
                .header("origin", ORIGIN)
                .header("content-type", "application/json");
            let req = if chunked {
                let chunks =
                    (0..total / (64 << 10)).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 << 10]));
                req.body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                )))
            } else {
                req.body(vec![b' '; total])
            };
            match req.send().await {
                Ok(r) => {
                    seen += usize::from(r.status() == 413);
                    notes.push(r.status().as_u16().to_string());
                }
                Err(e) => notes.push(format!(
                    "error: {:?}",
                    std::error::Error::source(&e).map(|s| s.to_string())
                )),
            }
        }
        println!(
            "oversize (reqwest, {}): 413 seen in {seen} of 5: {notes:?}",
            if chunked { "chunked" } else { "Content-Length" }
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("  relay log: {:?}", relay.outcomes());
    show_log(o, &relay);
}

// ---------------------------------------------------------------- connect-burst

fn listen_overflows() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = s.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(vals)) = (lines.next(), lines.next()) else {
        return (0, 0);
    };
    let get = |k: &str| {
        names
            .split_whitespace()
            .position(|n| n == k)
            .and_then(|i| vals.split_whitespace().nth(i))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (get("ListenOverflows"), get("ListenDrops"))
}

async fn connect_burst(o: &Opts) {
    let n = o.n.unwrap_or(2000);
    let mock = mock(&o.bin, 0.0);
    let relay = relay(o, &mock.url, &[]);
    let addr = relay.addr;
    let before = listen_overflows();
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for i in 0..n {
        let b = Arc::clone(&barrier);
        // 40 source addresses, so per-address caps are not what is measured.
        let src = Ipv4Addr::new(127, 0, 1, 2 + (i % 40) as u8);
        tasks.push(tokio::spawn(async move {
            b.wait().await;
            let t = Instant::now();
            let r = tokio::time::timeout(Duration::from_secs(20), async {
                let mut c = connect_from(src, addr).await?;
                c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .await?;
                let mut b = [0u8; 12];
                c.read_exact(&mut b).await?;
                Ok::<_, std::io::Error>(status_of(&b))
            })
            .await;
            match r {
                Ok(Ok(s)) => Ok((t.elapsed().as_secs_f64() * 1000.0, s)),
                Ok(Err(e)) => Err(e.kind().to_string()),
                Err(_) => Err("timeout".into()),
            }
        }));
    }
    let mut ttfb = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok((ms, s)) => {
                ttfb.push(ms);
                *statuses.entry(format!("{s:?}")).or_default() += 1;
            }
            Err(e) => *errors.entry(e).or_default() += 1,
        }
    }
    let after = listen_overflows();
    let slow = ttfb.iter().filter(|&&ms| ms > 900.0).count();
    println!("connect-burst: {n} simultaneous connects, GET /healthz each");
    println!("  time to first byte: {}", summary(ttfb));
    println!("  over 900 ms (a SYN retransmit): {slow}; statuses {statuses:?}; errors {errors:?}");
    println!(
        "  kernel ListenOverflows +{}, ListenDrops +{} (machine-wide)",
        after.0 - before.0,
        after.1 - before.1
    );
}

// ---------------------------------------------------------------- burst

/// An SSE body with the per-request fields (ids, timestamps) removed.
fn normalize(body: &str) -> Vec<serde_json::Value> {
    body.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| {
            let mut v: serde_json::Value =
                serde_json::from_str(d).unwrap_or(serde_json::Value::String(d.to_owned()));
            if let Some(o) = v.as_object_mut() {
                o.remove("id");
                o.remove("created");
            }
            v
        })
        .collect()
}

async fn burst(o: &Opts) {
    let n = o.n.unwrap_or(2000);
    let mock = mock(&o.bin, o.tps);
    let relay = relay(
        o,
        &mock.url,
        &["--max-streams-per-ip", "0", "--rate-limit", "0"],
    );
    let body = serde_json::json!({
        "model": "qwen3-vl-plus",
        "messages": [{"role": "user", "content": "Find angle x in the triangle."}],
        "stream": true,
        "enable_thinking": true,
        "stream_options": {"include_usage": true},
    });
    let direct = reqwest::Client::new()
        .post(format!("{}{OPENAI}", mock.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reference = Arc::new(normalize(&direct));
    let start = (relay.rss_mb(), relay.fds());
    // Warm-up: a few streams, so first-use allocations are in the baseline.
    let warm = reqwest::Client::new();
    for _ in 0..5 {
        warm.post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    drop(warm);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let base = (relay.rss_mb(), relay.fds());

    let pid = relay.pid();
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s2 = Arc::clone(&sampling);
    let peak = std::thread::spawn(move || {
        let p = Proc::rss_of(pid);
        let mut max = (p, 0usize);
        while s2.load(std::sync::atomic::Ordering::Relaxed) {
            let rss = Proc::rss_of(pid);
            let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
            max = (max.0.max(rss), max.1.max(fds));
            std::thread::sleep(Duration::from_millis(100));
        }
        max
    });
    let t0 = Instant::now();
    let clients: Vec<reqwest::Client> = (0..40u8)
        .map(|i| {
            reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 2, 2 + i)))
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap()
        })
        .collect();
    let mut tasks = Vec::new();
    for i in 0..n {
        let c = clients[i % clients.len()].clone();
        let url = format!("{}{OPENAI}", relay.url);
        let body = body.clone();
        let reference = Arc::clone(&reference);
        tasks.push(tokio::spawn(async move {
            let r = c
                .post(url)
                .header("origin", ORIGIN)
                .json(&body)
                .send()
                .await;
            match r {
                Ok(r) if r.status() == 200 => match r.text().await {
                    Ok(t) if normalize(&t) == *reference => Ok(()),
                    Ok(_) => Err("different bytes".to_owned()),
                    Err(e) => Err(format!("body: {e}")),
                },
                Ok(r) => Err(format!("status {}", r.status())),
                Err(e) => Err(format!("send: {e}")),
            }
        }));
    }
    let mut ok = 0;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => *errors.entry(e.chars().take(80).collect()).or_default() += 1,
        }
    }
    let took = t0.elapsed();
    drop(clients);
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = peak.join().unwrap();
    println!(
        "burst: {n} concurrent streams through the relay (mock at {} tokens/s): {ok} identical to the direct reply, errors {errors:?}, in {:.1} s",
        o.tps,
        took.as_secs_f64()
    );
    println!(
        "  relay RSS / fds: start {:.1} MB / {}; after warm-up {:.1} MB / {}; peak {:.1} MB / {}",
        start.0, start.1, base.0, base.1, peak.0, peak.1
    );
    let t_end = Instant::now();
    for at in [0u64, 2, 5, 10, 20, 30, 60, 120] {
        if at > o.settle {
            break;
        }
        tokio::time::sleep_until((t_end + Duration::from_secs(at)).into()).await;
        println!(
            "  +{at:>3} s after the burst: RSS {:.1} MB, fds {}",
            relay.rss_mb(),
            relay.fds()
        );
    }
    println!("  relay log: {:?}", relay.outcomes());
    show_log(o, &relay);
}

/// Prints the relay's log lines containing `--show-log TEXT`.
fn show_log(o: &Opts, relay: &Proc) {
    if let Some(p) = &o.show_log {
        let log = relay.log.lock().unwrap();
        for l in log.iter().filter(|l| l.contains(p.as_str())) {
            println!("  | {l}");
        }
    }
}

impl Proc {
    fn rss_of(pid: u32) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn main() {
    let o = opts();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        match o.scenario.as_str() {
            "slowloris" => slowloris(&o).await,
            "stall-body" => stall_body(&o).await,
            "oversize" => oversize(&o).await,
            "connect-burst" => connect_burst(&o).await,
            "burst" => burst(&o).await,
            "all" => {
                slowloris(&o).await;
                stall_body(&o).await;
                oversize(&o).await;
                connect_burst(&o).await;
                burst(&o).await;
            }
            "" => eprintln!("usage: abuse slowloris|stall-body|oversize|connect-burst|burst|all [--bin PATH] [--n N] [--secs S] [--nofile N] [--relay-arg ARG]"),
            s => panic!("unknown scenario {s}"),
        }
    });
}
