//! The two wire formats: request bodies and event decoding, one file each.

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
