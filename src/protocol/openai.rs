//! OpenAI-compatible (`compatible-mode`) event decoding.
//!
//! One chunk is `{"id","model","choices":[{"delta":{"content",
//! "reasoning_content"},"finish_reason"}],"usage"}`; the usage chunk has
//! `"choices": []`; an error chunk has a top-level `error` object
//! (PROTOCOL.md §3). Non-streaming bodies have `message` where chunks have
//! `delta`, and are read by the same code.

use super::{first_choice, scan_error_body, Fail, Meta, UsageKeys};
use crate::json::Scanner;
#[allow(unused_imports)]
use crate::prelude::*;

/// Decodes one chunk's JSON: appends its texts to `reasoning` and `answer`
/// and returns the rest. Only the first choice is read (the library never
/// asks for `n > 1`). On failure nothing is guaranteed about what was
/// appended: the caller truncates.
pub(crate) fn decode<'a>(
    data: &'a str,
    reasoning: &mut String,
    answer: &mut String,
) -> Result<Meta<'a>, Fail> {
    let mut meta = Meta::default();
    let mut error = false;
    let mut s = Scanner::new(data);
    let scanned = s
        .object(|s, k| match &*k.text() {
            "choices" => first_choice(s, reasoning, answer, &mut meta.finish_reason),
            "usage" => {
                meta.usage = super::decode_usage(s, &OPENAI_USAGE)?;
                Ok(())
            }
            "id" => {
                meta.id = s.opt_string()?.filter(|i| !i.is_empty());
                Ok(())
            }
            "model" => {
                meta.model = s.opt_string()?.filter(|m| !m.is_empty());
                Ok(())
            }
            "error" => {
                error = !s.null();
                if error {
                    s.skip()
                } else {
                    Ok(())
                }
            }
            _ => s.skip(),
        })
        .and_then(|_| s.end());
    if scanned.is_err() {
        return Err(Fail::Json);
    }
    if error {
        let body = scan_error_body(data).map_err(|_| Fail::Json)?;
        let fallback = match &body.code {
            Some(code) => {
                let mut m = String::from("the server sent error ");
                m.push_str(code);
                m.push_str(" in the stream");
                m
            }
            None => String::from("the server sent an error in the stream"),
        };
        return Err(Fail::Api(super::api_error(None, body, None, fallback)));
    }
    Ok(meta)
}

/// Where this protocol keeps the usage numbers.
const OPENAI_USAGE: UsageKeys = UsageKeys {
    input: "prompt_tokens",
    output: "completion_tokens",
    input_details: "prompt_tokens_details",
    output_details: "completion_tokens_details",
};
