//! DashScope native (`multimodal-generation`) event decoding.
//!
//! One event is `{"output":{"choices":[{"message":{"content":[{"text"}],
//! "reasoning_content"},"finish_reason":"null"}]},"usage":{…},
//! "request_id"}` with cumulative usage; errors come as `event:error` with
//! `{"code","message","request_id"}` and the status in a `:HTTP_STATUS/NNN`
//! comment (PROTOCOL.md §3). Non-streaming bodies have the same shape.

use super::errors::{self, scan_error_body};
use super::event::{first_choice, Fail, Meta};
use super::usage;
use crate::json::Scanner;
#[allow(unused_imports)]
use crate::prelude::*;

/// Decodes one event: `event` is its SSE event name, `status` the number
/// of the `:HTTP_STATUS/NNN` comment before it (if any). Appends the texts
/// and returns the rest; on failure the caller truncates the texts.
pub(crate) fn decode<'a>(
    event: &str,
    status: Option<u16>,
    data: &'a str,
    reasoning: &mut String,
    answer: &mut String,
) -> Result<Meta<'a>, Fail> {
    if event == "error" || status.is_some_and(|s| s >= 400) {
        return Err(error_event(status, data));
    }
    let mut meta = Meta::default();
    let mut has_output = false;
    let mut has_code = false;
    let mut s = Scanner::new(data);
    let scanned = s
        .object(|s, k| match &*k.text() {
            "output" => {
                has_output = s.peek() == Some(b'{');
                s.object(|s, k| match &*k.text() {
                    "choices" => first_choice(s, reasoning, answer, &mut meta),
                    _ => s.skip(),
                })
            }
            "usage" => {
                meta.usage = usage::text(s)?;
                Ok(())
            }
            "request_id" => {
                meta.id = s.opt_string()?.filter(|i| !i.is_empty());
                Ok(())
            }
            "code" => {
                has_code = s.opt_string()?.is_some_and(|c| !c.is_empty());
                Ok(())
            }
            _ => s.skip(),
        })
        .and_then(|_| s.end());
    if scanned.is_err() {
        return Err(Fail::Json);
    }
    // A plain error body (non-streaming replies, or an error event that
    // lost its name on the way through a relay).
    if has_code && !has_output {
        return Err(error_event(status, data));
    }
    Ok(meta)
}

fn error_event(status: Option<u16>, data: &str) -> Fail {
    let body = scan_error_body(data).unwrap_or_default();
    let mut fallback = String::from("the server sent an error event");
    if let Some(code) = &body.code {
        fallback.push_str(" (");
        fallback.push_str(code);
        fallback.push(')');
    } else if body.message.is_none() && !data.trim().is_empty() {
        fallback.push_str(": ");
        crate::text::excerpt(data.trim(), 200, &mut fallback);
    }
    let mut e = errors::api_error(status, body, None, fallback);
    // Nothing is retried once the body has started (API.md, Errors).
    e.retryable = false;
    Fail::Api(e)
}
