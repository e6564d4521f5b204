//! Relay mode: forward one API request to the configured upstream and
//! stream the reply back as it arrives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::TryStreamExt;
use http_body_util::BodyExt;
use serde_json::Value;
use visual_reasoning::models::{self, Thinking};
use visual_reasoning::protocol::Protocol;

use crate::body::{self, BodyError, BodyState};
use crate::budget::{self, Reservation};
use crate::log::Outcome;
use crate::meter::{Meter, Metered};
use crate::{errors, token, AppState, Mode, DASHSCOPE_PATH, OPENAI_PATH};

/// Request headers that go upstream; everything else (cookies, the
/// client's Authorization, Origin, tracing and client-hint headers) stays.
fn forwardable(name: &str) -> bool {
    name == "content-type" || name == "accept" || name.starts_with("x-dashscope-")
}

/// Response headers that come back.
const RESPONSE_HEADERS: [&str; 4] = [
    "content-type",
    "x-request-id",
    "x-dashscope-request-id",
    "retry-after",
];

pub async fn forward(
    state: &AppState,
    protocol: Protocol,
    req: Request,
    rid: &str,
    scopes: Vec<budget::Scope>,
) -> Response {
    let cfg = &state.config;
    let p = Some(protocol);
    let Mode::Relay { upstream, api_key } = &cfg.mode else {
        return errors::response(
            p,
            StatusCode::INTERNAL_SERVER_ERROR,
            errors::INTERNAL,
            "not in relay mode",
            rid,
        );
    };
    let path = match protocol {
        Protocol::OpenAi => OPENAI_PATH,
        Protocol::DashScope => DASHSCOPE_PATH,
    };
    let url = format!("{upstream}{path}");

    let (parts, body) = req.into_parts();
    let body_state = parts.extensions.get::<Arc<BodyState>>().cloned();
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if forwardable(name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    let Ok(mut auth) = HeaderValue::from_str(&format!("Bearer {api_key}")) else {
        return errors::response(
            p,
            StatusCode::INTERNAL_SERVER_ERROR,
            errors::INTERNAL,
            "The relay's API key is not a valid header value.",
            rid,
        );
    };
    auth.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, auth);

    let too_large = Arc::new(AtomicBool::new(false));
    // A budget needs the request's max_tokens (its estimate) and, from an
    // OpenAI caller, usage in the stream.
    let rewrite = !cfg.allow_models.is_empty() || cfg.max_tokens.is_some() || !scopes.is_empty();
    let mut reservation: Option<Reservation> = None;
    let upstream_body = if rewrite {
        // Checking the model and capping tokens needs the whole JSON; the
        // body is bounded by the size cap, so buffering it is safe.
        let read = body::read_all(
            body,
            body_state.as_deref(),
            cfg.max_body_bytes,
            cfg.conn.body_timeout,
        )
        .await;
        let bytes = match read {
            Ok(b) => b,
            Err(e) => return body::error_response(p, e, rid),
        };
        let mut v: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => {
                return errors::refusal(
                    p,
                    StatusCode::BAD_REQUEST,
                    errors::INVALID_PARAMETER,
                    "The request body is not valid JSON.",
                    rid,
                )
            }
        };
        let model = v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if !cfg.allow_models.is_empty() && !cfg.allow_models.contains(&model) {
            let message = format!(
                "Model `{model}` is not served by this relay; allowed: {}.",
                cfg.allow_models.join(", ")
            );
            return errors::refusal(
                p,
                StatusCode::FORBIDDEN,
                errors::MODEL_ACCESS_DENIED,
                &message,
                rid,
            );
        }
        if let Some(cap) = cfg.max_tokens {
            cap_tokens(&mut v, protocol, &model, cap);
        }
        if !scopes.is_empty() {
            budget::ask_for_usage(&mut v, protocol);
            let now = token::unix_now();
            let estimate = budget::estimate(&v, cfg.max_tokens);
            let store = &state.store;
            match budget::admit(store, scopes, estimate, now, cfg.budget.window_secs).await {
                Ok(r) => reservation = Some(r),
                Err(budget::Refusal::Exhausted {
                    kind,
                    limit,
                    reset_at,
                    retry_after,
                }) => {
                    cfg.metrics.refused(kind == budget::Kind::Relay);
                    let code = budget::Refusal::code(kind);
                    let res = errors::refusal(
                        p,
                        StatusCode::TOO_MANY_REQUESTS,
                        errors::Kind {
                            dashscope: code,
                            openai: code,
                            openai_type: "insufficient_quota",
                        },
                        &budget::Refusal::message(kind, limit, reset_at),
                        rid,
                    );
                    return errors::with_retry_after(res, retry_after);
                }
                Err(budget::Refusal::Store(e)) => {
                    if !state.store_failed(&e) {
                        return crate::store_down(p, rid);
                    }
                }
            }
        }
        headers.remove(header::CONTENT_LENGTH);
        reqwest::Body::from(v.to_string())
    } else {
        if let Some(len) = parts.headers.get(header::CONTENT_LENGTH) {
            // Same bytes, so the same length: spares the upstream a chunked body.
            headers.insert(header::CONTENT_LENGTH, len.clone());
        }
        let flag = Arc::clone(&too_large);
        let limited = http_body_util::Limited::new(body, cfg.max_body_bytes);
        reqwest::Body::wrap_stream(limited.into_data_stream().map_err(move |e| {
            if e.is::<http_body_util::LengthLimitError>() {
                flag.store(true, Ordering::Relaxed);
            }
            e
        }))
    };

    let send = state
        .client
        .post(&url)
        .headers(headers)
        .body(upstream_body)
        .send();
    let sent_at = std::time::Instant::now();
    let upstream_res = match upstream_wait(send, cfg.upstream_timeout, body_state.as_deref()).await
    {
        Ok(Ok(r)) => {
            cfg.metrics.ttfb(sent_at.elapsed());
            r
        }
        Ok(Err(e)) => {
            // The body this request streamed may be what failed: the
            // client's, not the upstream's.
            if too_large.load(Ordering::Relaxed) {
                return body::error_response(p, BodyError::TooLarge, rid);
            }
            if let Some(why) = body_state.as_deref().and_then(BodyState::failure) {
                return body::error_response(p, why, rid);
            }
            let what = if e.is_connect() {
                "connect"
            } else if e.is_timeout() {
                "timeout"
            } else {
                "request"
            };
            // reqwest errors name the upstream URL at most, never the key.
            let detail = crate::log::error_chain(&e);
            let mut res = errors::response(
                p,
                StatusCode::BAD_GATEWAY,
                errors::BAD_GATEWAY,
                "The relay could not reach the upstream service.",
                rid,
            );
            res.extensions_mut()
                .insert(Outcome::UpstreamError(format!("{what}: {detail}")));
            return res;
        }
        Err(_) => {
            if let Some(why) = body_state.as_deref().and_then(BodyState::failure) {
                return body::error_response(p, why, rid);
            }
            let mut res = errors::response(
                p,
                StatusCode::GATEWAY_TIMEOUT,
                errors::GATEWAY_TIMEOUT,
                "The upstream service did not answer in time.",
                rid,
            );
            res.extensions_mut().insert(Outcome::TimeoutUpstream);
            return res;
        }
    };

    let mut res = Response::builder().status(upstream_res.status());
    if let Some(h) = res.headers_mut() {
        for name in RESPONSE_HEADERS {
            for v in upstream_res.headers().get_all(name) {
                h.append(name, v.clone());
            }
        }
        // Tell intermediaries (nginx, CDNs) not to hold events back.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    // Each chunk is passed on as it arrives; dropping this body (the client
    // went away) drops the upstream response, which closes that connection.
    let ok = upstream_res.status() == reqwest::StatusCode::OK;
    let count = ok && (reservation.is_some() || cfg.count_all_tokens);
    let meter = count.then(|| {
        let ct = upstream_res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        Meter::new(protocol, ct)
    });
    let metrics = std::sync::Arc::clone(&cfg.metrics);
    metrics.stream_started();
    let done = Box::new(move |c: crate::meter::Counted| {
        metrics.stream_ended();
        if let Some(u) = &c.usage {
            metrics.tokens(
                u.input_tokens,
                u.output_tokens,
                u.reasoning_tokens.unwrap_or(0),
            );
        } else if count {
            metrics.estimated(budget::charge(None, c.text_bytes));
        }
        // Not a 200: nothing was generated, the reservation is taken back.
        if let (Some(r), true) = (reservation, ok) {
            r.settle(budget::charge(c.total(), c.text_bytes));
        }
    });
    let body = Body::from_stream(Metered::new(upstream_res.bytes_stream(), meter, done));
    res.body(body).unwrap_or_else(|_| {
        errors::response(
            p,
            StatusCode::BAD_GATEWAY,
            errors::BAD_GATEWAY,
            "Bad upstream response.",
            rid,
        )
    })
}

/// Waits for the upstream's response headers for at most `timeout`, not
/// counting the time the client is still sending a streamed body: the
/// upstream cannot answer before it has the body, and a stalled body is the
/// client's fault, which `--body-timeout` answers with 408, not a 504.
async fn upstream_wait<F: std::future::Future>(
    send: F,
    timeout: std::time::Duration,
    body: Option<&BodyState>,
) -> Result<F::Output, ()> {
    let mut send = std::pin::pin!(send);
    loop {
        match tokio::time::timeout(timeout, &mut send).await {
            Ok(r) => return Ok(r),
            Err(_) if body.is_some_and(BodyState::is_reading) => continue,
            Err(_) => return Err(()),
        }
    }
}

/// Caps `max_tokens` and `thinking_budget` at `cap` wherever either
/// protocol puts them (top level for openai, `parameters` for dashscope),
/// and adds them where missing, since the service's defaults are far higher.
/// `thinking_budget` is only added for a model that accepts it and thinks
/// in this request: QVQ rejects the parameter outright.
pub fn cap_tokens(v: &mut Value, protocol: Protocol, model: &str, cap: u64) {
    let mut seen_max = false;
    let mut seen_budget = false;
    let mut thinking_on = false;
    for in_parameters in [false, true] {
        let obj = if in_parameters {
            v.get_mut("parameters").and_then(Value::as_object_mut)
        } else {
            v.as_object_mut()
        };
        let Some(obj) = obj else { continue };
        for key in ["max_tokens", "max_completion_tokens", "thinking_budget"] {
            if let Some(n) = obj.get_mut(key) {
                if key == "thinking_budget" {
                    seen_budget = true;
                } else {
                    seen_max = true;
                }
                if n.is_number() && n.as_u64().map_or(true, |x| x > cap) {
                    *n = cap.into();
                }
            }
        }
        thinking_on |= obj.get("enable_thinking") == Some(&Value::Bool(true));
    }
    let rules = models::rules(model);
    thinking_on |= rules.is_some_and(|r| r.thinking == Thinking::Always);
    let wants_budget = !seen_budget
        && thinking_on
        && rules.is_some_and(|r| r.thinking_budget && cap < u64::from(r.max_thinking));
    let target = match protocol {
        Protocol::OpenAi => v.as_object_mut(),
        Protocol::DashScope => {
            if let Some(obj) = v.as_object_mut() {
                obj.entry("parameters")
                    .or_insert_with(|| Value::Object(Default::default()));
            }
            v.get_mut("parameters").and_then(Value::as_object_mut)
        }
    };
    if let Some(t) = target {
        if !seen_max {
            t.insert("max_tokens".into(), cap.into());
        }
        if wants_budget {
            t.insert("thinking_budget".into(), cap.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn caps_openai_top_level() {
        let mut v = json!({"model": "qwen3-vl-plus", "enable_thinking": true, "max_tokens": 9000, "thinking_budget": 50});
        cap_tokens(&mut v, Protocol::OpenAi, "qwen3-vl-plus", 1000);
        assert_eq!(v["max_tokens"], 1000);
        assert_eq!(v["thinking_budget"], 50);
    }

    #[test]
    fn adds_missing_caps_in_dashscope_parameters() {
        let mut v = json!({"model": "qwen3-vl-8b-thinking", "input": {}});
        cap_tokens(&mut v, Protocol::DashScope, "qwen3-vl-8b-thinking", 1000);
        assert_eq!(v["parameters"]["max_tokens"], 1000);
        assert_eq!(v["parameters"]["thinking_budget"], 1000);
    }

    #[test]
    fn never_adds_a_budget_for_qvq_or_non_thinking() {
        let mut v = json!({"model": "qvq-max", "parameters": {}});
        cap_tokens(&mut v, Protocol::DashScope, "qvq-max", 1000);
        assert_eq!(v["parameters"].get("thinking_budget"), None);
        let mut v = json!({"model": "qwen3-vl-plus"});
        cap_tokens(&mut v, Protocol::OpenAi, "qwen3-vl-plus", 1000);
        assert_eq!(v.get("thinking_budget"), None);
        assert_eq!(v["max_tokens"], 1000);
    }
}
