//! options::client and options::request: API.md's option objects from the
//! JSON glue.js `encode` makes of them (numbers, Blobs, the signal and
//! `extra` as markers), with each type error's message.

use visual_reasoning::models::Region;
use visual_reasoning::options::{self, RequestInput};
use visual_reasoning::protocol::Protocol;
use visual_reasoning::request::{Content, ContentItem, Role, Stop, Transport, Video};
use visual_reasoning::ErrorKind;

/// A number marker, as glue.js writes it.
fn n(i: usize) -> String {
    format!(r#"{{"\u0000":"n{i}"}}"#)
}

fn req(text: &str, nums: &[f64]) -> RequestInput {
    options::request(text, nums, false).unwrap_or_else(|e| panic!("{text}: {}", e.message))
}

fn refused(text: &str, nums: &[f64]) -> String {
    let e = options::request(text, nums, false).expect_err(text);
    assert_eq!(e.kind, ErrorKind::InvalidRequest, "{text}");
    e.message
}

fn client_refused(text: &str, nums: &[f64]) -> String {
    let e = options::client(text, nums).expect_err(text);
    assert_eq!(e.kind, ErrorKind::InvalidRequest, "{text}");
    e.message
}

/// `message` is `head`, then the model when given, then a sentence that
/// says what to do: `<head>[ (model <model>)]. <Fix>.`
fn says(message: &str, head: &str, model: Option<&str>) {
    let rest = message
        .strip_prefix(head)
        .unwrap_or_else(|| panic!("{message:?} does not start with {head:?}"));
    let rest = match model {
        Some(m) => rest
            .strip_prefix(&format!(" (model {m})"))
            .unwrap_or_else(|| panic!("{message:?} does not name the model {m}")),
        None => rest,
    };
    let fix = rest
        .strip_prefix(". ")
        .unwrap_or_else(|| panic!("{message:?}: no fix after {head:?}"));
    assert!(
        fix.len() > 10 && fix.ends_with('.') && fix.starts_with(char::is_uppercase),
        "{message:?}: the fix is not a sentence"
    );
}

#[test]
fn client_defaults() {
    for text in ["{}", "null"] {
        let c = options::client(text, &[]).unwrap();
        assert_eq!(c.target.protocol, Protocol::OpenAi);
        assert_eq!(c.target.region, Region::Intl);
        assert!(!c.target.region_explicit);
        assert_eq!(
            c.url,
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions"
        );
        assert_eq!(
            (c.timeout_ms, c.idle_timeout_ms, c.max_retries),
            (60_000.0, 300_000.0, 2)
        );
        assert_eq!(
            (c.api_key, c.allow_browser, c.headers.len()),
            (None, false, 0)
        );
    }
}

#[test]
fn client_options_are_read_with_exact_numbers() {
    let text = format!(
        r#"{{"apiKey":"sk-1","region":"cn","protocol":"dashscope","baseUrl":null,
            "headers":{{"X-A":"1","x-b":"two"}},"timeoutMs":{},"idleTimeoutMs":{},
            "maxRetries":{},"dangerouslyAllowBrowser":true,"unknown":{}}}"#,
        n(0),
        n(1),
        n(2),
        n(3)
    );
    let c = options::client(&text, &[1500.0, f64::INFINITY, 0.0, f64::NAN]).unwrap();
    assert_eq!(
        (c.target.protocol, c.target.region),
        (Protocol::DashScope, Region::Cn)
    );
    assert!(c.target.region_explicit);
    assert!(
        c.url.starts_with("https://dashscope.aliyuncs.com/api/v1/"),
        "{}",
        c.url
    );
    assert_eq!(c.api_key.as_deref(), Some("sk-1"));
    assert_eq!(
        c.headers,
        [("X-A".into(), "1".into()), ("x-b".into(), "two".into())]
    );
    assert_eq!(c.timeout_ms, 1500.0);
    assert_eq!(
        c.idle_timeout_ms,
        f64::INFINITY,
        "Infinity: no idle timeout"
    );
    assert_eq!(c.max_retries, 0);
    assert!(c.allow_browser);
    // An empty key is no key.
    assert_eq!(
        options::client(r#"{"apiKey":""}"#, &[]).unwrap().api_key,
        None
    );
}

#[test]
fn client_type_errors_name_the_option_and_the_fix() {
    let num = |k: &str, v: f64| (format!(r#"{{"{k}":{}}}"#, n(0)), v);
    for (text, nums, head) in [
        (
            r#"{"region":"eu"}"#.to_string(),
            vec![],
            "region must be \"intl\", \"us\" or \"cn\"",
        ),
        (
            r#"{"protocol":"grpc"}"#.into(),
            vec![],
            "protocol must be \"openai\" or \"dashscope\"",
        ),
        (
            r#"{"baseUrl":true}"#.into(),
            vec![],
            "baseUrl must be a string URL",
        ),
        // What was passed as a key or a header value is never repeated: it
        // may be the secret itself.
        (
            format!(r#"{{"apiKey":{}}}"#, n(0)),
            vec![1234.0],
            "apiKey must be a string",
        ),
        (
            r#"{"headers":"x"}"#.into(),
            vec![],
            "headers must be an object of header names to string values",
        ),
        (
            format!(r#"{{"headers":{{"X-Token":{}}}}}"#, n(0)),
            vec![1234.0],
            "headers must be an object of header names to string values",
        ),
        (
            r#"{"dangerouslyAllowBrowser":"yes"}"#.into(),
            vec![],
            "dangerouslyAllowBrowser must be a boolean",
        ),
        (
            r#""text""#.into(),
            vec![],
            "the client options must be an object",
        ),
        (
            "{".into(),
            vec![],
            "the client options could not be read as JSON",
        ),
        // A string where a number belongs (or a BigInt, which glue.js
        // turns into its digits): refused like any other non-number.
        (
            r#"{"maxRetries":"3"}"#.into(),
            vec![],
            "maxRetries must be a non-negative integer (at most 100)",
        ),
        // A marker pointing past the numbers is refused, not a panic.
        (
            num("timeoutMs", 0.0).0,
            vec![],
            "timeoutMs must be a number of milliseconds",
        ),
    ] {
        let message = client_refused(&text, &nums);
        says(&message, head, None);
        assert!(!message.contains("1234"), "{message}");
    }
    for (k, v, head) in [
        (
            "maxRetries",
            1.5,
            "maxRetries must be a non-negative integer (at most 100)",
        ),
        (
            "maxRetries",
            101.0,
            "maxRetries must be a non-negative integer (at most 100)",
        ),
        (
            "maxRetries",
            -1.0,
            "maxRetries must be a non-negative integer (at most 100)",
        ),
        (
            "timeoutMs",
            -1.0,
            "timeoutMs must be a number of milliseconds",
        ),
        (
            "timeoutMs",
            f64::NAN,
            "timeoutMs must be a number of milliseconds",
        ),
        (
            "idleTimeoutMs",
            -5.0,
            "idleTimeoutMs must be a number of milliseconds",
        ),
    ] {
        let (text, x) = num(k, v);
        says(&client_refused(&text, &[x]), head, None);
    }
}

#[test]
fn request_fields_and_content_styles() {
    let text = format!(
        r#"{{"model":"qwen3-vl-plus","enableThinking":true,"thinkingBudget":{},"maxTokens":{},
            "temperature":{},"topP":{},"seed":{},"stop":["a","b"],"vlHighResolutionImages":false,
            "messages":[
              {{"role":"system","content":"Be brief."}},
              {{"role":"user","content":[
                {{"text":"Find x."}},
                {{"image":"https://e.com/a.png"}},
                {{"type":"image_url","image_url":{{"url":"data:image/png;base64,AA=="}}}},
                {{"type":"text","text":"and"}},
                {{"video":["f1.jpg","f2.jpg"],"fps":{}}},
                {{"type":"video_url","video_url":{{"url":"v.mp4"}}}}
              ]}},
              {{"role":"assistant","content":"x = 70"}}]}}"#,
        n(0),
        n(1),
        n(2),
        n(3),
        n(4),
        n(5)
    );
    let r = req(&text, &[500.0, 1024.0, 0.7, 0.95, 42.0, 2.0]);
    let q = &r.request;
    assert_eq!(q.model, "qwen3-vl-plus");
    assert_eq!(q.enable_thinking, Some(true));
    assert_eq!(
        (
            q.thinking_budget,
            q.max_tokens,
            q.temperature,
            q.top_p,
            q.seed
        ),
        (Some(500.0), Some(1024.0), Some(0.7), Some(0.95), Some(42.0))
    );
    assert_eq!(q.stop, Some(Stop::Many(vec!["a".into(), "b".into()])));
    assert_eq!(q.vl_high_resolution_images, Some(false));
    assert_eq!(q.messages.len(), 3);
    assert_eq!(q.messages[0].role, Role::System);
    assert_eq!(q.messages[0].content, Content::Text("Be brief.".into()));
    assert_eq!(q.messages[2].role, Role::Assistant);
    assert_eq!(
        q.messages[1].content,
        Content::Items(vec![
            ContentItem::Text("Find x.".into()),
            ContentItem::Image("https://e.com/a.png".into()),
            ContentItem::Image("data:image/png;base64,AA==".into()),
            ContentItem::Text("and".into()),
            ContentItem::Video {
                video: Video::Frames(vec!["f1.jpg".into(), "f2.jpg".into()]),
                fps: Some(2.0)
            },
            ContentItem::Video {
                video: Video::Url("v.mp4".into()),
                fps: None
            },
        ])
    );
    assert_eq!(
        (r.blobs.len(), r.signal, r.json_transport),
        (0, false, None)
    );
}

#[test]
fn blobs_become_typed_placeholders_at_their_places() {
    // Blob 0 sits in an ignored field; the content uses Blobs 2 and 1.
    let text = r#"{"model":"qvq-max","attachment":{"\u0000":"b0","t":"text/plain"},"messages":[
        {"role":"user","content":[{"text":"a"},{"image":{"\u0000":"b2","t":"image/webp"}}]},
        {"role":"user","content":[{"image":{"\u0000":"b1","t":""}}]}]}"#;
    let r = req(text, &[]);
    assert_eq!(r.blobs, [(0, 1, 2), (1, 0, 1)]);
    let image = |m: usize, i: usize| match &r.request.messages[m].content {
        Content::Items(items) => items[i].clone(),
        c => panic!("{c:?}"),
    };
    assert_eq!(
        image(0, 1),
        ContentItem::Image("data:image/webp;base64,".into())
    );
    // A Blob without a type gets the generic one.
    assert_eq!(
        image(1, 0),
        ContentItem::Image("data:application/octet-stream;base64,".into())
    );
}

#[test]
fn extra_signal_and_transport() {
    let text = r#"{"model":"m","messages":[],"signal":{"\u0000":"s"},
        "extra":{"\u0000":"x","j":"{\"top_k\":20,\"p\":{\"a\":1e+21}}"},"transport":"json"}"#;
    let r = options::request(text, &[], true).unwrap();
    assert!(r.signal);
    assert_eq!(r.json_transport, Some(true));
    let extra = r.request.extra.unwrap();
    let mut out = String::new();
    visual_reasoning::json::write(&extra, &mut out);
    assert_eq!(
        out, r#"{"top_k":20,"p":{"a":1e+21}}"#,
        "numbers kept as written"
    );
    // stream() ignores transport, whatever it holds.
    assert_eq!(
        req(r#"{"model":"m","transport":7}"#, &[]).json_transport,
        None
    );
    assert_eq!(
        options::request(r#"{"model":"m","transport":"stream"}"#, &[], true)
            .unwrap()
            .json_transport,
        Some(false)
    );
    let e = options::request(
        r#"{"model":"m","transport":"ws","temperature":"x"}"#,
        &[],
        true,
    )
    .unwrap_err();
    // transport is checked first.
    says(
        &e.message,
        "transport must be \"stream\" or \"json\"",
        Some("m"),
    );
    // null and a missing key are both "not given".
    let r = req(
        r#"{"model":"m","messages":null,"extra":null,"signal":null,"stop":null}"#,
        &[],
    );
    assert_eq!(
        (
            r.request.messages.len(),
            r.request.extra,
            r.signal,
            r.request.stop
        ),
        (0, None, false, None)
    );
    assert_eq!(
        req(r#"{"model":"m","stop":"END"}"#, &[]).request.stop,
        Some(Stop::One("END".into()))
    );
}

/// Every type error names the field (by its path), what was given, the
/// model the request names and the fix (issue 16, bug 7).
#[test]
fn request_type_errors_name_the_field_the_model_and_the_fix() {
    const M: &str = "qwen3-vl-plus";
    let msg = |content: &str| {
        format!(r#"{{"model":"{M}","messages":[{{"role":"user","content":{content}}}]}}"#)
    };
    let with = |field: &str| format!(r#"{{"model":"{M}",{field}}}"#);
    let bad: Vec<(String, &str)> = vec![
        (with(r#""messages":{}"#), "messages must be an array of {role, content}"),
        (format!(r#"{{"model":"{M}","messages":[null]}}"#), "messages[0].role must be \"system\", \"user\" or \"assistant\""),
        (format!(r#"{{"model":"{M}","messages":[{{"role":"tool","content":"x"}}]}}"#), "messages[0].role must be \"system\", \"user\" or \"assistant\""),
        (msg("true"), "messages[0].content must be a string or an array of content items"),
        (msg(r#"["hi"]"#), "messages[0].content[0] must be {text}, {image}, {video}, or an OpenAI-style {type: \"text\" | \"image_url\" | \"video_url\"} item"),
        (msg(r#"[{"text":"a"},{"type":"audio"}]"#), "messages[0].content[1].type must be \"text\", \"image_url\" or \"video_url\""),
        (msg(r#"[{"type":"text"}]"#), "messages[0].content[0].text must be a string"),
        (msg(r#"[{"type":"text","text":[]}]"#), "messages[0].content[0].text must be a string"),
        (msg(r#"[{"text":false}]"#), "messages[0].content[0].text must be a string"),
        (msg(r#"[{"type":"image_url","image_url":"u"}]"#), "messages[0].content[0].image_url must be {url: string}"),
        (msg(r#"[{"type":"video_url"}]"#), "messages[0].content[0].video_url must be {url: string}"),
        (msg(r#"[{"image":{"\u0000":"s"}}]"#), "messages[0].content[0].image must be a URL string, a data: URL or a Blob"),
        (msg(r#"[{"video":["a",1]}]"#), "messages[0].content[0].video must be a URL string or an array of frame URL strings"),
        (msg(r#"[{"video":"v","fps":"2"}]"#), "messages[0].content[0].fps must be a number"),
        (with(r#""stop":[1]"#), "stop must be a string or an array of strings"),
        (with(r#""extra":"x""#), "extra must be an object"),
        (with(r#""extra":{"\u0000":"x","j":"[1]"}"#), "extra must be an object"),
        (with(r#""extra":{"\u0000":"x!"}"#), "extra must be JSON-serialisable (no cycles or BigInt)"),
        (with(r#""signal":{"\u0000":"?"}"#), "signal must be an AbortSignal"),
        (with(r#""signal":{}"#), "signal must be an AbortSignal"),
        (with(r#""enableThinking":"yes""#), "enableThinking must be a boolean"),
        (with(r#""thinkingBudget":"9""#), "thinkingBudget must be a positive integer (a number of tokens)"),
        (with(r#""maxTokens":true"#), "maxTokens must be a number (of tokens)"),
        (with(r#""temperature":{"\u0000":"?"}"#), "temperature must be a number"),
        (with(r#""topP":[]"#), "topP must be a number"),
        (with(r#""seed":"x1""#), "seed must be a number"),
        (with(r#""vlHighResolutionImages":1"#), "vlHighResolutionImages must be a boolean"),
        // A plain JSON number (a Number object, which glue.js leaves as
        // is) is not a number marker: refused as JavaScript typing would.
        (with(r#""temperature":0.5"#), "temperature must be a number"),
    ];
    for (text, head) in &bad {
        says(&refused(text, &[]), head, Some(M));
    }
    // Without a model there is none to name; with a bad one, the fix says
    // how to name one.
    for (text, head) in [
        (
            r#"[]"#,
            "the request must be an object with model and messages",
        ),
        (
            r#"null"#,
            "the request must be an object with model and messages",
        ),
        (r#"{"x":1"#, "the request could not be read as JSON"),
        (r#"{"model":3}"#, "model must be a model id string"),
        (
            r#"{"model":"","messages":{}}"#,
            "messages must be an array of {role, content}",
        ),
    ] {
        says(&refused(text, &[]), head, None);
    }
    assert_eq!(
        refused(r#"{"messages":[]}"#, &[]),
        "model is required. Name a model, e.g. model: \"qwen3-vl-plus\" (models() lists the catalog)."
    );
}

#[test]
fn missing_content_is_left_for_validation_to_name() {
    let r = req(r#"{"model":"m","messages":[{"role":"user"}]}"#, &[]);
    assert_eq!(r.request.messages[0].content, Content::Items(vec![]));
}

#[test]
fn only_a_number_marker_in_range_is_a_number() {
    for (text, why) in [
        (
            r#"{"model":"m","temperature":{"\u0000":0}}"#,
            "a tag that is not a string",
        ),
        (
            r#"{"model":"m","temperature":{"\u0000":"n9"}}"#,
            "an index past the numbers",
        ),
        (r#"{"model":"m","temperature":{"\u0000":"n"}}"#, "no index"),
        (
            r#"{"model":"m","temperature":{"\u0000":"n-1"}}"#,
            "not digits",
        ),
        (
            r#"{"model":"m","temperature":{"\u0000":"b0"}}"#,
            "another kind of marker",
        ),
    ] {
        let message = refused(text, &[0.5]);
        assert!(
            message.starts_with("temperature must be a number (model m). Pass a number"),
            "{why}: {message}"
        );
    }
    let r = req(
        r#"{"model":"m","temperature":{"\u0000":"n1"}}"#,
        &[0.5, 1.25],
    );
    assert_eq!(r.request.temperature, Some(1.25));
}

#[test]
fn transport_json_lists_headers_in_order_and_escapes_them() {
    let text = r#"{"apiKey":"sk-\"q\"","protocol":"dashscope","headers":{"X-Note":"a\"b\\c","X-Two":"é"}}"#;
    let c = options::client(text, &[]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&c.transport_json(Transport::Stream)).unwrap();
    assert_eq!(v["url"], c.url.as_str());
    assert_eq!(
        v["apiKey"], "sk-\"q\"",
        "kept to scrub it from engine messages"
    );
    let headers: Vec<Vec<String>> = serde_json::from_value(v["headers"].clone()).unwrap();
    let names: Vec<&str> = headers.iter().map(|h| h[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "Accept",
            "X-DashScope-SSE",
            "Authorization",
            "X-Note",
            "X-Two"
        ],
        "the library's, the key's, then the caller's (which win)"
    );
    assert_eq!(headers[3][1], "Bearer sk-\"q\"");
    assert_eq!(
        headers[3].len(),
        3,
        "the Authorization header carries its error message"
    );
    assert_eq!(headers[4], ["X-Note", "a\"b\\c"]);
    assert_eq!(headers[5], ["X-Two", "é"]);
    assert_eq!(v["timeoutMs"], 60_000);
    assert_eq!(v["idleTimeoutMs"], 300_000);
    assert_eq!(v["maxRetries"], 2);

    // No timeout: Infinity, which JSON spells null.
    let c = options::client(
        r#"{"timeoutMs":{"\u0000":"n0"},"idleTimeoutMs":{"\u0000":"n1"},"maxRetries":{"\u0000":"n2"}}"#,
        &[f64::INFINITY, 1.5, 0.0],
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&c.transport_json(Transport::Stream)).unwrap();
    assert_eq!(v["timeoutMs"], serde_json::Value::Null);
    assert_eq!(v["idleTimeoutMs"], 1.5);
    assert_eq!(v["maxRetries"], 0);

    // No key: neither the header nor the field.
    let c = options::client("{}", &[]).unwrap();
    let json = c.transport_json(Transport::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v.get("apiKey").is_none(), "{json}");
    assert!(!json.contains("Authorization"), "{json}");
    assert_eq!(
        v["headers"][0],
        serde_json::json!(["Content-Type", "application/json"])
    );
}

/// Issue 16, bug 7: a type error named neither the model nor the fix
/// (`thinkingBudget must be a positive integer`, nothing else).
#[test]
fn a_string_thinking_budget_names_the_model_and_the_fix() {
    assert_eq!(
        refused(
            r#"{"model":"qwen3-vl-plus","enableThinking":true,"thinkingBudget":"100","messages":[]}"#,
            &[]
        ),
        "thinkingBudget must be a positive integer (a number of tokens) (model qwen3-vl-plus). \
         Pass a number (not a string), or leave it out."
    );
}
