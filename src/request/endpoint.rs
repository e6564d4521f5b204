//! Where a request goes and which headers it carries.

#[allow(unused_imports)]
use crate::prelude::*;
use crate::protocol::Protocol;

use super::{Target, Transport};

/// The full endpoint URL for `target`.
///
/// Without `baseUrl` it is the region's host plus the protocol's path. A
/// `baseUrl` replaces the host: trailing slashes are ignored and a path
/// prefix is kept. A `baseUrl` ending in `/compatible-mode/v1` or `/api/v1`
/// is taken as an API root. When that root belongs to the *other* protocol
/// (say `.../compatible-mode/v1` with `protocol: "dashscope"`), the root is
/// swapped for the chosen protocol's: both roots live side by side on every
/// Model Studio host (and a relay forwards both), so the caller evidently
/// pasted the host's other API root, and gluing one root onto the other
/// (`/compatible-mode/v1/api/v1/...`) would only produce a 404. For the
/// same reason a `baseUrl` that is a whole endpoint URL (either protocol's,
/// copied from the docs) counts as its root.
pub fn url(target: &Target) -> String {
    let protocol = target.protocol;
    let mut base = match &target.base_url {
        Some(b) => b.trim_end_matches('/'),
        None => target.region.host(),
    };
    let other = match protocol {
        Protocol::OpenAi => Protocol::DashScope,
        Protocol::DashScope => Protocol::OpenAi,
    };
    for p in [protocol, other] {
        if let Some(root) = base.strip_suffix(p.endpoint()) {
            if root.ends_with(p.root()) {
                base = root;
                break;
            }
        }
    }
    if let Some(stripped) = base.strip_suffix(other.root()) {
        base = stripped;
    }
    let mut out = String::with_capacity(base.len() + 64);
    out.push_str(base);
    if !base.ends_with(protocol.root()) {
        out.push_str(protocol.root());
    }
    out.push_str(protocol.endpoint());
    out
}

const OPENAI_STREAM: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("Accept", "text/event-stream"),
];
const DASHSCOPE_STREAM: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("Accept", "text/event-stream"),
    ("X-DashScope-SSE", "enable"),
];
const JSON: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
];

/// The headers every request of this protocol and transport carries (the
/// binding layer adds `Authorization` and the caller's `headers`).
pub fn headers(
    protocol: Protocol,
    transport: Transport,
) -> &'static [(&'static str, &'static str)] {
    match (protocol, transport) {
        (Protocol::OpenAi, Transport::Stream) => OPENAI_STREAM,
        (Protocol::DashScope, Transport::Stream) => DASHSCOPE_STREAM,
        (_, Transport::Json) => JSON,
    }
}
