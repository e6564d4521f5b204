//! Mock mode: the relay answers both API paths itself, as the upstream
//! would (PROTOCOL.md), with per-request fault injection and a log of the
//! requests it saw (`/__mock/requests`) for tests.

pub mod faults;
pub mod image;
pub mod reply;
pub mod text;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;
use visual_reasoning::models::{self, Family, Thinking};
use visual_reasoning::protocol::Protocol;
use visual_reasoning::vision::image_tokens;

use crate::errors::{self, Kind};
use faults::Fault;
use reply::{InputUsage, Reply};

/// How many requests `/__mock/requests` remembers (oldest dropped first).
const LOG_CAPACITY: usize = 500;

/// A video URL cannot be read offline: it counts as this many frames of
/// [`image::FALLBACK`] size (10 s at 2 fps).
const VIDEO_URL_FRAMES: u64 = 20;

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

/// Options read from a request, in the protocol's own positions.
#[derive(Debug)]
struct Request {
    model: String,
    stream: bool,
    enable_thinking: Option<bool>,
    thinking_budget: Option<Value>,
    max_tokens: Option<Value>,
    include_usage: bool,
    incremental: bool,
    question: String,
    follow_up: bool,
    input: InputUsage,
}

/// A refusal: status, provider error and message.
type Refusal = (StatusCode, Kind, String);

fn invalid(message: impl Into<String>) -> Refusal {
    (
        StatusCode::BAD_REQUEST,
        errors::INVALID_PARAMETER,
        message.into(),
    )
}

fn parse_request(protocol: Protocol, headers: &HeaderMap, body: &[u8]) -> Result<Request, Refusal> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("The request body is not valid JSON: {e}.")))?;
    let model = match v.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => return Err(invalid("Model not specified.")),
    };
    let empty = Map::new();
    let (opts, messages, stream) = match protocol {
        Protocol::OpenAi => (
            v.as_object().unwrap_or(&empty),
            v.get("messages"),
            v.get("stream") == Some(&Value::Bool(true)),
        ),
        Protocol::DashScope => (
            v.get("parameters")
                .and_then(Value::as_object)
                .unwrap_or(&empty),
            v.pointer("/input/messages"),
            headers
                .get("x-dashscope-sse")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| h.eq_ignore_ascii_case("enable")),
        ),
    };
    let messages = match messages.and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m,
        _ => {
            return Err(invalid(
                "The messages field is required and must be a non-empty list.",
            ))
        }
    };
    let family = models::rules(&model).map_or(Family::Qwen3Vl, |r| r.family);
    let high_resolution = opts.get("vl_high_resolution_images") == Some(&Value::Bool(true));
    let mut input = InputUsage {
        text: 3,
        ..Default::default()
    };
    let mut question = String::new();
    // An assistant turn before the last question makes it a follow-up.
    let mut answered = false;
    let mut follow_up = false;
    for m in messages {
        input.text += 3;
        let mut text = String::new();
        match m.get("content") {
            Some(Value::String(s)) => text.push_str(s),
            Some(Value::Array(items)) => {
                for item in items {
                    if let Some(t) = item.get("text").and_then(Value::as_str) {
                        text.push_str(t);
                    }
                    let max_pixels = item.get("max_pixels").and_then(Value::as_f64);
                    let image_cost = |url: &str| {
                        let (w, h) = image::size_of_url(url);
                        u64::from(image_tokens(
                            f64::from(w),
                            f64::from(h),
                            family,
                            max_pixels,
                            high_resolution,
                        ))
                    };
                    let image_url = item
                        .get("image")
                        .and_then(Value::as_str)
                        .or_else(|| item.pointer("/image_url/url").and_then(Value::as_str))
                        .or_else(|| item.get("image_url").and_then(Value::as_str));
                    if let Some(url) = image_url {
                        input.image += image_cost(url);
                    }
                    let video = item
                        .get("video")
                        .or_else(|| item.pointer("/video_url/url"))
                        .or_else(|| item.get("video_url").filter(|v| v.is_string()));
                    match video {
                        // Two frames merge into one temporal patch.
                        Some(Value::Array(frames)) => {
                            let sum: u64 = frames
                                .iter()
                                .filter_map(Value::as_str)
                                .map(image_cost)
                                .sum();
                            input.video += sum.div_ceil(2);
                        }
                        Some(Value::String(_)) => {
                            input.video += VIDEO_URL_FRAMES / 2 * image_cost("");
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        input.text += text::count_tokens(&text) as u64;
        match m.get("role").and_then(Value::as_str) {
            Some("user") => {
                question = text;
                follow_up = answered;
            }
            Some("assistant") => answered = true,
            _ => {}
        }
    }
    Ok(Request {
        model,
        stream,
        enable_thinking: opts.get("enable_thinking").and_then(Value::as_bool),
        thinking_budget: opts.get("thinking_budget").cloned(),
        max_tokens: opts.get("max_tokens").cloned(),
        include_usage: opts
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            == Some(&Value::Bool(true)),
        incremental: opts.get("incremental_output") == Some(&Value::Bool(true)),
        question,
        follow_up,
        input,
    })
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The model's behaviour (PROTOCOL.md §6): errors where the service
/// refuses, else the reply to send.
fn plan(
    protocol: Protocol,
    req: &Request,
    headers: &HeaderMap,
    request_id: &str,
) -> Result<Reply, Refusal> {
    let Some(info) = models::lookup(&req.model) else {
        // The two protocols disagree on unknown models (README).
        return Err(match protocol {
            Protocol::OpenAi => (
                StatusCode::NOT_FOUND,
                errors::MODEL_NOT_FOUND,
                format!(
                    "The model `{}` does not exist or you do not have access to it.",
                    req.model
                ),
            ),
            Protocol::DashScope => invalid("Model not exist."),
        });
    };
    let rules = info.rules;
    if rules.thinking == Thinking::Always && req.enable_thinking == Some(false) {
        return Err(invalid(
            "The value of the enable_thinking parameter is restricted to True.",
        ));
    }
    if rules.streaming_only && !req.stream {
        return Err(invalid("current user api does not support http call."));
    }
    if rules.family == Family::Qvq && protocol == Protocol::DashScope && !req.incremental {
        return Err(invalid(
            "The incremental_output parameter of this model only supports true.",
        ));
    }
    let thinking = match rules.thinking {
        Thinking::Always => true,
        Thinking::Hybrid => req.enable_thinking == Some(true),
    };
    let budget = match &req.thinking_budget {
        None => rules.max_thinking as usize,
        Some(_) if !rules.thinking_budget => {
            return Err(invalid(format!(
                "The thinking_budget parameter is not supported by model {}.",
                req.model
            )))
        }
        Some(b) => match b.as_u64() {
            Some(n) if n >= 1 && n <= u64::from(rules.max_thinking) => n as usize,
            _ => {
                return Err(invalid(format!(
                "The thinking_budget parameter must be a positive integer and not greater than {}",
                rules.max_thinking
            )))
            }
        },
    };
    let max_answer = match &req.max_tokens {
        None => rules.max_answer as usize,
        Some(b) => match b.as_u64() {
            Some(n) if n >= 1 => n as usize,
            _ => {
                return Err(invalid(
                    "The max_tokens parameter must be a positive integer.",
                ))
            }
        },
    };
    let (mut reasoning, mut answer) = text::compose(
        &req.question,
        req.follow_up,
        header_number(headers, "x-mock-reasoning-tokens"),
        header_number(headers, "x-mock-answer-tokens"),
    );
    if !thinking {
        reasoning.clear();
    }
    reasoning.truncate(budget);
    let finish_reason = if answer.len() > max_answer {
        answer.truncate(max_answer);
        "length"
    } else {
        "stop"
    };
    Ok(Reply {
        protocol,
        model: req.model.clone(),
        request_id: request_id.to_owned(),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        thinking,
        reasoning,
        answer,
        finish_reason,
        input: req.input,
        qvq: rules.family == Family::Qvq,
        include_usage: req.include_usage,
        incremental: req.incremental,
    })
}

fn with_request_id(mut res: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The response a `status:<code>` / `quota` fault asks for.
fn fault_status(
    protocol: Protocol,
    code: u16,
    retry_after: Option<u64>,
    request_id: &str,
) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == 502 || code == 504 {
        let text = if code == 502 {
            "502 Bad Gateway"
        } else {
            "504 Gateway Time-out"
        };
        let res = (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response();
        return match retry_after {
            Some(s) => errors::with_retry_after(res, s),
            None => res,
        };
    }
    let (kind, message) = match code {
        400 => (
            errors::INVALID_PARAMETER,
            "<400> InternalError.Algo.InvalidParameter: The request is invalid.",
        ),
        401 => (errors::INVALID_API_KEY, "Invalid API-key provided."),
        403 => (errors::ACCESS_DENIED, "Access denied."),
        404 => (
            errors::MODEL_NOT_FOUND,
            "The model does not exist or you do not have access to it.",
        ),
        429 => (
            errors::THROTTLING,
            "Requests rate limit exceeded, please try again later.",
        ),
        500 => (
            errors::INTERNAL,
            "An internal error has occurred, please try again later or contact service support.",
        ),
        503 => (
            errors::UNAVAILABLE,
            "Model is unavailable, please try again later.",
        ),
        c if c < 500 => (errors::INVALID_PARAMETER, "The request was refused."),
        _ => (errors::INTERNAL, "An internal error has occurred."),
    };
    let res = errors::response(Some(protocol), status, kind, message, request_id);
    match (code, retry_after) {
        (_, Some(s)) => errors::with_retry_after(res, s),
        (429, None) => errors::with_retry_after(res, 1),
        _ => res,
    }
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
        None => Vec::new(),
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
    let retry_after = faults.iter().find_map(|f| match f {
        Fault::RetryAfter(s) => Some(*s),
        _ => None,
    });
    for f in &faults {
        if let Fault::StallHeaders(ms) = f {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }
    for f in &faults {
        let res = match f {
            Fault::Status(code) => fault_status(protocol, *code, retry_after, &request_id),
            Fault::Quota => errors::response(
                Some(protocol),
                StatusCode::TOO_MANY_REQUESTS,
                errors::FREE_QUOTA,
                "Free allocated quota exceeded.",
                &request_id,
            ),
            Fault::Once503(id) => {
                if !lock(&mock.failed_once).insert(id.clone()) {
                    continue;
                }
                fault_status(protocol, 503, retry_after, &request_id)
            }
            Fault::Html => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html>\n<html><head><title>Sign in</title></head><body><h1>Network login required</h1><p>Please sign in to continue.</p></body></html>\n",
            )
                .into_response(),
            Fault::SseError400 => (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/event-stream")],
                format!(
                    "data: {}\n\n",
                    errors::body(
                        Some(Protocol::OpenAi),
                        errors::DATA_INSPECTION,
                        "Input data may contain inappropriate content.",
                        &request_id
                    )
                ),
            )
                .into_response(),
            _ => continue,
        };
        // An html page is a "successful" exchange for the mock, but not a reply.
        set_outcome(&entry, "error");
        return with_request_id(res, &request_id);
    }

    let reply = match parse_request(protocol, &parts.headers, &body)
        .and_then(|req| plan(protocol, &req, &parts.headers, &request_id).map(|r| (req.stream, r)))
    {
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
        let outcome = drive(&tx, &reply, &faults, tps, &entry).await;
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

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

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
async fn drive(tx: &Tx, reply: &Reply, faults: &[Fault], tps: f64, entry: &Entry) -> &'static str {
    let find = |pick: fn(&Fault) -> Option<u64>| faults.iter().find_map(pick);
    let error_event = find(|f| {
        if let Fault::ErrorEvent(n) = f {
            Some(*n)
        } else {
            None
        }
    });
    let drop_after = find(|f| {
        if let Fault::Drop(n) = f {
            Some(*n)
        } else {
            None
        }
    });
    let stall = find(|f| {
        if let Fault::Stall(n) = f {
            Some(*n)
        } else {
            None
        }
    });
    let keepalive = find(|f| {
        if let Fault::KeepAlive(n) = f {
            Some(*n)
        } else {
            None
        }
    });
    let bad_json = find(|f| {
        if let Fault::BadJson(n) = f {
            Some(*n)
        } else {
            None
        }
    });
    let bad_usage = faults.contains(&Fault::BadUsage);
    let long_line = find(|f| {
        if let Fault::LongLine(n) = f {
            Some(*n)
        } else {
            None
        }
    });

    let trickle = find(|f| {
        if let Fault::Trickle(n) = f {
            Some(*n)
        } else {
            None
        }
    });
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
    let linger = find(|f| {
        if let Fault::Linger(n) = f {
            Some(*n)
        } else {
            None
        }
    });
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
