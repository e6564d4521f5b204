//! Refuses a request the service would refuse (or silently misread), before
//! it is sent, with a message that names the model and the fix.

use crate::error::Error;
use crate::json::Value;
use crate::models::{Rules, Thinking};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text::Msg;

use super::{Content, ContentItem, Request, Role, Target, Transport, Video};

fn is_positive_integer(n: f64) -> bool {
    crate::float::is_integral(n) && n >= 1.0
}

/// Refuses a request the service would refuse (or silently misread),
/// with a message that names the model and the fix.
///
/// Every id gets the structural checks: a model name, at least one
/// message, content in every message, non-empty media URLs, `extra` an
/// object. Catalog ids and ids with a known prefix (`models::rules`) also
/// get the model's rules — thinking, `thinkingBudget`, streaming-only — and
/// the sampling ranges; catalog ids alone get the region check (nothing is
/// known about where an unlisted id is served). Other ids pass through
/// unvalidated beyond the structure, as API.md promises.
pub fn validate(req: &Request, target: &Target, transport: Transport) -> Result<(), Error> {
    let model = req.model.as_str();
    if model.is_empty() {
        return Msg::new("model is empty: name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog).").err();
    }
    check_messages(req)?;
    if let Some(extra) = &req.extra {
        if !matches!(extra, Value::Object(_)) {
            return Msg::new("extra must be an object (its keys are merged into the ")
                .s(model)
                .s(" request body). Pass e.g. extra: {top_k: 20}.")
                .err();
        }
    }
    let Some(rules) = crate::models::rules(model) else {
        return Ok(());
    };
    check_thinking(req, &rules)?;
    if transport == Transport::Json && rules.streaming_only {
        return Msg::new(model)
            .s(" only streams: transport: \"json\" is not accepted. Use transport: \"stream\" (the default); complete() still resolves one Result.")
            .err();
    }
    check_region(model, &rules, target)?;
    check_sampling(req)
}

/// Empty strings, empty lists and lists of empty text items are "no
/// content". An empty text item *next to* real content is let through and
/// sent as is (a form that appends an empty caption to an image is not an
/// error worth refusing); an empty media URL never works, so it is refused.
/// Assistant turns go back as plain text, so one without text is empty.
fn check_messages(req: &Request) -> Result<(), Error> {
    let model = req.model.as_str();
    if req.messages.is_empty() {
        return Msg::new("messages is empty: a ")
            .s(model)
            .s(" request needs at least one message. Pass messages: [{role: \"user\", content: \"…\"}].")
            .err();
    }
    for (i, m) in req.messages.iter().enumerate() {
        let at = || {
            Msg::new("messages[")
                .n(i as u64)
                .s("] (")
                .s(m.role.as_str())
                .s(") of the ")
                .s(model)
                .s(" request")
        };
        let has_content = match &m.content {
            Content::Text(t) => !t.is_empty(),
            Content::Items(items) => {
                for (j, item) in items.iter().enumerate() {
                    let item_at = || at().s(", item ").n(j as u64).s(": ");
                    match item {
                        ContentItem::Text(_) => {}
                        ContentItem::Image(url) => {
                            if url.is_empty() {
                                return item_at()
                                    .s("the image is an empty string. Pass an http(s) URL, a data: URL or a Blob.")
                                    .err();
                            }
                        }
                        ContentItem::Video { video, fps } => {
                            match video {
                                Video::Url(url) if url.is_empty() => {
                                    return item_at()
                                        .s("the video URL is empty. Pass a video URL or a list of frame image URLs.")
                                        .err();
                                }
                                Video::Frames(frames) if frames.is_empty() => {
                                    return item_at()
                                        .s("the video has no frames. Pass a video URL or a non-empty list of frame image URLs.")
                                        .err();
                                }
                                Video::Frames(frames) => {
                                    if let Some(k) = frames.iter().position(|f| f.is_empty()) {
                                        return item_at()
                                            .s("video frame ")
                                            .n(k as u64)
                                            .s(" is an empty string. Pass an image URL for every frame.")
                                            .err();
                                    }
                                }
                                Video::Url(_) => {}
                            }
                            if let Some(fps) = fps {
                                if !(fps.is_finite() && *fps > 0.0) {
                                    return item_at()
                                        .s("fps must be a positive number, got ")
                                        .f(*fps)
                                        .s(". Pass the frame rate the frames were taken at, e.g. fps: 2, or leave it out.")
                                        .err();
                                }
                            }
                        }
                    }
                }
                match m.role {
                    Role::Assistant => items
                        .iter()
                        .any(|it| matches!(it, ContentItem::Text(t) if !t.is_empty())),
                    _ => items
                        .iter()
                        .any(|it| !matches!(it, ContentItem::Text(t) if t.is_empty())),
                }
            }
        };
        if !has_content {
            let fix = if m.role == Role::Assistant {
                " has no text (earlier assistant turns are sent back as plain text). Give it the answer's text, or remove the message."
            } else {
                " has no content (an empty string, an empty list, or only empty text items). Give it text, an image or a video, or remove the message."
            };
            return at().s(fix).err();
        }
    }
    Ok(())
}

fn check_thinking(req: &Request, rules: &Rules) -> Result<(), Error> {
    let model = req.model.as_str();
    if req.enable_thinking == Some(false) && rules.thinking == Thinking::Always {
        return Msg::new(model)
            .s(" always thinks: enableThinking: false is not accepted. Remove enableThinking, or pick a hybrid model such as qwen3-vl-plus.")
            .err();
    }
    let Some(budget) = req.thinking_budget else {
        return Ok(());
    };
    if !rules.thinking_budget {
        return Msg::new(model)
            .s(" does not accept thinkingBudget: its thinking length cannot be capped. Remove thinkingBudget, or pick a Qwen3-VL model such as qwen3-vl-plus.")
            .err();
    }
    let max = u64::from(rules.max_thinking);
    if !is_positive_integer(budget) {
        return Msg::new("thinkingBudget must be a positive integer (a number of tokens), got ")
            .f(budget)
            .s(". ")
            .s(model)
            .s(" accepts 1 to ")
            .n(max)
            .s(", or leave it out (the maximum is the default).")
            .err();
    }
    if budget > max as f64 {
        return Msg::new("thinkingBudget ")
            .f(budget)
            .s(" is more than ")
            .s(model)
            .s("'s maximum thinking length of ")
            .n(max)
            .s(" tokens. Use at most ")
            .n(max)
            .s(", or leave it out (the maximum is the default).")
            .err();
    }
    if rules.thinking == Thinking::Hybrid && req.enable_thinking != Some(true) {
        // PROTOCOL.md §6: a budget without thinking is meaningless; the
        // caller most likely forgot to switch thinking on.
        return Msg::new(model)
            .s(" thinks only when asked, so thinkingBudget alone has no effect. Add enableThinking: true, or remove thinkingBudget.")
            .err();
    }
    Ok(())
}

fn check_region(model: &str, rules: &Rules, target: &Target) -> Result<(), Error> {
    let Some(regions) = rules.regions else {
        return Ok(());
    };
    // With a relay and no region named, the relay decides where requests
    // go: the default region says nothing about it.
    if target.base_url.is_some() && !target.region_explicit {
        return Ok(());
    }
    if regions.contains(&target.region) {
        return Ok(());
    }
    let mut m = Msg::new(model)
        .s(" is not served in region ")
        .s(target.region.describe())
        .s("; it is served in ");
    for (i, r) in regions.iter().enumerate() {
        if i > 0 {
            m = m.s(if i + 1 == regions.len() {
                " and "
            } else {
                ", "
            });
        }
        m = m.s(r.describe());
    }
    // Both suggestions are served in every region.
    let similar = if model.starts_with("qwen3-vl-flash") {
        "qwen3-vl-flash"
    } else {
        "qwen3-vl-plus"
    };
    m.s(if regions.len() == 1 {
        ". Use that region (API keys are per region), or a model served in "
    } else {
        ". Choose one of those regions (API keys are per region), or a model served in "
    })
    .s(target.region.as_str())
    .s(" such as ")
    .s(similar)
    .s(".")
    .err()
}

/// Ranges the service documents (temperature [0, 2), top_p (0, 1], seed
/// [0, 2^31 - 1]) and `maxTokens` as a positive integer. `maxTokens` is not
/// compared with the model's answer limit: whether the limit counts the
/// thinking differs between models and doc versions, so the service
/// decides.
fn check_sampling(req: &Request) -> Result<(), Error> {
    let model = req.model.as_str();
    let range = |name: &str, got: f64, rule: &str| {
        Msg::new(name)
            .s(" must be ")
            .s(rule)
            .s(", got ")
            .f(got)
            .s(" (model ")
            .s(model)
            .s("). Change it, or leave it out for the model's default.")
            .err()
    };
    if let Some(n) = req.max_tokens {
        if !is_positive_integer(n) {
            return range("maxTokens", n, "a positive integer (a number of tokens)");
        }
    }
    if let Some(t) = req.temperature {
        if !(t.is_finite() && (0.0..2.0).contains(&t)) {
            return range("temperature", t, "at least 0 and below 2");
        }
    }
    if let Some(p) = req.top_p {
        if !(p.is_finite() && p > 0.0 && p <= 1.0) {
            return range("topP", p, "greater than 0 and at most 1");
        }
    }
    if let Some(seed) = req.seed {
        if !(crate::float::is_integral(seed) && (0.0..=2_147_483_647.0).contains(&seed)) {
            return range("seed", seed, "an integer from 0 to 2147483647");
        }
    }
    Ok(())
}
