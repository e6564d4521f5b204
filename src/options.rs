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
use crate::text::{excerpt, Msg};

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

/// A field's name, or its path from the options' root.
fn field(name: &str) -> Msg {
    Msg::new(name)
}

/// `messages[i]`, `messages[i].content[j]`, and what follows.
fn at(message: usize, item: Option<usize>, rest: &str) -> Msg {
    let m = Msg::new("messages[").n(message as u64).s("]");
    match item {
        Some(j) => m.s(".content[").n(j as u64).s("]").s(rest),
        None => m.s(rest),
    }
}

impl Reader<'_> {
    fn num(&self, v: &Value) -> Option<f64> {
        let i = index(marker(v)?.strip_prefix('n')?)?;
        self.nums.get(i).copied()
    }

    /// What the caller gave, as a message shows it.
    fn describe(&self, m: Msg, v: &Value) -> Msg {
        match v {
            Value::Null => m.s("null"),
            Value::Bool(b) => m.s(if *b { "true" } else { "false" }),
            Value::Number(text) => m.s("the number ").s(text),
            Value::String(text) => {
                let mut shown = String::new();
                excerpt(text, 40, &mut shown);
                m.s("the string \"").s(&shown).s("\"")
            }
            Value::Array(_) => m.s("an array"),
            Value::Object(_) => match marker(v) {
                Some(tag) if tag.starts_with('n') => match self.num(v) {
                    Some(n) => m.s("the number ").f(n),
                    None => m.s("a number"),
                },
                Some(tag) if tag.starts_with('b') => m.s("a Blob"),
                Some("s") => m.s("an AbortSignal"),
                Some("?") => m.s("a function"),
                _ => m.s("an object"),
            },
        }
    }

    /// The error for `what` not being `rule`: `<what> must be <rule>, got
    /// <v> (model <id>). <fix>.`
    #[inline(never)]
    fn wrong(&self, what: Msg, rule: &str, got: Option<&Value>, fix: &str) -> Error {
        let mut m = what.s(" must be ").s(rule);
        if let Some(v) = got {
            m = self.describe(m.s(", got "), v);
        }
        if let Some(model) = self.model {
            m = m.s(" (model ").s(model).s(")");
        }
        m.s(". ").s(fix).invalid()
    }

    /// A number field: a number marker, else the type error (a string of
    /// a number is told to drop the quotes).
    fn opt_f64(&self, obj: &Value, key: &str, rule: &str, fix: &str) -> Result<Option<f64>, Error> {
        self.number(get(obj, key), || field(key), key, rule, fix)
    }

    fn number(
        &self,
        got: Option<&Value>,
        what: impl Fn() -> Msg,
        key: &str,
        rule: &str,
        fix: &str,
    ) -> Result<Option<f64>, Error> {
        let Some(v) = got else {
            return Ok(None);
        };
        if let Some(n) = self.num(v) {
            return Ok(Some(n));
        }
        let digits = string(v)
            .map(str::trim)
            .filter(|t| matches!(json::parse(t.as_bytes()), Ok(Value::Number(_))));
        Err(match digits {
            Some(t) => {
                let fix = Msg::new("Pass the number itself: ")
                    .s(key)
                    .s(": ")
                    .s(t)
                    .s(".");
                self.wrong(what(), rule, Some(v), &fix.into_string())
            }
            None => self.wrong(what(), rule, Some(v), fix),
        })
    }

    fn opt_string(
        &self,
        obj: &Value,
        key: &str,
        rule: &str,
        fix: &str,
    ) -> Result<Option<String>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.wrong(field(key), rule, Some(v), fix)),
        }
    }

    fn opt_bool(&self, obj: &Value, key: &str) -> Result<Option<bool>, Error> {
        match get(obj, key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => {
                let fix = Msg::new("Pass true or false, e.g. ")
                    .s(key)
                    .s(": true, or leave it out.");
                Err(self.wrong(field(key), "a boolean", Some(v), &fix.into_string()))
            }
        }
    }

    /// An array of strings, or the type error for `what`.
    fn strings(
        &self,
        v: &Value,
        what: impl Fn() -> Msg,
        rule: &str,
        fix: &str,
    ) -> Result<Vec<String>, Error> {
        let Value::Array(items) = v else {
            return Err(self.wrong(what(), rule, Some(v), fix));
        };
        items
            .iter()
            .map(|s| {
                string(s)
                    .map(str::to_owned)
                    .ok_or_else(|| self.wrong(what(), rule, Some(v), fix))
            })
            .collect()
    }
}

/// The options text, or the error for text the binding could not have made
/// (glue.js always writes JSON).
fn parse(text: &str, what: &str) -> Result<Value, Error> {
    json::parse(text.as_bytes()).map_err(|_| {
        Msg::new(what)
            .s(" could not be read as JSON. Pass a plain object.")
            .invalid()
    })
}

// ---------------------------------------------------------------- client

const REGION: &str = "\"intl\", \"us\" or \"cn\"";
const REGION_FIX: &str =
    "Use the region your API key belongs to, or leave it out for \"intl\" (Singapore).";
const PROTOCOL: &str = "\"openai\" or \"dashscope\"";
const PROTOCOL_FIX: &str =
    "Use \"openai\" (compatible-mode, the default) or \"dashscope\" (native).";

/// ClientOptions from glue.js `encode`'s JSON and numbers.
pub fn client(text: &str, nums: &[f64]) -> Result<ClientConfig, Error> {
    let r = Reader { nums, model: None };
    let opts = parse(text, "the client options")?;
    if !matches!(opts, Value::Object(_) | Value::Null) {
        return Err(r.wrong(
            field("the client options"),
            "an object",
            Some(&opts),
            "Pass e.g. new Client({baseUrl: \"https://relay.example\"}), or no options.",
        ));
    }
    let region =
        match r.opt_string(&opts, "region", REGION, REGION_FIX)? {
            None => None,
            Some(s) => Some(Region::parse(&s).ok_or_else(|| {
                r.wrong(field("region"), REGION, get(&opts, "region"), REGION_FIX)
            })?),
        };
    let protocol = match r.opt_string(&opts, "protocol", PROTOCOL, PROTOCOL_FIX)? {
        None => Protocol::OpenAi,
        Some(s) => Protocol::parse(&s).ok_or_else(|| {
            r.wrong(
                field("protocol"),
                PROTOCOL,
                get(&opts, "protocol"),
                PROTOCOL_FIX,
            )
        })?,
    };
    let base_url = r.opt_string(
        &opts,
        "baseUrl",
        "a string URL",
        "Pass the relay's URL, e.g. baseUrl: \"https://relay.example\", or leave it out.",
    )?;
    // Whatever was passed as the key is not repeated in the message.
    let api_key = match get(&opts, "apiKey") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()).filter(|k| !k.is_empty()),
        Some(_) => {
            return Err(r.wrong(
                field("apiKey"),
                "a string",
                None,
                "Pass the key as a string, or leave it out when a relay adds it.",
            ))
        }
    };

    let mut headers = Vec::new();
    const HEADERS_FIX: &str = "Pass e.g. headers: {\"X-Client\": \"tutor\"}, or leave it out.";
    match get(&opts, "headers") {
        None => {}
        Some(Value::Object(members)) => {
            for (name, value) in members {
                match string(value) {
                    Some(v) => headers.push((name.clone(), v.to_owned())),
                    // Header values may be secrets: not repeated.
                    None => {
                        return Err(r.wrong(
                            field("headers[\"").s(name).s("\"]"),
                            "a string",
                            None,
                            HEADERS_FIX,
                        ))
                    }
                }
            }
        }
        Some(v) => {
            return Err(r.wrong(
                field("headers"),
                "an object of header names to string values",
                Some(v),
                HEADERS_FIX,
            ))
        }
    }

    const RETRIES: &str = "a non-negative integer (at most 100)";
    const RETRIES_FIX: &str = "Pass e.g. maxRetries: 2 (the default), or 0 for none.";
    let max_retries = match r.opt_f64(&opts, "maxRetries", RETRIES, RETRIES_FIX)? {
        None => 2,
        Some(n) if n >= 0.0 && crate::float::is_integral(n) && n <= 100.0 => n as u32,
        Some(_) => {
            return Err(r.wrong(
                field("maxRetries"),
                RETRIES,
                get(&opts, "maxRetries"),
                RETRIES_FIX,
            ))
        }
    };
    let timeout = |key: &str, default: f64, fix: &str| -> Result<f64, Error> {
        const RULE: &str = "a number of milliseconds";
        match r.opt_f64(&opts, key, RULE, fix)? {
            None => Ok(default),
            // Infinity is how a caller says "no timeout"; the timer code skips it.
            Some(ms) if ms >= 0.0 => Ok(ms),
            Some(_) => Err(r.wrong(field(key), RULE, get(&opts, key), fix)),
        }
    };
    let timeout_ms = timeout(
        "timeoutMs",
        60_000.0,
        "Pass e.g. timeoutMs: 60000 (the default), or Infinity for none.",
    )?;
    let idle_timeout_ms = timeout(
        "idleTimeoutMs",
        300_000.0,
        "Pass e.g. idleTimeoutMs: 300000 (the default), or Infinity for none.",
    )?;
    let allow_browser = r
        .opt_bool(&opts, "dangerouslyAllowBrowser")?
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

const ITEM_SHAPE: &str = "{text}, {image}, {video}, or an OpenAI-style \
     {type: \"text\" | \"image_url\" | \"video_url\"} item";
const ITEM_FIX: &str =
    "Write e.g. {text: \"Find x.\"}, {image: blob} or {type: \"image_url\", image_url: {url}}.";
const VIDEO: &str = "a URL string or an array of frame URL strings";
const VIDEO_FIX: &str = "Pass e.g. video: \"https://…/clip.mp4\" or video: [frame1Url, frame2Url].";

impl Reader<'_> {
    fn item(
        &self,
        v: &Value,
        (mi, ii): (usize, usize),
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<ContentItem, Error> {
        let here = |rest: &str| at(mi, Some(ii), rest);
        if let Some(kind) = get(v, "type") {
            let url = |key: &str| {
                let fix = Msg::new("Write {type: \"")
                    .s(key)
                    .s("\", ")
                    .s(key)
                    .s(": {url: \"https://…\"}}.")
                    .into_string();
                get(v, key)
                    .and_then(|o| get(o, "url"))
                    .and_then(string)
                    .map(str::to_owned)
                    .ok_or_else(|| self.wrong(here(".").s(key), "{url: string}", get(v, key), &fix))
            };
            return match string(kind) {
                Some("text") => match get(v, "text") {
                    Some(Value::String(t)) => Ok(ContentItem::Text(t.clone())),
                    got => Err(self.wrong(
                        here(".text"),
                        "a string",
                        got,
                        "Write {type: \"text\", text: \"…\"}.",
                    )),
                },
                Some("image_url") => url("image_url").map(ContentItem::Image),
                Some("video_url") => url("video_url").map(|u| ContentItem::Video {
                    video: Video::Url(u),
                    fps: None,
                }),
                _ => Err(self.wrong(
                    here(".type"),
                    "\"text\", \"image_url\" or \"video_url\"",
                    Some(kind),
                    ITEM_FIX,
                )),
            };
        }
        if let Some(t) = get(v, "text") {
            return match string(t) {
                Some(t) => Ok(ContentItem::Text(t.to_owned())),
                None => Err(self.wrong(here(".text"), "a string", Some(t), "Write {text: \"…\"}.")),
            };
        }
        if let Some(image) = get(v, "image") {
            if let Some(url) = string(image) {
                return Ok(ContentItem::Image(url.to_owned()));
            }
            let blob = marker(image)
                .and_then(|t| t.strip_prefix('b'))
                .and_then(index);
            let Some(n) = blob else {
                return Err(self.wrong(
                    here(".image"),
                    "a URL string, a data: URL or a Blob",
                    Some(image),
                    "Pass e.g. {image: fileInput.files[0]} or {image: \"https://…/photo.jpg\"}.",
                ));
            };
            // Validation sees a data: URL of the right type; the bytes
            // are read asynchronously once the request is under way.
            let mime = get(image, "t").and_then(string).unwrap_or("");
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
                None => Video::Frames(self.strings(video, || here(".video"), VIDEO, VIDEO_FIX)?),
            };
            let fps = self.number(
                get(v, "fps"),
                || here(".fps"),
                "fps",
                "a number",
                "Pass the frame rate, e.g. fps: 2, or leave it out.",
            )?;
            return Ok(ContentItem::Video { video, fps });
        }
        Err(self.wrong(here(""), ITEM_SHAPE, Some(v), ITEM_FIX))
    }

    fn message(
        &self,
        v: &Value,
        index: usize,
        blobs: &mut Vec<(usize, usize, usize)>,
    ) -> Result<Message, Error> {
        let Some(role) = get(v, "role").and_then(string).and_then(Role::parse) else {
            return Err(self.wrong(
                at(index, None, ".role"),
                "\"system\", \"user\" or \"assistant\"",
                Some(get(v, "role").unwrap_or(&Value::Null)),
                "Use \"user\" for the student's turns and \"assistant\" for earlier answers.",
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
            Some(other) => {
                return Err(self.wrong(
                    at(index, None, ".content"),
                    "a string or an array of content items",
                    Some(other),
                    "Pass text, or e.g. content: [{image: blob}, {text: \"Find x.\"}].",
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
    let js = parse(text, "the request")?;
    // The model, if it is one, names every message below.
    let r = Reader {
        nums,
        model: get(&js, "model").and_then(string).filter(|m| !m.is_empty()),
    };
    if !matches!(js, Value::Object(_)) {
        return Err(r.wrong(
            field("the request"),
            "an object with model and messages",
            Some(&js),
            "Pass e.g. {model: \"qwen3-vl-plus\", messages: [{role: \"user\", content: \"…\"}]}.",
        ));
    }
    let json_transport = match get(&js, "transport") {
        _ if !complete => None,
        None => None,
        Some(Value::String(t)) if t == "stream" => Some(false),
        Some(Value::String(t)) if t == "json" => Some(true),
        Some(v) => {
            return Err(r.wrong(
                field("transport"),
                "\"stream\" or \"json\"",
                Some(v),
                "Pass transport: \"json\" for one JSON reply, or leave it out to stream.",
            ))
        }
    };
    let model = match get(&js, "model") {
        Some(Value::String(m)) => m.clone(),
        None => {
            return Msg::new("model is required: name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog).").err()
        }
        Some(v) => {
            return Err(r.wrong(
                field("model"),
                "a model id string",
                Some(v),
                "Name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog).",
            ))
        }
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
        Some(v) => {
            return Err(r.wrong(
                field("messages"),
                "an array of {role, content}",
                Some(v),
                "Pass e.g. messages: [{role: \"user\", content: \"…\"}].",
            ))
        }
    }

    const STOP: &str = "a string or an array of strings";
    const STOP_FIX: &str =
        "Pass e.g. stop: \"END\" or stop: [\"END\", \"\\n\\n\"], or leave it out.";
    let stop = match get(&js, "stop") {
        None => None,
        Some(Value::String(s)) => Some(Stop::One(s.clone())),
        Some(v) => Some(Stop::Many(r.strings(
            v,
            || field("stop"),
            STOP,
            STOP_FIX,
        )?)),
    };

    const EXTRA_FIX: &str =
        "Pass the wire fields to merge, e.g. extra: {top_k: 20}, or leave it out.";
    let extra = match get(&js, "extra") {
        None => None,
        Some(v) => match marker(v) {
            Some("x") => {
                let text = get(v, "j").and_then(string).unwrap_or("");
                match parse(text, "extra")? {
                    o @ Value::Object(_) => Some(o),
                    other => {
                        return Err(r.wrong(field("extra"), "an object", Some(&other), EXTRA_FIX))
                    }
                }
            }
            Some("x!") => {
                return Err(r.wrong(
                    field("extra"),
                    "JSON-serialisable (no cycles or BigInt)",
                    None,
                    "Remove what JSON.stringify cannot write.",
                ))
            }
            _ => return Err(r.wrong(field("extra"), "an object", Some(v), EXTRA_FIX)),
        },
    };

    let signal = match get(&js, "signal") {
        None => false,
        Some(v) if marker(v) == Some("s") => true,
        Some(v) => {
            return Err(r.wrong(
                field("signal"),
                "an AbortSignal",
                Some(v),
                "Pass an AbortController's signal, or leave it out.",
            ))
        }
    };

    let request = Request {
        model,
        messages,
        enable_thinking: r.opt_bool(&js, "enableThinking")?,
        thinking_budget: r.opt_f64(
            &js,
            "thinkingBudget",
            "a positive integer (a number of tokens)",
            "Pass a number of tokens, e.g. thinkingBudget: 1000, or leave it out (the maximum is the default).",
        )?,
        max_tokens: r.opt_f64(
            &js,
            "maxTokens",
            "a number (of tokens, a positive integer)",
            "Pass a number of tokens, e.g. maxTokens: 1000, or leave it out for the model's default.",
        )?,
        temperature: r.opt_f64(
            &js,
            "temperature",
            "a number",
            "Pass a number from 0 to below 2, e.g. temperature: 0.7, or leave it out.",
        )?,
        top_p: r.opt_f64(
            &js,
            "topP",
            "a number",
            "Pass a number above 0 and at most 1, e.g. topP: 0.8, or leave it out.",
        )?,
        seed: r.opt_f64(
            &js,
            "seed",
            "a number",
            "Pass an integer from 0 to 2147483647, e.g. seed: 42, or leave it out.",
        )?,
        stop,
        vl_high_resolution_images: r.opt_bool(&js, "vlHighResolutionImages")?,
        extra,
    };
    Ok(RequestInput {
        request,
        blobs,
        signal,
        json_transport,
    })
}
