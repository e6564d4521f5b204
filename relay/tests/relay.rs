//! The relay in front of an upstream, over loopback: the mock (a second
//! server in mock mode, reached through `--upstream`) or a recording stub.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::response::IntoResponse;
use common::*;
use futures_util::StreamExt;
use serde_json::json;

/// What the stub upstream saw: headers and body of each request.
type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, String, String)>>>;

/// An upstream that records requests and answers one short SSE reply.
async fn recording_upstream() -> (String, Seen, tokio::task::JoinHandle<()>) {
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let handler = move |req: Request| {
        let s = Arc::clone(&s);
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            s.lock().unwrap().push((
                parts.headers,
                parts.uri.to_string(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
            (
                [
                    ("content-type", "text/event-stream"),
                    ("x-request-id", "stub-rid"),
                    ("set-cookie", "upstream=secret"),
                    ("server", "stub"),
                ],
                "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
            )
                .into_response()
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, seen, task)
}

#[tokio::test]
async fn events_pass_through_unbuffered() {
    // ~230 tokens at 150 tokens/s: the reply takes about 1.5 s to send.
    let mock = mock(150.0).await;
    let relay = start(relay_config(&mock.url)).await;
    let t0 = Instant::now();
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-accel-buffering"], "no");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.headers().get("content-encoding").is_none());
    let mut stream = res.bytes_stream();
    let mut body = Vec::new();
    let mut first_event_at = None;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.unwrap());
        if first_event_at.is_none() && body.windows(2).any(|w| w == b"\n\n") {
            first_event_at = Some(t0.elapsed());
        }
    }
    let total = t0.elapsed();
    let first = first_event_at.unwrap();
    assert!(
        total > Duration::from_millis(1200),
        "the paced reply took {total:?}"
    );
    // The first event reached the client long before the mock sent its last.
    assert!(first < total / 3, "first event at {first:?} of {total:?}");
    assert!(String::from_utf8(body)
        .unwrap()
        .ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_request() {
    let mock = mock(40.0).await;
    let relay = start(relay_config(&mock.url)).await;
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true}),
        ))
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reqs = mock_requests(&mock).await;
        let outcome = reqs[0]["outcome"].as_str().unwrap().to_owned();
        if outcome == "disconnected" {
            // It stopped early: far fewer events than the full reply.
            assert!(reqs[0]["events"].as_u64().unwrap() < 20);
            break;
        }
        assert_eq!(outcome, "pending");
        assert!(
            Instant::now() < deadline,
            "the mock never saw the disconnect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn authorization_and_headers_are_replaced_or_dropped() {
    let (up, seen, _t) = recording_upstream().await;
    let relay = start(relay_config(&up)).await;
    let res = client()
        .post(format!(
            "{}{DASHSCOPE}?target=http://evil.example",
            relay.url
        ))
        .header("origin", ORIGIN)
        .header("authorization", "Bearer sk-from-the-browser")
        .header("cookie", "session=1")
        .header("x-forwarded-host", "evil.example")
        .header("x-dashscope-sse", "enable")
        .header("x-dashscope-workspace", "ws-1")
        .header("accept", "text/event-stream")
        .header("user-agent", "test-agent")
        .json(&dashscope_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "stub-rid");
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.headers().get("server").is_none());
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    let body = res.text().await.unwrap();
    assert!(!body.contains(KEY));

    let seen = seen.lock().unwrap();
    let (headers, uri, sent) = &seen[0];
    assert_eq!(uri, DASHSCOPE, "no query, the fixed path");
    assert_eq!(headers["authorization"], format!("Bearer {KEY}").as_str());
    assert_eq!(headers["x-dashscope-sse"], "enable");
    assert_eq!(headers["x-dashscope-workspace"], "ws-1");
    assert_eq!(headers["accept"], "text/event-stream");
    assert_eq!(headers["content-type"], "application/json");
    for dropped in ["cookie", "origin", "x-forwarded-host", "user-agent"] {
        assert!(headers.get(dropped).is_none(), "{dropped} was forwarded");
    }
    assert_eq!(headers["host"], up.trim_start_matches("http://"));
    assert!(sent.contains("\"qwen3-vl-plus\""));
}

#[tokio::test]
async fn host_selection_tricks_are_refused() {
    let (up, seen, _t) = recording_upstream().await;
    let relay = start(relay_config(&up)).await;
    let body = r#"{"model":"qwen3-vl-plus","messages":[]}"#;
    for target in [
        "http://evil.example/compatible-mode/v1/chat/completions",
        "//evil.example/compatible-mode/v1/chat/completions",
        "/compatible-mode/v1/../v1/chat/completions",
        "/compatible-mode/v1/chat/completions/..",
        "/compatible-mode%2Fv1/chat/completions",
        "/compatible-mode/v1/chat/completions/%2e%2e/%2e%2e",
        "/x/..%5c..%5ccompatible-mode/v1/chat/completions",
    ] {
        let req = format!(
            "POST {target} HTTP/1.1\r\nHost: evil.example\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let res = raw(&relay.url, &req).await;
        assert!(res.starts_with("HTTP/1.1 400"), "{target}: {res}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the upstream"
    );

    // A Host header naming another server changes nothing: the upstream
    // is the configured one.
    let req = format!(
        "POST {OPENAI} HTTP/1.1\r\nHost: evil.example\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let res = raw(&relay.url, &req).await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0["host"], up.trim_start_matches("http://"));
}

#[tokio::test]
async fn only_the_two_api_paths_exist() {
    let (up, seen, _t) = recording_upstream().await;
    let relay = start(relay_config(&up)).await;
    let c = client();
    for (method, path) in [
        ("GET", OPENAI),
        ("PUT", DASHSCOPE),
        ("POST", "/compatible-mode/v1/embeddings"),
        ("POST", "/api/v1/services/aigc/text-generation/generation"),
        ("GET", "/v1/models"),
        ("GET", "/__mock/requests"),
        ("GET", "/"),
    ] {
        let res = c
            .request(method.parse().unwrap(), format!("{}{path}", relay.url))
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{method} {path}");
    }
    assert!(seen.lock().unwrap().is_empty());
    let health = c
        .get(format!("{}/healthz", relay.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let mock = mock(0.0).await;
    let relay = start(relay_config(&mock.url)).await;
    let c = client();
    let preflight = |origin: &'static str| {
        c.request(reqwest::Method::OPTIONS, format!("{}{OPENAI}", relay.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization,x-dashscope-sse,accept",
            )
            .send()
    };
    let ok = preflight(ORIGIN).await.unwrap();
    assert!(ok.status().is_success());
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["content-type", "authorization", "x-dashscope-sse", "accept"] {
        assert!(allowed.contains(name), "{name} not in {allowed}");
    }
    assert!(
        !allowed.contains("x-mock-fault"),
        "mock headers only in mock mode"
    );

    let denied = preflight("https://other.example").await.unwrap();
    assert_eq!(denied.status(), 403);
    assert!(denied
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let post = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", "https://other.example")
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    assert!(post.headers().get("access-control-allow-origin").is_none());

    let post = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    let exposed = post.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["x-request-id", "x-dashscope-request-id", "retry-after"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    assert_eq!(
        mock_requests(&mock).await.len(),
        1,
        "refused requests never reach the upstream"
    );
}

#[tokio::test]
async fn requests_without_origin_need_allow_no_origin() {
    let mock = mock(0.0).await;
    let relay = start(relay_config(&mock.url)).await;
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let err: serde_json::Value = res.json().await.unwrap();
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--allow-no-origin"));

    let mut cfg = relay_config(&mock.url);
    cfg.allow_no_origin = true;
    let relay = start(cfg).await;
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.max_body_bytes = 4096;
    let relay = start(cfg).await;
    let big = openai_body(
        "qwen3-vl-plus",
        json!({"messages": [{"role": "user", "content": "x".repeat(10_000)}]}),
    );
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);

    // Without a Content-Length (chunked), the cap applies while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![b' '; 1000])).collect();
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // And in mock mode.
    let mut cfg = visual_reasoning_relay::Config::mock(0.0);
    cfg.allow_no_origin = true;
    cfg.max_body_bytes = 4096;
    let m = start(cfg).await;
    let res = client()
        .post(format!("{}{OPENAI}", m.url))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn the_key_never_appears_in_logs_or_responses() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.allow_models = vec!["qwen3-vl-plus".into()];
    let relay = start(cfg).await;
    let c = client();
    let mut seen = String::new();
    for (path, body) in [
        (
            OPENAI,
            openai_body("qwen3-vl-plus", json!({"enable_thinking": true})),
        ),
        (OPENAI, openai_body("qvq-max", json!({}))),
        (DASHSCOPE, dashscope_body("nope", json!({}))),
        ("/nowhere", json!({})),
    ] {
        let res = c
            .post(format!("{}{path}", relay.url))
            .header("origin", ORIGIN)
            .header("authorization", "Bearer whatever")
            .json(&body)
            .send()
            .await
            .unwrap();
        seen.push_str(&format!("{:?}", res.headers()));
        seen.push_str(&res.text().await.unwrap());
    }
    // An unreachable upstream: its error is logged.
    let dead = start(relay_config("http://127.0.0.1:9")).await;
    let res = c
        .post(format!("{}{OPENAI}", dead.url))
        .header("origin", ORIGIN)
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    seen.push_str(&res.text().await.unwrap());

    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = relay.log_text() + "\n" + &dead.log_text();
    assert_eq!(logs.lines().count(), 5, "one line per request: {logs}");
    assert!(
        logs.contains("POST /compatible-mode/v1/chat/completions 200 "),
        "{logs}"
    );
    // The unreachable upstream is named in the request's own line.
    assert!(
        logs.contains(" 502 ") && logs.contains("upstream-error connect: "),
        "{logs}"
    );
    for text in [&seen, &logs] {
        assert!(!text.contains(KEY), "the key leaked: {text}");
        assert!(
            !text.contains("Find angle"),
            "a body was logged or echoed: {text}"
        );
    }
    let reqs = mock_requests(&mock).await;
    assert_eq!(reqs[0]["headers"]["authorization"], "[redacted]");
}

#[tokio::test]
async fn client_token_is_checked_then_replaced() {
    let (up, seen, _t) = recording_upstream().await;
    let mut cfg = relay_config(&up);
    cfg.client_token = Some("page-token-1".into());
    let relay = start(cfg).await;
    let c = client();
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("page-token-1"),
        Some("Bearer page-token-12"),
    ] {
        let mut req = c
            .post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req
            .json(&openai_body("qwen3-vl-plus", json!({})))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_api_key");
    }
    assert!(seen.lock().unwrap().is_empty());
    let res = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .header("authorization", "Bearer page-token-1")
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        seen.lock().unwrap()[0].0["authorization"],
        format!("Bearer {KEY}").as_str()
    );
}

#[tokio::test]
async fn allow_model_refuses_other_models() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.allow_models = vec!["qwen3-vl-flash".into()];
    let relay = start(cfg).await;
    let c = client();
    let res = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let err: serde_json::Value = res.json().await.unwrap();
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("qwen3-vl-flash"));
    let res = c
        .post(format!("{}{DASHSCOPE}", relay.url))
        .header("origin", ORIGIN)
        .json(&dashscope_body("qvq-max", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["code"], "Model.AccessDenied");
    assert!(mock_requests(&mock).await.is_empty());

    let res = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body("qwen3-vl-flash", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let config = get_json(&format!("{}/config", relay.url)).await;
    assert_eq!(config["models"], json!(["qwen3-vl-flash"]));
    assert_eq!(config["region"], "intl");
    assert_eq!(config["protocols"], json!(["openai", "dashscope"]));
}

#[tokio::test]
async fn max_tokens_caps_both_protocols() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.max_tokens = Some(64);
    let relay = start(cfg).await;
    let c = client();
    let res = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true, "max_tokens": 100000, "thinking_budget": 30}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let usage = openai_json(&body).last().unwrap()["usage"].clone();
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 30);
    let res = c
        .post(format!("{}{DASHSCOPE}", relay.url))
        .header("origin", ORIGIN)
        .header("x-dashscope-sse", "enable")
        .json(&dashscope_body("qwen3-vl-8b-thinking", json!({})))
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    let last = dashscope_json(&body).pop().unwrap();
    assert_eq!(
        last["usage"]["output_tokens_details"]["reasoning_tokens"],
        64
    );
    assert!(
        last["usage"]["output_tokens_details"]["text_tokens"]
            .as_u64()
            .unwrap()
            <= 64
    );
    assert_eq!(last["output"]["choices"][0]["finish_reason"], "length");

    let reqs = mock_requests(&mock).await;
    assert_eq!(reqs[0]["body"]["max_tokens"], 64);
    assert_eq!(reqs[0]["body"]["thinking_budget"], 30);
    assert_eq!(reqs[1]["body"]["parameters"]["max_tokens"], 64);
    assert_eq!(reqs[1]["body"]["parameters"]["thinking_budget"], 64);
}

#[tokio::test]
async fn per_ip_rate_and_stream_limits_answer_429() {
    let mock = mock(20.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.limits.requests_per_minute = 2;
    let relay = start(cfg).await;
    let c = client();
    let send = || {
        c.post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .json(&openai_body("qwen3-vl-plus", json!({"max_tokens": 1})))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    assert_eq!(send().await.unwrap().status(), 200);
    let res = send().await.unwrap();
    assert_eq!(res.status(), 429);
    // 2 per minute: the next token in (just under) 30 s.
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((25..=30).contains(&wait), "{wait}");
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "limit_requests");

    let mut cfg = relay_config(&mock.url);
    cfg.limits.max_streams_per_ip = 1;
    let relay = start(cfg).await;
    let open = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    let second = c
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    drop(open);
    // The slot frees once the first stream's body is gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = c
            .post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .json(&openai_body("qwen3-vl-plus", json!({"max_tokens": 1})))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn forwarded_for_is_used_only_when_trusted() {
    let mock = mock(0.0).await;
    let mut cfg = relay_config(&mock.url);
    cfg.limits.requests_per_minute = 1;
    cfg.trust_forwarded_for = true;
    let relay = start(cfg).await;
    let c = client();
    for (xff, status) in [
        ("1.1.1.1", 200),
        ("2.2.2.2", 200),
        ("9.9.9.9, 1.1.1.1", 429),
    ] {
        let res = c
            .post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .header("x-forwarded-for", xff)
            .json(&openai_body("qwen3-vl-plus", json!({"max_tokens": 1})))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{xff}");
    }
}

#[tokio::test]
async fn graceful_shutdown_lets_open_streams_finish() {
    let mock = mock(200.0).await;
    let mut relay = start(relay_config(&mock.url)).await;
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", ORIGIN)
        .json(&openai_body(
            "qwen3-vl-plus",
            json!({"enable_thinking": true}),
        ))
        .send()
        .await
        .unwrap();
    relay.shutdown();
    let body = res.text().await.unwrap();
    assert!(body.ends_with("data: [DONE]\n\n"));
    let task = relay.task.take().unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn static_files_and_same_origin_pages() {
    let dir = std::env::temp_dir().join(format!("relay-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    let mut cfg = visual_reasoning_relay::Config::mock(0.0);
    cfg.static_dir = Some(dir.clone());
    let m = start(cfg).await;
    let c = client();
    let page = c.get(format!("{}/", m.url)).send().await.unwrap();
    assert_eq!(page.text().await.unwrap(), "<h1>demo</h1>");
    assert_eq!(
        c.get(format!("{}/missing.js", m.url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let res = raw(
        &m.url,
        "GET /../Cargo.toml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(res.starts_with("HTTP/1.1 400"), "{res}");
    // The page it serves calls the API same-origin.
    let res = c
        .post(format!("{}{OPENAI}", m.url))
        .header("origin", m.url.as_str())
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .post(format!("{}{OPENAI}", m.url))
        .header("origin", "http://elsewhere.example")
        .json(&openai_body("qwen3-vl-plus", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let _ = std::fs::remove_dir_all(dir);
}

/// An upstream that hangs before its headers when the body says `hang`,
/// breaks off its stream when it says `break`, and else answers a stream.
async fn misbehaving_upstream() -> String {
    let handler = |req: Request| async move {
        let body = axum::body::to_bytes(req.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body).into_owned();
        if body.contains("hang") {
            std::future::pending::<()>().await;
        }
        let broken = body.contains("break");
        let events = futures_util::stream::iter(0..3).then(move |i| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if broken && i == 1 {
                return Err(std::io::Error::other("upstream fell over"));
            }
            Ok(bytes::Bytes::from(format!("data: {{\"n\":{i}}}\n\n")))
        });
        (
            [("content-type", "text/event-stream")],
            axum::body::Body::from_stream(events),
        )
            .into_response()
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

#[tokio::test]
async fn every_request_leaves_one_line_with_its_outcome() {
    let up = misbehaving_upstream().await;
    let mut cfg = relay_config(&up);
    cfg.upstream_timeout = Duration::from_secs(1);
    let relay = start(cfg).await;
    let post = |word: &str, timeout: Duration| {
        reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap()
            .post(format!("{}{OPENAI}", relay.url))
            .header("origin", ORIGIN)
            .json(&openai_body(word, json!({})))
            .send()
    };
    let long = Duration::from_secs(10);
    assert_eq!(
        client()
            .get(format!("{}/healthz", relay.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(post("hang", long).await.unwrap().status(), 504);
    let res = post("break", long).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.is_err(), "the stream should break off");
    // The client gives up while the relay waits for the upstream.
    assert!(post("hang", Duration::from_millis(300)).await.is_err());
    // The client leaves in the middle of a stream.
    let res = post("fine", long).await.unwrap();
    let mut stream = res.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    let res = client()
        .post(format!("{}{OPENAI}", relay.url))
        .header("origin", "http://elsewhere.example")
        .json(&openai_body("fine", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let deadline = Instant::now() + Duration::from_secs(5);
    while relay.log.lock().unwrap().len() < 6 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = relay.log_text();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 6, "one line per request: {log}");
    let expect = [
        ("GET /healthz 200 ", " completed"),
        (" 504 ", " timeout upstream"),
        (" 200 ", " upstream-error body: "),
        (&format!("POST {OPENAI} - ") as &str, " client-closed"),
        (" 200 ", " client-closed"),
        (" 403 ", " refused 403"),
    ];
    // Lines are written when each request ends: find each, in any order.
    for (part, outcome) in expect {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(part) && l.contains(outcome)),
            "no line with {part:?} and {outcome:?}: {log}"
        );
    }
    assert!(!log.contains("aborted"), "{log}");
}
