//! Browser tests of the binding layer (wasm-bindgen-test in headless
//! Chromium) against the mock upstream: the lifecycle of a stream — to the
//! end, concurrent `next()`, `return()`, `abort()`, a caller's signal, the
//! drop guard on an error — and the shape of every error.
//!
//! Run with `bash tests/web/run.sh`: it starts the mock and passes its URL
//! in `VR_MOCK_URL` at compile time.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, JsString, Object, Promise, Reflect};
use visual_reasoning::web::{Client, ReasoningStream};
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
    fn fetch_url(url: &str) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: f64) -> JsValue;
}

// ---------------------------------------------------------------- helpers

/// A client whose replies send their first event, then stall: what is
/// pending when the tests stop or abort. The stall outlasts and the rest of
/// the reply (~0.5 MB) outweighs what Chromium may read on to keep an
/// aborted connection for reuse (its body drainer: 16 KB within seconds),
/// so the mock can only see the connection close, never a completed reply
/// (a 5 s stall with 50 tokens once came out "completed" on a loaded CI).
fn stalled_client(id: &str) -> Client {
    client(
        &[
            ("X-Mock-Fault", "stall:20000"),
            ("X-Mock-Id", id),
            ("X-Mock-Reasoning-Tokens", "4000"),
        ],
        &[],
    )
}

fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap()
}

fn text(v: &JsValue) -> String {
    v.as_string().unwrap_or_default()
}

async fn sleep(ms: f64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(p).await.unwrap();
}

/// A client of the mock; `headers` are the mock's control headers.
fn client(headers: &[(&str, &str)], options: &[(&str, JsValue)]) -> Client {
    let h: Vec<(&str, JsValue)> = headers.iter().map(|(k, v)| (*k, s(v))).collect();
    let mut fields = vec![
        ("baseUrl", s(MOCK)),
        ("maxRetries", JsValue::from(0)),
        ("headers", obj(&h)),
    ];
    fields.extend(options.iter().cloned());
    Client::new(obj(&fields)).unwrap()
}

fn request(model: &str) -> JsValue {
    let msg = obj(&[
        ("role", s("user")),
        ("content", s("What is in the figure?")),
    ]);
    // Thinking on (hybrid models default to off), so replies have both
    // reasoning and answer; QVQ always thinks and refuses the option.
    let mut fields = vec![("model", s(model)), ("messages", Array::of1(&msg).into())];
    if !model.starts_with("qvq") {
        fields.push(("enableThinking", JsValue::TRUE));
    }
    obj(&fields)
}

/// Calls the iterator's `next()` or `return()` (a plain JS object).
fn call(it: &JsValue, method: &str) -> Promise {
    let f: js_sys::Function = get(it, method).unchecked_into();
    f.call0(it).unwrap().unchecked_into()
}

async fn next(it: &JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(call(it, "next")).await
}

/// Reads every part; the texts by type, and the part types in order.
async fn collect(stream: &ReasoningStream) -> Result<(String, String, Vec<String>), JsValue> {
    let it = stream.iterator();
    let (mut reasoning, mut answer, mut kinds) = (String::new(), String::new(), Vec::new());
    loop {
        let step = next(&it).await?;
        if get(&step, "done").as_bool() == Some(true) {
            return Ok((reasoning, answer, kinds));
        }
        let part = get(&step, "value");
        let kind = text(&get(&part, "type"));
        match kind.as_str() {
            "reasoning" => reasoning += &text(&get(&part, "text")),
            "answer" => answer += &text(&get(&part, "text")),
            _ => {}
        }
        kinds.push(kind);
    }
}

/// The mock's log of requests tagged with `id` (X-Mock-Id).
async fn mock_requests(id: &str) -> Vec<JsValue> {
    let resp = JsFuture::from(fetch_url(&(String::from(MOCK) + "/__mock/requests")))
        .await
        .unwrap();
    let resp: web_sys::Response = resp.unchecked_into();
    let all = JsFuture::from(resp.json().unwrap()).await.unwrap();
    Array::from(&all)
        .iter()
        .filter(|r| get(r, "mockId").as_string().as_deref() == Some(id))
        .collect()
}

/// Waits until the mock has settled the request tagged `id` (10 s at most:
/// a browser may hold an aborted connection a while), and returns its
/// outcome ("completed", "disconnected", ...).
async fn outcome(id: &str) -> String {
    for _ in 0..200 {
        if let Some(r) = mock_requests(id).await.last() {
            let o = text(&get(r, "outcome"));
            if o != "pending" {
                return o;
            }
        }
        sleep(50.0).await;
    }
    String::from("pending")
}

/// Asserts `e` is a real Error with this name, and returns it.
fn assert_error(e: &JsValue, name: &str) -> js_sys::Error {
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    let err: js_sys::Error = e.clone().unchecked_into();
    assert_eq!(
        String::from(err.name()),
        name,
        "message: {}",
        String::from(err.message())
    );
    assert!(
        get(e, "retryable").as_bool().is_some(),
        "retryable must be a boolean"
    );
    err
}

fn unique(tag: &str) -> String {
    String::from(tag) + "-" + &(js_sys::Math::random() * 1e9).floor().to_string()
}

// ---------------------------------------------------------------- lifecycle

#[wasm_bindgen_test]
async fn a_stream_runs_to_the_end_with_parts_in_order() {
    for protocol in ["openai", "dashscope"] {
        let c = client(
            &[
                ("X-Mock-Reasoning-Tokens", "40"),
                ("X-Mock-Answer-Tokens", "12"),
            ],
            &[("protocol", s(protocol))],
        );
        let stream = c.stream(request("qwen3-vl-plus")).unwrap();
        let (reasoning, answer, kinds) = collect(&stream).await.unwrap();

        assert!(!reasoning.is_empty() && !answer.is_empty(), "{protocol}");
        assert_eq!(reasoning, String::from(stream.reasoning()), "{protocol}");
        assert_eq!(answer, String::from(stream.answer()), "{protocol}");
        // Reasoning first, the answer after, usage once and last.
        let first_answer = kinds.iter().position(|k| k == "answer").unwrap();
        assert!(
            kinds[..first_answer].iter().all(|k| k == "reasoning"),
            "{kinds:?}"
        );
        assert!(
            kinds[first_answer..kinds.len() - 1]
                .iter()
                .all(|k| k == "answer"),
            "{kinds:?}"
        );
        assert_eq!(kinds.last().map(String::as_str), Some("usage"), "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == "usage").count(), 1);

        assert_eq!(stream.finish_reason().as_deref(), Some("stop"));
        assert!(stream.request_id().is_some_and(|id| !id.is_empty()));
        let usage = stream.usage();
        assert!(get(&usage, "outputTokens").as_f64().unwrap() > 0.0);

        let result = JsFuture::from(stream.result()).await.unwrap();
        assert_eq!(text(&get(&result, "reasoning")), reasoning);
        assert_eq!(text(&get(&result, "answer")), answer);
        assert_eq!(text(&get(&result, "finishReason")), "stop");
        assert_eq!(text(&get(&result, "model")), "qwen3-vl-plus");
    }
}

#[wasm_bindgen_test]
async fn next_may_be_called_again_before_the_last_call_settles() {
    let c = client(
        &[
            ("X-Mock-Reasoning-Tokens", "30"),
            ("X-Mock-Answer-Tokens", "10"),
        ],
        &[],
    );
    let stream = c.stream(request("qwen3-vl-plus")).unwrap();
    let it = stream.iterator();
    let (mut reasoning, mut answer) = (String::new(), String::new());
    // Eight next() calls in flight at once, repeatedly: each must settle
    // with its own part, in order, and none may trip a RefCell borrow.
    'outer: loop {
        let batch = Array::new();
        for _ in 0..8 {
            batch.push(&call(&it, "next"));
        }
        let steps = JsFuture::from(Promise::all(&batch)).await.unwrap();
        let mut done_seen = false;
        for step in Array::from(&steps).iter() {
            if get(&step, "done").as_bool() == Some(true) {
                done_seen = true;
                continue;
            }
            assert!(!done_seen, "a part came after done");
            let part = get(&step, "value");
            match text(&get(&part, "type")).as_str() {
                "reasoning" => reasoning += &text(&get(&part, "text")),
                "answer" => answer += &text(&get(&part, "text")),
                _ => {}
            }
        }
        if done_seen {
            break 'outer;
        }
    }
    assert_eq!(reasoning, String::from(stream.reasoning()));
    assert_eq!(answer, String::from(stream.answer()));
    assert!(!answer.is_empty());
}

#[wasm_bindgen_test]
async fn return_stops_quietly_and_closes_the_connection() {
    let id = unique("return");
    let c = stalled_client(&id);
    let stream = c.stream(request("qwen3-vl-plus")).unwrap();
    let it = stream.iterator();
    let first = next(&it).await.unwrap();
    assert_eq!(get(&first, "done").as_bool(), Some(false));

    // What `break` in a for-await loop does: return() resolves done, throws
    // nothing, and every later next() says done.
    let pending = call(&it, "next");
    let ret = JsFuture::from(call(&it, "return")).await.unwrap();
    assert_eq!(get(&ret, "done").as_bool(), Some(true));
    let after = JsFuture::from(pending).await.unwrap();
    assert_eq!(get(&after, "done").as_bool(), Some(true));
    assert_eq!(get(&next(&it).await.unwrap(), "done").as_bool(), Some(true));

    assert_eq!(outcome(&id).await, "disconnected");
    // result() after a stop is an AbortError, not a hang.
    let e = JsFuture::from(stream.result()).await.unwrap_err();
    assert_error(&e, "AbortError");
}

#[wasm_bindgen_test]
async fn abort_rejects_with_abort_error_carrying_the_partial_text() {
    let id = unique("abort");
    let c = stalled_client(&id);
    let stream = c.stream(request("qwen3-vl-plus")).unwrap();
    let it = stream.iterator();
    next(&it).await.unwrap();
    let pending = call(&it, "next");
    stream.abort();
    let e = JsFuture::from(pending).await.unwrap_err();
    assert_error(&e, "AbortError");
    assert_eq!(get(&e, "retryable").as_bool(), Some(false));
    let partial = get(&e, "partial");
    assert_eq!(
        text(&get(&partial, "reasoning")),
        String::from(stream.reasoning())
    );
    assert!(!text(&get(&partial, "reasoning")).is_empty());
    // The iterator threw once; it is finished after that.
    assert_eq!(get(&next(&it).await.unwrap(), "done").as_bool(), Some(true));
    assert_eq!(outcome(&id).await, "disconnected");
}

#[wasm_bindgen_test]
async fn the_callers_signal_aborts_the_request() {
    let id = unique("signal");
    let c = stalled_client(&id);
    let controller = web_sys::AbortController::new().unwrap();
    let req = request("qwen3-vl-plus");
    Reflect::set(&req, &s("signal"), &controller.signal()).unwrap();
    let stream = c.stream(req).unwrap();
    let it = stream.iterator();
    next(&it).await.unwrap();
    controller.abort();
    let e = next(&it).await.unwrap_err();
    assert_error(&e, "AbortError");
    assert_eq!(outcome(&id).await, "disconnected");

    // Already aborted: the stream fails without sending anything.
    let id2 = unique("signal-pre");
    let c = client(&[("X-Mock-Id", &id2)], &[]);
    let req = request("qwen3-vl-plus");
    Reflect::set(&req, &s("signal"), &controller.signal()).unwrap();
    let e = JsFuture::from(c.stream(req).unwrap().result())
        .await
        .unwrap_err();
    assert_error(&e, "AbortError");
    sleep(100.0).await;
    assert!(mock_requests(&id2).await.is_empty());
}

#[wasm_bindgen_test]
async fn an_error_inside_the_body_cancels_the_reader() {
    // Event 1 is malformed, then the server stalls: only the drop guard's
    // cancel can end the connection before the stall does.
    let id = unique("badjson");
    let c = client(
        &[
            ("X-Mock-Fault", "bad-json:1,stall:5000"),
            ("X-Mock-Id", &id),
        ],
        &[],
    );
    let stream = c.stream(request("qwen3-vl-plus")).unwrap();
    let t0 = js_sys::Date::now();
    let e = collect(&stream).await.unwrap_err();
    assert_error(&e, "StreamError");
    assert_eq!(outcome(&id).await, "disconnected");
    assert!(js_sys::Date::now() - t0 < 4000.0, "waited for the stall");
}

#[wasm_bindgen_test]
async fn an_idle_stream_times_out_with_partial_text() {
    let id = unique("idle");
    let c = client(
        &[("X-Mock-Fault", "stall:5000"), ("X-Mock-Id", &id)],
        &[("idleTimeoutMs", JsValue::from(300))],
    );
    let stream = c.stream(request("qwen3-vl-plus")).unwrap();
    let e = collect(&stream).await.unwrap_err();
    assert_error(&e, "TimeoutError");
    assert!(get(&e, "partial").is_object());
    assert_eq!(outcome(&id).await, "disconnected");
}

#[wasm_bindgen_test]
async fn keep_alive_comments_do_not_reset_the_idle_timer() {
    let c = client(
        &[("X-Mock-Fault", "keepalive:3000")],
        &[("idleTimeoutMs", JsValue::from(500))],
    );
    let t0 = js_sys::Date::now();
    let e = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
        .await
        .unwrap_err();
    assert_error(&e, "TimeoutError");
    assert!(js_sys::Date::now() - t0 < 2500.0);
}

// ---------------------------------------------------------------- errors

#[wasm_bindgen_test]
async fn http_errors_are_api_errors_with_their_fields() {
    // The provider's own code, in each protocol's error shape.
    for (protocol, code) in [
        ("dashscope", "InvalidParameter"),
        ("openai", "invalid_parameter_error"),
    ] {
        let c = client(
            &[("X-Mock-Fault", "status:400")],
            &[("protocol", s(protocol))],
        );
        let e = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
            .await
            .unwrap_err();
        assert_error(&e, "ApiError");
        assert_eq!(get(&e, "status").as_f64(), Some(400.0));
        assert_eq!(text(&get(&e, "code")), code);
        assert_eq!(get(&e, "retryable").as_bool(), Some(false));
        assert!(get(&e, "partial").is_undefined());
    }
}

#[wasm_bindgen_test]
async fn an_html_page_is_a_stream_error_naming_its_type() {
    let c = client(&[("X-Mock-Fault", "html")], &[]);
    let e = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
        .await
        .unwrap_err();
    let err = assert_error(&e, "StreamError");
    assert!(String::from(err.message()).contains("text/html"));
}

#[wasm_bindgen_test]
async fn an_unreachable_host_is_a_retryable_network_error() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let c = Client::new(obj(&[
        ("baseUrl", s("http://127.0.0.1:9")),
        ("maxRetries", JsValue::from(0)),
    ]))
    .unwrap();
    let e = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
        .await
        .unwrap_err();
    assert_error(&e, "NetworkError");
    assert_eq!(get(&e, "retryable").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn a_503_is_retried_and_then_succeeds() {
    let id = unique("retry");
    let fault = String::from("503-once:") + &id;
    let c = client(
        &[("X-Mock-Fault", &fault), ("X-Mock-Id", &id)],
        &[("maxRetries", JsValue::from(2))],
    );
    let result = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
        .await
        .unwrap();
    assert_eq!(text(&get(&result, "finishReason")), "stop");
    assert_eq!(mock_requests(&id).await.len(), 2);
}

#[wasm_bindgen_test]
async fn a_400_is_not_retried() {
    let id = unique("noretry");
    let c = client(
        &[("X-Mock-Fault", "status:400"), ("X-Mock-Id", &id)],
        &[("maxRetries", JsValue::from(2))],
    );
    let _ = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result()).await;
    assert_eq!(mock_requests(&id).await.len(), 1);
}

#[wasm_bindgen_test]
fn invalid_requests_throw_synchronously() {
    let c = client(&[], &[]);
    let empty = obj(&[
        ("model", s("qwen3-vl-plus")),
        ("messages", Array::new().into()),
    ]);
    let e = c.stream(empty).err().unwrap();
    assert_error(&e, "InvalidRequestError");

    let req = request("qvq-max");
    Reflect::set(&req, &s("enableThinking"), &JsValue::FALSE).unwrap();
    // (QVQ always thinks: turning thinking off is refused before sending.)
    let e = c.stream(req).err().unwrap();
    let err = assert_error(&e, "InvalidRequestError");
    assert!(String::from(err.message()).contains("qvq-max"));
}

#[wasm_bindgen_test]
async fn complete_json_rejects_for_qvq_and_works_for_qwen() {
    let c = client(&[], &[]);
    let req = request("qvq-max");
    Reflect::set(&req, &s("transport"), &s("json")).unwrap();
    let e = JsFuture::from(c.complete(req)).await.unwrap_err();
    assert_error(&e, "InvalidRequestError");

    let req = request("qwen3-vl-plus");
    Reflect::set(&req, &s("transport"), &s("json")).unwrap();
    let r = JsFuture::from(c.complete(req)).await.unwrap();
    assert_eq!(text(&get(&r, "finishReason")), "stop");
    assert!(!text(&get(&r, "answer")).is_empty());
}

#[wasm_bindgen_test]
fn an_api_key_in_a_page_needs_the_opt_in() {
    let e = Client::new(obj(&[("apiKey", s("sk-test-secret"))]))
        .err()
        .unwrap();
    let err = assert_error(&e, "InvalidRequestError");
    assert!(!String::from(err.message()).contains("sk-test-secret"));
    assert!(Client::new(obj(&[
        ("apiKey", s("sk-test-secret")),
        ("dangerouslyAllowBrowser", JsValue::TRUE),
    ]))
    .is_ok());
}

#[wasm_bindgen_test]
async fn the_api_key_is_in_no_error() {
    let key = "sk-never-leak-0123456789";
    let c = client(
        &[("X-Mock-Fault", "status:401")],
        &[
            ("apiKey", s(key)),
            ("dangerouslyAllowBrowser", JsValue::TRUE),
        ],
    );
    let e = JsFuture::from(c.stream(request("qwen3-vl-plus")).unwrap().result())
        .await
        .unwrap_err();
    assert_error(&e, "ApiError");
    let all = String::from(err_dump(&e));
    assert!(!all.contains(key), "{all}");
}

/// Every own property of an error (message and stack included) as text.
fn err_dump(e: &JsValue) -> JsString {
    let names = Object::get_own_property_names(e.unchecked_ref::<Object>());
    let mut out = String::new();
    for n in names.iter() {
        let v = Reflect::get(e, &n).unwrap();
        out += &text(&n);
        out += "=";
        out += &js_sys::JSON::stringify(&v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        out += "\n";
    }
    out.into()
}

// ---------------------------------------------------------------- content

#[wasm_bindgen_test]
async fn a_blob_image_is_sent_as_a_base64_data_url() {
    let id = unique("blob");
    let c = client(&[("X-Mock-Id", &id)], &[]);
    let bytes = js_sys::Uint8Array::from(&[1u8, 2, 3, 250, 251][..]);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/png");
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&Array::of1(&bytes), &opts).unwrap();
    let content = Array::of2(
        &obj(&[("image", blob.into())]),
        &obj(&[("text", s("what?"))]),
    );
    let msg = obj(&[("role", s("user")), ("content", content.into())]);
    let req = obj(&[
        ("model", s("qwen3-vl-plus")),
        ("messages", Array::of1(&msg).into()),
    ]);
    JsFuture::from(c.stream(req).unwrap().result())
        .await
        .unwrap();
    let body = js_sys::JSON::stringify(&get(&mock_requests(&id).await[0], "body")).unwrap();
    assert!(String::from(body).contains("data:image/png;base64,AQID+vs="));
}

#[wasm_bindgen_test]
async fn a_conversation_commits_only_finished_turns() {
    let c = client(&[], &[]);
    let conv = c
        .conversation(obj(&[
            ("model", s("qwen3-vl-plus")),
            ("system", s("Be brief.")),
        ]))
        .unwrap();
    assert_eq!(conv.messages().length(), 1);
    let stream = conv.send(s("first question")).unwrap();
    // While the send runs, the history is unchanged.
    assert_eq!(conv.messages().length(), 1);
    let r = JsFuture::from(stream.result()).await.unwrap();
    let msgs = conv.messages();
    assert_eq!(msgs.length(), 3);
    assert_eq!(
        text(&get(&msgs.get(2), "content")),
        text(&get(&r, "answer"))
    );
    assert_eq!(text(&get(&msgs.get(2), "role")), "assistant");

    let stream = conv.send(s("second")).unwrap();
    stream.abort();
    let _ = JsFuture::from(stream.result()).await;
    assert_eq!(conv.messages().length(), 3);
}

#[wasm_bindgen_test]
async fn prepare_image_downscales_and_rejects_undecodable_data() {
    // A 400x300 PNG drawn here, fitted into 60_000 pixels.
    let canvas = web_sys::OffscreenCanvas::new(400, 300).unwrap();
    let ctx: web_sys::OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.fill_rect(10.0, 10.0, 100.0, 100.0);
    let png = JsFuture::from(canvas.convert_to_blob().unwrap())
        .await
        .unwrap();
    let opts = obj(&[
        ("maxPixels", JsValue::from(60_000)),
        ("model", s("qwen3-vl-plus")),
    ]);
    let out = JsFuture::from(visual_reasoning::web::prepare_image(png, opts))
        .await
        .unwrap();
    let (w, h) = (
        get(&out, "width").as_f64().unwrap(),
        get(&out, "height").as_f64().unwrap(),
    );
    assert!(w * h <= 60_000.0 && w * h > 30_000.0, "{w}x{h}");
    assert!((w / h - 4.0 / 3.0).abs() < 0.05, "{w}x{h}");
    assert!(text(&get(&out, "dataUrl")).starts_with("data:image/png;base64,"));
    assert!(get(&out, "tokens").as_f64().unwrap() > 0.0);
    assert!(get(&out, "bytes").as_f64().unwrap() > 0.0);

    let junk = js_sys::Uint8Array::from(&b"not really a heic file"[..]);
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("image/heic");
    let heic =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&Array::of1(&junk), &bag).unwrap();
    let e = JsFuture::from(visual_reasoning::web::prepare_image(
        heic.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    let err = assert_error(&e, "InvalidRequestError");
    assert!(String::from(err.message()).contains("image/heic"));
}
