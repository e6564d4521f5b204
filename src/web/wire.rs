//! The Rust side of the boundary with JavaScript: every wasm export of the
//! package, and the private formats they speak. Its one counterpart is
//! `src/web/js/wire.js`, the only JavaScript that calls these exports; the
//! public classes of API.md are JavaScript (`src/web/js/`), and this is
//! the small core API under them. Nothing here calls into JavaScript.
//!
//! The formats (docs/boundary.md has the same table, with the tests):
//!
//! | format | Rust side | JavaScript side |
//! |---|---|---|
//! | error kinds: a kind crosses as its index in [`ErrorKind::ALL`] | `error.rs` | `wire.js` `KINDS` |
//! | error record: `{"kind","message","status"?,"code"?,"requestId"?,"retryable"}` | [`record`] | `wire.js` `fromCore` |
//! | option markers: `{"\u0000":"<tag>"…}` in the options JSON | `options.rs` `marker` | `wire.js` `MARKER`, `options.js` |
//! | per-read part string: flags digit, then `r`/`a` + UTF-16 length + `:` + text, or `u` | [`StreamCore::feed`] | `wire.js` `feed` |
//! | client record: `{"target","stream","json"}`, the target a number only Rust reads | [`client`] | `wire.js` `client` |
//! | transport config: `{"url","headers","timeoutMs","idleTimeoutMs","maxRetries","apiKey"?}` | `options.rs` `transport_json` | `transport.js` |
//! | image fit: `[width, height, tokens]` | [`fit`] | `image.js` |
//!
//! [`contract`] describes them all (a literal that tests/web holds to the
//! constants and encoders the code uses: [`describe_contract`]), and
//! `wire.js` compares that with its own constants when the package loads:
//! a change to one side alone fails every load with a message naming the
//! format, before any request.
//!
//! Failures cross as error records: a JSON text that begins `{"kind":`,
//! which `wire.js` turns into the error classes. Messages come from the
//! core and never hold the API key. An export that can fail returns the
//! record where it would return its value (or nothing): none of those
//! values begins so (a client record `{"target"…`, a Result `{"model"…`,
//! a part string a digit, a token count digits), and `wire.js` `failed`
//! tells them apart by that. Nothing is thrown: a thrown `Err` costs
//! wasm-bindgen's externref table and a conversion shim (≈ 0.6 KB gzip).
//! The Rust functions keep their `Result`s (tests/web calls them); the
//! exports are thin wrappers named `*_export`, each with its JS name.
//!
//! Memory: the only wasm object is a stream's [`StreamCore`]; the
//! transport frees it when the stream ends (the garbage collector cannot
//! see wasm memory, and objects it must finalize cost it time), with
//! wasm-bindgen's FinalizationRegistry behind that for a stream dropped
//! while running. A client has no wasm object: it keeps the record
//! [`client`] returns.

#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::json;
use crate::models::{self, Family, ModelInfo, Region, Rules};
use crate::options::{self, marker};
use crate::protocol::{self, Protocol};
use crate::reply::{Completion, Part};
use crate::request::{self, Content, ContentItem, Request, Target, Transport};
use crate::stream::StreamState;
use crate::{retry, vision};

// ------------------------------------------------------------ the formats

/// Part tags of the per-read string, its separator, and its flag bits.
const REASONING: char = 'r';
const ANSWER: char = 'a';
const USAGE: char = 'u';
const SEP: char = ':';
/// The reply has ended (the transport may stop reading).
const DONE: u8 = 1;
/// An event carried data (what resets the idle timer).
const DATA: u8 = 2;

/// The image fit tuple's order.
const FIT: [&str; 3] = ["width", "height", "tokens"];

/// The error record of `e`: JSON text (see the module docs).
fn record(e: &Error) -> String {
    let kind = ErrorKind::ALL
        .iter()
        .position(|k| *k == e.kind)
        .unwrap_or_default();
    let mut out = String::with_capacity(64 + e.message.len());
    out.push_str("{\"kind\":");
    json::write_u64(kind as u64, &mut out);
    out.push_str(",\"message\":");
    json::write_str(&e.message, &mut out);
    if let Some(status) = e.status {
        out.push_str(",\"status\":");
        json::write_u64(status.into(), &mut out);
    }
    if let Some(code) = &e.code {
        out.push_str(",\"code\":");
        json::write_str(code, &mut out);
    }
    if let Some(id) = &e.request_id {
        out.push_str(",\"requestId\":");
        json::write_str(id, &mut out);
    }
    out.push_str(",\"retryable\":");
    out.push_str(if e.retryable { "true" } else { "false" });
    out.push('}');
    out
}

/// For `Result<_, Error>` -> `Result<_, String>` (the `Err` a record).
/// Cold and out of line: the hot exports (`feed`) stay small, so V8's
/// optimising tier compiles less on the first reply (bench/README.md
/// "Small reads").
#[cold]
#[inline(never)]
fn thrown(e: Error) -> String {
    record(&e)
}

/// An export's value, or in its place the error record.
fn value_or_record(r: Result<String, String>) -> String {
    r.unwrap_or_else(|e| e)
}

fn strings(items: &[&str], out: &mut String) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(s, out);
    }
    out.push(']');
}

/// The top-level keys of a JSON object text, in order.
fn keys(text: &str) -> Vec<String> {
    match json::parse(text.as_bytes()) {
        Ok(json::Value::Object(members)) => members.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

/// Every format above, described (JSON): the error kinds' names in order,
/// the option markers, the part string's tags and flags, the keys of the
/// transport config, of the client record and of an error record, and the
/// fit tuple. `wire.js` checks it against its own table when the package
/// loads. A literal, so that the wasm carries no code to build it (and no
/// JSON tree parser for the samples: ≈ 1.7 KB gzip);
/// [`describe_contract`] builds the same text from the constants and the
/// real encoders, and tests/web fails when the two differ.
const CONTRACT: &str = r#"{"kinds":["ApiError","NetworkError","TimeoutError","AbortError","StreamError","InvalidRequestError"],"marker":{"key":"\u0000","num":"n","blob":"b","blobType":"t","signal":"s","extra":"x","extraText":"j","extraBad":"x!","unsupported":"?"},"parts":{"reasoning":"r","answer":"a","usage":"u","sep":":","done":1,"data":2},"transport":["url","headers","timeoutMs","idleTimeoutMs","maxRetries","apiKey"],"client":["target","stream","json"],"error":["kind","message","status","code","requestId","retryable"],"fit":["width","height","tokens"]}"#;

/// [`CONTRACT`], for `wire.js`.
#[wasm_bindgen]
pub fn contract() -> String {
    String::from(CONTRACT)
}

/// What [`CONTRACT`] must say, built from the constants the code uses and
/// read off samples made by the real encoders (the keys of a transport
/// config, a client record, an error record), so that a change to either
/// fails tests/web until the literal follows. Not an export: the npm build
/// leaves it out.
#[doc(hidden)]
pub fn describe_contract() -> String {
    let mut out = String::from("{\"kinds\":");
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
    strings(&kinds, &mut out);
    out.push_str(",\"marker\":");
    let m = [
        ("key", marker::KEY),
        ("num", marker::NUM),
        ("blob", marker::BLOB),
        ("blobType", marker::BLOB_TYPE),
        ("signal", marker::SIGNAL),
        ("extra", marker::EXTRA),
        ("extraText", marker::EXTRA_TEXT),
        ("extraBad", marker::EXTRA_BAD),
        ("unsupported", marker::UNSUPPORTED),
    ];
    for (i, (k, v)) in m.iter().enumerate() {
        out.push(if i == 0 { '{' } else { ',' });
        json::write_str(k, &mut out);
        out.push(':');
        json::write_str(v, &mut out);
    }
    out.push_str("},\"parts\":{");
    for (k, v) in [
        ("reasoning", REASONING),
        ("answer", ANSWER),
        ("usage", USAGE),
    ] {
        json::write_str(k, &mut out);
        out.push_str(":\"");
        out.push(v);
        out.push_str("\",");
    }
    out.push_str("\"sep\":\"");
    out.push(SEP);
    out.push_str("\",\"done\":");
    json::write_u64(DONE.into(), &mut out);
    out.push_str(",\"data\":");
    json::write_u64(DATA.into(), &mut out);
    out.push_str("},\"transport\":");
    let sample = options::client("{\"apiKey\":\"k\"}", &[])
        .map(|c| c.transport_json(Transport::Stream))
        .unwrap_or_default();
    let k = keys(&sample);
    strings(&k.iter().map(String::as_str).collect::<Vec<_>>(), &mut out);
    out.push_str(",\"client\":");
    let k = keys(&client("{}", &[], false).unwrap_or_default());
    strings(&k.iter().map(String::as_str).collect::<Vec<_>>(), &mut out);
    out.push_str(",\"error\":");
    let mut e = Error::new(ErrorKind::Api, "m");
    e.status = Some(500);
    e.code = Some(String::from("c"));
    e.request_id = Some(String::from("r"));
    let k = keys(&record(&e));
    strings(&k.iter().map(String::as_str).collect::<Vec<_>>(), &mut out);
    out.push_str(",\"fit\":");
    strings(&FIT, &mut out);
    out.push('}');
    out
}

// ------------------------------------------------------------ client

/// What validation reads of a client's target, as one number that the
/// JavaScript side keeps and hands back to [`start`] without reading it:
/// bit 0 the protocol, bits 1-2 the region, bit 3 whether the caller named
/// the region, bit 4 whether a `baseUrl` was given.
fn target_code(t: &Target) -> u32 {
    let protocol = u32::from(t.protocol == Protocol::DashScope);
    let region = Region::ALL.iter().position(|r| *r == t.region).unwrap_or(0) as u32;
    protocol
        | region << 1
        | u32::from(t.region_explicit) << 3
        | u32::from(t.base_url.is_some()) << 4
}

fn target(code: u32) -> Target {
    Target {
        protocol: if code & 1 == 0 {
            Protocol::OpenAi
        } else {
            Protocol::DashScope
        },
        region: Region::ALL
            .get((code >> 1 & 3) as usize)
            .copied()
            .unwrap_or(Region::Intl),
        region_explicit: code & 8 != 0,
        // Validation asks only whether there is one.
        base_url: (code & 16 != 0).then(String::new),
    }
}

/// ClientOptions as `options.js` encodes them, resolved (`new Client`):
/// `{"target": <n>, "stream": <transport config>, "json": <transport
/// config>}`, the target being [`target_code`]'s. `browser`: the scope is
/// a page or a Worker, where an API key is readable by anyone. A client
/// keeps no wasm object: each one would wait for the garbage collector to
/// free it, and dropped clients cost the collector (measured: ~60 µs per
/// client created per stream, in Node).
pub fn client(json: &str, nums: &[f64], browser: bool) -> Result<String, String> {
    let config = options::client(json, nums).map_err(thrown)?;
    if config.api_key.is_some() && !config.allow_browser && browser {
        return Err(record(&Error::invalid_request(
            "an apiKey in a web page or Worker is public: anyone can read it from the \
             page. Keep the key in a relay (pass its URL as baseUrl and omit apiKey), or \
             pass dangerouslyAllowBrowser: true if you accept that risk",
        )));
    }
    let mut out = String::from("{\"target\":");
    json::write_u64(target_code(&config.target).into(), &mut out);
    out.push_str(",\"stream\":");
    out.push_str(&config.transport_json(Transport::Stream));
    out.push_str(",\"json\":");
    out.push_str(&config.transport_json(Transport::Json));
    out.push('}');
    Ok(out)
}

/// [`client`]: the client record, or the error record.
#[wasm_bindgen(js_name = client)]
pub fn client_export(json: &str, nums: &[f64], browser: bool) -> String {
    value_or_record(client(json, nums, browser))
}

/// Converts and validates a request (RequestOptions as `options.js`
/// encodes them) for the client of `target`; throws the
/// InvalidRequestError. `complete`: read `transport` too (`complete()`);
/// `stream()` always streams.
pub fn start(
    target_code: u32,
    json: &str,
    nums: &[f64],
    complete: bool,
) -> Result<StreamCore, String> {
    let input = options::request(json, nums, complete).map_err(thrown)?;
    let transport = match input.json_transport {
        Some(true) => Transport::Json,
        _ => Transport::Stream,
    };
    let target = target(target_code);
    request::validate(&input.request, &target, transport).map_err(thrown)?;
    let mut blobs = Vec::with_capacity(input.blobs.len());
    let mut order = Vec::with_capacity(input.blobs.len());
    for (m, i, b) in input.blobs {
        blobs.push((m, i));
        order.push(b as u32);
    }
    Ok(StreamCore {
        state: StreamState::new(target.protocol, &input.request.model),
        protocol: target.protocol,
        transport,
        request: input.request,
        blobs,
        order,
        usage_stale: false,
    })
}

/// [`start`]'s core, or nothing when the request is refused: then
/// `startError` (called with the same arguments) gives the record. A
/// refusal converts and validates twice, which only a failing call pays;
/// a record kept for later would need global state.
#[wasm_bindgen(js_name = start)]
pub fn start_export(
    target_code: u32,
    json: &str,
    nums: &[f64],
    complete: bool,
) -> Option<StreamCore> {
    start(target_code, json, nums, complete).ok()
}

/// The error record of a request [`start_export`] refused.
#[wasm_bindgen(js_name = startError)]
pub fn start_error(target_code: u32, json: &str, nums: &[f64], complete: bool) -> Option<String> {
    start(target_code, json, nums, complete).err()
}

// ------------------------------------------------------------ stream

/// One request's core: its wire body until sent, then the decoding state
/// of its reply. `transport.js` drives it, and frees it (`free()`) as soon
/// as the stream ends, having kept what a page reads afterwards.
#[wasm_bindgen]
pub struct StreamCore {
    state: StreamState,
    protocol: Protocol,
    transport: Transport,
    request: Request,
    /// Where each Blob image goes, `messages[.0].content[.1]`, in the
    /// order of `order` (the Blobs' indices in the encoder's list).
    blobs: Vec<(usize, usize)>,
    order: Vec<u32>,
    /// The usage changed since `usage` last gave it: the JS side keeps one
    /// object per change, so `stream.usage` and the usage part are the
    /// same object.
    usage_stale: bool,
}

/// A text's length in JavaScript string units (UTF-16 code units): one per
/// character, two for those outside the BMP (4-byte UTF-8 sequences).
fn utf16_len(s: &str) -> usize {
    s.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

fn completion_json(c: &Completion) -> String {
    let mut out = String::with_capacity(96 + c.reasoning.len() + c.answer.len());
    out.push_str("{\"model\":");
    json::write_str(&c.model, &mut out);
    out.push_str(",\"reasoning\":");
    json::write_str(&c.reasoning, &mut out);
    out.push_str(",\"answer\":");
    json::write_str(&c.answer, &mut out);
    out.push_str(",\"finishReason\":");
    json::write_str(&c.finish_reason, &mut out);
    if let Some(u) = &c.usage {
        out.push_str(",\"usage\":");
        out.push_str(&u.to_json());
    }
    if let Some(id) = &c.request_id {
        out.push_str(",\"requestId\":");
        json::write_str(id, &mut out);
    }
    out.push('}');
    out
}

#[wasm_bindgen]
impl StreamCore {
    /// A `transport: "json"` request (one JSON response, no stream).
    #[wasm_bindgen(getter)]
    pub fn json(&self) -> bool {
        self.transport == Transport::Json
    }

    /// The Blob images the request uses, as indices into the encoder's
    /// list, in the order `blob` expects them: a JSON array (as [`fit`]'s,
    /// so that no export returns a typed array and the JS glue carries no
    /// code for one).
    pub fn blobs(&self) -> String {
        numbers(&self.order)
    }

    /// Blob image `index` (of `blobs`): its bytes, as a base64 `data:` URL
    /// in its place.
    pub fn blob(&mut self, index: usize, mime: String, bytes: &[u8]) {
        let Some(&(m, i)) = self.blobs.get(index) else {
            return;
        };
        let slot = self
            .request
            .messages
            .get_mut(m)
            .and_then(|m| match &mut m.content {
                Content::Items(items) => items.get_mut(i),
                Content::Text(_) => None,
            });
        if let Some(ContentItem::Image(url)) = slot {
            *url = crate::base64::data_url(&mime_or_default(mime), bytes);
        }
    }

    /// The wire body. Called once: the request (images and history
    /// included) is not kept past it; the transport holds the body for
    /// retries.
    pub fn body(&mut self) -> String {
        let request = core::mem::take(&mut self.request);
        request::encode(&request, self.protocol, self.transport)
    }

    /// [`StreamCore::headers`]: the StreamError record, or nothing.
    #[wasm_bindgen(js_name = headers)]
    pub fn headers_export(
        &mut self,
        content_type: Option<String>,
        request_id: Option<String>,
    ) -> Option<String> {
        self.headers(content_type, request_id).err()
    }

    /// [`StreamCore::feed`]: the part string, nothing, or the error record.
    #[wasm_bindgen(js_name = feed)]
    pub fn feed_export(&mut self, bytes: &[u8]) -> Option<String> {
        self.feed(bytes).unwrap_or_else(Some)
    }

    /// [`StreamCore::end`]: the error record, or nothing.
    #[wasm_bindgen(js_name = end)]
    pub fn end_export(&mut self) -> Option<String> {
        self.end().err()
    }

    /// [`StreamCore::json_result`]: the Result, or the error record.
    #[wasm_bindgen(js_name = jsonResult)]
    pub fn json_result_export(&self, body: &[u8], request_id: Option<String>) -> String {
        value_or_record(self.json_result(body, request_id))
    }
    /// The usage as JSON text if it changed since the last call.
    pub fn usage(&mut self) -> Option<String> {
        if !self.usage_stale {
            return None;
        }
        self.usage_stale = false;
        self.state.usage().map(|u| u.to_json())
    }

    /// The ApiError record for an HTTP status >= 400 and its body.
    #[wasm_bindgen(js_name = httpError)]
    pub fn http_error(&self, status: u16, body: &[u8], request_id: Option<String>) -> String {
        record(&protocol::http_error(status, body, request_id.as_deref()))
    }

    /// The model the body named (else the one asked for), the finish
    /// reason and the request id, JSON keyed as the Result (API.md) names
    /// them, the absent ones left out: one crossing for the three.
    pub fn meta(&self) -> String {
        let mut out = String::from("{\"model\":");
        json::write_str(self.state.model(), &mut out);
        if let Some(f) = self.state.finish_reason() {
            out.push_str(",\"finishReason\":");
            json::write_str(f, &mut out);
        }
        if let Some(id) = self.state.request_id() {
            out.push_str(",\"requestId\":");
            json::write_str(id, &mut out);
        }
        out.push('}');
        out
    }
}

/// What the exports above wrap (tests/web calls these).
impl StreamCore {
    /// The model the body named, else the one asked for.
    pub fn model(&self) -> String {
        self.state.model().into()
    }

    pub fn finish_reason(&self) -> Option<String> {
        self.state.finish_reason().map(String::from)
    }

    pub fn request_id(&self) -> Option<String> {
        self.state.request_id().map(String::from)
    }

    /// Response headers of a stream: the StreamError record unless it is an
    /// event stream.
    pub fn headers(
        &mut self,
        content_type: Option<String>,
        request_id: Option<String>,
    ) -> Result<(), String> {
        StreamState::check_content_type(content_type.as_deref()).map_err(thrown)?;
        if let Some(id) = request_id {
            self.state.set_header_request_id(&id);
        }
        Ok(())
    }

    /// One body read, its coalesced parts in one string (one crossing and
    /// one UTF-8 decode a read; `wire.js` makes the part objects): a digit
    /// of flags ([`DONE`], [`DATA`]), then per part [`REASONING`] or
    /// [`ANSWER`], the text's length in UTF-16 units, [`SEP`] and the text;
    /// or [`USAGE`] for the usage part. Nothing (`undefined`) when the
    /// read completed no event and the reply goes on: the common case of a
    /// small read, which then costs no string. The `Err` is the error record.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<String>, String> {
        let feed = self.state.feed(bytes).map_err(thrown)?;
        if feed.data_events > 0 && self.state.has_usage() {
            self.usage_stale = true;
        }
        let flags = (if self.state.is_done() { DONE } else { 0 })
            | (if feed.data_events > 0 { DATA } else { 0 });
        if flags == 0 && feed.parts.is_empty() {
            return Ok(None);
        }
        let mut out = String::new();
        out.push(char::from(b'0' + flags));
        for part in feed.parts {
            let (tag, text) = match part {
                Part::Reasoning(r) => (REASONING, self.state.reasoning().get(r)),
                Part::Answer(r) => (ANSWER, self.state.answer().get(r)),
                Part::Usage => (USAGE, None),
            };
            out.push(tag);
            if let Some(t) = text {
                json::write_u64(utf16_len(t) as u64, &mut out);
                out.push(SEP);
                out.push_str(t);
            }
        }
        Ok(Some(out))
    }

    /// The body ended (or the reply's last event came): the `Err` is the
    /// record unless the reply finished.
    pub fn end(&mut self) -> Result<(), String> {
        self.state.end().map_err(thrown)
    }

    /// A `transport: "json"` body as the Result, JSON text; the `Err` the
    /// record.
    pub fn json_result(&self, body: &[u8], request_id: Option<String>) -> Result<String, String> {
        let mut c = protocol::decode_json_response(self.protocol, body, self.state.model())
            .map_err(thrown)?;
        if c.request_id.is_none() {
            c.request_id = request_id;
        }
        Ok(completion_json(&c))
    }
}

// ------------------------------------------------------------ retries

/// The core's retry rule (`retry::is_retryable`) for a failure only the
/// transport sees (a network failure, a timeout, an abort): `kind` an
/// index into [`ErrorKind::ALL`]; `body_started`: bytes of the reply's
/// body had arrived.
#[wasm_bindgen]
pub fn retryable(kind: u8, body_started: bool) -> bool {
    ErrorKind::ALL
        .get(usize::from(kind))
        .is_some_and(|k| retry::is_retryable(*k, None, body_started))
}

/// Milliseconds to wait before retry `attempt` + 1. `retry_after`: the
/// Retry-After header in milliseconds from now, read by `wire.js`
/// `retryAfterMs` (the rule of [`retry::retry_after_ms`], with the
/// engine's `Date` for the calendar: ~1 KB gzip of wasm less), which
/// `backoff_ms` clamps to 0..60 s.
#[wasm_bindgen]
pub fn backoff(attempt: u32, jitter: f64, retry_after: Option<f64>) -> f64 {
    retry::backoff_ms(attempt, jitter, retry_after)
}

// ------------------------------------------------------------ models

fn model_json(id: &str, r: &Rules, out: &mut String) {
    out.push_str("{\"id\":");
    json::write_str(id, out);
    out.push_str(",\"family\":");
    json::write_str(r.family.as_str(), out);
    out.push_str(",\"thinking\":");
    json::write_str(r.thinking.as_str(), out);
    out.push_str(",\"streamingOnly\":");
    out.push_str(if r.streaming_only { "true" } else { "false" });
    out.push_str(",\"thinkingBudget\":");
    out.push_str(if r.thinking_budget { "true" } else { "false" });
    out.push_str(",\"regions\":[");
    for (i, region) in r.regions.unwrap_or(&[]).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(region.as_str(), out);
    }
    out.push_str("]}");
}

/// The catalog (`models()`), JSON: ModelInfo[].
#[wasm_bindgen]
pub fn models() -> String {
    let mut out = String::from("[");
    for (i, m) in models::CATALOG.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let ModelInfo { id, rules } = m;
        model_json(id, rules, &mut out);
    }
    out.push(']');
    out
}

/// `modelInfo(id)`, JSON: the catalog's entry, else the rules an id's
/// prefix implies (with no regions: nothing is known of them), else none.
#[wasm_bindgen(js_name = modelInfo)]
pub fn model_info(id: &str) -> Option<String> {
    let rules = models::rules(id)?;
    let mut out = String::new();
    model_json(id, &rules, &mut out);
    Some(out)
}

// ------------------------------------------------------------ images

/// Unknown ids get Qwen3-VL's rules, as API.md says.
fn family(model: &str) -> Family {
    models::rules(model).map_or(Family::Qwen3Vl, |r| r.family)
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// `maxPixels` as given (`None` when absent; `image.js` passes NaN for a
/// value that is not a number): the `Err` is the InvalidRequestError record.
/// Not an export of its own: prepareImage asks `estimateImageTokens` of a
/// 1 × 1 image, which checks this first.
pub fn max_pixels(v: Option<f64>) -> Result<(), String> {
    match v {
        Some(n) if !positive(n) => Err(record(&Error::invalid_request(
            "maxPixels must be a positive number",
        ))),
        _ => Ok(()),
    }
}

/// [`estimate_image_tokens`]: the tokens in decimal digits, or the
/// InvalidRequestError record.
#[wasm_bindgen(js_name = estimateImageTokens)]
pub fn estimate_image_tokens_export(
    width: f64,
    height: f64,
    model: &str,
    high_resolution: bool,
    max: Option<f64>,
) -> String {
    value_or_record(
        estimate_image_tokens(width, height, model, high_resolution, max).map(|n| {
            let mut out = String::new();
            json::write_u64(n.into(), &mut out);
            out
        }),
    )
}

/// The tokens an image of this size costs with `model` (after the
/// server's own resize); the `Err` is the InvalidRequestError record.
pub fn estimate_image_tokens(
    width: f64,
    height: f64,
    model: &str,
    high_resolution: bool,
    max: Option<f64>,
) -> Result<u32, String> {
    if !positive(width) || !positive(height) {
        return Err(record(&Error::invalid_request(
            "estimateImageTokens needs a positive width and height in pixels",
        )));
    }
    max_pixels(max)?;
    Ok(vision::image_tokens(
        width,
        height,
        family(model),
        max,
        high_resolution,
    ))
}

/// [`fit`] as a JSON array.
#[wasm_bindgen(js_name = fit)]
pub fn fit_export(width: u32, height: u32, model: &str, max: Option<f64>) -> String {
    numbers(&fit(width, height, model, max))
}

/// `[1,2]`.
fn numbers(items: &[u32]) -> String {
    let mut out = String::from("[");
    for (i, n) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_u64((*n).into(), &mut out);
    }
    out.push(']');
    out
}

/// prepareImage's size for a decoded image, in [`FIT`]'s order: the
/// tokens being what the service charges for the image as sent (it
/// resizes with its own limit; `max` only sets ours).
pub fn fit(width: u32, height: u32, model: &str, max: Option<f64>) -> Vec<u32> {
    let family = family(model);
    let max = match max {
        // `as` saturates: a huge limit is just "no limit".
        Some(n) => n as u64,
        None => vision::default_max_pixels(family, false),
    };
    let (w, h) = vision::fit(width, height, max);
    let (w, h) = (w.max(1), h.max(1));
    let tokens = vision::image_tokens(w.into(), h.into(), family, None, false);
    Vec::from([w, h, tokens])
}

/// A Blob's MIME type, with the generic one when the browser knows none.
fn mime_or_default(t: String) -> String {
    if t.is_empty() {
        String::from("application/octet-stream")
    } else {
        t
    }
}

/// `data:<mime>;base64,<bytes>`, as [`StreamCore::blob`] writes it. Not an
/// export (prepareImage has the engine's FileReader); tests/web checks the
/// encoding through it.
pub fn data_url(mime: String, bytes: &[u8]) -> String {
    crate::base64::data_url(&mime_or_default(mime), bytes)
}
