//! The two wire protocols: which one a client speaks (`Protocol`, with its
//! paths), and the decoding of their replies — one file per protocol's
//! events (`openai`, `dashscope`), with what both share apart (`event`,
//! `usage`, `errors`). Request bodies are `request::encode`'s.

#[allow(unused_imports)]
use crate::prelude::*;

pub mod dashscope;
mod errors;
pub(crate) mod event;
pub mod openai;
pub(crate) mod usage;

pub use errors::http_error;

use crate::error::Error;
use crate::reply::Completion;
use crate::text::excerpt;
use event::Fail;

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

    /// The API path of the protocol's endpoint: [`Protocol::root`] then
    /// [`Protocol::endpoint`]. The only two paths a relay forwards.
    pub const fn path(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/compatible-mode/v1/chat/completions",
            Protocol::DashScope => "/api/v1/services/aigc/multimodal-generation/generation",
        }
    }

    /// The protocol's root below the host (what a `baseUrl` may end in).
    pub const fn root(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/compatible-mode/v1",
            Protocol::DashScope => "/api/v1",
        }
    }

    /// The endpoint below the protocol's root.
    pub const fn endpoint(self) -> &'static str {
        match self {
            Protocol::OpenAi => "/chat/completions",
            Protocol::DashScope => "/services/aigc/multimodal-generation/generation",
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
            // A usage object that is not valid JSON is ignored, as in a stream.
            usage: meta
                .usage
                .filter(|raw| crate::json::is_valid(raw))
                .map(|raw| usage::decode(raw, protocol)),
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
    use super::*;

    #[test]
    fn the_path_is_the_root_then_the_endpoint() {
        for p in [Protocol::OpenAi, Protocol::DashScope] {
            assert_eq!(p.path(), String::from(p.root()) + p.endpoint());
            assert_eq!(Protocol::parse(p.as_str()), Some(p));
        }
    }
}
