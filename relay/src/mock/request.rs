//! Reading a request as the upstream would: the options in each protocol's
//! own positions, the question, and the input tokens it costs.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use visual_reasoning::models::{self, Family};
use visual_reasoning::protocol::Protocol;
use visual_reasoning::vision::image_tokens;

use super::reply::InputUsage;
use super::{image, text};
use crate::errors::{self, Kind};

/// A video URL cannot be read offline: it counts as this many frames of
/// [`image::FALLBACK`] size (10 s at 2 fps).
const VIDEO_URL_FRAMES: u64 = 20;

/// Options read from a request, in the protocol's own positions.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) model: String,
    pub(super) stream: bool,
    pub(super) enable_thinking: Option<bool>,
    pub(super) thinking_budget: Option<Value>,
    pub(super) max_tokens: Option<Value>,
    pub(super) include_usage: bool,
    pub(super) incremental: bool,
    pub(super) question: String,
    pub(super) follow_up: bool,
    pub(super) input: InputUsage,
}

/// A refusal: status, provider error and message.
pub(super) type Refusal = (StatusCode, Kind, String);

pub(super) fn invalid(message: impl Into<String>) -> Refusal {
    (
        StatusCode::BAD_REQUEST,
        errors::INVALID_PARAMETER,
        message.into(),
    )
}

pub(super) fn parse(
    protocol: Protocol,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Request, Refusal> {
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

pub(super) fn header_number(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}
