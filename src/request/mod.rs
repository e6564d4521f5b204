//! A protocol-neutral request (API.md's `RequestOptions` as Rust types) and
//! what is done with one: checked against the model's rules (`validate`),
//! sent to an endpoint URL with the protocol's headers (`url`, `headers`),
//! as the protocol's wire JSON (`encode`).

use crate::json::Value;
use crate::models::Region;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::protocol::Protocol;

mod encode;
mod endpoint;
mod validate;

pub use encode::encode;
pub use endpoint::{headers, url};
pub use validate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The name both protocols and API.md give the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }
}

/// A video: one file URL, or a list of frame image URLs.
#[derive(Debug, Clone, PartialEq)]
pub enum Video {
    Url(String),
    Frames(Vec<String>),
}

/// One content item, whichever style (DashScope `{image}` or OpenAI
/// `{type: "image_url"}`) the caller wrote it in. Blob images have already
/// been turned into `data:` URLs by the binding layer.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentItem {
    Text(String),
    Image(String),
    Video { video: Video, fps: Option<f64> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    Items(Vec<ContentItem>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

/// `stop`: one string or several.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// RequestOptions of API.md, minus `signal` (the binding layer's).
/// Numbers stay `f64` as JavaScript gave them, so validation can say
/// "not a positive integer" instead of silently truncating.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    pub model: String,
    pub messages: Vec<Message>,
    pub enable_thinking: Option<bool>,
    pub thinking_budget: Option<f64>,
    pub max_tokens: Option<f64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub seed: Option<f64>,
    pub stop: Option<Stop>,
    pub vl_high_resolution_images: Option<bool>,
    /// Deep-merged into the wire body last.
    pub extra: Option<Value>,
}

/// Stream the reply as SSE, or ask for one JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Stream,
    Json,
}

/// Where requests go: the resolved client options.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub protocol: Protocol,
    pub region: Region,
    /// `true` when the caller named the region (then a `baseUrl` does not
    /// switch the region check off).
    pub region_explicit: bool,
    pub base_url: Option<String>,
}
