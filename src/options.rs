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
//! when it could not be. The JavaScript side (`src/web/js/options.js`)
//! writes them; a caller cannot (a key of one NUL character is not
//! something options contain). The tags are [`marker`]'s constants, which
//! the package checks against the JavaScript's when it loads.

use crate::error::Error;
use crate::json::{self, Value};
use crate::models::Region;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::protocol::Protocol;
use crate::request::{
    self, Content, ContentItem, Message, Request, Role, Stop, Target, Transport, Video,
};
use crate::text::{find, Msg};

/// The markers' key and tags (see the module docs): a boundary format,
/// listed by `web/wire.rs` `contract` for the JavaScript side to check.
pub mod marker {
    /// The one key of a marker object.
    pub const KEY: &str = "\u{0}";
    /// `n<index>`: a number, `nums[index]`.
    pub const NUM: &str = "n";
    /// `b<index>`: a Blob image, with its MIME type under [`BLOB_TYPE`].
    pub const BLOB: &str = "b";
    pub const BLOB_TYPE: &str = "t";
    /// The AbortSignal.
    pub const SIGNAL: &str = "s";
    /// `extra`, serialised by the engine, its text under [`EXTRA_TEXT`].
    pub const EXTRA: &str = "x";
    pub const EXTRA_TEXT: &str = "j";
    /// `extra` that the engine could not serialise.
    pub const EXTRA_BAD: &str = "x!";
    /// A function or symbol: a value no field accepts, so its field is
    /// named as having the wrong type instead of being dropped.
    pub const UNSUPPORTED: &str = "?";
}

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
    /// What the transport (`src/web/js/transport.js`) needs for one kind
    /// of request, as JSON: `{"url", "headers": [[name, value, message if
    /// invalid]…], "timeoutMs", "idleTimeoutMs", "maxRetries", "apiKey"}`
    /// — the library's few headers, the key's, then the caller's (which
    /// come last and win; nothing else: every extra header is one more
    /// thing a relay's CORS preflight must allow); a timeout of `null`
    /// means none (`Infinity`, which JSON cannot spell). The key is there
    /// to scrub it from engine messages. One text, parsed once per client,
    /// instead of a JS string per field.
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
            let bad = "apiKey contains characters not allowed in a header. Copy the key again, without line breaks or spaces.";
            header("Authorization", &auth, Some(bad), &mut out);
        }
        for (name, value) in &self.headers {
            header(name, value, None, &mut out);
        }
        out.push_str("],\"timeoutMs\":");
        json::write_f64(self.timeout_ms, &mut out);
        out.push_str(",\"idleTimeoutMs\":");
        json::write_f64(self.idle_timeout_ms, &mut out);
        out.push_str(",\"maxRetries\":");
        json::write_u64(self.max_retries.into(), &mut out);
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

/// The options text with its numbers, and the model the request names (for
/// messages).
struct Reader<'a> {
    nums: &'a [f64],
    model: Option<&'a str>,
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
            Some((k, Value::String(tag))) if k == marker::KEY => Some(tag),
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
        let i = index(marker(v)?.strip_prefix(marker::NUM)?)?;
        self.nums.get(i).copied()
    }

    /// `message` (`<what is wrong>. <the fix>`) as an `InvalidRequestError`,
    /// with ` (model <id>)` before the fix when the request names a model.
    #[inline(never)]
    fn invalid(&self, message: &str) -> Error {
        let (Some(model), Some(cut)) = (self.model, find(message, ". ")) else {
            return Error::invalid_request(message);
        };
        let (what, fix) = message.split_at_checked(cut).unwrap_or((message, ""));
        Msg::new(what)
            .s(" (model ")
            .s(model)
            .s(")")
            .s(fix)
            .invalid()
    }

    /// [`Reader::invalid`] for a value inside the messages: `messages[i]`
    /// (`.content[j]`), then `rest`.
    #[inline(never)]
    fn invalid_at(&self, message: usize, item: Option<usize>, rest: &str) -> Error {
        let mut m = Msg::new("messages[").n(message as u64).s("]");
        if let Some(j) = item {
            m = m.s(".content[").n(j as u64).s("]");
        }
        self.invalid(&m.s(rest).into_string())
    }

    /// A number field: a number marker (a string of digits, say, is not).
    fn opt_f64(&self, obj: &Value, key: &str, wrong: &str) -> Result<Option<f64>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(v) => self.num(v).map(Some).ok_or_else(|| self.invalid(wrong)),
        }
    }

    fn opt_string(&self, obj: &Value, key: &str, wrong: &str) -> Result<Option<String>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(wrong)),
        }
    }

    fn opt_bool(&self, obj: &Value, key: &str, wrong: &str) -> Result<Option<bool>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(wrong)),
        }
    }
}

/// An array of strings.
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items.iter().map(|s| string(s).map(str::to_owned)).collect(),
        _ => None,
    }
}

/// The options text, or the error for text the binding could not have made
/// (glue.js always writes JSON).
fn parse(r: &Reader<'_>, text: &str, wrong: &str) -> Result<Value, Error> {
    json::parse(text.as_bytes()).map_err(|_| r.invalid(wrong))
}

// ---------------------------------------------------------------- client

const REGION: &str =
    "region must be \"intl\", \"us\" or \"cn\". Use your API key's region, or leave it out for \"intl\".";
const PROTOCOL: &str =
    "protocol must be \"openai\" or \"dashscope\". Use one of those, or leave it out for \"openai\".";
const RETRIES: &str =
    "maxRetries must be a non-negative integer (at most 100). Pass e.g. 2 (the default), or 0.";

/// ClientOptions from glue.js `encode`'s JSON and numbers.
pub fn client(text: &str, nums: &[f64]) -> Result<ClientConfig, Error> {
    let r = Reader { nums, model: None };
    let opts = parse(
        &r,
        text,
        "the client options could not be read as JSON. Pass a plain object.",
    )?;
    if !matches!(opts, Value::Object(_) | Value::Null) {
        return Err(r.invalid(
            "the client options must be an object. Pass e.g. {baseUrl: \"https://relay.example\"}, or nothing.",
        ));
    }
    let region = match r.opt_string(&opts, "region", REGION)? {
        None => None,
        Some(s) => Some(Region::parse(&s).ok_or_else(|| r.invalid(REGION))?),
    };
    let protocol = match r.opt_string(&opts, "protocol", PROTOCOL)? {
        None => Protocol::OpenAi,
        Some(s) => Protocol::parse(&s).ok_or_else(|| r.invalid(PROTOCOL))?,
    };
    let base_url = r.opt_string(
        &opts,
        "baseUrl",
        "baseUrl must be a string URL. Pass the relay's URL, or leave it out.",
    )?;
    let api_key = r
        .opt_string(
            &opts,
            "apiKey",
            "apiKey must be a string. Pass the key as a string, or leave it out when a relay adds it.",
        )?
        .filter(|k| !k.is_empty());

    const HEADERS: &str = "headers must be an object of header names to string values. Pass e.g. headers: {\"X-Client\": \"tutor\"}.";
    let mut headers = Vec::new();
    match get(&opts, "headers") {
        None => {}
        Some(Value::Object(members)) => {
            for (name, value) in members {
                match string(value) {
                    Some(v) => headers.push((name.clone(), v.to_owned())),
                    None => return Err(r.invalid(HEADERS)),
                }
            }
        }
        Some(_) => return Err(r.invalid(HEADERS)),
    }

    let max_retries = match r.opt_f64(&opts, "maxRetries", RETRIES)? {
        None => 2,
        Some(n) if n >= 0.0 && crate::float::is_integral(n) && n <= 100.0 => n as u32,
        Some(_) => return Err(r.invalid(RETRIES)),
    };
    let timeout = |key: &str, wrong: &str, default: f64| -> Result<f64, Error> {
        match r.opt_f64(&opts, key, wrong)? {
            None => Ok(default),
            // Infinity is how a caller says "no timeout"; the timer code skips it.
            Some(ms) if ms >= 0.0 => Ok(ms),
            Some(_) => Err(r.invalid(wrong)),
        }
    };
    let timeout_ms = timeout(
        "timeoutMs",
        "timeoutMs must be a number of milliseconds. Pass e.g. 60000 (the default), or Infinity for none.",
        60_000.0,
    )?;
    let idle_timeout_ms = timeout(
        "idleTimeoutMs",
        "idleTimeoutMs must be a number of milliseconds. Pass e.g. 300000 (the default), or Infinity for none.",
        300_000.0,
    )?;
    let allow_browser = r
        .opt_bool(
            &opts,
            "dangerouslyAllowBrowser",
            "dangerouslyAllowBrowser must be a boolean. Pass true, or leave it out.",
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

impl Reader<'_> {
    fn item(
        &self,
        v: &Value,
        (mi, ii): (usize, usize),
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<ContentItem, Error> {
        let wrong = |rest: &str| self.invalid_at(mi, Some(ii), rest);
        if let Some(kind) = get(v, "type") {
            let url = |key: &str| {
                get(v, key)
                    .and_then(|o| get(o, "url"))
                    .and_then(string)
                    .map(str::to_owned)
            };
            return match string(kind) {
                Some("text") => match get(v, "text") {
                    Some(Value::String(t)) => Ok(ContentItem::Text(t.clone())),
                    _ => Err(wrong(".text must be a string. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}.")),
                },
                Some("image_url") => url("image_url")
                    .map(ContentItem::Image)
                    .ok_or_else(|| wrong(".image_url must be {url: string}. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}.")),
                Some("video_url") => url("video_url")
                    .map(|u| ContentItem::Video {
                        video: Video::Url(u),
                        fps: None,
                    })
                    .ok_or_else(|| wrong(".video_url must be {url: string}. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}.")),
                _ => Err(wrong(
                    ".type must be \"text\", \"image_url\" or \"video_url\". Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}.",
                )),
            };
        }
        if let Some(t) = get(v, "text") {
            return string(t)
                .map(|t| ContentItem::Text(t.to_owned()))
                .ok_or_else(|| wrong(".text must be a string. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}."));
        }
        if let Some(image) = get(v, "image") {
            if let Some(url) = string(image) {
                return Ok(ContentItem::Image(url.to_owned()));
            }
            let blob = marker(image)
                .and_then(|t| t.strip_prefix(marker::BLOB))
                .and_then(index);
            let Some(n) = blob else {
                return Err(wrong(".image must be a URL string, a data: URL or a Blob. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}."));
            };
            // Validation sees a data: URL of the right type; the bytes
            // are read asynchronously once the request is under way.
            let mime = get(image, marker::BLOB_TYPE).and_then(string).unwrap_or("");
            let mime = if mime.is_empty() {
                "application/octet-stream"
            } else {
                mime
            };
            blobs.push((mi, ii, n));
            return Ok(ContentItem::Image(
                String::from("data:") + mime + ";base64,",
            ));
        }
        if let Some(video) = get(v, "video") {
            let video = match string(video) {
                Some(url) => Video::Url(url.to_owned()),
                None => Video::Frames(strings(video).ok_or_else(|| {
                    wrong(".video must be a URL string or an array of frame URL strings. Pass e.g. {video: [frame1, frame2]}.")
                })?),
            };
            let fps = match get(v, "fps") {
                None => None,
                Some(f) => Some(self.num(f).ok_or_else(|| {
                    wrong(".fps must be a number. Pass a number (not a string), or leave it out.")
                })?),
            };
            return Ok(ContentItem::Video { video, fps });
        }
        Err(wrong(
            " must be {text}, {image}, {video}, or an OpenAI-style {type: \"text\" | \"image_url\" | \"video_url\"} item. Write e.g. {text: \"…\"}, {image: blob}, {video: url} or {type: \"image_url\", image_url: {url}}.",
        ))
    }

    fn message(
        &self,
        v: &Value,
        index: usize,
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<Message, Error> {
        let Some(role) = get(v, "role").and_then(string).and_then(Role::parse) else {
            return Err(self.invalid_at(
                index,
                None,
                ".role must be \"system\", \"user\" or \"assistant\". Use \"user\" for the student, \"assistant\" for earlier answers.",
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
                return Err(self.invalid_at(
                    index,
                    None,
                    ".content must be a string or an array of content items. Pass text, or e.g. [{image: blob}, {text: \"…\"}].",
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
    let none = Reader { nums, model: None };
    let js = parse(
        &none,
        text,
        "the request could not be read as JSON. Pass a plain object.",
    )?;
    // The model, if it is one, names every message below.
    let r = Reader {
        nums,
        model: get(&js, "model").and_then(string).filter(|m| !m.is_empty()),
    };
    if !matches!(js, Value::Object(_)) {
        return Err(r.invalid(
            "the request must be an object with model and messages. Pass e.g. {model: \"qwen3-vl-plus\", messages: […]}.",
        ));
    }
    let json_transport = match get(&js, "transport") {
        _ if !complete => None,
        None => None,
        Some(Value::String(t)) if t == "stream" => Some(false),
        Some(Value::String(t)) if t == "json" => Some(true),
        Some(_) => {
            return Err(
                r.invalid("transport must be \"stream\" or \"json\". Leave it out to stream.")
            )
        }
    };
    let model = match get(&js, "model") {
        Some(Value::String(m)) => m.clone(),
        None => return Err(r.invalid("model is required. Name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog).")),
        Some(_) => return Err(r.invalid("model must be a model id string. Name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog).")),
    };

    let mut blobs = Vec::new();
    let mut messages = Vec::new();
    match get(&js, "messages") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, m) in items.iter().enumerate() {
                messages.push(r.message(m, i, &mut blobs)?);
            }
        }
        Some(_) => {
            return Err(r.invalid(
                "messages must be an array of {role, content}. Pass e.g. messages: [{role: \"user\", content: \"…\"}].",
            ))
        }
    }

    let stop = match get(&js, "stop") {
        None => None,
        Some(Value::String(s)) => Some(Stop::One(s.clone())),
        Some(v) => Some(Stop::Many(strings(v).ok_or_else(|| {
            r.invalid("stop must be a string or an array of strings. Pass e.g. [\"END\"], or leave it out.")
        })?)),
    };

    const EXTRA: &str = "extra must be an object. Pass e.g. extra: {top_k: 20}, or leave it out.";
    let extra = match get(&js, "extra") {
        None => None,
        Some(v) => match marker(v) {
            Some(marker::EXTRA) => {
                let text = get(v, marker::EXTRA_TEXT).and_then(string).unwrap_or("");
                match parse(&r, text, EXTRA)? {
                    o @ Value::Object(_) => Some(o),
                    _ => return Err(r.invalid(EXTRA)),
                }
            }
            Some(marker::EXTRA_BAD) => {
                return Err(r.invalid(
                    "extra must be JSON-serialisable (no cycles or BigInt). Remove what JSON.stringify cannot write.",
                ))
            }
            _ => return Err(r.invalid(EXTRA)),
        },
    };

    let signal =
        match get(&js, "signal") {
            None => false,
            Some(v) if marker(v) == Some(marker::SIGNAL) => true,
            Some(_) => return Err(r.invalid(
                "signal must be an AbortSignal. Pass an AbortController's signal, or leave it out.",
            )),
        };

    let boolean = |key: &str, wrong: &str| -> Result<Option<bool>, Error> {
        match get(&js, key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(r.invalid(wrong)),
        }
    };
    let request = Request {
        model,
        messages,
        enable_thinking: boolean(
            "enableThinking",
            "enableThinking must be a boolean. Pass true or false, or leave it out.",
        )?,
        thinking_budget: r.opt_f64(
            &js,
            "thinkingBudget",
            "thinkingBudget must be a positive integer (a number of tokens). Pass a number (not a string), or leave it out.",
        )?,
        max_tokens: r.opt_f64(
            &js,
            "maxTokens",
            "maxTokens must be a number (of tokens). Pass a number (not a string), or leave it out.",
        )?,
        temperature: r.opt_f64(
            &js,
            "temperature",
            "temperature must be a number. Pass a number (not a string), or leave it out.",
        )?,
        top_p: r.opt_f64(
            &js,
            "topP",
            "topP must be a number. Pass a number (not a string), or leave it out.",
        )?,
        seed: r.opt_f64(
            &js,
            "seed",
            "seed must be a number. Pass a number (not a string), or leave it out.",
        )?,
        stop,
        vl_high_resolution_images: boolean(
            "vlHighResolutionImages",
            "vlHighResolutionImages must be a boolean. Pass true or false, or leave it out.",
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
