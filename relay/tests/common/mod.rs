//! Test helpers: servers on 127.0.0.1:0 built from `app(config)`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use visual_reasoning_relay::{serve, Config, LogSink};

pub const OPENAI: &str = "/compatible-mode/v1/chat/completions";
pub const DASHSCOPE: &str = "/api/v1/services/aigc/multimodal-generation/generation";
pub const ORIGIN: &str = "http://page.example:8080";
pub const KEY: &str = "sk-relay-test-KEY-0123456789abcdef";

pub struct Server {
    pub url: String,
    pub log: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Starts a graceful shutdown; the task ends once streams finish.
    pub fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

pub async fn start(mut config: Config) -> Server {
    let log = Arc::new(Mutex::new(Vec::new()));
    config.log = LogSink::Memory(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, async {
        let _ = rx.await;
    }));
    Server {
        url,
        log,
        stop: Some(tx),
        task: Some(task),
    }
}

/// A mock upstream that any client may call (no Origin needed).
pub async fn mock(tokens_per_second: f64) -> Server {
    let mut c = Config::mock(tokens_per_second);
    c.allow_no_origin = true;
    c.allow_origins = vec![ORIGIN.into()];
    start(c).await
}

/// A relay in front of `upstream` with the test key.
pub fn relay_config(upstream: &str) -> Config {
    let mut c = Config::relay(upstream, KEY);
    c.allow_origins = vec![ORIGIN.into()];
    c.limits.requests_per_minute = 0;
    c.limits.max_streams_per_ip = 0;
    c
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub fn openai_body(model: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Find angle x in the triangle."}]}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    v
}

pub fn dashscope_body(model: &str, parameters: serde_json::Value) -> serde_json::Value {
    let mut p = serde_json::json!({"incremental_output": true, "result_format": "message"});
    if let (Some(o), Some(e)) = (p.as_object_mut(), parameters.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    serde_json::json!({
        "model": model,
        "input": {"messages": [{"role": "user", "content": [{"text": "Find angle x in the triangle."}]}]},
        "parameters": p,
    })
}

/// Splits an SSE body into events (blank-line separated, LF only: what
/// the mock sends).
pub fn events(body: &str) -> Vec<&str> {
    body.split("\n\n").filter(|e| !e.is_empty()).collect()
}

/// The JSON of each openai `data:` event, `[DONE]` excluded.
pub fn openai_json(body: &str) -> Vec<serde_json::Value> {
    events(body)
        .iter()
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// The JSON of each dashscope `data:` line.
pub fn dashscope_json(body: &str) -> Vec<serde_json::Value> {
    events(body)
        .iter()
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data:")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// Sends raw bytes, returns the raw response head+body (connection closed
/// by the request's `Connection: close`).
pub async fn raw(url: &str, request: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET url`, the body as JSON.
pub async fn get_json(url: &str) -> serde_json::Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn mock_requests(mock: &Server) -> Vec<serde_json::Value> {
    let v = get_json(&format!("{}/__mock/requests", mock.url)).await;
    v.as_array().unwrap().clone()
}
