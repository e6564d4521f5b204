//! Mock mode: the relay answers both API paths itself, as the upstream
//! would (PROTOCOL.md), with per-request fault injection and a log of the
//! requests it saw (`/__mock/requests`) for tests.
//!
//! A request goes `handle` (here: the log, the faults) -> `request` (read
//! it as the upstream would) -> `plan` (a fault's reply, a refusal, or the
//! model's reply) -> `drive` (send the events, with the stream faults);
//! `reply` renders events and bodies, `text` the words, `image` the sizes.

mod drive;
pub mod faults;
pub mod image;
mod plan;
pub mod reply;
mod request;
pub mod text;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use visual_reasoning::models::{self, Family};
use visual_reasoning::protocol::Protocol;
use visual_reasoning::vision::image_tokens;

use crate::errors;
use faults::Faults;
use reply::{InputUsage, Reply};

/// How many requests `/__mock/requests` remembers (oldest dropped first).
const LOG_CAPACITY: usize = 500;

#[derive(Debug)]
struct Logged {
    id: u64,
    method: String,
    path: String,
    headers: Map<String, Value>,
    body: Value,
    mock_id: Option<String>,
    outcome: &'static str,
    events: u64,
}

type Entry = Arc<Mutex<Logged>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
pub struct MockState {
    log: Mutex<VecDeque<Entry>>,
    next_id: AtomicU64,
    failed_once: Mutex<HashSet<String>>,
    tokens_per_second: f64,
}

impl MockState {
    pub fn new(tokens_per_second: f64) -> Self {
        MockState {
            log: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            failed_once: Mutex::new(HashSet::new()),
            tokens_per_second,
        }
    }

    fn record(&self, parts: &Parts, body: &[u8]) -> Entry {
        let mut headers = Map::new();
        for (name, value) in &parts.headers {
            let v = if name == header::AUTHORIZATION {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            match headers.get_mut(name.as_str()) {
                Some(Value::String(prev)) => {
                    prev.push_str(", ");
                    prev.push_str(&v);
                }
                _ => {
                    headers.insert(name.as_str().to_owned(), v.into());
                }
            }
        }
        let body = serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
        let mock_id = parts
            .headers
            .get("x-mock-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let entry = Arc::new(Mutex::new(Logged {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            headers,
            body,
            mock_id,
            outcome: "pending",
            events: 0,
        }));
        let mut log = lock(&self.log);
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(Arc::clone(&entry));
        entry
    }

    /// `GET /__mock/requests`: oldest first.
    pub fn requests_json(&self) -> Value {
        let log = lock(&self.log);
        Value::Array(
            log.iter()
                .map(|e| {
                    let e = lock(e);
                    json!({
                        "id": e.id,
                        "method": e.method,
                        "path": e.path,
                        "headers": e.headers,
                        "body": e.body,
                        "mockId": e.mock_id,
                        "outcome": e.outcome,
                        "events": e.events,
                    })
                })
                .collect(),
        )
    }

    pub fn clear(&self) {
        lock(&self.log).clear();
    }
}

fn set_outcome(entry: &Entry, outcome: &'static str) {
    lock(entry).outcome = outcome;
}

/// Marks a request "disconnected" if its handler is dropped while the
/// outcome is still pending: hyper drops the handler future when the client
/// closes the connection before the response headers (a `stall-headers`
/// fault), and tests must see that the library closed it.
struct PendingGuard(Option<Entry>);

impl PendingGuard {
    /// Hands the outcome over to whoever drives the body.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if let Some(entry) = &self.0 {
            let mut e = lock(entry);
            if e.outcome == "pending" {
                e.outcome = "disconnected";
            }
        }
    }
}

fn with_request_id(mut res: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Mock mode's answer to an API request (body already read and capped).
pub async fn handle(
    mock: Arc<MockState>,
    protocol: Protocol,
    parts: Parts,
    body: Bytes,
) -> Response {
    let entry = mock.record(&parts, &body);
    let guard = PendingGuard(Some(entry.clone()));
    let request_id = errors::new_request_id();
    let faults = match parts.headers.get("x-mock-fault").map(|h| h.to_str()) {
        None => Faults::default(),
        Some(Ok(h)) => match faults::parse(h) {
            Ok(f) => f,
            Err(msg) => {
                set_outcome(&entry, "error");
                return errors::response(
                    Some(protocol),
                    StatusCode::BAD_REQUEST,
                    errors::INVALID_PARAMETER,
                    &msg,
                    &request_id,
                );
            }
        },
        Some(Err(_)) => {
            set_outcome(&entry, "error");
            return errors::response(
                Some(protocol),
                StatusCode::BAD_REQUEST,
                errors::INVALID_PARAMETER,
                "X-Mock-Fault is not ASCII",
                &request_id,
            );
        }
    };
    if faults.stall_headers_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.stall_headers_ms)).await;
    }
    let first_time = |id: &str| lock(&mock.failed_once).insert(id.to_owned());
    if let Some(res) = plan::instead(protocol, &faults, &request_id, first_time) {
        // An html page is a "successful" exchange for the mock, but not a reply.
        set_outcome(&entry, "error");
        return with_request_id(res, &request_id);
    }

    let reply = match request::parse(protocol, &parts.headers, &body).and_then(|req| {
        plan::plan(protocol, &req, &parts.headers, &request_id).map(|r| (req.stream, r))
    }) {
        Ok(r) => r,
        Err((status, kind, message)) => {
            set_outcome(&entry, "error");
            return errors::response(Some(protocol), status, kind, &message, &request_id);
        }
    };
    let (stream, reply) = reply;
    if !stream {
        set_outcome(&entry, "completed");
        let res = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            reply.json_body(),
        )
            .into_response();
        return with_request_id(res, &request_id);
    }

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let tps = mock.tokens_per_second;
    // From here on `drive` owns the outcome.
    guard.disarm();
    tokio::spawn(async move {
        let outcome = drive::drive(&tx, &reply, &faults, tps, &entry).await;
        set_outcome(&entry, outcome);
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let content_type = match protocol {
        Protocol::OpenAi => "text/event-stream",
        Protocol::DashScope => "text/event-stream;charset=UTF-8",
    };
    let res = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    with_request_id(res, &request_id)
}

/// A reply of exactly `reasoning_tokens` + `answer_tokens` for the
/// `transcript` command: fixed id and time, so the bytes are reproducible.
/// The input counts the question plus one image of [`image::FALLBACK`] size.
pub fn transcript_reply(
    protocol: Protocol,
    model: &str,
    question: &str,
    reasoning_tokens: usize,
    answer_tokens: usize,
) -> Reply {
    let rules = models::rules(model);
    let family = rules.map_or(Family::Qwen3Vl, |r| r.family);
    let (reasoning, answer) =
        text::compose(question, false, Some(reasoning_tokens), Some(answer_tokens));
    let (w, h) = image::FALLBACK;
    Reply {
        protocol,
        model: model.to_owned(),
        request_id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
        created: 1_764_300_000,
        thinking: reasoning_tokens > 0,
        reasoning,
        answer,
        finish_reason: "stop",
        input: InputUsage {
            text: 6 + 3 + text::count_tokens(question) as u64,
            image: u64::from(image_tokens(
                f64::from(w),
                f64::from(h),
                family,
                None,
                false,
            )),
            video: 0,
        },
        qvq: family == Family::Qvq,
        include_usage: true,
        incremental: true,
    }
}
