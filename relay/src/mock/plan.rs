//! What to answer: a reply a fault asks for instead of the model's, or the
//! model's behaviour (PROTOCOL.md §6) — its refusals, else the reply.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use visual_reasoning::models::{self, Family, Thinking};
use visual_reasoning::protocol::Protocol;

use super::faults::{Faults, Instead};
use super::reply::Reply;
use super::request::{header_number, invalid, Refusal, Request};
use super::text;
use crate::errors;

/// The reply the first applicable fault of `faults.instead` asks for, if
/// any. `seen` records `503-once` ids: true the first time one is seen.
pub(super) fn instead(
    protocol: Protocol,
    faults: &Faults,
    request_id: &str,
    mut seen: impl FnMut(&str) -> bool,
) -> Option<Response> {
    for f in &faults.instead {
        return Some(match f {
            Instead::Status(code) => fault_status(protocol, *code, faults.retry_after, request_id),
            Instead::Quota => errors::response(
                Some(protocol),
                StatusCode::TOO_MANY_REQUESTS,
                errors::FREE_QUOTA,
                "Free allocated quota exceeded.",
                request_id,
            ),
            Instead::Once503(id) => {
                if !seen(id) {
                    continue;
                }
                fault_status(protocol, 503, faults.retry_after, request_id)
            }
            Instead::Html => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html>\n<html><head><title>Sign in</title></head><body><h1>Network login required</h1><p>Please sign in to continue.</p></body></html>\n",
            )
                .into_response(),
            Instead::SseError400 => (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/event-stream")],
                format!(
                    "data: {}\n\n",
                    errors::body(
                        Some(Protocol::OpenAi),
                        errors::DATA_INSPECTION,
                        "Input data may contain inappropriate content.",
                        request_id
                    )
                ),
            )
                .into_response(),
        });
    }
    None
}

/// The response a `status:<code>` fault (or a 503 of `503-once`) asks for.
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

/// The model's behaviour (PROTOCOL.md §6): errors where the service
/// refuses, else the reply to send.
pub(super) fn plan(
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
    if let Some(text) = headers.get("x-mock-answer").and_then(|v| v.to_str().ok()) {
        let text = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        answer = text::answer_from(&text, header_number(headers, "x-mock-answer-tokens"));
    }
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
