//! What both protocols' events share: the fields other than the texts
//! (`Meta`), why an event failed (`Fail`), and the `choices` array, read
//! with `json::Scanner` so the texts go straight into the caller's buffers
//! (the hot path allocates nothing else).

use crate::error::Error;
use crate::json::{JStr, Scan, Scanner};
#[allow(unused_imports)]
use crate::prelude::*;

/// The fields of one event other than its texts, borrowed from it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Meta<'a> {
    pub finish_reason: Option<JStr<'a>>,
    /// The usage object's JSON text, decoded only when asked for
    /// (`usage::decode`): DashScope sends one with every event.
    pub usage: Option<&'a str>,
    /// openai `id` (`chatcmpl-…`); dashscope `request_id`.
    pub id: Option<JStr<'a>>,
    pub model: Option<JStr<'a>>,
    /// Where the first choice's `delta`/`message` value sits in the data
    /// (from, to), and how many such values there were: what
    /// `openai::Shape` needs to know that the rest held no text.
    pub delta: (usize, usize),
    pub deltas: u8,
}

impl Meta<'_> {
    /// The finish reason, if this event carries a real one: DashScope sends
    /// the *string* `"null"` while streaming.
    pub(crate) fn finish(&self) -> Option<JStr<'_>> {
        self.finish_reason
            .filter(|f| !f.is_empty() && !f.eq("null"))
    }
}

/// Why an event could not be decoded.
#[derive(Debug)]
pub(crate) enum Fail {
    /// Not valid JSON (or not the object the protocol promises).
    Json,
    /// The event is the server's error report.
    Api(Error),
}

/// Reads a `choices` array the way both protocols shape it: the first
/// choice's texts (under `delta` in OpenAI chunks, `message` elsewhere) go
/// to `reasoning` and `answer`, its finish reason to `finish`. Later
/// choices are skipped: the library never asks for `n > 1`.
pub(crate) fn first_choice<'a>(
    s: &mut Scanner<'a>,
    reasoning: &mut String,
    answer: &mut String,
    meta: &mut Meta<'a>,
) -> Scan<()> {
    let mut first = true;
    s.array(|s| {
        if !first {
            return s.skip();
        }
        first = false;
        s.object(|s, k| match &*k.text() {
            "delta" | "message" => {
                let from = s.pos();
                delta(s, reasoning, answer)?;
                meta.delta = (from, s.pos());
                meta.deltas = meta.deltas.saturating_add(1);
                Ok(())
            }
            "finish_reason" => {
                meta.finish_reason = s.opt_string()?;
                Ok(())
            }
            _ => s.skip(),
        })
    })
}

/// A choice's `delta` (streamed) or `message` (whole reply) object.
pub(crate) fn delta(s: &mut Scanner<'_>, reasoning: &mut String, answer: &mut String) -> Scan<()> {
    s.object(|s, k| match &*k.text() {
        "content" => push_text(s, answer),
        "reasoning_content" => push_text(s, reasoning),
        _ => s.skip(),
    })
}

/// Appends a text field: a string, or a list of `{"text": …}` items (or
/// strings) whose texts are joined; `null` and other types add nothing.
pub(crate) fn push_text(s: &mut Scanner<'_>, out: &mut String) -> Scan<()> {
    match s.peek() {
        Some(b'"') => {
            s.string()?.push_to(out);
            Ok(())
        }
        Some(b'[') => s.array(|s| match s.peek() {
            Some(b'"') => {
                s.string()?.push_to(out);
                Ok(())
            }
            Some(b'{') => s.object(|s, k| {
                if k.eq("text") {
                    if let Some(t) = s.opt_string()? {
                        t.push_to(out);
                    }
                    Ok(())
                } else {
                    s.skip()
                }
            }),
            _ => s.skip(),
        }),
        _ => s.skip(),
    }
}
