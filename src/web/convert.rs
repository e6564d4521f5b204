//! JS <-> core conversions, all in one place: caller options into core
//! types, core results and errors into the plain JS objects of API.md.
//!
//! Messages are `&'static str` pieces joined with `+`: `core::fmt` would
//! cost kilobytes of wasm for nothing a user reads differently.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Blob};

use crate::error::Error;
use crate::json;
use crate::models::{ModelInfo, Region};
use crate::protocol::Protocol;
use crate::request::{Content, ContentItem, Message, Request, Role, Stop, Target, Video};
use crate::stream::{Completion, Usage};

/// `obj[key]`, or `undefined` when `obj` is not an object.
#[inline(never)]
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value` on an object this module made (cannot throw).
#[inline(never)]
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

#[inline(never)]
fn set_str(obj: &JsValue, key: &str, value: &str) {
    set(obj, key, &JsValue::from_str(value));
}

#[inline(never)]
fn set_num(obj: &JsValue, key: &str, value: f64) {
    set(obj, key, &JsValue::from_f64(value));
}

#[inline(never)]
fn invalid(message: &str) -> Error {
    Error::invalid_request(message)
}

fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

#[inline(never)]
fn opt_string(obj: &JsValue, key: &str, wrong: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| invalid(wrong))
}

#[inline(never)]
fn opt_f64(obj: &JsValue, key: &str, wrong: &str) -> Result<Option<f64>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_f64().map(Some).ok_or_else(|| invalid(wrong))
}

#[inline(never)]
fn opt_bool(obj: &JsValue, key: &str, wrong: &str) -> Result<Option<bool>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| invalid(wrong))
}

fn strings(v: &JsValue, wrong: &str) -> Result<Vec<String>, Error> {
    if !Array::is_array(v) {
        return Err(invalid(wrong));
    }
    let arr: &Array = v.unchecked_ref();
    let mut out = Vec::with_capacity(arr.length() as usize);
    for item in arr.iter() {
        out.push(item.as_string().ok_or_else(|| invalid(wrong))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------- options

/// ClientOptions, resolved.
pub(crate) struct ClientConfig {
    pub target: Target,
    pub url: String,
    pub api_key: Option<String>,
    /// The caller's headers, applied after the library's (so they win).
    pub headers: Vec<(String, String)>,
    pub timeout_ms: f64,
    pub idle_timeout_ms: f64,
    pub max_retries: u32,
    pub allow_browser: bool,
}

fn timeout(obj: &JsValue, key: &str, default: f64, wrong: &str) -> Result<f64, Error> {
    match opt_f64(obj, key, wrong)? {
        None => Ok(default),
        // Infinity is how a caller says "no timeout"; the timer code skips it.
        Some(ms) if ms >= 0.0 => Ok(ms),
        Some(_) => Err(invalid(wrong)),
    }
}

pub(crate) fn client_options(opts: &JsValue) -> Result<ClientConfig, Error> {
    let region = match opt_string(opts, "region", "region must be \"intl\", \"us\" or \"cn\"")? {
        None => None,
        Some(r) => Some(
            Region::parse(&r)
                .ok_or_else(|| invalid("region must be \"intl\", \"us\" or \"cn\""))?,
        ),
    };
    let protocol = match opt_string(
        opts,
        "protocol",
        "protocol must be \"openai\" or \"dashscope\"",
    )? {
        None => Protocol::OpenAi,
        Some(p) => Protocol::parse(&p)
            .ok_or_else(|| invalid("protocol must be \"openai\" or \"dashscope\""))?,
    };
    let base_url = opt_string(opts, "baseUrl", "baseUrl must be a string URL")?;
    let api_key = opt_string(opts, "apiKey", "apiKey must be a string")?.filter(|k| !k.is_empty());

    let mut headers = Vec::new();
    let h = get(opts, "headers");
    if !absent(&h) {
        if !h.is_object() {
            return Err(invalid(
                "headers must be an object of header names to string values",
            ));
        }
        for entry in Object::entries(h.unchecked_ref()).iter() {
            let entry: Array = entry.unchecked_into();
            let (name, value) = (entry.get(0).as_string(), entry.get(1).as_string());
            match (name, value) {
                (Some(n), Some(v)) => headers.push((n, v)),
                _ => return Err(invalid("headers values must be strings")),
            }
        }
    }

    let max_retries = match opt_f64(
        opts,
        "maxRetries",
        "maxRetries must be a non-negative integer",
    )? {
        None => 2,
        Some(n) if n >= 0.0 && crate::float::is_integral(n) && n <= 100.0 => n as u32,
        Some(_) => {
            return Err(invalid(
                "maxRetries must be a non-negative integer (at most 100)",
            ))
        }
    };

    let target = Target {
        protocol,
        region: region.unwrap_or(Region::Intl),
        region_explicit: region.is_some(),
        base_url,
    };
    Ok(ClientConfig {
        url: crate::request::url(&target),
        target,
        api_key,
        headers,
        timeout_ms: timeout(
            opts,
            "timeoutMs",
            60_000.0,
            "timeoutMs must be a number of milliseconds",
        )?,
        idle_timeout_ms: timeout(
            opts,
            "idleTimeoutMs",
            300_000.0,
            "idleTimeoutMs must be a number of milliseconds",
        )?,
        max_retries,
        allow_browser: opt_bool(
            opts,
            "dangerouslyAllowBrowser",
            "dangerouslyAllowBrowser must be a boolean",
        )?
        .unwrap_or(false),
    })
}

// ---------------------------------------------------------------- requests

/// A Blob image waiting to be read into a `data:` URL; the request holds a
/// placeholder at `messages[message].content[item]` until then.
pub(crate) struct PendingBlob {
    pub message: usize,
    pub item: usize,
    pub blob: Blob,
}

pub(crate) struct Converted {
    pub request: Request,
    pub blobs: Vec<PendingBlob>,
    pub signal: Option<AbortSignal>,
}

const ITEM_SHAPE: &str = "a content item must be {text}, {image}, {video}, or an OpenAI-style \
     {type: \"text\" | \"image_url\" | \"video_url\"} item";

fn item(
    v: &JsValue,
    at: (usize, usize),
    blobs: &mut Vec<PendingBlob>,
) -> Result<ContentItem, Error> {
    if let Some(kind) = get(v, "type").as_string() {
        return match kind.as_str() {
            "text" => opt_string(v, "text", "a text item's text must be a string")?
                .map(ContentItem::Text)
                .ok_or_else(|| invalid("a {type: \"text\"} item needs a text string")),
            "image_url" => get(&get(v, "image_url"), "url")
                .as_string()
                .map(ContentItem::Image)
                .ok_or_else(|| invalid("an image_url item needs image_url: {url: string}")),
            "video_url" => get(&get(v, "video_url"), "url")
                .as_string()
                .map(|u| ContentItem::Video {
                    video: Video::Url(u),
                    fps: None,
                })
                .ok_or_else(|| invalid("a video_url item needs video_url: {url: string}")),
            _ => Err(invalid(ITEM_SHAPE)),
        };
    }
    let text = get(v, "text");
    if let Some(t) = text.as_string() {
        return Ok(ContentItem::Text(t));
    }
    let image = get(v, "image");
    if let Some(url) = image.as_string() {
        return Ok(ContentItem::Image(url));
    }
    if image.is_instance_of::<Blob>() {
        let blob: Blob = image.unchecked_into();
        // Validation sees a data: URL of the right type; the bytes are read
        // asynchronously once the request is under way.
        let placeholder = String::from("data:") + &mime_or_default(blob.type_()) + ";base64,";
        blobs.push(PendingBlob {
            message: at.0,
            item: at.1,
            blob,
        });
        return Ok(ContentItem::Image(placeholder));
    }
    let video = get(v, "video");
    if !absent(&video) {
        let video = match video.as_string() {
            Some(url) => Video::Url(url),
            None => Video::Frames(strings(
                &video,
                "video must be a URL string or an array of frame URL strings",
            )?),
        };
        let fps = opt_f64(v, "fps", "fps must be a number")?;
        return Ok(ContentItem::Video { video, fps });
    }
    Err(invalid(ITEM_SHAPE))
}

fn message(v: &JsValue, index: usize, blobs: &mut Vec<PendingBlob>) -> Result<Message, Error> {
    let role = match get(v, "role").as_string().as_deref() {
        Some("system") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        _ => {
            return Err(invalid(
                "a message's role must be \"system\", \"user\" or \"assistant\"",
            ))
        }
    };
    let content = get(v, "content");
    let content = if let Some(text) = content.as_string() {
        Content::Text(text)
    } else if Array::is_array(&content) {
        let arr: &Array = content.unchecked_ref();
        let mut items = Vec::with_capacity(arr.length() as usize);
        for (i, it) in arr.iter().enumerate() {
            items.push(item(&it, (index, i), blobs)?);
        }
        Content::Items(items)
    } else if absent(&content) {
        // Let validation name the empty message with its usual message.
        Content::Items(Vec::new())
    } else {
        return Err(invalid(
            "a message's content must be a string or an array of content items",
        ));
    };
    Ok(Message { role, content })
}

/// RequestOptions -> core Request (Blob images as placeholders), plus the
/// caller's AbortSignal.
pub(crate) fn request(js: &JsValue) -> Result<Converted, Error> {
    if !js.is_object() {
        return Err(invalid(
            "the request must be an object with model and messages",
        ));
    }
    let model = opt_string(
        js,
        "model",
        "model must be a model id string, e.g. \"qwen3-vl-plus\"",
    )?
    .ok_or_else(|| invalid("model is required, e.g. model: \"qwen3-vl-plus\""))?;

    let mut blobs = Vec::new();
    let msgs = get(js, "messages");
    let mut messages = Vec::new();
    if !absent(&msgs) {
        if !Array::is_array(&msgs) {
            return Err(invalid("messages must be an array of {role, content}"));
        }
        let arr: &Array = msgs.unchecked_ref();
        for (i, m) in arr.iter().enumerate() {
            messages.push(message(&m, i, &mut blobs)?);
        }
    }

    let stop = get(js, "stop");
    let stop = if absent(&stop) {
        None
    } else if let Some(s) = stop.as_string() {
        Some(Stop::One(s))
    } else {
        Some(Stop::Many(strings(
            &stop,
            "stop must be a string or an array of strings",
        )?))
    };

    let extra = get(js, "extra");
    let extra = if absent(&extra) {
        None
    } else {
        if !extra.is_object() || Array::is_array(&extra) {
            return Err(invalid("extra must be an object"));
        }
        // The browser's own serialiser handles every JS oddity (undefined,
        // toJSON, NaN); the core parses its output into a value tree.
        let text = JSON::stringify(&extra)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| invalid("extra must be JSON-serialisable (no cycles or BigInt)"))?;
        Some(json::parse(text.as_bytes()).map_err(|_| invalid("extra must be JSON-serialisable"))?)
    };

    let signal = get(js, "signal");
    let signal = if absent(&signal) {
        None
    } else if signal.is_instance_of::<AbortSignal>() {
        Some(signal.unchecked_into())
    } else {
        return Err(invalid("signal must be an AbortSignal"));
    };

    let request = Request {
        model,
        messages,
        enable_thinking: opt_bool(js, "enableThinking", "enableThinking must be a boolean")?,
        thinking_budget: opt_f64(
            js,
            "thinkingBudget",
            "thinkingBudget must be a positive integer",
        )?,
        max_tokens: opt_f64(js, "maxTokens", "maxTokens must be a number")?,
        temperature: opt_f64(js, "temperature", "temperature must be a number")?,
        top_p: opt_f64(js, "topP", "topP must be a number")?,
        seed: opt_f64(js, "seed", "seed must be a number")?,
        stop,
        vl_high_resolution_images: opt_bool(
            js,
            "vlHighResolutionImages",
            "vlHighResolutionImages must be a boolean",
        )?,
        extra,
    };
    Ok(Converted {
        request,
        blobs,
        signal,
    })
}

/// A Blob's MIME type, with the generic one when the browser knows none.
pub(crate) fn mime_or_default(t: String) -> String {
    if t.is_empty() {
        String::from("application/octet-stream")
    } else {
        t
    }
}

/// `data:<mime>;base64,<bytes>`.
pub(crate) fn data_url(mime: &str, bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(13 + mime.len() + bytes.len().div_ceil(3) * 4);
    out.push_str("data:");
    out.push_str(mime);
    out.push_str(";base64,");
    let mut chunks = bytes.chunks_exact(3);
    let sym = |n: u32, shift: u32| ALPHABET[((n >> shift) & 63) as usize] as char;
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend([sym(n, 18), sym(n, 12), sym(n, 6), sym(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend([sym(n, 18), sym(n, 12), '=', '=']);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend([sym(n, 18), sym(n, 12), sym(n, 6), '=']);
        }
        _ => {}
    }
    out
}

// ---------------------------------------------------------------- results

pub(crate) fn usage(u: &Usage) -> JsValue {
    JSON::parse(&u.to_json()).unwrap_or(JsValue::UNDEFINED)
}

/// A `Result` of API.md from its pieces; the texts are already JS strings.
pub(crate) fn result(
    model: &str,
    reasoning: &JsValue,
    answer: &JsValue,
    finish_reason: &str,
    usage: Option<&JsValue>,
    request_id: Option<&str>,
) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "model", model);
    set(&o, "reasoning", reasoning);
    set(&o, "answer", answer);
    set_str(&o, "finishReason", finish_reason);
    if let Some(u) = usage {
        set(&o, "usage", u);
    }
    if let Some(id) = request_id {
        set_str(&o, "requestId", id);
    }
    o
}

pub(crate) fn completion(c: &Completion) -> JsValue {
    result(
        &c.model,
        &JsValue::from_str(&c.reasoning),
        &JsValue::from_str(&c.answer),
        &c.finish_reason,
        c.usage.as_ref().map(usage).as_ref(),
        c.request_id.as_deref(),
    )
}

pub(crate) fn model_info(m: &ModelInfo) -> JsValue {
    let o: JsValue = Object::new().into();
    let r = &m.rules;
    set_str(&o, "id", m.id);
    set_str(&o, "family", r.family.as_str());
    set_str(&o, "thinking", r.thinking.as_str());
    set(&o, "streamingOnly", &JsValue::from_bool(r.streaming_only));
    set(&o, "thinkingBudget", &JsValue::from_bool(r.thinking_budget));
    let regions = Array::new();
    for region in r.regions.unwrap_or(&[]) {
        regions.push(&JsValue::from_str(region.as_str()));
    }
    set(&o, "regions", &regions);
    o
}

// ---------------------------------------------------------------- errors

/// The one place a core error becomes a JS `Error`: `name` from the kind,
/// the fields of API.md, and `partial` once any text had arrived.
pub(crate) fn error(e: &Error, partial: Option<&JsValue>) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name(e.kind.name());
    let o: &JsValue = err.as_ref();
    if let Some(status) = e.status {
        set_num(o, "status", f64::from(status));
    }
    if let Some(code) = &e.code {
        set_str(o, "code", code);
    }
    if let Some(id) = &e.request_id {
        set_str(o, "requestId", id);
    }
    set(o, "retryable", &JsValue::from_bool(e.retryable));
    if let Some(p) = partial {
        set(o, "partial", p);
    }
    err.into()
}
