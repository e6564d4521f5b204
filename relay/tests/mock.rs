//! Mock mode as an upstream: its bytes against PROTOCOL.md's examples, the
//! models' behaviour (PROTOCOL.md §6), usage, faults and the request log.

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};

/// PROTOCOL.md §3, openai framing: the first and the usage example lines.
const OPENAI_EXAMPLE_FIRST: &str = r#"{"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"The figure shows"},"finish_reason":null,"logprobs":null}]}"#;
const OPENAI_EXAMPLE_ANSWER: &str = r#"{"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[{"index":0,"delta":{"content":"$x = 70^\\circ$","reasoning_content":null},"finish_reason":null,"logprobs":null}]}"#;
const OPENAI_EXAMPLE_FINISH: &str = r#"{"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[{"index":0,"delta":{"content":"","reasoning_content":null},"finish_reason":"stop","logprobs":null}]}"#;
const OPENAI_EXAMPLE_USAGE: &str = r#"{"id":"chatcmpl-7f3e","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[],"usage":{"prompt_tokens":1266,"completion_tokens":412,"total_tokens":1678,"prompt_tokens_details":{"text_tokens":746,"image_tokens":520},"completion_tokens_details":{"reasoning_tokens":380,"text_tokens":32}}}"#;
/// PROTOCOL.md §3, dashscope framing: the second example event (answering).
const DASHSCOPE_EXAMPLE_ANSWER: &str = "id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":[{\"text\":\"$x = 70^\\\\circ$\"}],\"reasoning_content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":1266,\"output_tokens\":384,\"input_tokens_details\":{\"text_tokens\":746,\"image_tokens\":520},\"output_tokens_details\":{\"reasoning_tokens\":380,\"text_tokens\":4},\"total_tokens\":1650,\"image_tokens\":520},\"request_id\":\"a1b2c3d4-0000-4000-8000-000000000001\"}";

/// The JSON's shape: keys in order, with each leaf replaced by its type.
fn skeleton(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", skeleton(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(skeleton).collect::<Vec<_>>().join(",")),
        Value::String(_) => "s".into(),
        Value::Number(_) => "n".into(),
        Value::Bool(_) => "b".into(),
        Value::Null => "null".into(),
    }
}

/// A 1024 × 406 PNG header as a data URL (PROTOCOL.md §7's worked example).
fn png_data_url(w: u32, h: u32) -> String {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend(w.to_be_bytes());
    v.extend(h.to_be_bytes());
    v.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(v)
    )
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn post(m: &Server, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut req = client().post(format!("{}{path}", m.url)).json(body);
    if path == DASHSCOPE && body.pointer("/parameters/stream_off").is_none() {
        req = req.header("x-dashscope-sse", "enable");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

/// (reasoning, answer) joined from an openai stream.
fn openai_texts(body: &str) -> (String, String) {
    let (mut r, mut a) = (String::new(), String::new());
    for c in openai_json(body) {
        if let Some(d) = c.pointer("/choices/0/delta") {
            r.push_str(d["reasoning_content"].as_str().unwrap_or(""));
            a.push_str(d["content"].as_str().unwrap_or(""));
        }
    }
    (r, a)
}

#[tokio::test]
async fn openai_bytes_follow_the_protocol_examples() {
    let m = mock(0.0).await;
    let body = openai_body("qwen3-vl-plus", json!({"enable_thinking": true}));
    let r = post(&m, OPENAI, &body, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/event-stream");
    let rid = r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(rid.len(), 36, "a bare UUID: {rid}");
    // Framing: `data: ` + JSON + blank line, `[DONE]` last, nothing else.
    let evs = events(&r.body);
    assert!(r.body.ends_with("\n\n"));
    assert!(evs
        .iter()
        .all(|e| e.starts_with("data: ") && !e.contains('\n')));
    assert_eq!(*evs.last().unwrap(), "data: [DONE]");
    let chunks = openai_json(&r.body);
    for c in &chunks {
        assert_eq!(c["id"], format!("chatcmpl-{rid}"));
    }
    // Same keys in the same order as the examples; the `"usage": null`
    // that include_usage adds to earlier chunks aside.
    let strip = |v: &Value| {
        let mut v = v.clone();
        if v["usage"].is_null() {
            v.as_object_mut().unwrap().remove("usage");
        }
        skeleton(&v)
    };
    let ex = |s: &str| skeleton(&serde_json::from_str(s).unwrap());
    assert_eq!(strip(&chunks[0]), ex(OPENAI_EXAMPLE_FIRST));
    assert!(chunks[1..]
        .iter()
        .any(|c| strip(c) == ex(OPENAI_EXAMPLE_ANSWER)));
    assert_eq!(strip(&chunks[chunks.len() - 2]), ex(OPENAI_EXAMPLE_FINISH));
    assert_eq!(
        skeleton(&chunks[chunks.len() - 1]),
        ex(OPENAI_EXAMPLE_USAGE).replace(",image_tokens:n", "")
    );
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["usage"].is_null()));
    let (reasoning, answer) = openai_texts(&r.body);
    assert!(reasoning.starts_with("The figure shows a triangle with ∠A = 40°."));
    assert!(answer.contains("$x = 70^\\circ$") && answer.contains("所以"));
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(
        usage["completion_tokens"],
        usage["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            + usage["completion_tokens_details"]["text_tokens"]
                .as_u64()
                .unwrap()
    );
    // Deterministic: the same question gets the same text.
    let again = post(&m, OPENAI, &body, &[]).await;
    assert_eq!(openai_texts(&again.body), (reasoning, answer));
}

#[tokio::test]
async fn openai_without_include_usage_sends_no_usage() {
    let m = mock(0.0).await;
    let mut body = openai_body("qwen3-vl-plus", json!({}));
    body.as_object_mut().unwrap().remove("stream_options");
    let r = post(&m, OPENAI, &body, &[]).await;
    assert!(!r.body.contains("usage"));
    assert!(r.body.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn dashscope_bytes_follow_the_protocol_example() {
    let m = mock(0.0).await;
    let mut body = dashscope_body("qwen3-vl-plus", json!({"enable_thinking": true}));
    body["input"]["messages"][0]["content"] =
        json!([{"image": png_data_url(1024, 406)}, {"text": "Find angle x."}]);
    let r = post(&m, DASHSCOPE, &body, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/event-stream;charset=UTF-8");
    let rid = r.headers["x-request-id"].to_str().unwrap().to_owned();
    let evs = events(&r.body);
    for (i, e) in evs.iter().enumerate() {
        let lines: Vec<&str> = e.split('\n').collect();
        assert_eq!(lines.len(), 4, "{e}");
        assert_eq!(lines[0], format!("id:{}", i + 1));
        assert_eq!(lines[1], "event:result");
        assert_eq!(lines[2], ":HTTP_STATUS/200");
        assert!(lines[3].starts_with("data:{"));
    }
    let data = dashscope_json(&r.body);
    let (example_head, example_data) = DASHSCOPE_EXAMPLE_ANSWER.split_once("data:").unwrap();
    assert_eq!(example_head, "id:2\nevent:result\n:HTTP_STATUS/200\n");
    let example = skeleton(&serde_json::from_str(example_data).unwrap());
    assert!(
        data.iter().any(|d| skeleton(d) == example),
        "no answer event shaped like the example"
    );
    let mut last_output = 0;
    for (i, d) in data.iter().enumerate() {
        assert_eq!(d["request_id"], rid.as_str());
        let finish = d["output"]["choices"][0]["finish_reason"].as_str().unwrap();
        assert_eq!(finish, if i + 1 == data.len() { "stop" } else { "null" });
        let out = d["usage"]["output_tokens"].as_u64().unwrap();
        assert!(out >= last_output, "usage is cumulative");
        last_output = out;
        // 1024 × 406 on Qwen3-VL: 418 tokens (PROTOCOL.md §7).
        assert_eq!(d["usage"]["image_tokens"], 418);
    }
    let last = data.last().unwrap();
    assert_eq!(
        last["output"]["choices"][0]["message"]["content"],
        json!([])
    );
    let u = &last["usage"];
    assert_eq!(
        u["output_tokens"],
        u["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            + u["output_tokens_details"]["text_tokens"].as_u64().unwrap()
    );
    assert_eq!(
        u["input_tokens"],
        u["input_tokens_details"]["text_tokens"].as_u64().unwrap() + 418
    );
}

#[tokio::test]
async fn thinking_follows_the_model() {
    let m = mock(0.0).await;
    // Hybrid: thinks only when asked.
    let r = post(&m, OPENAI, &openai_body("qwen3-vl-plus", json!({})), &[]).await;
    let (reasoning, answer) = openai_texts(&r.body);
    assert!(reasoning.is_empty() && !answer.is_empty());
    assert!(!r.body.contains("reasoning_tokens"));
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-flash", json!({"enable_thinking": true})),
        &[],
    )
    .await;
    assert!(!openai_texts(&r.body).0.is_empty());
    // Thinking-only: always.
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-8b-thinking", json!({})),
        &[],
    )
    .await;
    assert!(!openai_texts(&r.body).0.is_empty());
    // QVQ thinks and reports it as plain output text.
    let r = post(&m, DASHSCOPE, &dashscope_body("qvq-max", json!({})), &[]).await;
    assert_eq!(r.status, 200);
    let last = dashscope_json(&r.body).pop().unwrap();
    let details = &last["usage"]["output_tokens_details"];
    assert!(details.get("reasoning_tokens").is_none());
    assert_eq!(details["text_tokens"], last["usage"]["output_tokens"]);
    assert!(r.body.contains("\"reasoning_content\":\"The figure"));
}

#[tokio::test]
async fn thinking_budget_cuts_the_reasoning_then_answers() {
    let m = mock(0.0).await;
    let r = post(
        &m,
        OPENAI,
        &openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true, "thinking_budget": 8}),
        ),
        &[("x-mock-reasoning-tokens", "5000")],
    )
    .await;
    let (reasoning, answer) = openai_texts(&r.body);
    assert_eq!(reasoning, "The figure shows a triangle with ∠A");
    assert!(answer.starts_with("**Step 1.**"));
    let usage = &openai_json(&r.body).last().unwrap()["usage"].clone();
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 8);
}

#[tokio::test]
async fn lengths_follow_the_mock_headers_and_max_tokens() {
    let m = mock(0.0).await;
    let r = post(
        &m,
        DASHSCOPE,
        &dashscope_body("qwen3-vl-plus", json!({"enable_thinking": true})),
        &[
            ("x-mock-reasoning-tokens", "1234"),
            ("x-mock-answer-tokens", "56"),
        ],
    )
    .await;
    let last = dashscope_json(&r.body).pop().unwrap();
    assert_eq!(
        last["usage"]["output_tokens_details"],
        json!({"reasoning_tokens": 1234, "text_tokens": 56})
    );
    assert_eq!(last["output"]["choices"][0]["finish_reason"], "stop");
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-plus", json!({"max_tokens": 10})),
        &[("x-mock-answer-tokens", "56")],
    )
    .await;
    let chunks = openai_json(&r.body);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "length"
    );
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 10);
}

#[tokio::test]
async fn the_answer_header_sets_the_answer_text() {
    let m = mock(0.0).await;
    let text = "Long $x^2$ id chatcmpl-36cfb393 — 中文\n\n$$\\frac{a}{b}$$\n";
    let encoded =
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-plus", json!({})),
        &[("x-mock-answer", &encoded)],
    )
    .await;
    assert_eq!(openai_texts(&r.body).1, text);
    // With a length, the text is cut (or extended) to that many tokens.
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-plus", json!({})),
        &[("x-mock-answer", &encoded), ("x-mock-answer-tokens", "3")],
    )
    .await;
    assert_eq!(openai_texts(&r.body).1, "Long $x");
    assert_eq!(
        openai_json(&r.body).last().unwrap()["usage"]["completion_tokens"],
        3
    );
}

#[tokio::test]
async fn the_services_refusals_are_reproduced() {
    let m = mock(0.0).await;
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            OPENAI,
            openai_body("qwen3-vl-8b-thinking", json!({"enable_thinking": false})),
            400,
            "invalid_parameter_error",
            "The value of the enable_thinking parameter is restricted to True.",
        ),
        (
            DASHSCOPE,
            dashscope_body(
                "qwen3-vl-235b-a22b-thinking",
                json!({"enable_thinking": false}),
            ),
            400,
            "InvalidParameter",
            "The value of the enable_thinking parameter is restricted to True.",
        ),
        (
            OPENAI,
            openai_body("qvq-max", json!({"stream": false})),
            400,
            "invalid_parameter_error",
            "current user api does not support http call.",
        ),
        (
            DASHSCOPE,
            dashscope_body("qvq-plus", json!({"stream_off": true})),
            400,
            "InvalidParameter",
            "current user api does not support http call.",
        ),
        (
            OPENAI,
            openai_body("qvq-max", json!({"thinking_budget": 100})),
            400,
            "invalid_parameter_error",
            "The thinking_budget parameter is not supported by model qvq-max.",
        ),
        (
            OPENAI,
            openai_body(
                "qwen3-vl-plus",
                json!({"enable_thinking": true, "thinking_budget": 90000}),
            ),
            400,
            "invalid_parameter_error",
            "The thinking_budget parameter must be a positive integer and not greater than 81920",
        ),
        (
            DASHSCOPE,
            dashscope_body(
                "qwen3-vl-plus",
                json!({"enable_thinking": true, "thinking_budget": 0}),
            ),
            400,
            "InvalidParameter",
            "The thinking_budget parameter must be a positive integer and not greater than 81920",
        ),
        (
            OPENAI,
            openai_body("gpt-4o", json!({})),
            404,
            "model_not_found",
            "The model `gpt-4o` does not exist or you do not have access to it.",
        ),
        (
            DASHSCOPE,
            dashscope_body("qwen-vl-nope", json!({})),
            400,
            "InvalidParameter",
            "Model not exist.",
        ),
    ];
    for (path, body, status, code, message) in cases {
        let r = post(&m, path, &body, &[]).await;
        assert_eq!(r.status, status, "{body}");
        assert_eq!(r.headers["content-type"], "application/json");
        let rid = r.headers["x-request-id"].to_str().unwrap().to_owned();
        let v: Value = serde_json::from_str(&r.body).unwrap();
        if path == OPENAI {
            assert_eq!(v["error"]["code"], code);
            assert_eq!(v["error"]["message"], message);
            assert_eq!(v["error"]["type"], "invalid_request_error");
            assert!(v["error"]["param"].is_null());
            assert_eq!(v["id"], format!("chatcmpl-{rid}"));
        } else {
            assert_eq!(v["code"], code);
            assert_eq!(v["message"], message);
            assert_eq!(v["request_id"], rid.as_str());
        }
    }
    let log = mock_requests(&m).await;
    assert!(log.iter().all(|r| r["outcome"] == "error"));
}

#[tokio::test]
async fn non_streaming_replies_are_one_json_body() {
    let m = mock(0.0).await;
    let r = post(
        &m,
        OPENAI,
        &openai_body(
            "qwen3-vl-plus",
            json!({"stream": false, "enable_thinking": true}),
        ),
        &[],
    )
    .await;
    assert_eq!(r.headers["content-type"], "application/json");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert!(v["choices"][0]["message"]["reasoning_content"]
        .as_str()
        .unwrap()
        .starts_with("The figure"));
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("70^\\circ"));
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    let r = post(
        &m,
        DASHSCOPE,
        &dashscope_body("qwen3-vl-plus", json!({"stream_off": true})),
        &[],
    )
    .await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        skeleton(&v["output"]["choices"][0]["message"]),
        "{role:s,content:[{text:s}]}"
    );
    assert_eq!(v["output"]["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["request_id"], r.headers["x-request-id"].to_str().unwrap());
}

#[tokio::test]
async fn image_tokens_follow_the_resize_rules() {
    let m = mock(0.0).await;
    let cost = |model: &'static str, url: String, high_res: bool| {
        let m = &m;
        async move {
            let mut body = openai_body(model, json!({"vl_high_resolution_images": high_res}));
            body["messages"][0]["content"] = json!([{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "What is this?"}]);
            let r = post(m, OPENAI, &body, &[]).await;
            openai_json(&r.body).last().unwrap()["usage"]["prompt_tokens_details"]["image_tokens"]
                .clone()
        }
    };
    assert_eq!(
        cost("qwen3-vl-plus", png_data_url(1024, 406), false).await,
        418
    );
    assert_eq!(cost("qvq-max", png_data_url(1024, 406), false).await, 520);
    // An http URL cannot be read offline: it counts as 1024 × 768.
    assert_eq!(
        cost("qwen3-vl-plus", "https://example.com/a.png".into(), false).await,
        770
    );
    // 8000 × 8000 is capped at 2,560 patches, or 16,384 with high resolution.
    assert_eq!(
        cost("qwen3-vl-plus", png_data_url(8000, 8000), false).await,
        2_502
    );
    assert_eq!(
        cost("qwen3-vl-plus", png_data_url(8000, 8000), true).await,
        16_386
    );
}

#[tokio::test]
async fn pacing_follows_tokens_per_second() {
    let m = mock(200.0).await;
    let t0 = Instant::now();
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-plus", json!({})),
        &[("x-mock-answer-tokens", "100")],
    )
    .await;
    let took = t0.elapsed();
    assert_eq!(r.status, 200);
    // 100 tokens at 200/s.
    assert!(
        took >= Duration::from_millis(480) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn status_faults_carry_the_providers_bodies() {
    let m = mock(0.0).await;
    let body = openai_body("qwen3-vl-plus", json!({}));
    for (fault, status, code, retry_after) in [
        ("status:400", 400, "invalid_parameter_error", None),
        ("status:401", 401, "invalid_api_key", None),
        ("status:403", 403, "access_denied", None),
        ("status:404", 404, "model_not_found", None),
        ("status:429", 429, "limit_requests", Some("1")),
        ("status:429,retry-after:0", 429, "limit_requests", Some("0")),
        ("status:500", 500, "internal_error", None),
        ("status:503", 503, "model_unavailable", None),
        (
            "status:503,retry-after:2",
            503,
            "model_unavailable",
            Some("2"),
        ),
        ("quota", 429, "insufficient_quota", None),
    ] {
        let r = post(&m, OPENAI, &body, &[("x-mock-fault", fault)]).await;
        assert_eq!(r.status, status, "{fault}");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], code, "{fault}");
        assert_eq!(
            r.headers.get("retry-after").map(|v| v.to_str().unwrap()),
            retry_after,
            "{fault}"
        );
    }
    let r = post(
        &m,
        DASHSCOPE,
        &dashscope_body("qwen3-vl-plus", json!({})),
        &[("x-mock-fault", "quota")],
    )
    .await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["message"], "Free allocated quota exceeded.");
    let r = post(
        &m,
        DASHSCOPE,
        &dashscope_body("qwen3-vl-plus", json!({})),
        &[("x-mock-fault", "status:401")],
    )
    .await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["code"], "InvalidApiKey");
    for code in [502, 504] {
        let r = post(
            &m,
            OPENAI,
            &body,
            &[("x-mock-fault", &format!("status:{code}"))],
        )
        .await;
        assert_eq!(r.status, code);
        assert!(r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert!(r.body.contains("Gateway"));
    }
    let r = post(&m, OPENAI, &body, &[("x-mock-fault", "stal:10")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("unknown kind `stal`"));
}

#[tokio::test]
async fn fail_once_then_succeed() {
    let m = mock(0.0).await;
    let body = openai_body("qwen3-vl-plus", json!({}));
    let h = [("x-mock-fault", "503-once:abc"), ("x-mock-id", "try")];
    assert_eq!(post(&m, OPENAI, &body, &h).await.status, 503);
    assert_eq!(post(&m, OPENAI, &body, &h).await.status, 200);
    assert_eq!(
        post(&m, OPENAI, &body, &[("x-mock-fault", "503-once:other")])
            .await
            .status,
        503
    );
    let log = mock_requests(&m).await;
    assert_eq!(log[0]["mockId"], "try");
    assert_eq!(log[0]["outcome"], "error");
    assert_eq!(log[1]["outcome"], "completed");
    assert!(log[2]["mockId"].is_null());
}

#[tokio::test]
async fn in_stream_faults() {
    let m = mock(0.0).await;
    let ob = openai_body("qwen3-vl-plus", json!({"enable_thinking": true}));
    let db = dashscope_body("qwen3-vl-plus", json!({"enable_thinking": true}));

    // An error event after 3 content events, then the end.
    let r = post(&m, OPENAI, &ob, &[("x-mock-fault", "error-event:3")]).await;
    let evs = events(&r.body);
    assert_eq!(evs.len(), 4);
    let err: Value = serde_json::from_str(evs[3].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(err["error"]["code"], "data_inspection_failed");
    let r = post(&m, DASHSCOPE, &db, &[("x-mock-fault", "error-event:0")]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.starts_with(
            "id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"DataInspectionFailed\""
        ),
        "{}",
        r.body
    );

    // A malformed event 2.
    let r = post(&m, OPENAI, &ob, &[("x-mock-fault", "bad-json:2")]).await;
    let evs = events(&r.body);
    assert!(serde_json::from_str::<Value>(evs[0].strip_prefix("data: ").unwrap()).is_ok());
    assert!(serde_json::from_str::<Value>(evs[1].strip_prefix("data: ").unwrap()).is_err());
    assert!(r.body.ends_with("data: [DONE]\n\n"));

    // text/html instead of a stream.
    let r = post(&m, OPENAI, &ob, &[("x-mock-fault", "html")]).await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    // 400 whose body is one SSE event.
    let r = post(&m, OPENAI, &ob, &[("x-mock-fault", "sse-error-400")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.headers["content-type"], "text/event-stream");
    assert!(r.body.starts_with("data: {\"error\":{"));

    // One line of 100 kB that never ends.
    let r = post(&m, OPENAI, &ob, &[("x-mock-fault", "long-line:100000")]).await;
    assert_eq!(r.body.len(), 100_000);
    assert!(r.body.starts_with("data: ") && !r.body.contains('\n'));

    // Trickled: the same bytes as a whole reply, in writes of 5 bytes that
    // reach the client as many small reads.
    let short = [
        ("x-mock-reasoning-tokens", "6"),
        ("x-mock-answer-tokens", "3"),
    ];
    let whole = post(&m, OPENAI, &ob, &short).await.body;
    let res = client()
        .post(format!("{}{OPENAI}", m.url))
        .header("x-mock-fault", "trickle:5")
        .header(short[0].0, short[0].1)
        .header(short[1].0, short[1].1)
        .json(&ob)
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let (mut got, mut reads) = (Vec::new(), 0);
    while let Some(c) = stream.next().await {
        let c = c.unwrap();
        assert!(
            c.len() <= 5 * 4,
            "a read of {} bytes: the writes were not small",
            c.len()
        );
        got.extend_from_slice(&c);
        reads += 1;
    }
    let got = String::from_utf8(got).unwrap();
    assert_eq!(openai_texts(&got), openai_texts(&whole));
    assert_eq!(events(&got).len(), events(&whole).len());
    assert!(
        reads > whole.len() / 20,
        "{reads} reads for {} bytes",
        whole.len()
    );
    let bad = post(&m, OPENAI, &ob, &[("x-mock-fault", "trickle:0")]).await;
    assert_eq!(bad.status, 400);

    // An abrupt close after 2 events: the client sees a broken body.
    let res = client()
        .post(format!("{}{OPENAI}", m.url))
        .header("x-mock-fault", "drop:2")
        .json(&ob)
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let mut got = Vec::new();
    let mut broke = false;
    while let Some(c) = stream.next().await {
        match c {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => {
                broke = true;
                break;
            }
        }
    }
    assert!(broke, "the body ended cleanly");
    assert_eq!(events(std::str::from_utf8(&got).unwrap()).len(), 2);
    let log = mock_requests(&m).await;
    assert_eq!(log.last().unwrap()["outcome"], "error");
    assert_eq!(log.last().unwrap()["events"], 2);
}

#[tokio::test]
async fn stalls_and_keepalives() {
    let m = mock(0.0).await;
    let ob = openai_body("qwen3-vl-plus", json!({}));
    for fault in ["stall:400", "keepalive:400", "stall-headers:400"] {
        let t0 = Instant::now();
        let res = client()
            .post(format!("{}{OPENAI}", m.url))
            .header("x-mock-fault", fault)
            .json(&ob)
            .send()
            .await
            .unwrap();
        let headers_at = t0.elapsed();
        let body = res.text().await.unwrap();
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(400), "{fault}: {took:?}");
        assert_eq!(
            headers_at >= Duration::from_millis(400),
            fault == "stall-headers:400",
            "{fault}"
        );
        let keepalives = body.matches(": keep-alive\n\n").count();
        if fault == "keepalive:400" {
            // Every 100 ms for 400 ms: 3, fewer if the machine is slow.
            assert!((1..=4).contains(&keepalives), "{keepalives} keep-alives");
            // The comments come after the first event, before the second.
            let first = body.find("\n\n").unwrap();
            assert!(body[first + 2..].starts_with(": keep-alive\n\n"));
        } else {
            assert_eq!(keepalives, 0);
        }
        assert!(body.ends_with("data: [DONE]\n\n"));
    }
}

#[tokio::test]
async fn the_request_log() {
    let m = mock(0.0).await;
    let r = post(
        &m,
        OPENAI,
        &openai_body("qwen3-vl-plus", json!({})),
        &[("authorization", "Bearer sk-secret"), ("x-mock-id", "t1")],
    )
    .await;
    assert_eq!(r.status, 200);
    let log = mock_requests(&m).await;
    assert_eq!(log.len(), 1);
    let e = &log[0];
    assert_eq!(e["id"], 1);
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], OPENAI);
    assert_eq!(e["headers"]["authorization"], "[redacted]");
    assert_eq!(e["body"]["model"], "qwen3-vl-plus");
    assert_eq!(e["mockId"], "t1");
    assert_eq!(e["outcome"], "completed");
    assert_eq!(
        e["events"].as_u64().unwrap() as usize,
        events(&r.body).len()
    );
    assert!(!serde_json::to_string(&log).unwrap().contains("sk-secret"));
    let res = client()
        .delete(format!("{}/__mock/requests", m.url))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert!(mock_requests(&m).await.is_empty());
}

#[tokio::test]
async fn mock_mode_cors_allows_the_mock_headers() {
    let m = mock(0.0).await;
    let res = client()
        .request(reqwest::Method::OPTIONS, format!("{}{OPENAI}", m.url))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "x-mock-fault,x-mock-id,x-mock-reasoning-tokens,x-mock-answer-tokens,x-mock-answer",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let allowed = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for h in [
        "x-mock-fault",
        "x-mock-id",
        "x-mock-reasoning-tokens",
        "x-mock-answer-tokens",
        "x-mock-answer",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }
    let config = get_json(&format!("{}/config", m.url)).await;
    assert_eq!(config["mock"], true);
    assert!(config["region"].is_null());
    assert_eq!(
        config["models"].as_array().unwrap().len(),
        visual_reasoning::models::CATALOG.len()
    );
}

#[tokio::test]
async fn transcript_bytes_match_the_server() {
    let reply = visual_reasoning_relay::mock::transcript_reply(
        visual_reasoning::protocol::Protocol::OpenAi,
        "qwen3-vl-plus",
        "Find angle x.",
        500,
        40,
    );
    let body: String = reply.events().map(|e| e.bytes).collect();
    let chunks = openai_json(&body);
    let u = &chunks.last().unwrap()["usage"];
    assert_eq!(
        u["completion_tokens_details"],
        json!({"reasoning_tokens": 500, "text_tokens": 40})
    );
    let (r, a) = openai_texts(&body);
    assert!(r.starts_with("The figure shows") && a.starts_with("**Step 1.**"));
}
