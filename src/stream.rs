//! Deltas -> coalesced parts, the running texts, finish state and Result.
//!
//! `StreamState` owns the SSE parser and the protocol codec for one reply.
//! Each `feed` (one `read()` of the body) returns the parts that read
//! completed, already coalesced, so the binding layer crosses into JS once
//! per read. Part texts are ranges into the two accumulated strings, so
//! nothing is copied twice on this side.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::Error;
use crate::json::{self, JStr};
use crate::protocol::event::{Fail, Meta};
use crate::protocol::{dashscope, openai, usage, Protocol};
use crate::reply::{Completion, Part, Usage};
use crate::sse::{Event, Parser, Sink, SseError, DEFAULT_MAX_EVENT_BYTES};
use crate::text::{char_count, excerpt};
use core::cell::OnceCell;

/// What one `feed` produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feed {
    /// Coalesced: consecutive texts of one type within this feed are one
    /// part; never empty; in arrival order.
    pub parts: Vec<Part>,
    /// Events that carried data (comments and keep-alives do not count):
    /// each one resets the idle timer.
    pub data_events: u32,
}

/// The decoding state of one streamed reply.
#[derive(Debug)]
pub struct StreamState {
    parser: Parser,
    d: Decoder,
}

/// Everything but the SSE parser: the `Sink` the parser feeds, kept apart
/// so the parser can borrow it mutably while it runs.
#[derive(Debug)]
struct Decoder {
    protocol: Protocol,
    fallback_model: String,
    model: Option<String>,
    reasoning: String,
    answer: String,
    /// Parts of the current feed.
    parts: Vec<Part>,
    /// The latest usage object's text that is valid JSON, and its decoding
    /// once asked for (DashScope sends one with every event; most are
    /// never read).
    usage_raw: Option<String>,
    usage: OnceCell<Usage>,
    /// The latest usage object of this read, checked when the read is
    /// done (`settle_usage`): one check a read, not one an event.
    usage_next: String,
    usage_new: bool,
    usage_sent: bool,
    finish_reason: Option<String>,
    request_id: Option<String>,
    header_request_id: Option<String>,
    /// Nothing more is meaningful: `[DONE]`, DashScope's finish event, or
    /// a failure.
    done: bool,
    failed: Option<Error>,
    /// Events dispatched so far, to name a bad one in a message.
    events: u32,
    data_events: u32,
    /// The `:HTTP_STATUS/NNN` comment of the event being read.
    status: Option<u16>,
    shape: openai::Shape,
}

impl StreamState {
    pub fn new(protocol: Protocol, model: &str) -> Self {
        Self::with_max_event_bytes(protocol, model, DEFAULT_MAX_EVENT_BYTES)
    }

    /// `max`: the largest event (and line) accepted; past it the stream
    /// fails with a `StreamError` and memory stays bounded.
    pub fn with_max_event_bytes(protocol: Protocol, model: &str, max: usize) -> Self {
        StreamState {
            parser: Parser::with_max_event_bytes(max),
            d: Decoder {
                protocol,
                fallback_model: model.to_owned(),
                model: None,
                reasoning: String::new(),
                answer: String::new(),
                parts: Vec::new(),
                usage_raw: None,
                usage: OnceCell::new(),
                usage_next: String::new(),
                usage_new: false,
                usage_sent: false,
                finish_reason: None,
                request_id: None,
                header_request_id: None,
                done: false,
                failed: None,
                events: 0,
                data_events: 0,
                status: None,
                shape: openai::Shape::default(),
            },
        }
    }

    /// A 200 reply must be an event stream (any parameters); anything else
    /// is most likely a proxy's or captive portal's page.
    pub fn check_content_type(content_type: Option<&str>) -> Result<(), Error> {
        let media = content_type.map(|c| c.split(';').next().unwrap_or("").trim());
        if media.is_some_and(|m| m.eq_ignore_ascii_case("text/event-stream")) {
            return Ok(());
        }
        let mut message = String::from("expected text/event-stream but ");
        match content_type {
            Some(c) if !c.trim().is_empty() => {
                message.push_str("got ");
                excerpt(c.trim(), 100, &mut message);
            }
            _ => message.push_str("the response had no Content-Type"),
        }
        message.push_str("; a proxy or captive portal may have answered");
        Err(Error::stream(message))
    }

    /// The `x-request-id` header's value, used only when the body has none.
    pub fn set_header_request_id(&mut self, id: &str) {
        if !id.is_empty() {
            self.d.header_request_id = Some(id.to_owned());
        }
    }

    /// Decodes the next piece of the body (any split).
    ///
    /// `Err` is an `ApiError` for the server's error event, or a
    /// `StreamError` for an event that is not valid JSON or past the size
    /// cap; the state then stays failed and every later call returns the
    /// same error. One exception keeps text from being lost: when the same
    /// read completed text parts before the failure, those come back as
    /// `Ok`, [`StreamState::is_done`] turns true, and the error comes from
    /// the next `feed` or from [`StreamState::end`].
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Feed, Error> {
        if let Some(e) = &self.d.failed {
            return Err(cloned(e));
        }
        if self.d.done {
            // After `[DONE]` or the finish event nothing is meaningful,
            // not even whether it parses.
            return Ok(Feed::default());
        }
        self.d.data_events = 0;
        let parsed = self.parser.feed(bytes, &mut self.d);
        if let (Err(err), false) = (parsed, self.d.done) {
            self.d.fail_too_large(err);
        }
        self.d.settle_usage();
        let feed = Feed {
            parts: core::mem::take(&mut self.d.parts),
            data_events: self.d.data_events,
        };
        match &self.d.failed {
            Some(e) if feed.parts.is_empty() => Err(cloned(e)),
            _ => Ok(feed),
        }
    }

    /// The body ended. `Ok` once a finish reason was seen (a cut-off
    /// trailer after it loses nothing that matters); else a `StreamError`
    /// saying how much text came.
    pub fn end(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.d.failed {
            return Err(e.clone());
        }
        if self.d.finish_reason.is_some() {
            return Ok(());
        }
        let cut = self.parser.finish().is_err();
        let mut message = String::from(if cut {
            "the stream was cut off in the middle of an event before the model finished; "
        } else {
            "the stream ended before the model finished (no finish_reason); "
        });
        let chars = char_count(&self.d.reasoning) + char_count(&self.d.answer);
        json::write_u64(chars as u64, &mut message);
        message.push_str(if chars == 1 {
            " character of text was received"
        } else {
            " characters of text were received"
        });
        let e = Error::stream(message);
        self.d.fail(e.clone());
        Err(e)
    }

    /// The stream is over (finished, failed or abandoned): frees the
    /// texts and the parser's buffers now rather than when the owner is
    /// dropped (in a browser that waits for the garbage collector, which
    /// cannot see wasm memory). Model, usage, finish reason and request id
    /// stay; later `feed`s return nothing and no text is reported.
    pub fn release(&mut self) {
        self.parser.reset();
        self.d.reasoning = String::new();
        self.d.answer = String::new();
        self.d.parts = Vec::new();
        self.d.shape = openai::Shape::default();
        self.d.done = true;
    }

    pub fn reasoning(&self) -> &str {
        &self.d.reasoning
    }

    pub fn answer(&self) -> &str {
        &self.d.answer
    }

    /// Set as soon as usage arrives (DashScope: updated every event).
    pub fn usage(&self) -> Option<&Usage> {
        let raw = self.d.usage_raw.as_deref()?;
        Some(
            self.d
                .usage
                .get_or_init(|| usage::decode(raw, self.d.protocol)),
        )
    }

    /// Whether usage arrived (without decoding it).
    pub fn has_usage(&self) -> bool {
        self.d.usage_raw.is_some()
    }

    pub fn finish_reason(&self) -> Option<&str> {
        self.d.finish_reason.as_deref()
    }

    /// From the body (openai `id` as sent, dashscope `request_id`), else
    /// the header's.
    pub fn request_id(&self) -> Option<&str> {
        self.d.request_id()
    }

    /// The model the body named, else the one asked for.
    pub fn model(&self) -> &str {
        self.d.model.as_deref().unwrap_or(&self.d.fallback_model)
    }

    /// A finish reason was seen (openai: usage and `[DONE]` may follow).
    pub fn is_finished(&self) -> bool {
        self.d.finish_reason.is_some()
    }

    /// Nothing more is meaningful: `[DONE]`, DashScope's finish event, or
    /// a failure whose error [`StreamState::end`] will return. The reader
    /// may stop reading.
    pub fn is_done(&self) -> bool {
        self.d.done
    }

    /// Any reasoning or answer text arrived (errors then carry `partial`).
    pub fn has_text(&self) -> bool {
        !self.d.reasoning.is_empty() || !self.d.answer.is_empty()
    }

    /// The result, once finished.
    pub fn completion(&self) -> Option<Completion> {
        if self.is_finished() {
            Some(self.partial())
        } else {
            None
        }
    }

    /// What came so far (`finish_reason` is `""` without one).
    pub fn partial(&self) -> Completion {
        Completion {
            model: self.model().to_owned(),
            reasoning: self.d.reasoning.clone(),
            answer: self.d.answer.clone(),
            finish_reason: self.d.finish_reason.clone().unwrap_or_default(),
            usage: self.usage().cloned(),
            request_id: self.request_id().map(str::to_owned),
        }
    }
}

// The rare paths of the hot functions (`feed`, `Decoder::event`) are kept
// out of line and cold: V8 compiles a wasm function with its optimising
// tier once it is hot, and a smaller hot body is less to compile during a
// page's first reply, while code that never runs stays in the baseline tier
// (bench/README.md "Small reads": the first reply).

/// A failed stream's error again, for each later call.
#[cold]
#[inline(never)]
fn cloned(e: &Error) -> Error {
    e.clone()
}

/// A field kept once a reply (request id, model, finish reason).
#[cold]
#[inline(never)]
fn owned(s: JStr<'_>) -> String {
    s.text().into_owned()
}

fn too_large(err: SseError) -> Error {
    let mut message = String::from(err.message());
    if let SseError::TooLarge { limit } = err {
        message.push_str(" of ");
        json::write_u64(limit as u64, &mut message);
        message.push_str(" bytes");
    }
    Error::stream(message)
}

/// The number in a `HTTP_STATUS/400` comment. DashScope sends one before
/// every event, with no space around it: that form skips `str::trim`
/// (Unicode whitespace), which would otherwise be one more hot function.
fn status_comment(text: &str) -> Option<u16> {
    let digits = match text.strip_prefix("HTTP_STATUS/") {
        Some(d) if d.bytes().all(|b| b.is_ascii_digit()) => d,
        _ => status_comment_spaced(text)?,
    };
    status_digits(digits)
}

#[cold]
#[inline(never)]
fn status_comment_spaced(text: &str) -> Option<&str> {
    text.trim().strip_prefix("HTTP_STATUS/")
}

fn status_digits(digits: &str) -> Option<u16> {
    let mut v: u16 = 0;
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as u16;
    }
    Some(v)
}

impl Decoder {
    fn request_id(&self) -> Option<&str> {
        self.request_id
            .as_deref()
            .or(self.header_request_id.as_deref())
    }

    #[cold]
    #[inline(never)]
    fn fail_too_large(&mut self, err: SseError) {
        self.fail(too_large(err));
    }

    fn fail(&mut self, e: Error) {
        if self.failed.is_none() {
            self.failed = Some(e);
        }
        self.done = true;
    }

    /// Records the text appended since `start` as a part, merged into the
    /// previous part of this feed when that one is the same type and ends
    /// where this begins.
    fn text_part(&mut self, reasoning: bool, start: usize) {
        let end = if reasoning {
            self.reasoning.len()
        } else {
            self.answer.len()
        };
        if end <= start {
            return;
        }
        match (self.parts.last_mut(), reasoning) {
            (Some(Part::Reasoning(r)), true) | (Some(Part::Answer(r)), false) if r.end == start => {
                r.end = end;
            }
            (_, true) => self.parts.push(Part::Reasoning(start..end)),
            (_, false) => self.parts.push(Part::Answer(start..end)),
        }
    }

    fn send_usage(&mut self) {
        if !self.usage_sent && (self.usage_raw.is_some() || self.usage_new) {
            self.usage_sent = true;
            self.parts.push(Part::Usage);
        }
    }

    /// The read is done: its latest usage object becomes the usage if it
    /// is valid JSON (its text is handed on as received, to `JSON.parse`
    /// and a page's `usage.raw`). One that is not is ignored: the usage
    /// stays the last valid one, and a usage part promised for it alone
    /// is taken back.
    fn settle_usage(&mut self) {
        if !self.usage_new {
            return;
        }
        self.usage_new = false;
        if json::is_valid(&self.usage_next) {
            let raw = self.usage_raw.get_or_insert_with(String::new);
            core::mem::swap(raw, &mut self.usage_next);
            self.usage.take();
        } else if self.usage_raw.is_none() && self.usage_sent {
            self.usage_sent = false;
            self.parts.retain(|p| *p != Part::Usage);
        }
    }

    fn apply(&mut self, meta: Meta<'_>, r0: usize, a0: usize) {
        if self.usage_sent {
            // The usage part promised to be last; text after it (which no
            // server sends) is dropped rather than break that promise.
            self.reasoning.truncate(r0);
            self.answer.truncate(a0);
        } else {
            // Thinking precedes the answer, also within one event.
            self.text_part(true, r0);
            self.text_part(false, a0);
        }
        if self.request_id.is_none() {
            if let Some(id) = meta.id {
                self.request_id = Some(owned(id));
            }
        }
        if self.model.is_none() {
            if let Some(m) = meta.model {
                self.model = Some(owned(m));
            }
        }
        if let Some(u) = meta.usage {
            self.usage_next.clear();
            self.usage_next.push_str(u);
            self.usage_new = true;
        }
        if self.finish_reason.is_none() {
            if let Some(f) = meta.finish() {
                self.finish_reason = Some(owned(f));
            }
        }
        if self.finish_reason.is_some() {
            match self.protocol {
                // The finish event ends the reply and carries the bill.
                Protocol::DashScope => {
                    self.send_usage();
                    self.done = true;
                }
                // Usage comes in its own chunk after the finish reason.
                Protocol::OpenAi if meta.usage.is_some() => self.send_usage(),
                Protocol::OpenAi => {}
            }
        }
    }

    /// An event whose data is not an object: true when it is consumed
    /// here (blank data, or OpenAI's `[DONE]`); else it is decoded (and
    /// most likely fails) as any other.
    #[cold]
    #[inline(never)]
    fn not_object(&mut self, data: &str, is_error: bool) -> bool {
        let data = data.trim();
        if data.is_empty() && !is_error {
            return true;
        }
        if self.protocol == Protocol::OpenAi && data == "[DONE]" {
            if self.finish_reason.is_some() {
                self.send_usage();
            }
            self.done = true;
            return true;
        }
        false
    }

    /// The event failed: its text is taken back and the stream fails.
    #[cold]
    #[inline(never)]
    fn reject(&mut self, fail: Fail, data: &str, r0: usize, a0: usize) {
        // r0/a0 were lengths of valid strings: char boundaries.
        self.reasoning.truncate(r0);
        self.answer.truncate(a0);
        let e = match fail {
            Fail::Json => {
                let mut message = String::from("event ");
                json::write_u64(self.events as u64, &mut message);
                message.push_str(" is not valid JSON: ");
                excerpt(data.trim(), 80, &mut message);
                Error::stream(message)
            }
            Fail::Api(mut e) => {
                if e.request_id.is_none() {
                    e.request_id = self.request_id().map(str::to_owned);
                }
                e
            }
        };
        self.fail(e);
    }
}

impl Sink for Decoder {
    fn event(&mut self, ev: &Event<'_>) {
        if self.done {
            return;
        }
        self.events = self.events.saturating_add(1);
        self.data_events = self.data_events.saturating_add(1);
        let status = self.status.take();
        let data = ev.data;
        // The common case, an object, skips the trimming below.
        let object = data.as_bytes().first() == Some(&b'{');
        let is_error = ev.event == "error" || status.is_some_and(|s| s >= 400);
        if !object && self.not_object(data, is_error) {
            return;
        }
        let (r0, a0) = (self.reasoning.len(), self.answer.len());
        let decoded = match self.protocol {
            Protocol::OpenAi => {
                openai::decode_chunk(data, &mut self.reasoning, &mut self.answer, &mut self.shape)
            }
            Protocol::DashScope => dashscope::decode(
                ev.event,
                status,
                data,
                &mut self.reasoning,
                &mut self.answer,
            ),
        };
        match decoded {
            Ok(meta) => self.apply(meta, r0, a0),
            Err(fail) => self.reject(fail, data, r0, a0),
        }
    }

    fn comment(&mut self, text: &str) {
        if let Some(status) = status_comment(text) {
            self.status = Some(status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The comment's number as read before the fast path: trimmed first.
    fn reference(text: &str) -> Option<u16> {
        status_digits(text.trim().strip_prefix("HTTP_STATUS/")?)
    }

    #[test]
    fn status_comments() {
        assert_eq!(status_comment("HTTP_STATUS/200"), Some(200));
        assert_eq!(status_comment(" HTTP_STATUS/400 "), Some(400));
        assert_eq!(status_comment("HTTP_STATUS/500\u{a0}"), Some(500));
        assert_eq!(status_comment("HTTP_STATUS/"), None);
        assert_eq!(status_comment("HTTP_STATUS/1000"), None);
        assert_eq!(status_comment("HTTP_STATUS/4x0"), None);
        assert_eq!(status_comment("keep-alive"), None);
    }

    proptest! {
        /// The fast path for DashScope's exact form agrees with trimming
        /// first, on any mix of the pieces such comments are made of.
        #[test]
        fn status_comment_fast_path_agrees(parts in prop::collection::vec(
            prop::sample::select(vec!["HTTP_STATUS/", "HTTP_STATUS", "/", "2", "0", "4", "9", " ", "\t", "\u{a0}", "\u{2003}", "x", ""]),
            0..8,
        )) {
            let text = parts.concat();
            prop_assert_eq!(status_comment(&text), reference(&text));
        }
    }
}
