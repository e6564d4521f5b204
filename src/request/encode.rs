//! Request bodies: a protocol-neutral `Request` -> the exact wire JSON of
//! PROTOCOL.md §2.
//!
//! The body is built as a `json::Value` tree (objects keep insertion order,
//! so the bytes are stable for golden tests), the caller's `extra` is
//! deep-merged into it, and the tree is written once.

use crate::json::{self, Value};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::protocol::Protocol;

use super::{Content, ContentItem, Message, Request, Role, Stop, Transport, Video};

/// The exact wire JSON for `req`. Options the caller did not set are not
/// sent; `extra` (when it is an object) is merged last, so it can override
/// anything, including what this function chose.
pub fn encode(req: &Request, protocol: Protocol, transport: Transport) -> String {
    let mut root = match protocol {
        Protocol::OpenAi => openai(req, transport),
        Protocol::DashScope => dashscope(req, transport),
    };
    if let Some(extra @ Value::Object(_)) = &req.extra {
        json::merge(&mut root, extra);
    }
    let mut out = String::with_capacity(256);
    json::write(&root, &mut out);
    out
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn num(n: f64) -> Value {
    let mut text = String::new();
    json::write_f64(n, &mut text);
    Value::Number(text)
}

/// An object from literal keys; values are moved, so a multi-megabyte
/// `data:` URL is copied once (into the tree), not once per level.
fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// An assistant turn's text: history goes back as plain text (PROTOCOL.md
/// §2 "History"), so the text items of an item list are joined and any
/// media is dropped.
fn assistant_text(content: &Content) -> String {
    match content {
        Content::Text(t) => t.clone(),
        Content::Items(items) => {
            let mut out = String::new();
            for item in items {
                if let ContentItem::Text(t) = item {
                    out.push_str(t);
                }
            }
            out
        }
    }
}

/// The sampling and thinking options, in one fixed order, each only when
/// set. The same names serve both protocols (top level for openai,
/// `parameters` for dashscope).
fn push_options(req: &Request, out: &mut Vec<(String, Value)>) {
    if let Some(b) = req.enable_thinking {
        out.push(("enable_thinking".into(), Value::Bool(b)));
    }
    if let Some(n) = req.thinking_budget {
        out.push(("thinking_budget".into(), num(n)));
    }
    if let Some(b) = req.vl_high_resolution_images {
        out.push(("vl_high_resolution_images".into(), Value::Bool(b)));
    }
    if let Some(n) = req.max_tokens {
        out.push(("max_tokens".into(), num(n)));
    }
    if let Some(n) = req.temperature {
        out.push(("temperature".into(), num(n)));
    }
    if let Some(n) = req.top_p {
        out.push(("top_p".into(), num(n)));
    }
    if let Some(n) = req.seed {
        out.push(("seed".into(), num(n)));
    }
    match &req.stop {
        Some(Stop::One(t)) => out.push(("stop".into(), s(t))),
        Some(Stop::Many(list)) => out.push((
            "stop".into(),
            Value::Array(list.iter().map(|t| s(t)).collect()),
        )),
        None => {}
    }
}

// ---------------------------------------------------------------- openai

fn openai(req: &Request, transport: Transport) -> Value {
    let messages = req.messages.iter().map(openai_message).collect();
    let mut o: Vec<(String, Value)> = vec![
        ("model".into(), s(&req.model)),
        ("messages".into(), Value::Array(messages)),
    ];
    if transport == Transport::Stream {
        o.push(("stream".into(), Value::Bool(true)));
        // Without it a streaming reply carries no usage at all.
        o.push((
            "stream_options".into(),
            obj([("include_usage", Value::Bool(true))]),
        ));
    }
    push_options(req, &mut o);
    Value::Object(o)
}

fn openai_message(m: &Message) -> Value {
    let content = match (&m.content, m.role) {
        (Content::Text(t), _) => s(t),
        (c, Role::Assistant) => s(&assistant_text(c)),
        (Content::Items(items), _) => Value::Array(items.iter().map(openai_item).collect()),
    };
    obj([("role", s(m.role.as_str())), ("content", content)])
}

fn openai_item(item: &ContentItem) -> Value {
    match item {
        ContentItem::Text(t) => obj([("type", s("text")), ("text", s(t))]),
        ContentItem::Image(url) => obj([
            ("type", s("image_url")),
            ("image_url", obj([("url", s(url))])),
        ]),
        ContentItem::Video { video, fps } => {
            let mut o: Vec<(String, Value)> = match video {
                Video::Url(url) => vec![
                    ("type".into(), s("video_url")),
                    ("video_url".into(), obj([("url", s(url))])),
                ],
                Video::Frames(frames) => vec![
                    ("type".into(), s("video")),
                    (
                        "video".into(),
                        Value::Array(frames.iter().map(|f| s(f)).collect()),
                    ),
                ],
            };
            if let Some(fps) = fps {
                o.push(("fps".into(), num(*fps)));
            }
            Value::Object(o)
        }
    }
}

// ---------------------------------------------------------------- dashscope

fn dashscope(req: &Request, transport: Transport) -> Value {
    let messages = req.messages.iter().map(dashscope_message).collect();
    let mut params: Vec<(String, Value)> = Vec::new();
    if transport == Transport::Stream {
        // Always explicit: the documented default differs between models,
        // and with `false` every event repeats the whole text so far. It
        // only concerns streaming, so a JSON request leaves it out.
        params.push(("incremental_output".into(), Value::Bool(true)));
    }
    params.push(("result_format".into(), s("message")));
    push_options(req, &mut params);
    obj([
        ("model", s(&req.model)),
        ("input", obj([("messages", Value::Array(messages))])),
        ("parameters", Value::Object(params)),
    ])
}

/// Native content is always an item list, string content included: the
/// form PROTOCOL.md §2's example shows, accepted for every role.
fn dashscope_message(m: &Message) -> Value {
    let items = match (&m.content, m.role) {
        (Content::Text(t), _) => vec![obj([("text", s(t))])],
        (c, Role::Assistant) => vec![obj([("text", s(&assistant_text(c)))])],
        (Content::Items(items), _) => items.iter().map(dashscope_item).collect(),
    };
    obj([
        ("role", s(m.role.as_str())),
        ("content", Value::Array(items)),
    ])
}

fn dashscope_item(item: &ContentItem) -> Value {
    match item {
        ContentItem::Text(t) => obj([("text", s(t))]),
        ContentItem::Image(url) => obj([("image", s(url))]),
        ContentItem::Video { video, fps } => {
            let v = match video {
                Video::Url(url) => s(url),
                Video::Frames(frames) => Value::Array(frames.iter().map(|f| s(f)).collect()),
            };
            let mut o = vec![("video".into(), v)];
            if let Some(fps) = fps {
                o.push(("fps".into(), num(*fps)));
            }
            Value::Object(o)
        }
    }
}
