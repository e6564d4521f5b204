//! What a reply is made of, as API.md names it: its parts, its token
//! usage and the whole `Result` (`Completion`). Plain data, shared by the
//! codecs that fill it (`protocol`), the stream that hands it out
//! (`stream`) and the binding that converts it; it depends on nothing of
//! theirs.

#[allow(unused_imports)]
use crate::prelude::*;
use core::ops::Range;

use crate::json;

/// Token usage, as API.md's `Usage`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// As sent, else input + output.
    pub total_tokens: u64,
    /// Absent for QVQ, which does not split out its thinking.
    pub reasoning_tokens: Option<u64>,
    pub image_tokens: Option<u64>,
    pub video_tokens: Option<u64>,
    /// The provider's usage object, JSON text as received.
    pub raw: String,
}

impl Usage {
    /// API.md's `Usage` as JSON text (`raw` embedded as received), which
    /// the binding hands to `JSON.parse`: one crossing instead of a
    /// property set per field.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(96 + self.raw.len());
        let mut field = |key: &str, n: u64| {
            out.push(if out.is_empty() { '{' } else { ',' });
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            json::write_u64(n, &mut out);
        };
        field("inputTokens", self.input_tokens);
        field("outputTokens", self.output_tokens);
        field("totalTokens", self.total_tokens);
        for (key, v) in [
            ("reasoningTokens", self.reasoning_tokens),
            ("imageTokens", self.image_tokens),
            ("videoTokens", self.video_tokens),
        ] {
            if let Some(n) = v {
                field(key, n);
            }
        }
        if !self.raw.is_empty() {
            out.push_str(",\"raw\":");
            out.push_str(&self.raw);
        }
        out.push('}');
        out
    }
}

/// One piece of the reply. Text ranges index into
/// `StreamState::reasoning` / `StreamState::answer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Reasoning(Range<usize>),
    Answer(Range<usize>),
    /// The usage is `StreamState::usage`; at most once, after the last
    /// text part.
    Usage,
}

/// API.md's `Result`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    pub model: String,
    pub reasoning: String,
    pub answer: String,
    pub finish_reason: String,
    pub usage: Option<Usage>,
    pub request_id: Option<String>,
}
