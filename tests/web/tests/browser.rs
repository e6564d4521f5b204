//! The Rust side of the boundary (src/web/wire.rs) in headless Chromium,
//! driven from Rust: the wasm build as it ships (simd128, the bare
//! allocator's crate), fed real replies of the mock upstream. The public
//! classes are JavaScript over this API; their lifecycle is tested in
//! tests/browser (Playwright) and tests/node, on the built package.
//!
//! Run with `bash tests/web/run.sh`: it starts the mock and passes its URL
//! in `VR_MOCK_URL` at compile time.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect, Uint8Array};
use visual_reasoning::web::wire::{self, StreamCore};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MOCK: &str = match option_env!("VR_MOCK_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8799",
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with(url: &str, init: &JsValue) -> Promise;
}

// ---------------------------------------------------------------- helpers

/// One decoded piece of the per-read part string.
#[derive(Debug, PartialEq)]
enum Piece {
    Reasoning(String),
    Answer(String),
    Usage,
}

/// Decodes `feed`'s string as wire.js does (flags digit, then tagged parts
/// with UTF-16 lengths): the format, read from the other side.
fn decode(out: &str) -> (u8, Vec<Piece>) {
    let flags = out.as_bytes()[0] - b'0';
    let units: Vec<u16> = out[1..].encode_utf16().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let tag = units[i];
        if tag == u16::from(b'u') {
            pieces.push(Piece::Usage);
            i += 1;
            continue;
        }
        let colon = i + units[i..]
            .iter()
            .position(|&u| u == u16::from(b':'))
            .unwrap();
        let len: usize = String::from_utf16(&units[i + 1..colon])
            .unwrap()
            .parse()
            .unwrap();
        let text = String::from_utf16(&units[colon + 1..colon + 1 + len]).unwrap();
        i = colon + 1 + len;
        pieces.push(if tag == u16::from(b'r') {
            Piece::Reasoning(text)
        } else {
            Piece::Answer(text)
        });
    }
    (flags, pieces)
}

/// An error record's JSON as a JS object.
fn record(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("an error record is JSON")
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap()
}

/// The kind index of `name` in the contract's list.
fn kind(name: &str) -> f64 {
    let table = record(&wire::contract());
    let kinds = js_sys::Array::from(&get(&table, "kinds"));
    kinds.index_of(&JsValue::from_str(name), 0) as f64
}

/// The mock's reply to `body`, sent as the transport sends it: to the URL
/// and with the headers of the client's transport config (for streaming,
/// or `json`), plus the mock's control headers.
async fn mock_reply(
    c: &Client,
    json: bool,
    body: &str,
    fault: &str,
) -> (u16, Option<String>, Vec<u8>) {
    let cfg = c.transport(json);
    let headers = Object::new();
    for h in js_sys::Array::from(&get(&cfg, "headers")).iter() {
        let h = js_sys::Array::from(&h);
        Reflect::set(&headers, &h.get(0), &h.get(1)).unwrap();
    }
    Reflect::set(&headers, &"x-mock-reasoning-tokens".into(), &"60".into()).unwrap();
    Reflect::set(&headers, &"x-mock-answer-tokens".into(), &"20".into()).unwrap();
    if !fault.is_empty() {
        Reflect::set(&headers, &"x-mock-fault".into(), &fault.into()).unwrap();
    }
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    Reflect::set(&init, &"body".into(), &body.into()).unwrap();
    Reflect::set(&init, &"headers".into(), &headers).unwrap();
    let url = get(&cfg, "url").as_string().unwrap();
    let resp: web_sys::Response = JsFuture::from(fetch_with(&url, &init))
        .await
        .unwrap()
        .unchecked_into();
    let ct = resp.headers().get("content-type").unwrap();
    let buf = JsFuture::from(resp.array_buffer().unwrap()).await.unwrap();
    (resp.status(), ct, Uint8Array::new(&buf).to_vec())
}

/// RequestOptions as options.js encodes them, with `extra` fields added.
fn request(extra: &str) -> String {
    String::from(
        r#"{"model":"qwen3-vl-plus","enableThinking":true,"messages":[{"role":"user","content":"What is in the figure?"}]"#,
    ) + extra
        + "}"
}

/// A client's record (wire `client`), as client.js keeps it.
struct Client {
    target: u32,
    record: JsValue,
}

impl Client {
    fn new(options: &str, nums: &[f64], browser: bool) -> Result<Client, String> {
        let record = record(&wire::client(options, nums, browser)?);
        let target = get(&record, "target").as_f64().unwrap() as u32;
        Ok(Client { target, record })
    }

    fn start(&self, json: &str, nums: &[f64], complete: bool) -> Result<StreamCore, String> {
        wire::start(self.target, json, nums, complete)
    }

    /// The transport config for streaming or JSON requests.
    fn transport(&self, json: bool) -> JsValue {
        get(&self.record, if json { "json" } else { "stream" })
    }
}

/// A client of the mock with these options (JSON, as options.js encodes them).
fn client(options: &str) -> Client {
    let mut text = String::from(r#"{"baseUrl":""#) + MOCK + "\"";
    if options.len() > 2 {
        text += ",";
        text += &options[1..];
    } else {
        text += "}";
    }
    Client::new(&text, &[], true).unwrap_or_else(|e| panic!("{e}"))
}

/// Feeds `bytes` in reads of `size` bytes: the decoded parts, and the
/// flags of every read or-ed together.
fn feed_all(core: &mut StreamCore, bytes: &[u8], size: usize) -> (Vec<Piece>, u8) {
    let mut pieces = Vec::new();
    let mut flags = 0;
    for chunk in bytes.chunks(size) {
        // Nothing back: the read completed no event and the reply goes on.
        let out = core.feed(chunk).unwrap_or_else(|e| panic!("{e}"));
        let (f, p) = out.as_deref().map_or((0, Vec::new()), decode);
        flags |= f;
        pieces.extend(p);
    }
    (pieces, flags)
}

fn texts(pieces: &[Piece]) -> (String, String) {
    let (mut r, mut a) = (String::new(), String::new());
    for p in pieces {
        match p {
            Piece::Reasoning(t) => r += t,
            Piece::Answer(t) => a += t,
            Piece::Usage => {}
        }
    }
    (r, a)
}

// ---------------------------------------------------------------- streams

#[wasm_bindgen_test]
async fn a_mock_reply_decodes_the_same_in_any_read_size() {
    for protocol in ["openai", "dashscope"] {
        let c = client(&(String::from(r#"{"protocol":""#) + protocol + "\"}"));
        let mut first = c.start(&request(""), &[], false).unwrap();
        let body = first.body();
        let (status, ct, bytes) = mock_reply(&c, false, &body, "").await;
        assert_eq!(status, 200, "{protocol}");
        first.headers(ct.clone(), None).unwrap();
        let (whole, flags) = feed_all(&mut first, &bytes, bytes.len());
        assert_eq!(flags & 1, 1, "{protocol}: the reply ended");
        first.end().unwrap();
        let (reasoning, answer) = texts(&whole);
        assert!(!reasoning.is_empty() && !answer.is_empty(), "{protocol}");
        assert_eq!(whole.last(), Some(&Piece::Usage), "{protocol}: usage last");
        assert_eq!(first.finish_reason().as_deref(), Some("stop"));
        assert!(first
            .usage()
            .is_some_and(|u| u.contains("\"outputTokens\":")));
        // Reads split inside lines and inside UTF-8 characters.
        for size in [1, 7, 64, 1000] {
            let mut core = c.start(&request(""), &[], false).unwrap();
            core.headers(ct.clone(), Some(String::from("hdr-1")))
                .unwrap();
            let (pieces, _) = feed_all(&mut core, &bytes, size);
            assert_eq!(
                texts(&pieces),
                (reasoning.clone(), answer.clone()),
                "{protocol}, {size}-byte reads"
            );
            core.end().unwrap();
            assert!(core.request_id().is_some());
        }
    }
}

#[wasm_bindgen_test]
async fn a_json_reply_is_a_result() {
    let c = client("{}");
    let core = c
        .start(&request(r#","transport":"json""#), &[], true)
        .unwrap();
    assert!(core.json());
    let mut core = core;
    let body = core.body();
    let (_, _, bytes) = mock_reply(&c, true, &body, "").await;
    let result = record(&core.json_result(&bytes, None).unwrap());
    assert_eq!(
        get(&result, "finishReason").as_string().as_deref(),
        Some("stop")
    );
    assert_eq!(
        get(&result, "model").as_string().as_deref(),
        Some("qwen3-vl-plus")
    );
    assert!(get(&result, "answer")
        .as_string()
        .is_some_and(|a| !a.is_empty()));
}

#[wasm_bindgen_test]
async fn a_stream_error_in_the_body_is_a_record_and_stays() {
    let c = client("{}");
    let mut core = c.start(&request(""), &[], false).unwrap();
    let body = core.body();
    let (_, ct, bytes) = mock_reply(&c, false, &body, "bad-json:1").await;
    core.headers(ct, None).unwrap();
    let e = core.feed(&bytes).err().unwrap();
    let e = record(&e);
    assert_eq!(get(&e, "kind").as_f64(), Some(kind("StreamError")));
    assert_eq!(get(&e, "retryable").as_bool(), Some(false));
    assert!(core.end().is_err(), "the failure stays");
}

// ---------------------------------------------------------------- errors

#[wasm_bindgen_test]
async fn http_errors_are_api_error_records_with_their_fields() {
    for (protocol, code) in [
        ("dashscope", "InvalidParameter"),
        ("openai", "invalid_parameter_error"),
    ] {
        let c = client(&(String::from(r#"{"protocol":""#) + protocol + "\"}"));
        let mut core = c.start(&request(""), &[], false).unwrap();
        let body = core.body();
        let (status, _, bytes) = mock_reply(&c, false, &body, "status:400").await;
        assert_eq!(status, 400);
        let e = record(&core.http_error(status, &bytes, Some(String::from("hdr-id"))));
        assert_eq!(
            get(&e, "kind").as_f64(),
            Some(kind("ApiError")),
            "{protocol}"
        );
        assert_eq!(get(&e, "status").as_f64(), Some(400.0));
        assert_eq!(get(&e, "code").as_string().as_deref(), Some(code));
        assert_eq!(get(&e, "retryable").as_bool(), Some(false));
        assert!(get(&e, "requestId").as_string().is_some());
    }
}

#[wasm_bindgen_test]
async fn an_html_page_is_a_stream_error_naming_its_type() {
    let c = client("{}");
    let mut core = c.start(&request(""), &[], false).unwrap();
    let body = core.body();
    let (_, ct, _) = mock_reply(&c, false, &body, "html").await;
    let e = record(&core.headers(ct, None).unwrap_err());
    assert_eq!(get(&e, "kind").as_f64(), Some(kind("StreamError")));
    assert!(get(&e, "message")
        .as_string()
        .unwrap()
        .contains("text/html"));
}

#[wasm_bindgen_test]
fn invalid_requests_and_options_are_records() {
    let c = client("{}");
    let e = record(&c.start(r#"{"model":"qvq-max","enableThinking":false,"messages":[{"role":"user","content":"x"}]}"#, &[], false).err().unwrap());
    assert_eq!(get(&e, "kind").as_f64(), Some(kind("InvalidRequestError")));
    assert!(get(&e, "message").as_string().unwrap().contains("qvq-max"));
    // A key in a page needs the opt-in; the message never holds the key.
    let e = Client::new(r#"{"apiKey":"sk-test-secret"}"#, &[], true)
        .err()
        .unwrap();
    assert!(!e.contains("sk-test-secret"), "{e}");
    assert_eq!(
        get(&record(&e), "kind").as_f64(),
        Some(kind("InvalidRequestError"))
    );
    assert!(Client::new(
        r#"{"apiKey":"sk-test-secret","dangerouslyAllowBrowser":true}"#,
        &[],
        true
    )
    .is_ok());
    assert!(
        Client::new(r#"{"apiKey":"sk-test-secret"}"#, &[], false).is_ok(),
        "no page: no opt-in needed"
    );
    // Numbers cross as markers into `nums`.
    let e = Client::new(r#"{"timeoutMs":{"\u0000":"n0"}}"#, &[-1.0], true)
        .err()
        .unwrap();
    assert!(e.contains("timeoutMs"), "{e}");
}

#[wasm_bindgen_test]
fn the_retry_rule_for_the_transports_failures() {
    let k = |n: &str| kind(n) as u8;
    assert!(wire::retryable(k("NetworkError"), false));
    assert!(wire::retryable(k("TimeoutError"), false));
    assert!(
        !wire::retryable(k("NetworkError"), true),
        "not once the body started"
    );
    assert!(!wire::retryable(k("TimeoutError"), true));
    assert!(!wire::retryable(k("AbortError"), false));
    assert!(
        !wire::retryable(99, false),
        "an unknown kind is not retried"
    );
    // Retry-After arrives in milliseconds (wire.js retryAfterMs reads the
    // header), clamped to a minute here.
    assert_eq!(wire::backoff(0, 0.0, Some(2000.0)), 2000.0);
    assert_eq!(wire::backoff(0, 0.0, Some(3_600_000.0)), 60_000.0);
    assert_eq!(wire::backoff(0, 0.0, Some(-5.0)), 0.0);
}

// ---------------------------------------------------------------- the rest

#[wasm_bindgen_test]
fn the_contract_describes_the_formats() {
    // The literal wire.js checks at load is what the constants and the
    // real encoders say: a format changed in Rust alone fails here.
    assert_eq!(wire::contract(), wire::describe_contract());
    let t = record(&wire::contract());
    let kinds: Vec<String> = js_sys::Array::from(&get(&t, "kinds"))
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    let names: Vec<&str> = visual_reasoning::ErrorKind::ALL
        .iter()
        .map(|k| k.name())
        .collect();
    assert_eq!(kinds, names);
    let transport: Vec<String> = js_sys::Array::from(&get(&t, "transport"))
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(
        transport,
        [
            "url",
            "headers",
            "timeoutMs",
            "idleTimeoutMs",
            "maxRetries",
            "apiKey"
        ]
    );
    // The config a client makes has exactly those keys (the key's only with a key).
    let c = Client::new(
        r#"{"apiKey":"k","timeoutMs":{"\u0000":"n0"}}"#,
        &[f64::INFINITY],
        false,
    )
    .unwrap();
    let cfg = c.transport(false);
    assert!(get(&cfg, "timeoutMs").is_null(), "Infinity is null");
    let _ = get(&t, "marker").unchecked_into::<Object>();
}

#[wasm_bindgen_test]
fn models_and_images() {
    let all = record(&wire::models());
    assert!(js_sys::Array::from(&all).length() > 10);
    let qvq = record(&wire::model_info("qvq-max-2099-01-01").unwrap());
    assert_eq!(get(&qvq, "family").as_string().as_deref(), Some("qvq"));
    assert_eq!(js_sys::Array::from(&get(&qvq, "regions")).length(), 0);
    assert!(wire::model_info("gpt-4o").is_none());
    let fit = wire::fit(4000, 3000, "qwen3-vl-plus", Some(60_000.0));
    assert!(fit[0] * fit[1] <= 60_000 && fit[0] > fit[1], "{fit:?}");
    assert_eq!(
        f64::from(fit[2]),
        f64::from(
            wire::estimate_image_tokens(fit[0].into(), fit[1].into(), "qwen3-vl-plus", false, None)
                .unwrap()
        )
    );
    assert!(wire::max_pixels(Some(f64::NAN)).is_err());
    assert!(wire::estimate_image_tokens(-1.0, 1.0, "m", false, None).is_err());
    assert!(wire::data_url(String::new(), &[1, 2, 3, 250, 251]).ends_with(";base64,AQID+vs="));
}

#[wasm_bindgen_test]
fn the_client_target_carries_what_validation_reads() {
    let qvq = r#"{"model":"qvq-max","messages":[{"role":"user","content":"x"}]}"#;
    // QVQ is not served in us: refused when the region is named...
    let us = Client::new(r#"{"region":"us"}"#, &[], false).unwrap();
    let e = record(&us.start(qvq, &[], false).err().unwrap());
    assert!(get(&e, "message").as_string().unwrap().contains("us"));
    // ...also with a baseUrl when the region is named, but not with a
    // baseUrl alone (the relay decides where requests go).
    let named = Client::new(r#"{"region":"us","baseUrl":"http://relay"}"#, &[], false).unwrap();
    assert!(named.start(qvq, &[], false).is_err());
    let relay = Client::new(r#"{"baseUrl":"http://relay"}"#, &[], false).unwrap();
    assert!(relay.start(qvq, &[], false).is_ok());
    // The protocol: the body each one builds.
    let ds = Client::new(r#"{"protocol":"dashscope","region":"cn"}"#, &[], false).unwrap();
    assert!(ds
        .start(qvq, &[], false)
        .unwrap()
        .body()
        .contains("\"input\":"));
    assert!(Client::new("{}", &[], false)
        .unwrap()
        .start(qvq, &[], false)
        .unwrap()
        .body()
        .contains("\"stream\":true"));
}
