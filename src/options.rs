//! Caller options (API.md's `ClientOptions` and `RequestOptions`) from the
//! JSON the binding layer makes of them, with every type check and its
//! message here rather than in per-field conversions across the JS
//! boundary (one string in, instead of a property read per field).
//!
//! What JSON cannot carry exactly comes aside, named by a *marker*: an
//! object whose only key is `"\u0000"`. `{"\u0000": "n3"}` is `nums[3]` (every
//! number: exact, and `Infinity`/`NaN` too), `{"\u0000": "b0", "t": "image/png"}`
//! the first Blob image with its MIME type, `{"\u0000": "s"}` an AbortSignal,
//! and `{"\u0000": "x", "j": "..."}` the `extra` object already serialised by
//! the engine (its numbers as written, for the wire), or `{"\u0000": "x!"}`
//! when it could not be. glue.js `encode` writes them; a caller cannot (a
//! key of one NUL character is not something options contain).

use crate::error::Error;
use crate::json::{self, Value};
use crate::models::Region;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::protocol::Protocol;
use crate::request::{
    self, Content, ContentItem, Message, Request, Role, Stop, Target, Transport, Video,
};

/// ClientOptions, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
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

impl ClientConfig {
    /// What the transport (glue.js) needs for one kind of request, as JSON:
    /// `{"url", "headers": [[name, value, message if invalid]…], "apiKey"}`
    /// — the library's few headers, the key's, then the caller's (which
    /// come last and win; nothing else: every extra header is one more
    /// thing a relay's CORS preflight must allow). The key is there to
    /// scrub it from engine messages. One text, parsed once per client,
    /// instead of a JS string per field. The numbers (which may be
    /// `Infinity`) go aside.
    pub fn transport_json(&self, transport: Transport) -> String {
        let mut out = String::from("{\"url\":");
        json::write_str(&self.url, &mut out);
        out.push_str(",\"headers\":[");
        let mut first = true;
        let mut header = |name: &str, value: &str, bad: Option<&str>, out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('[');
            json::write_str(name, out);
            out.push(',');
            json::write_str(value, out);
            if let Some(bad) = bad {
                out.push(',');
                json::write_str(bad, out);
            }
            out.push(']');
        };
        for (name, value) in request::headers(self.target.protocol, transport) {
            header(name, value, None, &mut out);
        }
        if let Some(key) = &self.api_key {
            let auth = String::from("Bearer ") + key;
            let bad = "apiKey contains characters not allowed in a header";
            header("Authorization", &auth, Some(bad), &mut out);
        }
        for (name, value) in &self.headers {
            header(name, value, None, &mut out);
        }
        out.push(']');
        if let Some(key) = &self.api_key {
            out.push_str(",\"apiKey\":");
            json::write_str(key, &mut out);
        }
        out.push('}');
        out
    }
}

/// RequestOptions, converted (not yet validated: see `request::validate`).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInput {
    pub request: Request,
    /// Each Blob image: `messages[.0].content[.1]` gets Blob number `.2`
    /// of the encoder's list (a `data:<type>;base64,` placeholder until
    /// the bytes are read).
    pub blobs: Vec<(usize, usize, usize)>,
    /// The caller passed an AbortSignal (the binding layer holds it).
    pub signal: bool,
    /// `transport` as `complete()` reads it: `Some(true)` for `"json"`
    /// (always `None` for `stream()`).
    pub json_transport: Option<bool>,
}

#[inline(never)]
fn invalid(message: &str) -> Error {
    Error::invalid_request(message)
}

/// The options text with its numbers.
struct Reader<'a> {
    nums: &'a [f64],
}

/// `obj[key]`, absent for a missing key, a `null` and a non-object `obj`
/// (as `undefined` and `null` are "not given" in API.md).
fn get<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    match obj {
        Value::Object(members) => members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Value::Null)),
        _ => None,
    }
}

/// The tag of a marker object, if `v` is one.
fn marker(v: &Value) -> Option<&str> {
    match v {
        Value::Object(members) => match members.first() {
            Some((k, Value::String(tag))) if k == "\u{0}" => Some(tag),
            _ => None,
        },
        _ => None,
    }
}

/// A marker's decimal index (a few digits; `str::parse` would bring in
/// more code than this needs).
fn index(digits: &str) -> Option<usize> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.bytes().try_fold(0usize, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + usize::from(b - b'0'))
    })
}

fn string(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

impl Reader<'_> {
    fn num(&self, v: &Value) -> Option<f64> {
        let i = index(marker(v)?.strip_prefix('n')?)?;
        self.nums.get(i).copied()
    }

    fn opt_f64(&self, obj: &Value, key: &str, wrong: &str) -> Result<Option<f64>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(v) => self.num(v).map(Some).ok_or_else(|| invalid(wrong)),
        }
    }
}

fn opt_string(obj: &Value, key: &str, wrong: &str) -> Result<Option<String>, Error> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => string(v)
            .map(|s| Some(s.to_owned()))
            .ok_or_else(|| invalid(wrong)),
    }
}

fn opt_bool(obj: &Value, key: &str, wrong: &str) -> Result<Option<bool>, Error> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(wrong)),
    }
}

fn strings(v: &Value, wrong: &str) -> Result<Vec<String>, Error> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|s| string(s).map(str::to_owned).ok_or_else(|| invalid(wrong)))
            .collect(),
        _ => Err(invalid(wrong)),
    }
}

fn parse(text: &str, what: &str) -> Result<Value, Error> {
    json::parse(text.as_bytes()).map_err(|_| invalid(what))
}

// ---------------------------------------------------------------- client

const REGION: &str = "region must be \"intl\", \"us\" or \"cn\"";
const PROTOCOL: &str = "protocol must be \"openai\" or \"dashscope\"";

/// ClientOptions from glue.js `encode`'s JSON and numbers.
pub fn client(text: &str, nums: &[f64]) -> Result<ClientConfig, Error> {
    let r = Reader { nums };
    let opts = parse(text, "the client options could not be read")?;
    if !matches!(opts, Value::Object(_) | Value::Null) {
        return Err(invalid("the client options must be an object"));
    }
    let region = match opt_string(&opts, "region", REGION)? {
        None => None,
        Some(s) => Some(Region::parse(&s).ok_or_else(|| invalid(REGION))?),
    };
    let protocol = match opt_string(&opts, "protocol", PROTOCOL)? {
        None => Protocol::OpenAi,
        Some(s) => Protocol::parse(&s).ok_or_else(|| invalid(PROTOCOL))?,
    };
    let base_url = opt_string(&opts, "baseUrl", "baseUrl must be a string URL")?;
    let api_key = opt_string(&opts, "apiKey", "apiKey must be a string")?.filter(|k| !k.is_empty());

    let mut headers = Vec::new();
    match get(&opts, "headers") {
        None => {}
        Some(Value::Object(members)) => {
            for (name, value) in members {
                match string(value) {
                    Some(v) => headers.push((name.clone(), v.to_owned())),
                    None => return Err(invalid("headers values must be strings")),
                }
            }
        }
        Some(_) => {
            return Err(invalid(
                "headers must be an object of header names to string values",
            ))
        }
    }

    let max_retries = match r.opt_f64(
        &opts,
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
    let timeout = |key: &str, default: f64, wrong: &str| -> Result<f64, Error> {
        match r.opt_f64(&opts, key, wrong)? {
            None => Ok(default),
            // Infinity is how a caller says "no timeout"; the timer code skips it.
            Some(ms) if ms >= 0.0 => Ok(ms),
            Some(_) => Err(invalid(wrong)),
        }
    };
    let timeout_ms = timeout(
        "timeoutMs",
        60_000.0,
        "timeoutMs must be a number of milliseconds",
    )?;
    let idle_timeout_ms = timeout(
        "idleTimeoutMs",
        300_000.0,
        "idleTimeoutMs must be a number of milliseconds",
    )?;
    let allow_browser = opt_bool(
        &opts,
        "dangerouslyAllowBrowser",
        "dangerouslyAllowBrowser must be a boolean",
    )?
    .unwrap_or(false);

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
        timeout_ms,
        idle_timeout_ms,
        max_retries,
        allow_browser,
    })
}

// ---------------------------------------------------------------- request

const ITEM_SHAPE: &str = "a content item must be {text}, {image}, {video}, or an OpenAI-style \
     {type: \"text\" | \"image_url\" | \"video_url\"} item";

impl Reader<'_> {
    fn item(
        &self,
        v: &Value,
        at: (usize, usize),
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<ContentItem, Error> {
        if let Some(kind) = get(v, "type").and_then(string) {
            let url = |key: &str| get(v, key).and_then(|o| get(o, "url")).and_then(string);
            return match kind {
                "text" => opt_string(v, "text", "a text item's text must be a string")?
                    .map(ContentItem::Text)
                    .ok_or_else(|| invalid("a {type: \"text\"} item needs a text string")),
                "image_url" => url("image_url")
                    .map(|u| ContentItem::Image(u.to_owned()))
                    .ok_or_else(|| invalid("an image_url item needs image_url: {url: string}")),
                "video_url" => url("video_url")
                    .map(|u| ContentItem::Video {
                        video: Video::Url(u.to_owned()),
                        fps: None,
                    })
                    .ok_or_else(|| invalid("a video_url item needs video_url: {url: string}")),
                _ => Err(invalid(ITEM_SHAPE)),
            };
        }
        if let Some(t) = get(v, "text").and_then(string) {
            return Ok(ContentItem::Text(t.to_owned()));
        }
        if let Some(image) = get(v, "image") {
            if let Some(url) = string(image) {
                return Ok(ContentItem::Image(url.to_owned()));
            }
            let blob = marker(image)
                .and_then(|t| t.strip_prefix('b'))
                .and_then(index);
            if let Some(n) = blob {
                // Validation sees a data: URL of the right type; the bytes
                // are read asynchronously once the request is under way.
                let mime = get(image, "t").and_then(string).unwrap_or("");
                let mime = if mime.is_empty() {
                    "application/octet-stream"
                } else {
                    mime
                };
                blobs.push((at.0, at.1, n));
                return Ok(ContentItem::Image(
                    String::from("data:") + mime + ";base64,",
                ));
            }
        }
        if let Some(video) = get(v, "video") {
            let video = match string(video) {
                Some(url) => Video::Url(url.to_owned()),
                None => Video::Frames(strings(
                    video,
                    "video must be a URL string or an array of frame URL strings",
                )?),
            };
            let fps = self.opt_f64(v, "fps", "fps must be a number")?;
            return Ok(ContentItem::Video { video, fps });
        }
        Err(invalid(ITEM_SHAPE))
    }

    fn message(
        &self,
        v: &Value,
        index: usize,
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<Message, Error> {
        let Some(role) = get(v, "role").and_then(string).and_then(Role::parse) else {
            return Err(invalid(
                "a message's role must be \"system\", \"user\" or \"assistant\"",
            ));
        };
        let content = match get(v, "content") {
            Some(Value::String(text)) => Content::Text(text.clone()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    out.push(self.item(it, (index, i), blobs)?);
                }
                Content::Items(out)
            }
            // Let validation name the empty message with its usual message.
            None => Content::Items(Vec::new()),
            Some(_) => {
                return Err(invalid(
                    "a message's content must be a string or an array of content items",
                ))
            }
        };
        Ok(Message { role, content })
    }
}

/// RequestOptions from glue.js `encode`'s JSON and numbers. `complete`:
/// also read `transport` (first, as complete() does), which `stream()`
/// ignores.
pub fn request(text: &str, nums: &[f64], complete: bool) -> Result<RequestInput, Error> {
    let r = Reader { nums };
    let js = parse(text, "the request could not be read")?;
    if !matches!(js, Value::Object(_)) {
        return Err(invalid(
            "the request must be an object with model and messages",
        ));
    }
    let json_transport = match get(&js, "transport").map(string) {
        _ if !complete => None,
        None => None,
        Some(Some("stream")) => Some(false),
        Some(Some("json")) => Some(true),
        Some(_) => return Err(invalid("transport must be \"stream\" or \"json\"")),
    };
    let model = opt_string(
        &js,
        "model",
        "model must be a model id string, e.g. \"qwen3-vl-plus\"",
    )?
    .ok_or_else(|| invalid("model is required, e.g. model: \"qwen3-vl-plus\""))?;

    let mut blobs = Vec::new();
    let mut messages = Vec::new();
    match get(&js, "messages") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, m) in items.iter().enumerate() {
                messages.push(r.message(m, i, &mut blobs)?);
            }
        }
        Some(_) => return Err(invalid("messages must be an array of {role, content}")),
    }

    let stop = match get(&js, "stop") {
        None => None,
        Some(Value::String(s)) => Some(Stop::One(s.clone())),
        Some(v) => Some(Stop::Many(strings(
            v,
            "stop must be a string or an array of strings",
        )?)),
    };

    let extra = match get(&js, "extra") {
        None => None,
        Some(v) => match marker(v) {
            Some("x") => {
                let text = get(v, "j").and_then(string).unwrap_or("");
                match parse(text, "extra must be JSON-serialisable")? {
                    o @ Value::Object(_) => Some(o),
                    _ => return Err(invalid("extra must be an object")),
                }
            }
            Some("x!") => {
                return Err(invalid(
                    "extra must be JSON-serialisable (no cycles or BigInt)",
                ))
            }
            _ => return Err(invalid("extra must be an object")),
        },
    };

    let signal = match get(&js, "signal") {
        None => false,
        Some(v) if marker(v) == Some("s") => true,
        Some(_) => return Err(invalid("signal must be an AbortSignal")),
    };

    let request = Request {
        model,
        messages,
        enable_thinking: opt_bool(&js, "enableThinking", "enableThinking must be a boolean")?,
        thinking_budget: r.opt_f64(
            &js,
            "thinkingBudget",
            "thinkingBudget must be a positive integer",
        )?,
        max_tokens: r.opt_f64(&js, "maxTokens", "maxTokens must be a number")?,
        temperature: r.opt_f64(&js, "temperature", "temperature must be a number")?,
        top_p: r.opt_f64(&js, "topP", "topP must be a number")?,
        seed: r.opt_f64(&js, "seed", "seed must be a number")?,
        stop,
        vl_high_resolution_images: opt_bool(
            &js,
            "vlHighResolutionImages",
            "vlHighResolutionImages must be a boolean",
        )?,
        extra,
    };
    Ok(RequestInput {
        request,
        blobs,
        signal,
        json_transport,
    })
}
