//! request::url, headers, validate and the wire bodies (goldens).

use std::path::PathBuf;

use proptest::prelude::*;
use visual_reasoning::json::Value;
use visual_reasoning::models::Region;
use visual_reasoning::protocol::Protocol;
use visual_reasoning::request::{
    self, Content, ContentItem, Message, Request, Role, Stop, Target, Transport, Video,
};
use visual_reasoning::ErrorKind;

// ------------------------------------------------------------------ helpers

fn target(protocol: Protocol, region: Region) -> Target {
    Target {
        protocol,
        region,
        region_explicit: false,
        base_url: None,
    }
}

fn based(protocol: Protocol, base: &str) -> Target {
    Target {
        protocol,
        region: Region::Intl,
        region_explicit: false,
        base_url: Some(base.into()),
    }
}

fn user(text: &str) -> Message {
    Message {
        role: Role::User,
        content: Content::Text(text.into()),
    }
}

fn msg(role: Role, items: Vec<ContentItem>) -> Message {
    Message {
        role,
        content: Content::Items(items),
    }
}

fn text(t: &str) -> ContentItem {
    ContentItem::Text(t.into())
}

fn image(u: &str) -> ContentItem {
    ContentItem::Image(u.into())
}

fn req(model: &str) -> Request {
    Request {
        model: model.into(),
        messages: vec![user("What is in the picture?")],
        ..Request::default()
    }
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect(),
    )
}

fn n(t: &str) -> Value {
    Value::Number(t.into())
}

const INTL: Target = Target {
    protocol: Protocol::OpenAi,
    region: Region::Intl,
    region_explicit: false,
    base_url: None,
};

/// The message of the InvalidRequestError, or a panic naming the request.
fn refused(r: &Request, t: &Target, transport: Transport) -> String {
    match request::validate(r, t, transport) {
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{e}");
            assert!(!e.retryable);
            e.message
        }
        Ok(()) => panic!("accepted: {r:?}"),
    }
}

fn accepted(r: &Request, t: &Target, transport: Transport) {
    if let Err(e) = request::validate(r, t, transport) {
        panic!("refused {r:?}: {e}");
    }
}

fn assert_has(message: &str, pieces: &[&str]) {
    for p in pieces {
        assert!(message.contains(p), "{message:?} lacks {p:?}");
    }
}

// ---------------------------------------------------------------------- url

#[test]
fn url_region_hosts() {
    assert_eq!(
        request::url(&target(Protocol::OpenAi, Region::Intl)),
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions"
    );
    assert_eq!(
        request::url(&target(Protocol::OpenAi, Region::Us)),
        "https://dashscope-us.aliyuncs.com/compatible-mode/v1/chat/completions"
    );
    assert_eq!(
        request::url(&target(Protocol::DashScope, Region::Cn)),
        "https://dashscope.aliyuncs.com/api/v1/services/aigc/multimodal-generation/generation"
    );
}

#[test]
fn url_base_url_replaces_host_and_ignores_trailing_slash() {
    let want = "http://127.0.0.1:8787/compatible-mode/v1/chat/completions";
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "http://127.0.0.1:8787")),
        want
    );
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "http://127.0.0.1:8787/")),
        want
    );
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "http://127.0.0.1:8787//")),
        want
    );
}

#[test]
fn url_base_url_keeps_path_prefix() {
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "https://example.com/qwen")),
        "https://example.com/qwen/compatible-mode/v1/chat/completions"
    );
    assert_eq!(
        request::url(&based(Protocol::DashScope, "https://example.com/qwen/")),
        "https://example.com/qwen/api/v1/services/aigc/multimodal-generation/generation"
    );
}

#[test]
fn url_base_url_ending_in_own_root_is_the_root() {
    assert_eq!(
        request::url(&based(
            Protocol::OpenAi,
            "https://ws-1.cn-hangzhou.maas.aliyuncs.com/compatible-mode/v1"
        )),
        "https://ws-1.cn-hangzhou.maas.aliyuncs.com/compatible-mode/v1/chat/completions"
    );
    assert_eq!(
        request::url(&based(
            Protocol::DashScope,
            "https://relay.example/x/api/v1/"
        )),
        "https://relay.example/x/api/v1/services/aigc/multimodal-generation/generation"
    );
}

#[test]
fn url_base_url_ending_in_other_protocols_root_swaps_the_root() {
    assert_eq!(
        request::url(&based(
            Protocol::DashScope,
            "https://example.com/compatible-mode/v1"
        )),
        "https://example.com/api/v1/services/aigc/multimodal-generation/generation"
    );
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "https://example.com/p/api/v1/")),
        "https://example.com/p/compatible-mode/v1/chat/completions"
    );
}

#[test]
fn url_base_url_that_is_a_whole_endpoint_counts_as_its_root() {
    let openai = "https://example.com/compatible-mode/v1/chat/completions";
    let dashscope = "https://example.com/api/v1/services/aigc/multimodal-generation/generation";
    for base in [openai, dashscope] {
        assert_eq!(request::url(&based(Protocol::OpenAi, base)), openai);
        assert_eq!(request::url(&based(Protocol::DashScope, base)), dashscope);
    }
    // An endpoint-like tail without its root is just a path prefix.
    assert_eq!(
        request::url(&based(
            Protocol::OpenAi,
            "https://example.com/chat/completions"
        )),
        "https://example.com/chat/completions/compatible-mode/v1/chat/completions"
    );
}

#[test]
fn url_root_must_be_a_whole_path_suffix_to_count() {
    // "/v1" alone is just a prefix: kept, and the full root appended.
    assert_eq!(
        request::url(&based(Protocol::OpenAi, "https://example.com/v1")),
        "https://example.com/v1/compatible-mode/v1/chat/completions"
    );
}

// ------------------------------------------------------------------ headers

#[test]
fn headers_per_protocol_and_transport() {
    use request::headers;
    assert_eq!(
        headers(Protocol::OpenAi, Transport::Stream),
        &[
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream")
        ]
    );
    assert_eq!(
        headers(Protocol::DashScope, Transport::Stream),
        &[
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
            ("X-DashScope-SSE", "enable")
        ]
    );
    for p in [Protocol::OpenAi, Protocol::DashScope] {
        assert_eq!(
            headers(p, Transport::Json),
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/json")
            ]
        );
    }
}

// --------------------------------------------------------------- validation

#[test]
fn valid_requests_pass() {
    accepted(&req("qwen3-vl-plus"), &INTL, Transport::Stream);
    accepted(&req("qwen3-vl-plus"), &INTL, Transport::Json);
    accepted(&req("qvq-max"), &INTL, Transport::Stream);
    let mut r = req("qwen3-vl-flash");
    r.enable_thinking = Some(true);
    r.thinking_budget = Some(81920.0);
    r.max_tokens = Some(1.0);
    r.temperature = Some(0.0);
    r.top_p = Some(1.0);
    r.seed = Some(0.0);
    r.stop = Some(Stop::Many(vec![]));
    accepted(&r, &INTL, Transport::Stream);
    let mut r = req("qwen3-vl-8b-thinking");
    r.enable_thinking = Some(true);
    r.thinking_budget = Some(1.0);
    accepted(&r, &INTL, Transport::Stream);
    // A thinking-only model needs no enableThinking for its budget.
    r.enable_thinking = None;
    accepted(&r, &INTL, Transport::Stream);
}

#[test]
fn enable_thinking_false_on_always_thinking_models() {
    for model in [
        "qvq-max",
        "qwen3-vl-235b-a22b-thinking",
        "qvq-max-2099-01-01",
        "qwen3-vl-2b-thinking",
    ] {
        let mut r = req(model);
        r.enable_thinking = Some(false);
        let m = refused(&r, &INTL, Transport::Stream);
        assert_has(
            &m,
            &[
                model,
                "always thinks",
                "enableThinking: false",
                "qwen3-vl-plus",
            ],
        );
    }
    assert_eq!(
        refused(
            &Request { enable_thinking: Some(false), ..req("qvq-max") },
            &INTL,
            Transport::Stream
        ),
        "qvq-max always thinks: enableThinking: false is not accepted. Remove enableThinking, or pick a hybrid model such as qwen3-vl-plus."
    );
    // Hybrid models accept both.
    let mut r = req("qwen3-vl-plus");
    r.enable_thinking = Some(false);
    accepted(&r, &INTL, Transport::Stream);
}

#[test]
fn thinking_budget_on_qvq_is_refused() {
    let mut r = req("qvq-plus");
    r.thinking_budget = Some(100.0);
    let m = refused(&r, &INTL, Transport::Stream);
    assert_has(
        &m,
        &[
            "qvq-plus does not accept thinkingBudget",
            "Remove thinkingBudget",
        ],
    );
}

#[test]
fn thinking_budget_must_be_a_positive_integer() {
    for (bad, shown) in [
        (0.0, "got 0."),
        (-5.0, "got -5."),
        (1.5, "got 1.5."),
        (f64::NAN, "got NaN."),
        (f64::INFINITY, "got Infinity."),
    ] {
        let mut r = req("qwen3-vl-plus");
        r.enable_thinking = Some(true);
        r.thinking_budget = Some(bad);
        let m = refused(&r, &INTL, Transport::Stream);
        assert_has(
            &m,
            &[
                "thinkingBudget must be a positive integer",
                shown,
                "qwen3-vl-plus accepts 1 to 81920",
            ],
        );
    }
}

#[test]
fn thinking_budget_above_the_models_maximum() {
    let mut r = req("qwen3-vl-plus");
    r.enable_thinking = Some(true);
    r.thinking_budget = Some(81921.0);
    assert_eq!(
        refused(&r, &INTL, Transport::Stream),
        "thinkingBudget 81921 is more than qwen3-vl-plus's maximum thinking length of 81920 tokens. Use at most 81920, or leave it out (the maximum is the default)."
    );
}

#[test]
fn thinking_budget_on_hybrid_without_enable_thinking_true() {
    for enable in [None, Some(false)] {
        let mut r = req("qwen3-vl-flash-us");
        r.enable_thinking = enable;
        r.thinking_budget = Some(1024.0);
        let t = Target {
            region: Region::Us,
            ..INTL
        };
        let m = refused(&r, &t, Transport::Stream);
        assert_has(
            &m,
            &[
                "qwen3-vl-flash-us thinks only when asked",
                "Add enableThinking: true",
            ],
        );
    }
    // The prefix rules treat an unlisted qwen3-vl- id as hybrid.
    let mut r = req("qwen3-vl-max");
    r.thinking_budget = Some(1024.0);
    refused(&r, &INTL, Transport::Stream);
}

#[test]
fn region_check_lists_the_regions_where_the_model_is_served() {
    let us = Target {
        region: Region::Us,
        region_explicit: true,
        ..INTL
    };
    assert_eq!(
        refused(&req("qvq-max"), &us, Transport::Stream),
        "qvq-max is not served in region us (Virginia); it is served in intl (Singapore) and cn (Beijing). Choose one of those regions (API keys are per region), or a model served in us such as qwen3-vl-plus."
    );
    let m = refused(&req("qwen3-vl-plus-2025-12-19"), &us, Transport::Stream);
    assert_has(
        &m,
        &["qwen3-vl-plus-2025-12-19 is not served in region us (Virginia)"],
    );
    assert_eq!(
        refused(&req("qwen3-vl-flash-us"), &INTL, Transport::Stream),
        "qwen3-vl-flash-us is not served in region intl (Singapore); it is served in us (Virginia). Use that region (API keys are per region), or a model served in intl such as qwen3-vl-flash."
    );
    accepted(&req("qwen3-vl-flash-us"), &us, Transport::Stream);
    accepted(&req("qwen3-vl-plus"), &us, Transport::Stream);
}

#[test]
fn region_check_skipped_behind_a_base_url_unless_region_explicit() {
    let relay = Target {
        region: Region::Us,
        base_url: Some("http://127.0.0.1:8787".into()),
        ..INTL
    };
    accepted(&req("qvq-max"), &relay, Transport::Stream);
    let explicit = Target {
        region_explicit: true,
        ..relay
    };
    refused(&req("qvq-max"), &explicit, Transport::Stream);
    // Explicit region without baseUrl: checked (the default is checked too).
    refused(
        &req("qvq-max"),
        &Target {
            region: Region::Us,
            ..INTL
        },
        Transport::Stream,
    );
}

#[test]
fn region_check_not_applied_to_prefix_ruled_ids() {
    let us = Target {
        region: Region::Us,
        region_explicit: true,
        ..INTL
    };
    accepted(&req("qvq-max-2099-01-01"), &us, Transport::Stream);
}

#[test]
fn json_transport_for_streaming_only_models() {
    for model in ["qvq-max", "qvq-plus-latest", "qvq-next"] {
        let m = refused(&req(model), &INTL, Transport::Json);
        assert_has(&m, &[model, "only streams", "transport: \"stream\""]);
        accepted(&req(model), &INTL, Transport::Stream);
    }
}

#[test]
fn empty_messages_refused_for_every_model() {
    for model in ["qwen3-vl-plus", "qvq-max", "some-other-model"] {
        let mut r = req(model);
        r.messages.clear();
        let m = refused(&r, &INTL, Transport::Stream);
        assert_has(&m, &["messages is empty", model]);
    }
}

#[test]
fn empty_model_refused() {
    let m = refused(&req(""), &INTL, Transport::Stream);
    assert_has(&m, &["model is empty"]);
}

#[test]
fn message_without_content_refused() {
    let empties = [
        Content::Text(String::new()),
        Content::Items(vec![]),
        Content::Items(vec![text(""), text("")]),
    ];
    for content in empties {
        for model in ["qwen3-vl-plus", "unknown-model"] {
            let mut r = req(model);
            r.messages.push(Message {
                role: Role::User,
                content: content.clone(),
            });
            let m = refused(&r, &INTL, Transport::Stream);
            assert_has(
                &m,
                &[
                    "messages[1] (user) of the ",
                    model,
                    " request has no content",
                ],
            );
        }
    }
}

#[test]
fn empty_text_item_next_to_real_content_is_accepted() {
    let mut r = req("qwen3-vl-plus");
    r.messages = vec![msg(Role::User, vec![image("https://e.x/a.png"), text("")])];
    accepted(&r, &INTL, Transport::Stream);
}

#[test]
fn assistant_turn_without_text_refused() {
    let mut r = req("qwen3-vl-plus");
    r.messages = vec![
        user("hi"),
        msg(Role::Assistant, vec![image("https://e.x/a.png")]),
        user("and?"),
    ];
    let m = refused(&r, &INTL, Transport::Stream);
    assert_has(&m, &["messages[1] (assistant)", "has no text"]);
}

#[test]
fn empty_media_refused() {
    let cases: [(ContentItem, &str); 4] = [
        (image(""), "item 1: the image is an empty string"),
        (
            ContentItem::Video {
                video: Video::Url(String::new()),
                fps: None,
            },
            "item 1: the video URL is empty",
        ),
        (
            ContentItem::Video {
                video: Video::Frames(vec![]),
                fps: None,
            },
            "item 1: the video has no frames",
        ),
        (
            ContentItem::Video {
                video: Video::Frames(vec!["a.jpg".into(), String::new()]),
                fps: None,
            },
            "item 1: video frame 1 is an empty string",
        ),
    ];
    for (item, want) in cases {
        let mut r = req("anything");
        r.messages = vec![msg(Role::User, vec![text("look"), item])];
        let m = refused(&r, &INTL, Transport::Stream);
        assert_has(&m, &["messages[0] (user) of the anything request, ", want]);
    }
}

#[test]
fn fps_must_be_positive() {
    for fps in [0.0, -1.0, f64::NAN] {
        let mut r = req("qwen3-vl-plus");
        r.messages = vec![msg(
            Role::User,
            vec![ContentItem::Video {
                video: Video::Url("https://e.x/v.mp4".into()),
                fps: Some(fps),
            }],
        )];
        let m = refused(&r, &INTL, Transport::Stream);
        assert_has(&m, &["fps must be a positive number"]);
    }
}

#[test]
fn extra_must_be_an_object() {
    let mut r = req("unknown-model");
    r.extra = Some(Value::Array(vec![]));
    assert_has(
        &refused(&r, &INTL, Transport::Stream),
        &["extra must be an object"],
    );
    r.extra = Some(obj(&[]));
    accepted(&r, &INTL, Transport::Stream);
}

#[test]
fn sampling_ranges() {
    type Set = fn(&mut Request);
    let bad: [(Set, &str); 12] = [
        (
            |r| r.max_tokens = Some(0.0),
            "maxTokens must be a positive integer",
        ),
        (
            |r| r.max_tokens = Some(10.5),
            "maxTokens must be a positive integer",
        ),
        (|r| r.max_tokens = Some(f64::NAN), "got NaN"),
        (
            |r| r.temperature = Some(-0.1),
            "temperature must be at least 0 and below 2, got -0.1",
        ),
        (|r| r.temperature = Some(2.0), "temperature must be"),
        (
            |r| r.temperature = Some(f64::INFINITY),
            "temperature must be",
        ),
        (
            |r| r.top_p = Some(0.0),
            "topP must be greater than 0 and at most 1, got 0",
        ),
        (|r| r.top_p = Some(1.01), "topP must be"),
        (
            |r| r.seed = Some(-1.0),
            "seed must be an integer from 0 to 2147483647",
        ),
        (|r| r.seed = Some(0.5), "seed must be"),
        (|r| r.seed = Some(2_147_483_648.0), "seed must be"),
        (|r| r.top_p = Some(f64::NAN), "topP must be"),
    ];
    for (set, want) in bad {
        let mut r = req("qwen3-vl-plus");
        set(&mut r);
        assert_has(
            &refused(&r, &INTL, Transport::Stream),
            &[want, "(model qwen3-vl-plus)"],
        );
    }
    let mut r = req("qwen3-vl-plus");
    r.temperature = Some(1.99);
    r.top_p = Some(0.01);
    r.seed = Some(2_147_483_647.0);
    r.max_tokens = Some(32768.0);
    accepted(&r, &INTL, Transport::Stream);
}

#[test]
fn unknown_ids_pass_unvalidated_beyond_structure() {
    let mut r = req("qwen-vl-max");
    r.enable_thinking = Some(false);
    r.thinking_budget = Some(-3.0);
    r.temperature = Some(9.0);
    r.max_tokens = Some(0.5);
    let us = Target {
        region: Region::Us,
        region_explicit: true,
        ..INTL
    };
    accepted(&r, &us, Transport::Json);
}

// ------------------------------------------------------------ wire bodies

const IMG: &str = "https://example.com/triangle.png";

/// PROTOCOL.md §2's two examples, byte for byte (minified).
#[test]
fn protocol_md_examples_exact() {
    let r = Request {
        model: "qwen3-vl-plus".into(),
        messages: vec![
            Message {
                role: Role::System,
                content: Content::Text("You are a patient math tutor.".into()),
            },
            msg(Role::User, vec![image(IMG), text("Find angle x.")]),
        ],
        enable_thinking: Some(true),
        thinking_budget: Some(4096.0),
        ..Request::default()
    };
    assert_eq!(
        request::encode(&r, Protocol::OpenAi, Transport::Stream),
        r#"{"model":"qwen3-vl-plus","messages":[{"role":"system","content":"You are a patient math tutor."},{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/triangle.png"}},{"type":"text","text":"Find angle x."}]}],"stream":true,"stream_options":{"include_usage":true},"enable_thinking":true,"thinking_budget":4096}"#
    );
    assert_eq!(
        request::encode(&r, Protocol::DashScope, Transport::Stream),
        r#"{"model":"qwen3-vl-plus","input":{"messages":[{"role":"system","content":[{"text":"You are a patient math tutor."}]},{"role":"user","content":[{"image":"https://example.com/triangle.png"},{"text":"Find angle x."}]}]},"parameters":{"incremental_output":true,"result_format":"message","enable_thinking":true,"thinking_budget":4096}}"#
    );
}

#[test]
fn json_transport_bodies_exact() {
    let r = req("qwen3-vl-plus");
    assert_eq!(
        request::encode(&r, Protocol::OpenAi, Transport::Json),
        r#"{"model":"qwen3-vl-plus","messages":[{"role":"user","content":"What is in the picture?"}]}"#
    );
    assert_eq!(
        request::encode(&r, Protocol::DashScope, Transport::Json),
        r#"{"model":"qwen3-vl-plus","input":{"messages":[{"role":"user","content":[{"text":"What is in the picture?"}]}]},"parameters":{"result_format":"message"}}"#
    );
}

#[test]
fn extra_is_deep_merged_last() {
    let mut r = req("qwen3-vl-plus");
    r.temperature = Some(0.5);
    r.extra = Some(obj(&[
        (
            "parameters",
            obj(&[("top_k", n("20")), ("temperature", n("0.9"))]),
        ),
        (
            "stream_options",
            obj(&[("include_usage", Value::Bool(false))]),
        ),
    ]));
    assert_eq!(
        request::encode(&r, Protocol::DashScope, Transport::Stream),
        r#"{"model":"qwen3-vl-plus","input":{"messages":[{"role":"user","content":[{"text":"What is in the picture?"}]}]},"parameters":{"incremental_output":true,"result_format":"message","temperature":0.9,"top_k":20},"stream_options":{"include_usage":false}}"#
    );
    r.extra = Some(obj(&[
        ("top_k", n("20")),
        (
            "stream_options",
            obj(&[("include_usage", Value::Bool(false))]),
        ),
    ]));
    assert_eq!(
        request::encode(&r, Protocol::OpenAi, Transport::Stream),
        r#"{"model":"qwen3-vl-plus","messages":[{"role":"user","content":"What is in the picture?"}],"stream":true,"stream_options":{"include_usage":false},"temperature":0.5,"top_k":20}"#
    );
    // A non-object replaces: extra can also take an option away.
    r.extra = Some(obj(&[("messages", Value::Null)]));
    assert_eq!(
        request::encode(&r, Protocol::OpenAi, Transport::Json),
        r#"{"model":"qwen3-vl-plus","messages":null,"temperature":0.5}"#
    );
}

/// The golden matrix: `tests/fixtures/requests/<case>.<protocol>.<transport>.json`
/// hold the exact bytes. `BLESS=1 cargo test --test request` rewrites them
/// (review the diff before committing).
fn cases() -> Vec<(&'static str, Request)> {
    let frames = || {
        vec![
            "https://e.x/f1.jpg".to_string(),
            "https://e.x/f2.jpg".to_string(),
        ]
    };
    vec![
        ("minimal", req("qwen3-vl-flash")),
        (
            "all-options",
            Request {
                model: "qwen3-vl-plus".into(),
                messages: vec![msg(Role::User, vec![image("data:image/png;base64,iVBORw0KGgo="), text("Solve it.")])],
                enable_thinking: Some(false),
                max_tokens: Some(2048.0),
                temperature: Some(0.7),
                top_p: Some(0.95),
                seed: Some(42.0),
                stop: Some(Stop::Many(vec!["\n\n".into(), "END".into()])),
                vl_high_resolution_images: Some(true),
                ..Request::default()
            },
        ),
        (
            "stop-one",
            Request { stop: Some(Stop::One("###".into())), ..req("qvq-max") },
        ),
        (
            "video",
            Request {
                model: "qwen3-vl-plus".into(),
                messages: vec![msg(
                    Role::User,
                    vec![
                        ContentItem::Video { video: Video::Url("https://e.x/clip.mp4".into()), fps: Some(2.0) },
                        ContentItem::Video { video: Video::Frames(frames()), fps: Some(0.5) },
                        ContentItem::Video { video: Video::Frames(frames()), fps: None },
                        text("What changes between these?"),
                    ],
                )],
                ..Request::default()
            },
        ),
        (
            "history",
            Request {
                model: "qvq-max".into(),
                messages: vec![
                    Message { role: Role::System, content: Content::Text("Be brief.".into()) },
                    msg(Role::User, vec![image(IMG), text("Find x.")]),
                    msg(Role::Assistant, vec![text("x = "), text("70°")]),
                    user("Why?"),
                ],
                ..Request::default()
            },
        ),
        (
            "escapes",
            Request {
                model: "qwen3-vl-plus".into(),
                messages: vec![user("quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7f} é ∠ 😀 \u{2028}")],
                ..Request::default()
            },
        ),
    ]
}

#[test]
fn golden_request_bodies() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requests");
    let bless = std::env::var_os("BLESS").is_some();
    let mut checked = 0;
    for (name, r) in cases() {
        for p in [Protocol::OpenAi, Protocol::DashScope] {
            for (t, tname) in [(Transport::Stream, "stream"), (Transport::Json, "json")] {
                let body = request::encode(&r, p, t);
                let v: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"));
                assert!(v.is_object());
                let path = dir.join(format!("{name}.{}.{tname}.json", p.as_str()));
                if bless {
                    std::fs::write(&path, &body).unwrap();
                } else {
                    let want = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    assert_eq!(body, want, "{}", path.display());
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24);
}

#[test]
fn wire_shapes_by_meaning() {
    // The goldens pin the bytes; this pins what the bytes must mean, so a
    // careless re-bless cannot slip a wrong shape through.
    let all: Vec<_> = cases();
    let video = &all.iter().find(|c| c.0 == "video").unwrap().1;
    let o: serde_json::Value =
        serde_json::from_str(&request::encode(video, Protocol::OpenAi, Transport::Stream)).unwrap();
    let items = &o["messages"][0]["content"];
    assert_eq!(
        items[0],
        serde_json::json!({"type":"video_url","video_url":{"url":"https://e.x/clip.mp4"},"fps":2})
    );
    assert_eq!(
        items[1],
        serde_json::json!({"type":"video","video":["https://e.x/f1.jpg","https://e.x/f2.jpg"],"fps":0.5})
    );
    assert_eq!(
        items[2],
        serde_json::json!({"type":"video","video":["https://e.x/f1.jpg","https://e.x/f2.jpg"]})
    );
    let d: serde_json::Value = serde_json::from_str(&request::encode(
        video,
        Protocol::DashScope,
        Transport::Stream,
    ))
    .unwrap();
    let items = &d["input"]["messages"][0]["content"];
    assert_eq!(
        items[0],
        serde_json::json!({"video":"https://e.x/clip.mp4","fps":2})
    );
    assert_eq!(
        items[1],
        serde_json::json!({"video":["https://e.x/f1.jpg","https://e.x/f2.jpg"],"fps":0.5})
    );
    assert_eq!(
        items[3],
        serde_json::json!({"text":"What changes between these?"})
    );

    let history = &all.iter().find(|c| c.0 == "history").unwrap().1;
    let o: serde_json::Value = serde_json::from_str(&request::encode(
        history,
        Protocol::OpenAi,
        Transport::Stream,
    ))
    .unwrap();
    assert_eq!(
        o["messages"][2],
        serde_json::json!({"role":"assistant","content":"x = 70°"})
    );
    let d: serde_json::Value = serde_json::from_str(&request::encode(
        history,
        Protocol::DashScope,
        Transport::Stream,
    ))
    .unwrap();
    assert_eq!(
        d["input"]["messages"][2],
        serde_json::json!({"role":"assistant","content":[{"text":"x = 70°"}]})
    );

    let opts = &all.iter().find(|c| c.0 == "all-options").unwrap().1;
    let o: serde_json::Value =
        serde_json::from_str(&request::encode(opts, Protocol::OpenAi, Transport::Stream)).unwrap();
    let d: serde_json::Value = serde_json::from_str(&request::encode(
        opts,
        Protocol::DashScope,
        Transport::Stream,
    ))
    .unwrap();
    for (k, want) in [
        ("enable_thinking", serde_json::json!(false)),
        ("vl_high_resolution_images", serde_json::json!(true)),
        ("max_tokens", serde_json::json!(2048)),
        ("temperature", serde_json::json!(0.7)),
        ("top_p", serde_json::json!(0.95)),
        ("seed", serde_json::json!(42)),
        ("stop", serde_json::json!(["\n\n", "END"])),
    ] {
        assert_eq!(o[k], want, "openai {k}");
        assert_eq!(d["parameters"][k], want, "dashscope {k}");
        assert!(d.get(k).is_none(), "dashscope {k} must sit in parameters");
    }
    assert!(
        o.get("thinking_budget").is_none(),
        "unset options are not sent"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any string the caller sends (text, URL, stop word, model name)
    /// survives the JSON escaping exactly.
    #[test]
    fn arbitrary_strings_round_trip(a in any::<String>(), b in any::<String>(), c in "\\PC*") {
        let r = Request {
            model: c.clone(),
            messages: vec![msg(Role::User, vec![text(&a), image(&b)])],
            stop: Some(Stop::One(a.clone())),
            ..Request::default()
        };
        let o: serde_json::Value = serde_json::from_str(&request::encode(&r, Protocol::OpenAi, Transport::Stream)).unwrap();
        prop_assert_eq!(o["model"].as_str(), Some(c.as_str()));
        prop_assert_eq!(o["messages"][0]["content"][0]["text"].as_str(), Some(a.as_str()));
        prop_assert_eq!(o["messages"][0]["content"][1]["image_url"]["url"].as_str(), Some(b.as_str()));
        prop_assert_eq!(o["stop"].as_str(), Some(a.as_str()));
        let d: serde_json::Value = serde_json::from_str(&request::encode(&r, Protocol::DashScope, Transport::Stream)).unwrap();
        prop_assert_eq!(d["input"]["messages"][0]["content"][0]["text"].as_str(), Some(a.as_str()));
        prop_assert_eq!(d["input"]["messages"][0]["content"][1]["image"].as_str(), Some(b.as_str()));
    }

    /// Finite option numbers reach the wire as the same f64 (read back
    /// with Rust's exact parser: serde_json's default float parsing may be
    /// off by one ulp for huge exponents).
    #[test]
    fn numbers_round_trip(t in -1e300f64..1e300, p in 0.0f64..1.0, k in 0u64..(1u64 << 53)) {
        let r = Request { temperature: Some(t), top_p: Some(p), max_tokens: Some(k as f64), ..req("x") };
        let body = request::encode(&r, Protocol::OpenAi, Transport::Json);
        let o: serde_json::Value = serde_json::from_str(&body).unwrap();
        prop_assert!(o["temperature"].is_number());
        prop_assert_eq!(number_after(&body, "\"temperature\":"), t);
        prop_assert_eq!(number_after(&body, "\"top_p\":"), p);
        prop_assert_eq!(o["max_tokens"].as_u64(), Some(k));
    }
}

fn number_after(body: &str, key: &str) -> f64 {
    let rest = &body[body.find(key).unwrap() + key.len()..];
    let end = rest.find([',', '}']).unwrap();
    rest[..end].parse().unwrap()
}
