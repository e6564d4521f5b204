//! Error replies and error events -> `ApiError`, whichever protocol's shape.

use crate::error::{Error, ErrorKind};
use crate::json::{self, Scan, Scanner};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::sse::{Event, Parser, Sink};
use crate::text::excerpt;

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
        && !crate::retry::is_free_quota(body.code.as_deref(), body.message.as_deref());
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

/// The data of the first event of an SSE-framed body, or `None` if it has
/// none. An event the body ends inside of counts: a refusal is often sent
/// without the blank line that would end it.
fn sse_data(body: &str) -> Option<String> {
    struct First(Option<String>);
    impl Sink for First {
        fn event(&mut self, event: &Event<'_>) {
            if self.0.is_none() {
                self.0 = Some(event.data.to_owned());
            }
        }
    }
    let mut first = First(None);
    let mut parser = Parser::new();
    // Bodies are capped by the caller; a body past the parser's own cap
    // simply has no data to quote.
    let _ = parser.feed(body.as_bytes(), &mut first);
    let _ = parser.feed(b"\n\n", &mut first);
    first.0
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
