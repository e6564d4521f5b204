//! The two wire formats: request bodies and event decoding, one file each.

#[allow(unused_imports)]
use crate::prelude::*;
pub mod dashscope;
pub mod encode;
pub mod openai;

/// Which wire protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI-compatible `compatible-mode` chat completions.
    OpenAi,
    /// DashScope native multimodal generation.
    DashScope,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::DashScope => "dashscope",
        }
    }

    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "openai" => Some(Protocol::OpenAi),
            "dashscope" => Some(Protocol::DashScope),
            _ => None,
        }
    }

    /// The protocol's root below the host (what a `baseUrl` may end in).
    pub fn root(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/compatible-mode/v1",
            Protocol::DashScope => "/api/v1",
        }
    }

    /// The endpoint below the protocol's root.
    pub fn endpoint(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/chat/completions",
            Protocol::DashScope => "/services/aigc/multimodal-generation/generation",
        }
    }
}

// ------------------------------------------------------------ decoding
//
// The codecs read one event's JSON with `json::Scanner`, appending the
// texts straight into the caller's buffers (the hot path allocates nothing
// else) and returning the few other fields borrowed from the event.

use crate::error::{Error, ErrorKind};
use crate::json::{self, JStr, Scan, Scanner};
use crate::stream::{Completion, Usage};

/// The fields of one event other than its texts, borrowed from it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Meta<'a> {
    pub finish_reason: Option<JStr<'a>>,
    /// The usage object's JSON text, decoded only when asked for
    /// ([`decode_usage`]): DashScope sends one with every event.
    pub usage: Option<&'a str>,
    /// openai `id` (`chatcmpl-…`); dashscope `request_id`.
    pub id: Option<JStr<'a>>,
    pub model: Option<JStr<'a>>,
    /// Where the first choice's `delta`/`message` value sits in the data
    /// (from, to), and how many such values there were: what
    /// [`openai::Shape`] needs to know that the rest held no text.
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

/// The names one protocol gives the usage fields; both nest them the same
/// way (PROTOCOL.md §3).
pub(crate) struct UsageKeys {
    pub input: &'static str,
    pub output: &'static str,
    pub input_details: &'static str,
    pub output_details: &'static str,
}

/// A usage object's text, skipped over (see [`Meta::usage`]); `null` (on
/// every OpenAI chunk but the last) or any other type gives `None`.
pub(crate) fn usage_text<'a>(s: &mut Scanner<'a>) -> Scan<Option<&'a str>> {
    if s.peek() != Some(b'{') {
        return s.skip().map(|_| None);
    }
    let start = s.pos();
    s.skip()?;
    Ok(Some(s.slice(start, s.pos())))
}

/// Decodes a usage object found by [`usage_text`]. `image_tokens` /
/// `video_tokens` may sit in the input details or at the top level
/// (DashScope); the details win. A field of an unexpected type counts as
/// absent rather than break the stream.
pub(crate) fn decode_usage(raw: &str, protocol: Protocol) -> Usage {
    let keys = match protocol {
        Protocol::OpenAi => &openai::USAGE,
        Protocol::DashScope => &dashscope::USAGE,
    };
    let mut u = Usage {
        raw: raw.to_owned(),
        ..Usage::default()
    };
    let (mut input, mut output, mut total) = (None, None, None);
    let (mut top_image, mut top_video) = (None, None);
    let mut s = Scanner::new(raw);
    let _ = s.object(|s, k| {
        let k = k.text();
        let k = &*k;
        let slot = if k == keys.input {
            &mut input
        } else if k == keys.output {
            &mut output
        } else if k == "total_tokens" {
            &mut total
        } else if k == "image_tokens" {
            &mut top_image
        } else if k == "video_tokens" {
            &mut top_video
        } else if k == keys.input_details && s.peek() == Some(b'{') {
            return s.object(|s, k| match &*k.text() {
                "image_tokens" => {
                    u.image_tokens = s.opt_u64()?;
                    Ok(())
                }
                "video_tokens" => {
                    u.video_tokens = s.opt_u64()?;
                    Ok(())
                }
                _ => s.skip(),
            });
        } else if k == keys.output_details && s.peek() == Some(b'{') {
            return s.object(|s, k| match &*k.text() {
                "reasoning_tokens" => {
                    u.reasoning_tokens = s.opt_u64()?;
                    Ok(())
                }
                _ => s.skip(),
            });
        } else {
            return s.skip();
        };
        *slot = s.opt_u64()?;
        Ok(())
    });
    u.input_tokens = input.unwrap_or(0);
    u.output_tokens = output.unwrap_or(0);
    u.total_tokens = total.unwrap_or(u.input_tokens.saturating_add(u.output_tokens));
    u.image_tokens = u.image_tokens.or(top_image);
    u.video_tokens = u.video_tokens.or(top_video);
    u
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

/// The error fields of a body or event, whichever protocol's shape:
/// openai `{"error":{"message","code",…},"id","request_id"}`, dashscope
/// `{"code","message","request_id"}`.
#[derive(Debug, Default)]
pub(crate) struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub id: Option<String>,
    /// An `error` member that is not null, or a non-empty `code`.
    pub is_error: bool,
}

fn code_text(s: &mut Scanner<'_>) -> Scan<Option<String>> {
    // Codes are strings in both protocols, but a number must not be lost.
    match s.peek() {
        Some(b'"') => Ok(Some(s.string()?.text().into_owned()).filter(|c| !c.is_empty())),
        Some(b'-' | b'0'..=b'9') => Ok(Some(s.number()?.into())),
        _ => s.skip().map(|_| None),
    }
}

fn opt_owned(s: &mut Scanner<'_>) -> Scan<Option<String>> {
    Ok(s.opt_string()?
        .map(|t| t.text().into_owned())
        .filter(|t| !t.is_empty()))
}

pub(crate) fn scan_error_body(data: &str) -> Scan<ErrorBody> {
    let mut e = ErrorBody::default();
    let mut s = Scanner::new(data);
    s.object(|s, k| match &*k.text() {
        "error" => match s.peek() {
            Some(b'{') => {
                e.is_error = true;
                s.object(|s, k| match &*k.text() {
                    "message" => {
                        e.message = opt_owned(s)?;
                        Ok(())
                    }
                    "code" => {
                        if let Some(c) = code_text(s)? {
                            e.code = Some(c);
                        }
                        Ok(())
                    }
                    _ => s.skip(),
                })
            }
            Some(b'"') => {
                e.is_error = true;
                e.message = opt_owned(s)?;
                Ok(())
            }
            _ => s.skip(),
        },
        "code" => {
            let c = code_text(s)?;
            if c.is_some() {
                e.is_error = true;
                if e.code.is_none() {
                    e.code = c;
                }
            }
            Ok(())
        }
        "message" => {
            let m = opt_owned(s)?;
            if e.message.is_none() {
                e.message = m;
            }
            Ok(())
        }
        "request_id" => {
            e.request_id = opt_owned(s)?;
            Ok(())
        }
        "id" => {
            e.id = opt_owned(s)?;
            Ok(())
        }
        _ => s.skip(),
    })?;
    s.end()?;
    Ok(e)
}

/// An `ApiError` from an error body or event. `fallback` is used when the
/// provider gave no message.
pub(crate) fn api_error(
    status: Option<u16>,
    body: ErrorBody,
    header_request_id: Option<&str>,
    fallback: String,
) -> Error {
    let retryable = crate::retry::is_retryable(ErrorKind::Api, status, false)
        && !free_quota(body.code.as_deref(), body.message.as_deref());
    Error {
        kind: ErrorKind::Api,
        message: body.message.unwrap_or(fallback),
        status,
        code: body.code,
        request_id: body
            .request_id
            .or(body.id)
            .or_else(|| header_request_id.map(str::to_owned)),
        retryable,
    }
}

/// PROTOCOL.md §5: a 429 for a used-up free quota looks like a rate limit
/// but waiting does not help.
fn free_quota(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("AllocationQuota.FreeTierOnly")
        || message.is_some_and(|m| find(m, "Free allocated quota exceeded").is_some())
}

/// Where `needle` first occurs in `hay`. A plain scan: `str::find(&str)`
/// brings the Two-Way searcher (~2 KB of wasm) for the few short,
/// cold searches this crate does. An empty needle is never found (so a
/// find-and-replace loop always advances).
pub(crate) fn find(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() {
        return None;
    }
    hay.as_bytes().windows(n.len()).position(|w| w == n)
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize, out: &mut String) {
    match text.char_indices().nth(max) {
        Some((cut, _)) => {
            out.push_str(text.get(..cut).unwrap_or(""));
            out.push('…');
        }
        None => out.push_str(text),
    }
}

/// The data of an SSE-framed body (`data: {...}` lines of its first
/// event, joined with `\n`), or `None` if the body has no `data:` line.
fn sse_data(body: &str) -> Option<String> {
    let mut data: Option<String> = None;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if data.is_some() {
                break;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("data:") {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(rest);
                }
                None => data = Some(rest.to_owned()),
            }
        }
    }
    data
}

/// An HTTP error reply (status >= 400) -> `ApiError`. The body may be
/// either protocol's JSON error, or one SSE `data:` event holding it (a
/// streaming request refused before any output).
pub fn http_error(status: u16, body: &[u8], header_request_id: Option<&str>) -> Error {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let data = if trimmed.starts_with('{') {
        None
    } else {
        sse_data(trimmed)
    };
    let json_text = data.as_deref().unwrap_or(trimmed);
    let mut prefix = String::from("the server answered HTTP ");
    json::write_u64(status as u64, &mut prefix);
    match scan_error_body(json_text) {
        Ok(e) => {
            let mut fallback = prefix;
            if let Some(code) = &e.code {
                fallback.push_str(" (");
                fallback.push_str(code);
                fallback.push(')');
            }
            api_error(Some(status), e, header_request_id, fallback)
        }
        Err(()) => {
            let mut message = prefix;
            if trimmed.is_empty() {
                message.push_str(" with an empty body");
            } else {
                message.push_str(": ");
                excerpt(trimmed, 200, &mut message);
            }
            api_error(
                Some(status),
                ErrorBody::default(),
                header_request_id,
                message,
            )
        }
    }
}

/// A non-streaming 200 body -> the same `Completion` a finished stream
/// gives. An error object in the body is an `ApiError`; a body that is not
/// the expected JSON is a `StreamError` quoting its start.
pub fn decode_json_response(
    protocol: Protocol,
    body: &[u8],
    fallback_model: &str,
) -> Result<Completion, Error> {
    let text = String::from_utf8_lossy(body);
    let data = text.trim_start_matches('\u{feff}');
    let mut reasoning = String::new();
    let mut answer = String::new();
    let decoded = match protocol {
        Protocol::OpenAi => openai::decode(data, &mut reasoning, &mut answer),
        Protocol::DashScope => dashscope::decode("", None, data, &mut reasoning, &mut answer),
    };
    match decoded {
        Ok(meta) => Ok(Completion {
            model: meta
                .model
                .map_or_else(|| fallback_model.to_owned(), |m| m.text().into_owned()),
            reasoning,
            answer,
            finish_reason: meta
                .finish()
                .map(|f| f.text().into_owned())
                .unwrap_or_default(),
            usage: meta.usage.map(|raw| decode_usage(raw, protocol)),
            request_id: meta.id.map(|i| i.text().into_owned()),
        }),
        Err(Fail::Api(e)) => Err(e),
        Err(Fail::Json) => {
            let mut message = String::from("the response body is not valid JSON: ");
            excerpt(data.trim(), 80, &mut message);
            Err(Error::stream(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn find_agrees_with_str_find_except_for_the_empty_needle() {
        let hay = "a key sk-1 and sk-1 again, é sk-";
        for needle in ["sk-1", "a", "again", "é", "sk-", "none", hay, "x"] {
            assert_eq!(find(hay, needle), hay.find(needle), "{needle}");
        }
        assert_eq!(find("", "a"), None);
        // Never "found" at 0, so a find-and-replace loop cannot spin.
        assert_eq!(find("abc", ""), None);
    }
}
