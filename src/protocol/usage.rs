//! The usage object: its text is kept as sent and decoded into API.md's
//! `Usage` only when asked for (DashScope sends one with every event).

use crate::json::{Scan, Scanner};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::reply::Usage;

use super::Protocol;

/// The names one protocol gives the usage fields; both nest them the same
/// way (PROTOCOL.md §3).
struct Keys {
    pub input: &'static str,
    pub output: &'static str,
    pub input_details: &'static str,
    pub output_details: &'static str,
}

const OPENAI: Keys = Keys {
    input: "prompt_tokens",
    output: "completion_tokens",
    input_details: "prompt_tokens_details",
    output_details: "completion_tokens_details",
};

const DASHSCOPE: Keys = Keys {
    input: "input_tokens",
    output: "output_tokens",
    input_details: "input_tokens_details",
    output_details: "output_tokens_details",
};

/// A usage object's text, skipped over (see `Meta::usage`); `null` (on
/// every OpenAI chunk but the last) or any other type gives `None`.
pub(crate) fn text<'a>(s: &mut Scanner<'a>) -> Scan<Option<&'a str>> {
    if s.peek() != Some(b'{') {
        return s.skip().map(|_| None);
    }
    // Only skipped here (brackets matched): whether it is valid JSON is
    // checked once it is kept (`json::is_valid`), not for every event.
    let start = s.pos();
    s.skip()?;
    Ok(Some(s.slice(start, s.pos())))
}

/// Decodes a usage object found by [`text`]. `image_tokens` /
/// `video_tokens` may sit in the input details or at the top level
/// (DashScope); the details win. A field of an unexpected type counts as
/// absent rather than break the stream.
pub(crate) fn decode(raw: &str, protocol: Protocol) -> Usage {
    let keys = match protocol {
        Protocol::OpenAi => &OPENAI,
        Protocol::DashScope => &DASHSCOPE,
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
