//! `ReasoningStream`, the core it drives, and prepareImage's handle on
//! the core (`PartIterator`). The parts iterator itself is plain JS
//! (glue.js `Parts`).
//!
//! The transport (fetch, retries, timers, the body loop, the queue of parts
//! and parked `next()` calls) runs in `glue.js`; the classes here forward
//! to that run and hold the stream's core. The run reaches the core through
//! a second `ReasoningStream` over the same core, whose hidden `__*` methods
//! (not in the .d.ts) do everything that decides something: encoding,
//! feeding the parser, the error objects, retry delays. Hidden methods
//! rather than a class of their own: every exported name is public
//! surface, and the exports are held to API.md's list.
//!
//! No method calls back into caller code while it borrows the core, so
//! the `RefCell` borrows cannot overlap (JS may call `next()` again before
//! the last call settles: the queue lives in JS).

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::rc::Rc;
use core::cell::RefCell;

use js_sys::{Array, JsString, Promise};
use wasm_bindgen::prelude::*;

use super::convert;
use super::glue::{self, Run};
use crate::error::{Error, ErrorKind};
use crate::models;
use crate::protocol::{self, Protocol};
use crate::reply::Part;
use crate::request::{self, Content, ContentItem, Request, Transport};
use crate::stream::StreamState;
use crate::{retry, vision};

/// One request's core state.
pub(crate) struct Core {
    state: StreamState,
    protocol: Protocol,
    transport: Transport,
    request: Request,
    /// Where each Blob image of the request goes, in the order of the
    /// Blobs handed to the run: `messages[.0].content[.1]`.
    blobs: Vec<(usize, usize)>,
    /// The usage changed since glue.js last fetched it (`__usage`); glue.js
    /// keeps one object per change, so `stream.usage` and the usage part
    /// are the same object.
    usage_stale: bool,
}

impl Core {
    pub(crate) fn new(
        protocol: Protocol,
        transport: Transport,
        request: Request,
        blobs: Vec<(usize, usize)>,
    ) -> Core {
        Core {
            state: StreamState::new(protocol, &request.model),
            protocol,
            transport,
            request,
            blobs,
            usage_stale: false,
        }
    }

    /// The JS error for `e`, with what text had arrived as `partial`.
    fn error(&self, e: &Error) -> JsValue {
        let partial = if self.state.has_text() {
            Some(convert::completion(&self.state.partial()))
        } else {
            None
        };
        convert::error(e, partial.as_ref())
    }
}

/// A text's length in JavaScript string units (UTF-16 code units): one per
/// character, two for those outside the BMP (4-byte UTF-8 sequences).
fn utf16_len(s: &str) -> usize {
    s.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// glue.js's error kinds are `ErrorKind`'s order.
fn kind(k: u8) -> ErrorKind {
    match k {
        0 => ErrorKind::Api,
        1 => ErrorKind::Network,
        2 => ErrorKind::Timeout,
        3 => ErrorKind::Abort,
        4 => ErrorKind::Stream,
        _ => ErrorKind::InvalidRequest,
    }
}

fn kind_error(k: u8, message: &str, retryable: bool) -> Error {
    let mut e = Error::new(kind(k), message);
    e.retryable = retryable;
    e
}

/// The reply as it streams: an async iterable of parts, with the texts so
/// far, the usage and the request id as live properties.
#[wasm_bindgen]
pub struct ReasoningStream {
    core: Rc<RefCell<Core>>,
    run: Run,
}

impl ReasoningStream {
    /// Starts the request (see glue.js `run`). `turn`: a Conversation's
    /// history and the user message it commits on success.
    pub(crate) fn start(
        core: Core,
        cfg: &JsValue,
        signal: &JsValue,
        blobs: &Array,
        turn: Option<(&Array, &JsValue)>,
    ) -> ReasoningStream {
        let json = core.transport == Transport::Json;
        let core = Rc::new(RefCell::new(core));
        let handle = ReasoningStream {
            core: core.clone(),
            run: JsValue::UNDEFINED.unchecked_into(),
        };
        let (history, user) = match turn {
            Some((h, u)) => (h.into(), u.clone()),
            None => (JsValue::UNDEFINED, JsValue::UNDEFINED),
        };
        let run = glue::run(handle, cfg, json, signal, blobs, &history, &user);
        ReasoningStream { core, run }
    }

    pub(crate) fn result_promise(&self) -> Promise {
        self.run.result()
    }
}

#[wasm_bindgen]
impl ReasoningStream {
    /// Iterates the parts; leaving the loop early aborts the request.
    #[wasm_bindgen(
        js_name = "[Symbol.asyncIterator]",
        unchecked_return_type = "AsyncIterator<Part>"
    )]
    pub fn iterator(&self) -> JsValue {
        glue::parts(&self.run)
    }

    /// All reasoning text received so far.
    #[wasm_bindgen(getter)]
    pub fn reasoning(&self) -> JsString {
        self.run.reasoning()
    }

    /// All answer text received so far.
    #[wasm_bindgen(getter)]
    pub fn answer(&self) -> JsString {
        self.run.answer()
    }

    /// Token usage: with dashscope updated by every event, with openai set
    /// at the end.
    #[wasm_bindgen(getter, unchecked_return_type = "Usage | undefined")]
    pub fn usage(&self) -> JsValue {
        self.run.usage()
    }

    #[wasm_bindgen(getter, js_name = requestId)]
    pub fn request_id(&self) -> Option<String> {
        self.core.borrow().state.request_id().map(String::from)
    }

    #[wasm_bindgen(getter, js_name = finishReason)]
    pub fn finish_reason(&self) -> Option<String> {
        self.core.borrow().state.finish_reason().map(String::from)
    }

    /// Reads the rest (if not iterated) and resolves the whole Result.
    #[wasm_bindgen(unchecked_return_type = "Promise<Result>")]
    pub fn result(&self) -> Promise {
        self.run.result()
    }

    /// The parts as a `ReadableStream`, e.g. to `postMessage` from a Worker
    /// to its page (streams are transferable). Reading it consumes the
    /// parts as iterating would (use one or the other); cancelling it
    /// stops the request; a failure errors it with the error iteration
    /// would throw.
    #[wasm_bindgen(js_name = toReadableStream, unchecked_return_type = "ReadableStream<Part>")]
    pub fn to_readable_stream(&self) -> JsValue {
        glue::readable(&self.run)
    }

    /// Two `ReadableStream`s that each get every part (the same objects),
    /// e.g. one to render and one to log. The request stops only when
    /// both are cancelled.
    #[wasm_bindgen(unchecked_return_type = "[ReadableStream<Part>, ReadableStream<Part>]")]
    pub fn tee(&self) -> JsValue {
        glue::tee(&self.run)
    }

    /// Cancels the request: the server sees the connection close, and
    /// `next()` / `result()` reject with AbortError.
    pub fn abort(&self) {
        self.run.abort()
    }

    // ------------------------------------------------ for glue.js only

    /// A Blob image's bytes, as a base64 `data:` URL in its place.
    #[wasm_bindgen(js_name = "__blob", skip_typescript)]
    pub fn blob(&self, index: usize, mime: String, bytes: &[u8]) {
        let mut core = self.core.borrow_mut();
        let Some(&(m, i)) = core.blobs.get(index) else {
            return;
        };
        let slot = core
            .request
            .messages
            .get_mut(m)
            .and_then(|m| match &mut m.content {
                Content::Items(items) => items.get_mut(i),
                Content::Text(_) => None,
            });
        if let Some(ContentItem::Image(url)) = slot {
            *url = crate::base64::data_url(&convert::mime_or_default(mime), bytes);
        }
    }

    /// The wire body. Called once: the request (images and history
    /// included) is not kept past it, glue.js holds the body for retries.
    #[wasm_bindgen(js_name = "__body", skip_typescript)]
    pub fn body(&self) -> String {
        let mut core = self.core.borrow_mut();
        let request = core::mem::take(&mut core.request);
        request::encode(&request, core.protocol, core.transport)
    }

    /// The stream ended: its buffers go now, not when the garbage
    /// collector gets to this object (see `StreamState::release`).
    #[wasm_bindgen(js_name = "__release", skip_typescript)]
    pub fn release(&self) {
        self.core.borrow_mut().state.release();
    }

    /// Response headers of a stream: throws StreamError unless it is an
    /// event stream.
    #[wasm_bindgen(js_name = "__headers", skip_typescript)]
    pub fn headers(
        &self,
        content_type: Option<String>,
        request_id: Option<String>,
    ) -> Result<(), JsValue> {
        let mut core = self.core.borrow_mut();
        StreamState::check_content_type(content_type.as_deref()).map_err(|e| core.error(&e))?;
        if let Some(id) = request_id {
            core.state.set_header_request_id(&id);
        }
        Ok(())
    }

    /// One body read, its coalesced parts in one string (one crossing and
    /// one UTF-8 decode a read; glue.js makes the part objects): a digit of
    /// flags (bit 0: the reply has ended; bit 1: an event carried data, the
    /// idle timer's measure), then per part `r` or `a`, the text's length
    /// in UTF-16 units, `:` and the text; or `u` for the usage part.
    #[wasm_bindgen(js_name = "__feed", skip_typescript)]
    pub fn feed(&self, bytes: &[u8]) -> Result<String, JsValue> {
        let mut guard = self.core.borrow_mut();
        let core = &mut *guard;
        let feed = match core.state.feed(bytes) {
            Ok(f) => f,
            Err(e) => return Err(core.error(&e)),
        };
        if feed.data_events > 0 && core.state.has_usage() {
            core.usage_stale = true;
        }
        let flags = u8::from(core.state.is_done()) | (u8::from(feed.data_events > 0) << 1);
        let mut out = String::new();
        out.push(char::from(b'0' + flags));
        for part in feed.parts {
            let (tag, text) = match part {
                Part::Reasoning(r) => ('r', core.state.reasoning().get(r)),
                Part::Answer(r) => ('a', core.state.answer().get(r)),
                Part::Usage => ('u', None),
            };
            out.push(tag);
            if let Some(t) = text {
                crate::json::write_u64(utf16_len(t) as u64, &mut out);
                out.push(':');
                out.push_str(t);
            }
        }
        Ok(out)
    }

    /// The usage as JSON text if it changed since the last call.
    #[wasm_bindgen(js_name = "__usage", skip_typescript)]
    pub fn usage_json(&self) -> Option<String> {
        let mut core = self.core.borrow_mut();
        if !core.usage_stale {
            return None;
        }
        core.usage_stale = false;
        core.state.usage().map(|u| u.to_json())
    }

    /// The body ended (or the reply's last event came): throws unless the
    /// reply finished.
    #[wasm_bindgen(js_name = "__end", skip_typescript)]
    pub fn end(&self) -> Result<(), JsValue> {
        let mut core = self.core.borrow_mut();
        core.state.end().map_err(|e| core.error(&e))
    }

    /// The ApiError for an HTTP status >= 400 and its body.
    #[wasm_bindgen(js_name = "__httpError", skip_typescript)]
    pub fn http_error(&self, status: u16, body: &[u8], request_id: Option<String>) -> JsValue {
        let e = protocol::http_error(status, body, request_id.as_deref());
        self.core.borrow().error(&e)
    }

    /// Milliseconds to wait before retry `attempt` + 1.
    #[wasm_bindgen(js_name = "__backoff", skip_typescript)]
    pub fn backoff(&self, attempt: u32, jitter: f64, retry_after: Option<String>, now: f64) -> f64 {
        let after = retry_after.and_then(|h| retry::retry_after_ms(&h, now));
        retry::backoff_ms(attempt, jitter, after)
    }

    /// A `transport: "json"` body as the Result.
    #[wasm_bindgen(js_name = "__json", skip_typescript)]
    pub fn json(&self, body: &[u8], request_id: Option<String>) -> Result<JsValue, JsValue> {
        let core = self.core.borrow();
        let mut c = protocol::decode_json_response(core.protocol, body, core.state.model())
            .map_err(|e| core.error(&e))?;
        if c.request_id.is_none() {
            c.request_id = request_id;
        }
        Ok(convert::completion(&c))
    }

    /// An error of glue.js's `kind` (see `kind`), with `partial`.
    #[wasm_bindgen(js_name = "__error", skip_typescript)]
    pub fn error(&self, kind: u8, message: &str, retryable: bool) -> JsValue {
        self.core
            .borrow()
            .error(&kind_error(kind, message, retryable))
    }

    /// The Result of a finished stream; the texts come as JS strings.
    #[wasm_bindgen(js_name = "__result", skip_typescript)]
    pub fn finished(&self, reasoning: &JsValue, answer: &JsValue, usage: &JsValue) -> JsValue {
        let core = self.core.borrow();
        let s = &core.state;
        convert::result(
            s.model(),
            reasoning,
            answer,
            s.finish_reason().unwrap_or(""),
            if usage.is_undefined() {
                None
            } else {
                Some(usage)
            },
            s.request_id(),
        )
    }
}

/// prepareImage's handle on the core: its hidden methods run the resize
/// rules and the base64 encoding for glue.js. (The parts iterator is a
/// plain JS object, glue.js `Parts`: a `next()` per part never crosses
/// into wasm.) Not in the .d.ts: nothing but glue.js uses it.
#[wasm_bindgen(skip_typescript)]
pub struct PartIterator {}

#[wasm_bindgen]
impl PartIterator {
    // ------------------------------------------------ for glue.js only

    /// An error of glue.js's `kind`, no `partial`.
    #[wasm_bindgen(js_name = "__error", skip_typescript)]
    pub fn error(&self, kind: u8, message: &str, retryable: bool) -> JsValue {
        convert::error(&kind_error(kind, message, retryable), None)
    }

    /// prepareImage's size for a decoded image: `[width, height, tokens]`,
    /// the tokens being what the service charges for the image as sent
    /// (it resizes with its own limit; `max_pixels` only sets ours).
    #[wasm_bindgen(js_name = "__fit", skip_typescript)]
    pub fn fit(&self, width: u32, height: u32, model: &str, max_pixels: Option<f64>) -> Array {
        let family = models::rules(model).map_or(models::Family::Qwen3Vl, |r| r.family);
        let max = match max_pixels {
            // `as` saturates: a huge limit is just "no limit".
            Some(n) => n as u64,
            None => vision::default_max_pixels(family, false),
        };
        let (w, h) = vision::fit(width, height, max);
        let (w, h) = (w.max(1), h.max(1));
        let tokens = vision::image_tokens(w.into(), h.into(), family, None, false);
        Array::of3(&w.into(), &h.into(), &tokens.into())
    }

    /// `data:<mime>;base64,<bytes>`.
    #[wasm_bindgen(js_name = "__dataUrl", skip_typescript)]
    pub fn data_url(&self, mime: String, bytes: &[u8]) -> String {
        crate::base64::data_url(&convert::mime_or_default(mime), bytes)
    }
}
