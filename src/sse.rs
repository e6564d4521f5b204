//! Incremental Server-Sent Events parser: bytes in, events out.
//!
//! ```
//! use visual_reasoning::sse::{Event, Parser, Sink};
//!
//! struct Collect(Vec<String>);
//! impl Sink for Collect {
//!     fn event(&mut self, event: &Event<'_>) {
//!         self.0.push(event.data.to_owned());
//!     }
//! }
//!
//! let mut parser = Parser::new(); // default cap: 16 MiB per event
//! let mut sink = Collect(Vec::new());
//! // Reads split anywhere, even inside a CRLF.
//! parser.feed(b"data: {\"a\":1}\r", &mut sink).unwrap();
//! parser.feed(b"\n\r\ndata: x", &mut sink).unwrap();
//! assert_eq!(sink.0, ["{\"a\":1}"]);
//! // The second event never got its blank line.
//! assert!(parser.finish().is_err());
//! ```
//! `Sink::event` receives each dispatched event, `Sink::comment` each
//! comment line (DashScope's `:HTTP_STATUS/200`), both borrowed.
//!
//! The rules are the WHATWG "parsing an event stream" algorithm
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//!
//! - Lines end in LF, CR or CRLF. A CR that ends one chunk and the LF that
//!   starts the next are one line end (eventsource-parser #17: treating them
//!   as two gave an extra blank line and so an early dispatch).
//! - One UTF-8 BOM is skipped at the very start of the stream only, also
//!   when its three bytes arrive in separate chunks.
//! - `:` starts a comment; `name:value` drops one space after the colon; a
//!   line without a colon is a field name with an empty value; names are
//!   compared literally and unknown ones are ignored.
//! - `data` lines join with `\n`; `event` sets the type of the next event;
//!   `id` (ignored when it contains NUL) persists across events; `retry`
//!   counts only when it is all ASCII digits.
//! - A blank line dispatches the event, unless no `data` line was seen.
//!   An event that never gets its blank line is never dispatched.
//!
//! Cost is linear in the input whatever the chunking: each byte is scanned
//! once (memchr), complete lines are parsed straight from the caller's
//! slice, and only the one incomplete line at the end of a chunk is copied
//! into a carry buffer, which is appended to and never rescanned (the
//! quadratic trap of eventsource-parser #19/#28 and eventsource-stream #11).
//! An event with one `data` line that sits inside one chunk reaches the
//! sink without being copied at all.
//!
//! Text is decoded once per field; invalid UTF-8 becomes U+FFFD.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::borrow::Cow;

/// One dispatched event. `data` lines are joined with `\n`; invalid UTF-8
/// has become U+FFFD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event` field, or `""` when none was given ("message").
    pub event: &'a str,
    pub data: &'a str,
    /// The last event id seen (persists across events, per the spec).
    pub id: &'a str,
}

/// Receives what the parser finds.
pub trait Sink {
    fn event(&mut self, event: &Event<'_>);
    /// A comment line, without its leading `:` (a space after it is kept).
    fn comment(&mut self, _text: &str) {}
    /// A valid `retry` field, in milliseconds (saturating at `u64::MAX`).
    fn retry(&mut self, _ms: u64) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// One event (or line) grew past the cap; the parser stays stopped.
    TooLarge { limit: usize },
    /// Input ended inside an event that never got its blank line.
    Incomplete,
}

impl SseError {
    /// A message a user can act on, without `core::fmt`.
    pub fn message(&self) -> &'static str {
        match self {
            SseError::TooLarge { .. } => "a server-sent event exceeded the size limit",
            SseError::Incomplete => "the stream ended in the middle of a server-sent event",
        }
    }
}

pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Buffers bigger than this are freed after use instead of kept for the next
/// event, so one huge event does not pin its memory for the whole stream.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The incremental parser. See the module docs for the rules.
#[derive(Debug)]
pub struct Parser {
    max: usize,
    /// Set once the cap was exceeded; every call reports it until `reset()`.
    failed: Option<SseError>,
    /// How many BOM bytes have matched at the start of the stream; 3 once
    /// the start is behind us (BOM skipped or ruled out).
    bom: u8,
    /// The last chunk ended with a CR that ended a line: an LF at the start
    /// of the next chunk is the second half of that CRLF, not a blank line.
    after_cr: bool,
    /// The incomplete last line of the previous chunk(s), at most one line.
    carry: Vec<u8>,
    /// The joined `data` of the current event, when it had to be owned.
    data: Vec<u8>,
    /// The current event's only `data` value while it still sits in the
    /// caller's chunk (start, end offsets into that chunk); `data` is then
    /// empty. Copied into `data` before `feed` returns.
    borrowed: Option<(usize, usize)>,
    /// The current event has at least one `data` line (it may be empty).
    has_data: bool,
    event_type: String,
    id: String,
    /// A field line of the current event arrived since the last blank line.
    open: bool,
    /// Bytes scanned or copied, to prove linearity in tests.
    #[cfg(test)]
    work: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser whose events may be at most [`DEFAULT_MAX_EVENT_BYTES`].
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser whose events may be at most `max` bytes: the `data` of the
    /// event so far plus the line being read (raw bytes, field name
    /// included) must stay within `max`. Whole and chunked input hit the cap
    /// at the same line, and the parser's buffers never hold more.
    pub fn with_max_event_bytes(max: usize) -> Self {
        Parser {
            max,
            failed: None,
            bom: 0,
            after_cr: false,
            carry: Vec::new(),
            data: Vec::new(),
            borrowed: None,
            has_data: false,
            event_type: String::new(),
            id: String::new(),
            open: false,
            #[cfg(test)]
            work: 0,
        }
    }

    /// The configured cap.
    pub fn max_event_bytes(&self) -> usize {
        self.max
    }

    /// Bytes held for the unfinished event and line (never above the cap).
    pub fn buffered(&self) -> usize {
        self.data.len() + self.carry.len()
    }

    /// Parses the next piece of the stream, calling `sink` for each comment,
    /// `retry` and dispatched event it completes. (A `dyn` sink: one copy of
    /// the parser serves every caller, and the call per event costs nothing
    /// next to decoding the event.) Chunks may split the
    /// stream anywhere. Once the cap is exceeded, this and every later call
    /// return `SseError::TooLarge` until [`Parser::reset`].
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn Sink) -> Result<(), SseError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        match self.parse(chunk, sink) {
            Ok(()) => {
                // The chunk is about to go away: take ownership of the data
                // line that was only borrowed from it.
                if let Some((start, end)) = self.borrowed.take() {
                    let value = sub(chunk, start, end);
                    grow(&mut self.data, value.len(), self.max);
                    self.data.extend_from_slice(value);
                }
                Ok(())
            }
            Err(err) => {
                self.fail(err);
                Err(err)
            }
        }
    }

    /// Ends the input. `Err(SseError::Incomplete)` when an event or line was
    /// cut off (an event without its blank line is not dispatched, per the
    /// spec); blank lines and complete comments at the end are fine. The
    /// parser is then reset, ready for a new stream.
    pub fn finish(&mut self) -> Result<(), SseError> {
        let result = match self.failed {
            Some(err) => Err(err),
            None if self.open || !self.carry.is_empty() || (1..3).contains(&self.bom) => {
                Err(SseError::Incomplete)
            }
            None => Ok(()),
        };
        self.reset();
        result
    }

    /// Forgets everything (including the last event id and a failure), as
    /// for a new stream; the cap is kept.
    pub fn reset(&mut self) {
        *self = Self::with_max_event_bytes(self.max);
    }

    fn fail(&mut self, err: SseError) {
        self.failed = Some(err);
        self.carry = Vec::new();
        self.data = Vec::new();
        self.borrowed = None;
        self.has_data = false;
        self.event_type = String::new();
        self.open = false;
    }

    fn parse(&mut self, chunk: &[u8], sink: &mut dyn Sink) -> Result<(), SseError> {
        let mut pos = 0;
        if self.bom < 3 {
            pos = self.skip_bom(chunk)?;
        }
        if self.after_cr {
            if let Some(&byte) = chunk.get(pos) {
                self.after_cr = false;
                if byte == b'\n' {
                    pos += 1;
                }
            }
        }
        if !self.carry.is_empty() {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            let Some(i) = self.find_line_end(rest) else {
                return self.append_carry(rest);
            };
            self.append_carry(sub(rest, 0, i))?;
            self.carried_line(chunk, sink);
            pos = self.after_line_end(chunk, pos + i);
        }
        loop {
            let rest = chunk.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(());
            }
            let Some(i) = self.find_line_end(rest) else {
                return self.append_carry(rest);
            };
            self.check(i)?;
            self.line(chunk, pos, pos + i, sink);
            pos = self.after_line_end(chunk, pos + i);
        }
    }

    /// Consumes the BOM bytes at the start of `chunk` (the start of the
    /// stream), returning where parsing goes on. Held-back bytes that turn
    /// out not to be a BOM become the start of the first line.
    fn skip_bom(&mut self, chunk: &[u8]) -> Result<usize, SseError> {
        let mut pos = 0;
        while let Some(&expected) = BOM.get(usize::from(self.bom)) {
            let Some(&byte) = chunk.get(pos) else {
                return Ok(pos);
            };
            if byte != expected {
                let held = BOM.get(..usize::from(self.bom)).unwrap_or(&[]);
                self.bom = 3;
                self.append_carry(held)?;
                return Ok(pos);
            }
            self.bom += 1;
            pos += 1;
        }
        Ok(pos)
    }

    fn find_line_end(&mut self, bytes: &[u8]) -> Option<usize> {
        let found = memchr::memchr2(b'\n', b'\r', bytes);
        #[cfg(test)]
        {
            self.work += found.map_or(bytes.len(), |i| i + 1);
        }
        found
    }

    /// Skips the line end at `at`; a CR that ends the chunk may be half of
    /// a CRLF, which the next chunk settles.
    fn after_line_end(&mut self, chunk: &[u8], at: usize) -> usize {
        if chunk.get(at) == Some(&b'\r') {
            match chunk.get(at + 1) {
                Some(b'\n') => return at + 2,
                None => self.after_cr = true,
                Some(_) => {}
            }
        }
        at + 1
    }

    fn data_len(&self) -> usize {
        match self.borrowed {
            Some((start, end)) => end - start,
            None => self.data.len(),
        }
    }

    /// The cap, for a line of `line_len` bytes joining the current event.
    fn check(&self, line_len: usize) -> Result<(), SseError> {
        if self.data_len().saturating_add(line_len) > self.max {
            return Err(SseError::TooLarge { limit: self.max });
        }
        Ok(())
    }

    fn append_carry(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        self.check(self.carry.len().saturating_add(bytes.len()))?;
        let limit = self.max - self.data_len();
        grow(&mut self.carry, bytes.len(), limit);
        self.carry.extend_from_slice(bytes);
        #[cfg(test)]
        {
            self.work += bytes.len();
        }
        Ok(())
    }

    /// The carry now holds a whole line.
    fn carried_line(&mut self, chunk: &[u8], sink: &mut dyn Sink) {
        let mut line = core::mem::take(&mut self.carry);
        if !self.has_data {
            if let Some(start) = data_value_start(&line) {
                // The first data line of an event becomes the data buffer
                // in place: a big line split over many chunks is not
                // copied a second time.
                line.drain(..start);
                self.data = line;
                self.has_data = true;
                self.open = true;
                return;
            }
        }
        self.owned_line(&line, chunk, sink);
        if line.capacity() <= KEEP_CAPACITY {
            line.clear();
            self.carry = line;
        }
    }

    /// A complete line inside the caller's chunk, `chunk[start..end]`.
    fn line(&mut self, chunk: &[u8], start: usize, end: usize, sink: &mut dyn Sink) {
        let line = sub(chunk, start, end);
        if !self.has_data {
            if let Some(offset) = data_value_start(line) {
                // The hot path: keep a reference, copy nothing.
                self.borrowed = Some((start + offset, end));
                self.has_data = true;
                self.open = true;
                return;
            }
        }
        self.owned_line(line, chunk, sink);
    }

    /// Any complete line; `chunk` is the current chunk, for a borrowed
    /// data value.
    fn owned_line(&mut self, line: &[u8], chunk: &[u8], sink: &mut dyn Sink) {
        if line.is_empty() {
            self.dispatch(chunk, sink);
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(0) => {
                sink.comment(&decode(sub(line, 1, line.len())));
                return;
            }
            Some(colon) => {
                let value = line.get(colon + 1..).unwrap_or(&[]);
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (sub(line, 0, colon), value)
            }
            None => (line, &[][..]),
        };
        self.open = true;
        match name {
            b"data" => self.push_data(value, chunk),
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&decode(value));
            }
            // An id with NUL is ignored, keeping the previous one (spec).
            b"id" if !value.contains(&0) => {
                self.id.clear();
                self.id.push_str(&decode(value));
            }
            b"retry" => retry(value, sink),
            _ => {}
        }
    }

    /// A second `data` line of an event (or one without a colon): neither
    /// protocol sends them, so this stays out of the hot `owned_line`.
    #[cold]
    #[inline(never)]
    fn push_data(&mut self, value: &[u8], chunk: &[u8]) {
        if !self.has_data {
            self.has_data = true;
            grow(&mut self.data, value.len(), self.max);
            self.data.extend_from_slice(value);
            return;
        }
        if let Some((start, end)) = self.borrowed.take() {
            let first = sub(chunk, start, end);
            grow(&mut self.data, first.len() + 1 + value.len(), self.max);
            self.data.extend_from_slice(first);
        } else {
            grow(&mut self.data, 1 + value.len(), self.max);
        }
        self.data.push(b'\n');
        self.data.extend_from_slice(value);
    }

    fn dispatch(&mut self, chunk: &[u8], sink: &mut dyn Sink) {
        if self.has_data {
            let raw: &[u8] = match self.borrowed {
                Some((start, end)) => sub(chunk, start, end),
                None => &self.data,
            };
            let data = decode(raw);
            sink.event(&Event {
                event: &self.event_type,
                data: &data,
                id: &self.id,
            });
        }
        self.borrowed = None;
        self.has_data = false;
        self.open = false;
        self.event_type.clear();
        if self.data.capacity() > KEEP_CAPACITY {
            self.data = Vec::new();
        } else {
            self.data.clear();
        }
    }
}

/// Where the value starts, when `line` is a `data` field with a colon.
/// (`data` without a colon is rare and goes the general way.)
fn data_value_start(line: &[u8]) -> Option<usize> {
    let rest = line.strip_prefix(b"data:")?;
    Some(if rest.first() == Some(&b' ') { 6 } else { 5 })
}

/// `bytes[start..end]`, or nothing for a range that cannot occur.
fn sub(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end).unwrap_or(&[])
}

/// A `retry` field: counts only when it is all ASCII digits.
#[cold]
#[inline(never)]
fn retry(value: &[u8], sink: &mut dyn Sink) {
    if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
        let ms = value.iter().fold(0u64, |n, &d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        sink.retry(ms);
    }
}

/// Decodes without copying when the bytes are valid UTF-8.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match core::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => lossy(bytes),
    }
}

#[cold]
#[inline(never)]
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Reserves room for `more` bytes, doubling as usual but never past
/// `limit`, so a buffer's capacity stays within the cap too.
fn grow(buf: &mut Vec<u8>, more: usize, limit: usize) {
    let need = buf.len().saturating_add(more);
    if need <= buf.capacity() {
        return;
    }
    let target = need
        .max(buf.capacity().saturating_mul(2))
        .min(limit.max(need));
    buf.reserve_exact(target - buf.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Count(usize, usize);
    impl Sink for Count {
        fn event(&mut self, event: &Event<'_>) {
            self.0 += 1;
            self.1 += event.data.len();
        }
    }

    /// Linear work: a 4 MB line fed one byte at a time scans and copies
    /// each byte a bounded number of times (a rescan per chunk would be
    /// ~8·10¹² steps and never finish).
    #[test]
    fn one_byte_chunks_of_a_huge_line_cost_linear_work() {
        let size = 4 * 1024 * 1024;
        let mut input = b"data: ".to_vec();
        input.resize(size, b'x');
        input.extend_from_slice(b"\n\n");
        let mut parser = Parser::new();
        let mut sink = Count(0, 0);
        for byte in input.chunks(1) {
            parser.feed(byte, &mut sink).unwrap();
        }
        assert!(parser.work <= 2 * input.len(), "work {}", parser.work);
        parser.finish().unwrap();
        assert_eq!((sink.0, sink.1), (1, size - 6));
    }

    #[test]
    fn buffers_stay_within_the_cap_including_capacity() {
        let max = 1000;
        let mut parser = Parser::with_max_event_bytes(max);
        let mut sink = Count(0, 0);
        let mut line = b"data: ".to_vec();
        line.resize(400, b'y');
        line.push(b'\n');
        let within = |p: &Parser| {
            p.carry.capacity() <= max && p.data.capacity() <= max && p.buffered() <= max
        };
        for byte in line.chunks(1) {
            parser.feed(byte, &mut sink).unwrap();
            assert!(within(&parser));
        }
        for byte in line.chunks(7) {
            parser.feed(byte, &mut sink).unwrap();
            assert!(within(&parser));
        }
        let err = parser.feed(&line, &mut sink).unwrap_err();
        assert_eq!(err, SseError::TooLarge { limit: max });
        assert_eq!(parser.carry.capacity() + parser.data.capacity(), 0);
    }
}
