//! The Rust relay's own parts of spending control (the HTTP behaviour both
//! relays share is in tests/relay/ at the repository root): the metrics
//! endpoint, the Redis client against a real redis-server (script reload,
//! reconnect, timeouts), and no panic on hostile tokens, streams or replies.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use visual_reasoning::protocol::Protocol;
use visual_reasoning_relay::budget::BudgetConfig;
use visual_reasoning_relay::meter::Meter;
use visual_reasoning_relay::redis::{self, Client, Target};
use visual_reasoning_relay::store::Store;
use visual_reasoning_relay::token::{self, Secrets};
use visual_reasoning_relay::{metrics_app, Config};

const SECRET: &str = "metrics-secret-0123456789";

async fn get_text(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_count_routes_tokens_refusals_streams_and_ttfb_and_hold_no_secret() {
    let mock = mock(0.0).await;
    let mut cfg: Config = relay_config(&mock.url);
    cfg.token_secrets = vec![SECRET.into()];
    cfg.budget = BudgetConfig {
        relay: Some(1),
        ..BudgetConfig::default()
    };
    cfg.count_all_tokens = true;
    let metrics = Arc::clone(&cfg.metrics);
    let relay = start(cfg).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let murl = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, metrics_app(metrics)).await });

    let tok = token::mint("student-secret-sub", token::unix_now(), 600, None, SECRET);
    let send = |body: serde_json::Value, path: &'static str, bearer: String| {
        let url = format!("{}{path}", relay.url);
        async move {
            let res = client()
                .post(url)
                .header("origin", ORIGIN)
                .header("authorization", format!("Bearer {bearer}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let body = openai_body(
        "qwen3-vl-plus",
        json!({"enable_thinking": true, "max_tokens": 300}),
    );
    let (status, text) = send(body.clone(), OPENAI, tok.clone()).await;
    assert_eq!(status, 200);
    let usage = openai_json(&text)
        .into_iter()
        .filter_map(|v| v.get("usage").filter(|u| u.is_object()).cloned())
        .next_back()
        .unwrap();
    // The budget (1 token) is now spent: a refusal.
    assert_eq!(send(body.clone(), OPENAI, tok.clone()).await.0, 429);
    assert_eq!(send(body, OPENAI, "v1.bad.token".into()).await.0, 401);

    let mut text = String::new();
    for _ in 0..100 {
        text = get_text(&murl).await;
        if text.contains("vr_relay_active_streams 0\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        line("vr_relay_requests_total{route=\"openai\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        line("vr_relay_requests_total{route=\"openai\",status=\"429\"}"),
        1.0
    );
    assert_eq!(
        line("vr_relay_requests_total{route=\"openai\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        line("vr_relay_tokens_total{kind=\"input\"}"),
        usage["prompt_tokens"].as_f64().unwrap()
    );
    assert_eq!(
        line("vr_relay_tokens_total{kind=\"output\"}"),
        usage["completion_tokens"].as_f64().unwrap()
    );
    assert_eq!(
        line("vr_relay_tokens_total{kind=\"reasoning\"}"),
        usage["completion_tokens_details"]["reasoning_tokens"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(line("vr_relay_budget_refusals_total{scope=\"relay\"}"), 1.0);
    assert_eq!(line("vr_relay_active_streams"), 0.0);
    assert_eq!(line("vr_relay_upstream_ttfb_seconds_count"), 1.0);
    assert_eq!(
        line("vr_relay_upstream_ttfb_seconds_bucket{le=\"+Inf\"}"),
        1.0
    );
    for secret in [KEY, SECRET, &tok, "student-secret-sub", "Find angle"] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
    // Only /metrics there.
    let other = client()
        .get(murl.replace("/metrics", "/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

/// A redis-server on a free loopback port, nothing persisted.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package; scripts/setup.sh installs it)");
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            port,
            child: Some(child),
        }
    }

    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn client(&self) -> Client {
        Client::new(
            Target::parse(&format!("redis://127.0.0.1:{}", self.port)).unwrap(),
            Duration::from_millis(1000),
        )
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn the_redis_store_adds_takes_reloads_its_script_and_reconnects() {
    let mut server = RedisServer::start();
    let client = Arc::new(server.client());
    let store = Store::Redis(Arc::clone(&client));
    assert_eq!(store.add("k", 5, 100).await.unwrap(), 5);
    assert_eq!(store.add("k", -2, 100).await.unwrap(), 3);
    // 2 a minute: two taken, the third waits 30 s.
    assert_eq!(store.take("b", 1, 2, 2).await.unwrap(), Duration::ZERO);
    assert_eq!(store.take("b", 1, 2, 2).await.unwrap(), Duration::ZERO);
    let wait = store.take("b", 1, 2, 2).await.unwrap();
    assert!(
        wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    // Redis forgot the script (a restart, SCRIPT FLUSH): loaded again.
    assert_eq!(
        client.call(&[b"SCRIPT", b"FLUSH"]).await.unwrap(),
        redis::Reply::Status("OK".into())
    );
    assert_eq!(store.add("k", 1, 100).await.unwrap(), 4);
    match client.call(&[b"TTL", b"k"]).await.unwrap() {
        redis::Reply::Int(n) => assert!((98..=100).contains(&n), "{n}"),
        other => panic!("{other:?}"),
    }
    // Down: a clear error, fast; back (empty, as after a crash): it reconnects.
    let port = server.port;
    server.stop();
    let t0 = Instant::now();
    let e = store.add("k", 1, 100).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(2), "{e:?}");
    let again = RedisServer::start_on(port);
    tokio::time::sleep(redis::RETRY_AFTER_FAILURE).await;
    assert_eq!(store.add("k", 1, 100).await.unwrap(), 1);
    drop(again);
}

#[tokio::test]
async fn a_redis_that_never_answers_fails_within_the_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let c = Client::new(
        Target::parse(&format!("redis://127.0.0.1:{port}")).unwrap(),
        Duration::from_millis(300),
    );
    let t0 = Instant::now();
    let e = c.script("k", &["add", "1", "10"]).await.unwrap_err();
    assert!(e.contains("no answer within 300 ms"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2));
}

/// xorshift64*: reproducible arbitrary bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let n = (self.next() % (max as u64 + 1)) as usize;
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn hostile_tokens_streams_and_replies_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let secrets = Secrets::new(&[SECRET]);
    let sse: &[u8] = b"data: {}[]\":,usage choices delta content reasoning_content total_tokens 0123456789\r\n\xff\xe2";
    let b64: &[u8] = b"v1.ABCxyz-_09=+/{}\"";
    let resp: &[u8] = b"+-:$*\r\n0123456789-abc";
    for _ in 0..20_000 {
        let t = rng.bytes(b64, 80);
        let _ = secrets.verify(&String::from_utf8_lossy(&t), 0);
        for p in [Protocol::OpenAi, Protocol::DashScope] {
            let mut m = Meter::new(p, Some("text/event-stream"));
            let bytes = rng.bytes(sse, 300);
            for piece in bytes.chunks(1 + (rng.next() % 40) as usize) {
                m.feed(piece);
            }
            let _ = m.finish(rng.next() % 2 == 0);
        }
        let _ = redis::parse(&rng.bytes(resp, 60));
    }
    // Signed garbage is refused by name, too.
    let signed = token::mint("a", 0, 10, None, SECRET);
    assert!(secrets.verify(&signed, 0).is_ok());
}
