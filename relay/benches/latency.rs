//! Added latency per event through the relay, over loopback (README
//! "Latency"). A measurement, not a test:
//!   cargo bench --manifest-path relay/Cargo.toml --bench latency

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use common::*;
use futures_util::StreamExt;

const EVENTS: usize = 400;
const GAP: Duration = Duration::from_millis(3);

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

/// An upstream whose events carry the instant they were handed to hyper.
async fn timestamping_upstream() -> String {
    let handler = || async {
        let stream = futures_util::stream::unfold(0usize, |i| async move {
            if i == EVENTS {
                return None;
            }
            tokio::time::sleep(GAP).await;
            let sent = epoch().elapsed().as_nanos();
            let ev = format!(
                "data: {{\"sent\":{sent},\"pad\":\"{}\"}}\n\n",
                "x".repeat(200)
            );
            Some((Ok::<_, std::io::Error>(bytes::Bytes::from(ev)), i + 1))
        });
        (
            [("content-type", "text/event-stream")],
            Body::from_stream(stream),
        )
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

/// Per-event delay (arrival - sent), in microseconds, sorted.
async fn delays(url: &str) -> Vec<f64> {
    let res = client()
        .post(format!("{url}{OPENAI}"))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let now = epoch().elapsed().as_nanos();
        buf.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let ev: String = buf.drain(..end + 2).collect();
            let v: serde_json::Value =
                serde_json::from_str(ev.trim().strip_prefix("data: ").unwrap()).unwrap();
            let sent = v["sent"].as_u64().unwrap() as u128;
            out.push((now - sent) as f64 / 1000.0);
        }
    }
    assert_eq!(out.len(), EVENTS);
    out.sort_by(f64::total_cmp);
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    epoch();
    let upstream = timestamping_upstream().await;
    let relay = start(relay_config(&upstream)).await;
    // Warm up both paths (connection pools, lazy statics).
    delays(&upstream).await;
    delays(&relay.url).await;
    let (mut direct, mut relayed) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        direct.extend(delays(&upstream).await);
        relayed.extend(delays(&relay.url).await);
    }
    direct.sort_by(f64::total_cmp);
    relayed.sort_by(f64::total_cmp);
    let (d50, r50) = (pct(&direct, 0.5), pct(&relayed, 0.5));
    println!(
        "per-event delay over loopback, {} events each: direct median {d50:.0} µs (p90 {:.0}), through the relay median {r50:.0} µs (p90 {:.0}); added median {:.0} µs",
        direct.len(),
        pct(&direct, 0.9),
        pct(&relayed, 0.9),
        r50 - d50
    );
    assert!(
        r50 - d50 < 5_000.0,
        "the relay adds {:.0} µs per event",
        r50 - d50
    );
}
