//! Incremental Server-Sent Events parser: bytes in, events out.
//!
//! OWNER: core-sse helper. Public interface (keep it):
//!
//! ```ignore
//! let mut p = Parser::new();            // default cap: 16 MiB per event
//! let mut p = Parser::with_max_event_bytes(n);
//! p.feed(chunk, &mut sink)?;            // any chunking; Err(SseError) once over the cap
//! p.finish()                            // end of input: Ok(()) or Err(SseError::Incomplete)
//! ```
//! `Sink::event` receives each dispatched event, `Sink::comment` each
//! comment line (DashScope's `:HTTP_STATUS/200`), both borrowed.

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
    /// A comment line, without its leading `:`.
    fn comment(&mut self, _text: &str) {}
    /// A valid `retry` field, in milliseconds.
    fn retry(&mut self, _ms: u64) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// One event (or line) grew past the cap; the parser stays stopped.
    TooLarge { limit: usize },
    /// Input ended inside an event that never got its blank line.
    Incomplete,
}

pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct Parser {
    _todo: (),
}
