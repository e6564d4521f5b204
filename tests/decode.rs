//! Golden transcripts of both protocols (tests/fixtures/transcripts/, built
//! from PROTOCOL.md §3's examples) through `StreamState`, plus the error and
//! non-streaming decoders. Every transcript is run whole and re-chunked
//! (`CHUNK_SIZE=n` replays one size); the expected outputs are exact.

use visual_reasoning::protocol::{decode_json_response, http_error, Protocol};
use visual_reasoning::reply::{Completion, Part, Usage};
use visual_reasoning::stream::StreamState;
use visual_reasoning::{Error, ErrorKind};

#[derive(Debug, Clone, PartialEq)]
enum P {
    R(String),
    A(String),
    U,
}

#[derive(Debug)]
struct Run {
    parts: Vec<P>,
    data_events: u32,
    /// The first `Err` from `feed` (feeding stops there).
    feed_error: Option<Error>,
    end: Result<(), Error>,
    done_before_end: bool,
    state: StreamState,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/transcripts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(protocol: Protocol, bytes: &[u8], chunk: usize) -> Run {
    let model = match protocol {
        Protocol::OpenAi => "asked-model",
        Protocol::DashScope => "qwen3-vl-plus",
    };
    let mut state = StreamState::new(protocol, model);
    let mut parts = Vec::new();
    let mut data_events = 0;
    let mut feed_error = None;
    for piece in bytes.chunks(chunk.max(1)) {
        match state.feed(piece) {
            Ok(feed) => {
                data_events += feed.data_events;
                for p in feed.parts {
                    parts.push(match p {
                        Part::Reasoning(r) => P::R(state.reasoning()[r].to_owned()),
                        Part::Answer(r) => P::A(state.answer()[r].to_owned()),
                        Part::Usage => P::U,
                    });
                }
            }
            Err(e) => {
                feed_error = Some(e);
                break;
            }
        }
    }
    let done_before_end = state.is_done();
    let end = state.end();
    Run {
        parts,
        data_events,
        feed_error,
        end,
        done_before_end,
        state,
    }
}

fn chunk_sizes() -> Vec<usize> {
    match std::env::var("CHUNK_SIZE") {
        Ok(n) => vec![n.parse().expect("CHUNK_SIZE must be a number")],
        Err(_) => vec![1, 2, 3, 7, 13, 64, 1000],
    }
}

/// Joins adjacent same-type parts, so runs with different chunkings (which
/// coalesce differently) can be compared.
fn merged(parts: &[P]) -> Vec<P> {
    let mut out: Vec<P> = Vec::new();
    for p in parts {
        match (out.last_mut(), p) {
            (Some(P::R(a)), P::R(b)) | (Some(P::A(a)), P::A(b)) => a.push_str(b),
            _ => out.push(p.clone()),
        }
    }
    out
}

/// Runs `name` whole, checks the invariants, then checks that every
/// chunking gives the same texts, usage, finish reason, request id and
/// errors. Returns the whole run.
fn golden(protocol: Protocol, name: &str) -> Run {
    let bytes = fixture(name);
    let whole = run(protocol, &bytes, usize::MAX);
    check_invariants(&whole);
    for size in chunk_sizes() {
        let r = run(protocol, &bytes, size);
        check_invariants(&r);
        let ctx = format!("{name} in chunks of {size}");
        assert_eq!(merged(&r.parts), merged(&whole.parts), "{ctx}");
        assert_eq!(r.state.reasoning(), whole.state.reasoning(), "{ctx}");
        assert_eq!(r.state.answer(), whole.state.answer(), "{ctx}");
        assert_eq!(r.state.usage(), whole.state.usage(), "{ctx}");
        assert_eq!(
            r.state.finish_reason(),
            whole.state.finish_reason(),
            "{ctx}"
        );
        assert_eq!(r.state.request_id(), whole.state.request_id(), "{ctx}");
        assert_eq!(r.state.model(), whole.state.model(), "{ctx}");
        assert_eq!(r.end, whole.end, "{ctx}");
        if r.feed_error.is_none() && whole.feed_error.is_none() {
            // (A read that fails returns no count.)
            assert_eq!(r.data_events, whole.data_events, "{ctx}");
        }
        // Where the error surfaces (feed or end) may differ with chunking,
        // what it says may not.
        let err = |x: &Run| x.feed_error.clone().or(x.end.clone().err());
        assert_eq!(err(&r), err(&whole), "{ctx}");
    }
    whole
}

fn check_invariants(r: &Run) {
    let mut reasoning = String::new();
    let mut answer = String::new();
    let mut usage_seen = false;
    for p in &r.parts {
        match p {
            P::R(t) | P::A(t) => {
                assert!(!t.is_empty(), "empty part in {:?}", r.parts);
                assert!(!usage_seen, "text after usage in {:?}", r.parts);
            }
            P::U => {
                assert!(!usage_seen, "two usage parts");
                assert!(r.state.usage().is_some());
                usage_seen = true;
            }
        }
        match p {
            P::R(t) => reasoning.push_str(t),
            P::A(t) => answer.push_str(t),
            P::U => {}
        }
    }
    if r.feed_error.is_none() {
        assert_eq!(reasoning, r.state.reasoning());
        assert_eq!(answer, r.state.answer());
    }
}

fn r(s: &str) -> P {
    P::R(s.into())
}
fn a(s: &str) -> P {
    P::A(s.into())
}

fn usage(
    input: u64,
    output: u64,
    total: u64,
    reasoning: Option<u64>,
    image: Option<u64>,
    video: Option<u64>,
    raw: &str,
) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        total_tokens: total,
        reasoning_tokens: reasoning,
        image_tokens: image,
        video_tokens: video,
        raw: raw.into(),
    }
}

// ------------------------------------------------------------------ openai

#[test]
fn openai_thinking_then_answer_protocol_example() {
    let w = golden(Protocol::OpenAi, "openai_thinking.sse");
    assert_eq!(
        w.parts,
        vec![
            r("The figure shows a triangle with ∠A = 40°."),
            a("$x = 70^\\circ$"),
            P::U
        ]
    );
    assert_eq!(w.end, Ok(()));
    assert!(w.done_before_end);
    assert_eq!(w.data_events, 6);
    let want = usage(
        1266,
        412,
        1678,
        Some(380),
        Some(520),
        None,
        r#"{"prompt_tokens":1266,"completion_tokens":412,"total_tokens":1678,"prompt_tokens_details":{"text_tokens":746,"image_tokens":520},"completion_tokens_details":{"reasoning_tokens":380,"text_tokens":32}}"#,
    );
    assert_eq!(
        w.state.completion(),
        Some(Completion {
            model: "qwen3-vl-plus".into(),
            reasoning: "The figure shows a triangle with ∠A = 40°.".into(),
            answer: "$x = 70^\\circ$".into(),
            finish_reason: "stop".into(),
            usage: Some(want),
            request_id: Some("chatcmpl-7f3e".into()),
        })
    );
}

#[test]
fn openai_one_byte_reads_yield_one_part_per_event_text() {
    let bytes = fixture("openai_thinking.sse");
    let one = run(Protocol::OpenAi, &bytes, 1);
    // Each event completes in its own read, so nothing coalesces across
    // the two reasoning events.
    assert_eq!(
        one.parts,
        vec![
            r("The figure shows"),
            r(" a triangle with ∠A = 40°."),
            a("$x = 70^\\circ$"),
            P::U
        ]
    );
}

#[test]
fn openai_thinking_disabled_gives_answer_only() {
    let w = golden(Protocol::OpenAi, "openai_no_thinking.sse");
    assert_eq!(w.parts, vec![a("The angle is 70°."), P::U]);
    assert_eq!(w.state.reasoning(), "");
    assert_eq!(w.state.finish_reason(), Some("stop"));
    let u = w.state.usage().unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.total_tokens),
        (900, 6, 906)
    );
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.image_tokens, Some(520));
}

#[test]
fn openai_budget_truncated_answer_finishes_with_length() {
    let w = golden(Protocol::OpenAi, "openai_length.sse");
    assert_eq!(
        w.parts,
        vec![r("Let me think step by step"), a("So x = 7"), P::U]
    );
    assert_eq!(w.state.finish_reason(), Some("length"));
    assert_eq!(w.end, Ok(()));
    let u = w.state.usage().unwrap();
    assert_eq!((u.total_tokens, u.reasoning_tokens), (18, Some(5)));
}

#[test]
fn openai_qvq_usage_without_reasoning_tokens_or_total() {
    let w = golden(Protocol::OpenAi, "openai_qvq_usage.sse");
    assert_eq!(w.parts, vec![r("嗯，看图。"), a("答案是 70°"), P::U]);
    assert_eq!(w.state.model(), "qvq-max");
    assert_eq!(
        w.state.usage(),
        Some(&usage(
            1000,
            30,
            1030,
            None,
            Some(520),
            Some(300),
            r#"{"prompt_tokens":1000,"completion_tokens":30,"prompt_tokens_details":{"image_tokens":520,"video_tokens":300},"completion_tokens_details":{"text_tokens":30}}"#
        ))
    );
}

#[test]
fn openai_in_stream_error_is_an_api_error_with_request_id() {
    let w = golden(Protocol::OpenAi, "openai_error.sse");
    // The texts before the error were delivered as parts first.
    assert_eq!(w.parts, vec![r("Thinking"), a("Partial")]);
    assert!(w.done_before_end);
    let e = w.end.clone().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.code.as_deref(), Some("data_inspection_failed"));
    assert_eq!(e.message, "Output data may contain inappropriate content.");
    assert_eq!(e.request_id.as_deref(), Some("7f3e"));
    assert_eq!(e.status, None);
    assert!(!e.retryable);
    assert!(w.state.has_text());
    assert_eq!(w.state.partial().answer, "Partial");
    assert_eq!(w.state.completion(), None);
}

#[test]
fn openai_error_as_first_read_comes_from_feed_and_stays() {
    let bytes =
        br#"data: {"error":{"message":"bad","code":"data_inspection_failed"},"id":"chatcmpl-1"}

"#;
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    let e = s.feed(bytes).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.message, "bad");
    assert_eq!(e.request_id.as_deref(), Some("chatcmpl-1"));
    // Terminal: the same error again, whatever comes next.
    assert_eq!(s.feed(b"data: {}\n\n"), Err(e.clone()));
    assert_eq!(s.end(), Err(e));
}

#[test]
fn openai_cut_off_event_is_a_stream_error() {
    let w = golden(Protocol::OpenAi, "openai_cut.sse");
    assert_eq!(w.parts, vec![r("The figure shows")]);
    let e = w.end.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "the stream was cut off in the middle of an event before the model finished; 16 characters of text were received"
    );
}

#[test]
fn openai_early_end_without_finish_reason() {
    let w = golden(Protocol::OpenAi, "openai_early_end.sse");
    assert_eq!(w.parts, vec![r("αβ"), a("γ")]);
    let e = w.end.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "the stream ended before the model finished (no finish_reason); 3 characters of text were received"
    );
    assert_eq!(w.state.partial().finish_reason, "");
    assert_eq!(
        w.state.partial().request_id.as_deref(),
        Some("chatcmpl-7f3e")
    );
}

#[test]
fn openai_done_followed_by_junk_is_ignored() {
    let w = golden(Protocol::OpenAi, "openai_done_junk.sse");
    assert_eq!(w.parts, vec![a("ok"), P::U]);
    assert_eq!(w.end, Ok(()));
    assert!(w.done_before_end);
    // Junk after [DONE] is not even counted as events.
    assert_eq!(w.data_events, 4);
}

#[test]
fn openai_content_null_empty_absent_and_escapes() {
    let w = golden(Protocol::OpenAi, "openai_variants.sse");
    assert_eq!(
        w.parts,
        vec![r("line1\nline2 \"quoted\" \\ tab\t"), a("emoji 😀 😀 é")]
    );
    assert_eq!(w.state.finish_reason(), Some("stop"));
    assert_eq!(w.state.usage(), None);
    assert_eq!(w.end, Ok(()));
    // Keep-alive comments are no data events: 8 chunks and [DONE].
    assert_eq!(w.data_events, 9);
}

#[test]
fn openai_without_usage_ends_without_usage_part() {
    let w = golden(Protocol::OpenAi, "openai_no_usage.sse");
    assert_eq!(w.parts, vec![a("Hi")]);
    assert_eq!(w.state.usage(), None);
    assert_eq!(w.end, Ok(()));
}

#[test]
fn openai_finished_without_done_is_fine() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    s.feed(
        br#"data: {"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]}

"#,
    )
    .unwrap();
    assert!(s.is_finished());
    assert!(!s.is_done());
    assert_eq!(s.end(), Ok(()));
}

#[test]
fn openai_done_without_finish_reason_is_a_stream_error() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    s.feed(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n")
        .unwrap();
    assert!(s.is_done());
    let e = s.end().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert!(e.message.contains("no finish_reason"), "{}", e.message);
}

#[test]
fn release_frees_the_texts_and_keeps_what_a_page_reads_afterwards() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    s.set_header_request_id("hdr-1");
    s.feed(
        b"data: {\"id\":\"chatcmpl-9\",\"model\":\"qvq-max\",\"choices\":[{\"delta\":{\"reasoning_content\":\"r\",\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n\
          data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
    )
    .unwrap();
    assert!(s.has_text());
    s.release();
    assert!(!s.has_text(), "the texts are gone");
    assert_eq!((s.reasoning(), s.answer()), ("", ""));
    assert_eq!(s.finish_reason(), Some("stop"));
    assert_eq!(s.request_id(), Some("chatcmpl-9"));
    assert_eq!(s.model(), "qvq-max");
    assert_eq!(s.usage().map(|u| u.total_tokens), Some(3));
    // Nothing more is read.
    let f = s
        .feed(b"data: {\"choices\":[{\"delta\":{\"content\":\"late\"}}]}\n\n")
        .unwrap();
    assert!(f.parts.is_empty() && s.answer().is_empty());
}

#[test]
fn openai_usage_before_finish_is_sent_at_done() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    let f = s
        .feed(
            b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n\
              data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n\
              data: [DONE]\n\n",
        )
        .unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..1), Part::Usage]);
    assert_eq!(s.usage().unwrap().total_tokens, 3);
}

#[test]
fn usage_fields_of_unexpected_types_count_as_absent() {
    // Details that are not objects, numbers that are not counts: the
    // stream goes on, the usage keeps what it could read.
    let mut s = StreamState::new(Protocol::DashScope, "m");
    let f = s
        .feed(
            b"data:{\"output\":{\"choices\":[{\"message\":{\"content\":[{\"text\":\"x\"}]},\"finish_reason\":\"stop\"}]},              \"usage\":{\"input_tokens\":5,\"output_tokens\":\"2\",\"input_tokens_details\":\"n/a\",              \"output_tokens_details\":[1],\"image_tokens\":-1,\"total_tokens\":7}}\n\n",
        )
        .unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..1), Part::Usage]);
    let u = s.usage().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens, u.total_tokens), (5, 0, 7));
    assert_eq!((u.image_tokens, u.reasoning_tokens), (None, None));
    assert!(u.raw.starts_with("{\"input_tokens\":5,"), "{}", u.raw);
}

/// Issue 16, bug 2: the scanner only bracket-matches what it skips, so a
/// usage object that is not JSON (`tru`) was kept as `usage.raw` and broke
/// `JSON.parse` in the binding (a NetworkError). A usage object that is
/// not valid JSON is now ignored, with the stream intact: the usage stays
/// the last valid one, and no usage part is sent for a broken one alone.
#[test]
fn a_usage_object_that_is_not_valid_json_is_ignored() {
    let text =
        b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n";
    for bad in [
        r#"{"prompt_tokens":1,"x":tru}"#,
        r#"{"prompt_tokens":1,"x":{"y":[1,]}}"#,
        r#"{"prompt_tokens":1,"x":"a\qb"}"#,
        "{\"prompt_tokens\":1,\"x\":\"tab\there\"}",
        r#"{"prompt_tokens":01}"#,
    ] {
        let usage = format!("data: {{\"choices\":[],\"usage\":{bad}}}\n\ndata: [DONE]\n\n");
        // In the read of the text, or a read of its own.
        for whole in [true, false] {
            let mut s = StreamState::new(Protocol::OpenAi, "m");
            let mut parts = Vec::new();
            if whole {
                parts.extend(
                    s.feed(&[&text[..], usage.as_bytes()].concat())
                        .unwrap()
                        .parts,
                );
            } else {
                parts.extend(s.feed(text).unwrap().parts);
                parts.extend(s.feed(usage.as_bytes()).unwrap().parts);
            }
            assert_eq!(parts, vec![Part::Answer(0..1)], "{bad}: no usage part");
            assert_eq!(s.end(), Ok(()), "{bad}");
            assert!(!s.has_usage() && s.usage().is_none(), "{bad}");
            assert_eq!(s.completion().map(|c| c.usage), Some(None));
        }

        // DashScope: the finish event's usage; the one before it stays, and
        // the usage part carries that one.
        let event = |text: &str, finish: &str, usage: &str| {
            format!("data:{{\"output\":{{\"choices\":[{{\"message\":{{\"content\":[{{\"text\":\"{text}\"}}]}},\"finish_reason\":\"{finish}\"}}]}},\"usage\":{usage}}}\n\n")
        };
        let mut s = StreamState::new(Protocol::DashScope, "m");
        s.feed(event("a", "null", r#"{"input_tokens":1,"output_tokens":1}"#).as_bytes())
            .unwrap();
        let f = s.feed(event("b", "stop", bad).as_bytes()).unwrap();
        assert_eq!(f.parts, vec![Part::Answer(1..2), Part::Usage], "{bad}");
        assert_eq!(s.end(), Ok(()));
        assert_eq!(s.answer(), "ab");
        assert_eq!(
            s.usage().map(|u| u.raw.as_str()),
            Some(r#"{"input_tokens":1,"output_tokens":1}"#)
        );

        // A whole JSON reply: its usage is left out.
        let body = format!(
            r#"{{"choices":[{{"message":{{"content":"x"}},"finish_reason":"stop"}}],"usage":{bad}}}"#
        );
        let c = decode_json_response(Protocol::OpenAi, body.as_bytes(), "m").unwrap();
        assert_eq!((c.answer.as_str(), c.usage), ("x", None), "{bad}");
    }
    // What JSON allows stays allowed, escapes and all, and the usage JSON
    // the binding parses embeds it as received.
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    let fine = r#"{"prompt_tokens":1, "completion_tokens" : 2,"note":"a\"\\\/\u00e9\n","x":[true,false,null,-1.5e3,{}],"y":{}}"#;
    s.feed(format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"x\"}},\"finish_reason\":\"stop\"}}],\"usage\":{fine}}}\n\n").as_bytes())
        .unwrap();
    let u = s.usage().unwrap();
    assert_eq!(u.raw, fine);
    let v: serde_json::Value = serde_json::from_str(&u.to_json()).unwrap();
    assert_eq!(v["raw"]["note"], "a\"\\/é\n");
    assert_eq!(v["totalTokens"], 3);
}

/// From the long fuzz run (tests/fuzz.proptest-regressions): a usage
/// number past f64 is valid JSON (JSON.parse reads it as Infinity), so the
/// usage is kept as received; as a count it is absent, and the total falls
/// back to input + output.
#[test]
fn a_usage_number_past_f64_is_kept_as_sent() {
    let mut s = StreamState::new(Protocol::DashScope, "m");
    let usage = r#"{"input_tokens":3,"output_tokens":4,"total_tokens":1e646}"#;
    let event = format!(
        "data:{{\"output\":{{\"choices\":[{{\"message\":{{\"content\":[{{\"text\":\"x\"}}]}},\"finish_reason\":\"stop\"}}]}},\"usage\":{usage}}}\n\n"
    );
    let f = s.feed(event.as_bytes()).unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..1), Part::Usage]);
    let u = s.usage().unwrap();
    assert_eq!((u.raw.as_str(), u.total_tokens), (usage, 7));
    assert!(u
        .to_json()
        .ends_with(r#","raw":{"input_tokens":3,"output_tokens":4,"total_tokens":1e646}}"#));
}

#[test]
fn openai_invalid_json_names_the_event() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    let bad = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n\
               data: {\"choices\":[{\"delta\":{\"content\":\"y\"}}]}\n\n\
               data: {\"choices\": [ oops this is not json and it goes on and on and on for more than eighty characters\n\n";
    // Text came in the same read: parts first, error next.
    let f = s.feed(bad.as_bytes()).unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..2)]);
    assert!(s.is_done());
    let e = s.feed(b"data: [DONE]\n\n").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "event 3 is not valid JSON: {\"choices\": [ oops this is not json and it goes on and on and on for more than e…"
    );
    assert_eq!(s.end(), Err(e));
}

#[test]
fn openai_request_id_falls_back_to_header() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    s.set_header_request_id("hdr-1");
    assert_eq!(s.request_id(), Some("hdr-1"));
    s.feed(b"data: {\"id\":\"chatcmpl-body\",\"choices\":[]}\n\n")
        .unwrap();
    assert_eq!(s.request_id(), Some("chatcmpl-body"));

    let mut s = StreamState::new(Protocol::OpenAi, "m");
    s.set_header_request_id("hdr-2");
    let e = s
        .feed(b"data: {\"error\":{\"message\":\"no\"}}\n\n")
        .unwrap_err();
    assert_eq!(e.request_id.as_deref(), Some("hdr-2"));
}

#[test]
fn size_cap_is_a_stream_error() {
    let mut s = StreamState::with_max_event_bytes(Protocol::OpenAi, "m", 64);
    let big = format!(
        "data: {{\"choices\":[{{\"delta\":{{\"content\":\"{}\"}}}}]}}\n\n",
        "x".repeat(100)
    );
    let e = s.feed(big.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "a server-sent event exceeded the size limit of 64 bytes"
    );
    assert_eq!(s.feed(b"data: {}\n\n").unwrap_err().kind, ErrorKind::Stream);
}

#[test]
fn unknown_fields_and_types_are_ignored() {
    let mut s = StreamState::new(Protocol::OpenAi, "m");
    let f = s
        .feed(
            br#"data: {"x":[1,{"y":[true,false,null,"]}"]}],"choices":[{"delta":{"content":"a","tool_calls":[{"id":"t"}],"reasoning_content":7},"finish_reason":null,"extra":{"deep":[[[]]]}},{"delta":{"content":"second choice ignored"}}],"usage":5,"model":null}

"#,
        )
        .unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..1)]);
    assert_eq!(s.model(), "m");
    assert_eq!(s.usage(), None);
}

// --------------------------------------------------------------- dashscope

#[test]
fn dashscope_thinking_then_answer_protocol_example() {
    let w = golden(Protocol::DashScope, "dashscope_thinking.sse");
    assert_eq!(
        w.parts,
        vec![
            r("The figure shows a triangle with ∠A = 40°."),
            a("$x = 70^\\circ$"),
            P::U
        ]
    );
    assert!(w.done_before_end);
    assert_eq!(w.end, Ok(()));
    let c = w.state.completion().unwrap();
    assert_eq!(c.model, "qwen3-vl-plus");
    assert_eq!(c.finish_reason, "stop");
    assert_eq!(
        c.request_id.as_deref(),
        Some("a1b2c3d4-0000-4000-8000-000000000001")
    );
    // The last cumulative usage, never a sum.
    assert_eq!(
        c.usage,
        Some(usage(
            1266,
            412,
            1678,
            Some(380),
            Some(520),
            None,
            r#"{"input_tokens":1266,"output_tokens":412,"input_tokens_details":{"text_tokens":746,"image_tokens":520},"output_tokens_details":{"reasoning_tokens":380,"text_tokens":32},"total_tokens":1678,"image_tokens":520}"#
        ))
    );
}

#[test]
fn dashscope_usage_is_visible_and_updated_every_event() {
    let bytes = fixture("dashscope_thinking.sse");
    let text = std::str::from_utf8(&bytes).unwrap();
    let events: Vec<&str> = text.split_inclusive("\n\n").collect();
    assert_eq!(events.len(), 4);
    let mut s = StreamState::new(Protocol::DashScope, "qwen3-vl-plus");
    let mut outputs = Vec::new();
    for ev in &events {
        let f = s.feed(ev.as_bytes()).unwrap();
        outputs.push(s.usage().map(|u| u.output_tokens));
        // The usage part only with the finish event.
        assert_eq!(f.parts.contains(&Part::Usage), s.is_finished());
    }
    assert_eq!(outputs, vec![Some(3), Some(380), Some(384), Some(412)]);
}

#[test]
fn dashscope_thinking_disabled_joins_text_items() {
    let w = golden(Protocol::DashScope, "dashscope_no_thinking.sse");
    assert_eq!(w.parts, vec![a("The angle is 70°."), P::U]);
    let u = w.state.usage().unwrap();
    assert_eq!((u.total_tokens, u.reasoning_tokens), (906, None));
    assert_eq!(u.image_tokens, Some(520));
}

#[test]
fn dashscope_budget_truncated_finishes_with_length() {
    let w = golden(Protocol::DashScope, "dashscope_length.sse");
    assert_eq!(w.parts, vec![r("Let me think"), a("So x = 7"), P::U]);
    assert_eq!(w.state.finish_reason(), Some("length"));
    assert_eq!(w.end, Ok(()));
}

#[test]
fn dashscope_qvq_usage_missing_total_and_details() {
    let w = golden(Protocol::DashScope, "dashscope_qvq.sse");
    assert_eq!(w.parts, vec![r("嗯"), a("答案"), P::U]);
    assert_eq!(
        w.state.usage(),
        Some(&usage(
            1000,
            3,
            1003,
            None,
            Some(520),
            None,
            r#"{"input_tokens":1000,"output_tokens":3,"output_tokens_details":{"text_tokens":3},"image_tokens":520}"#
        ))
    );
}

#[test]
fn dashscope_error_event_carries_status_from_comment() {
    let w = golden(Protocol::DashScope, "dashscope_error.sse");
    assert_eq!(w.parts, vec![r("Thinking"), a("Partial")]);
    let e = w.end.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.code.as_deref(), Some("DataInspectionFailed"));
    assert_eq!(e.message, "Output data may contain inappropriate content.");
    assert_eq!(
        e.request_id.as_deref(),
        Some("a1b2c3d4-0000-4000-8000-000000000001")
    );
    assert!(!e.retryable);
}

#[test]
fn dashscope_stream_of_only_an_error_event() {
    let w = golden(Protocol::DashScope, "dashscope_error_only.sse");
    assert_eq!(w.parts, vec![]);
    let e = w.feed_error.unwrap();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.status, Some(429));
    assert_eq!(e.code.as_deref(), Some("Throttling.RateQuota"));
    // Nothing is retried once the body has started.
    assert!(!e.retryable);
    assert!(!w.state.has_text());
}

#[test]
fn dashscope_early_end() {
    let w = golden(Protocol::DashScope, "dashscope_early_end.sse");
    assert_eq!(w.parts, vec![r("The figure"), a("x")]);
    let e = w.end.unwrap_err();
    assert_eq!(
        e.message,
        "the stream ended before the model finished (no finish_reason); 11 characters of text were received"
    );
    // Usage was seen, but no usage part without the finish event.
    assert_eq!(w.state.usage().unwrap().output_tokens, 3);
}

#[test]
fn dashscope_events_after_finish_are_ignored() {
    let mut s = StreamState::new(Protocol::DashScope, "m");
    let f = s
        .feed(
            b"event:result\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":[{\"text\":\"a\"}]},\"finish_reason\":\"stop\"}]}}\n\n\
              event:result\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":[{\"text\":\"late\"}]},\"finish_reason\":\"stop\"}]}}\n\n",
        )
        .unwrap();
    assert_eq!(f.parts, vec![Part::Answer(0..1)]);
    assert_eq!(s.answer(), "a");
    assert_eq!(s.feed(b"garbage"), Ok(Default::default()));
    assert_eq!(s.end(), Ok(()));
}

#[test]
fn dashscope_error_body_without_event_name() {
    let mut s = StreamState::new(Protocol::DashScope, "m");
    let e = s
        .feed(b"data:{\"code\":\"InvalidParameter\",\"message\":\"Model not exist.\",\"request_id\":\"r1\"}\n\n")
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.code.as_deref(), Some("InvalidParameter"));
    assert_eq!(e.status, None);
}

// ----------------------------------------------------------- content type

#[test]
fn content_type_must_be_event_stream() {
    assert_eq!(
        StreamState::check_content_type(Some("text/event-stream")),
        Ok(())
    );
    assert_eq!(
        StreamState::check_content_type(Some("Text/Event-Stream;charset=UTF-8")),
        Ok(())
    );
    let e = StreamState::check_content_type(Some("text/html; charset=utf-8")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "expected text/event-stream but got text/html; charset=utf-8; a proxy or captive portal may have answered"
    );
    let e = StreamState::check_content_type(None).unwrap_err();
    assert_eq!(
        e.message,
        "expected text/event-stream but the response had no Content-Type; a proxy or captive portal may have answered"
    );
    assert!(StreamState::check_content_type(Some("text/event-streamx")).is_err());
}

// ------------------------------------------------------------- http_error

#[test]
fn http_error_openai_json_body() {
    let body = br#"{"error":{"message":"The value of the enable_thinking parameter is restricted to True.","type":"invalid_request_error","param":null,"code":"invalid_parameter_error"},"id":"chatcmpl-abc","request_id":"abc"}"#;
    let e = http_error(400, body, Some("hdr"));
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.code.as_deref(), Some("invalid_parameter_error"));
    assert_eq!(
        e.message,
        "The value of the enable_thinking parameter is restricted to True."
    );
    assert_eq!(e.request_id.as_deref(), Some("abc"));
    assert!(!e.retryable);
}

#[test]
fn http_error_request_id_order_body_then_id_then_header() {
    let e = http_error(
        500,
        br#"{"error":{"message":"x","code":"internal_error"},"id":"chatcmpl-1"}"#,
        Some("h"),
    );
    assert_eq!(e.request_id.as_deref(), Some("chatcmpl-1"));
    assert!(e.retryable);
    let e = http_error(500, br#"{"error":{"message":"x"}}"#, Some("h"));
    assert_eq!(e.request_id.as_deref(), Some("h"));
    let e = http_error(500, br#"{"error":{"message":"x"}}"#, None);
    assert_eq!(e.request_id, None);
}

#[test]
fn http_error_dashscope_json_body() {
    let body =
        br#"{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"r-9"}"#;
    let e = http_error(401, body, None);
    assert_eq!(e.code.as_deref(), Some("InvalidApiKey"));
    assert_eq!(e.message, "Invalid API-key provided.");
    assert_eq!(e.request_id.as_deref(), Some("r-9"));
    assert!(!e.retryable);
}

#[test]
fn http_error_sse_framed_body() {
    let body = b"data: {\"error\":{\"message\":\"Input data may contain inappropriate content.\",\"type\":\"data_inspection_failed\",\"param\":null,\"code\":\"data_inspection_failed\"},\"id\":\"chatcmpl-5\"}\r\n\r\ndata: [DONE]\r\n\r\n";
    let e = http_error(400, body, None);
    assert_eq!(e.code.as_deref(), Some("data_inspection_failed"));
    assert_eq!(e.message, "Input data may contain inappropriate content.");
    assert_eq!(e.request_id.as_deref(), Some("chatcmpl-5"));
    // DashScope framing, no space after the colons, status comment.
    let body = b"id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"DataInspectionFailed\",\"message\":\"m\",\"request_id\":\"r\"}\n\n";
    let e = http_error(400, body, None);
    assert_eq!(e.code.as_deref(), Some("DataInspectionFailed"));
    assert_eq!(e.request_id.as_deref(), Some("r"));
    // Cut before the blank line that would end the event, CR line ends,
    // two data lines: still the first event's data, as the SSE rules join it.
    for body in [
        &b"data: {\"code\":\"Throttling\",\"message\":\"slow down\"}"[..],
        b": hi\rdata: {\"code\":\"Throttling\",\r\ndata: \"message\":\"slow down\"}\r\rdata: {}\r\r",
    ] {
        let e = http_error(429, body, None);
        assert_eq!(e.code.as_deref(), Some("Throttling"), "{body:?}");
        assert_eq!(e.message, "slow down");
    }
}

#[test]
fn http_error_retryable_statuses() {
    for status in [429u16, 500, 502, 503, 504] {
        assert!(http_error(status, b"", None).retryable, "{status}");
    }
    for status in [400u16, 401, 403, 404, 408, 501] {
        assert!(!http_error(status, b"", None).retryable, "{status}");
    }
}

#[test]
fn http_error_free_quota_429_is_not_retryable() {
    let e = http_error(
        429,
        br#"{"code":"Throttling.AllocationQuota","message":"Free allocated quota exceeded.","request_id":"q"}"#,
        None,
    );
    assert!(!e.retryable);
    let e = http_error(
        429,
        br#"{"error":{"message":"You exceeded your current quota","code":"AllocationQuota.FreeTierOnly"}}"#,
        None,
    );
    assert!(!e.retryable);
    let e = http_error(
        429,
        br#"{"code":"Throttling.AllocationQuota","message":"Allocated quota exceeded, please increase your quota limit.","request_id":"q"}"#,
        None,
    );
    assert!(e.retryable);
}

#[test]
fn http_error_unparseable_body_names_status_and_quotes_it() {
    let html = format!("<html><body>{}</body></html>", "Bad gateway ".repeat(30));
    let e = http_error(502, html.as_bytes(), Some("h"));
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.code, None);
    assert!(e.retryable);
    assert_eq!(e.request_id.as_deref(), Some("h"));
    let mut want = String::from("the server answered HTTP 502: ");
    want.extend(html.chars().take(200));
    want.push('…');
    assert_eq!(e.message, want);
    let e = http_error(503, b"  \n", None);
    assert_eq!(e.message, "the server answered HTTP 503 with an empty body");
    let e = http_error(500, b"\xff\xfe not utf8", None);
    assert_eq!(
        e.message,
        "the server answered HTTP 500: \u{fffd}\u{fffd} not utf8"
    );
}

#[test]
fn http_error_json_without_message() {
    let e = http_error(404, br#"{"code":"ModelNotFound"}"#, None);
    assert_eq!(e.message, "the server answered HTTP 404 (ModelNotFound)");
    assert_eq!(e.code.as_deref(), Some("ModelNotFound"));
}

// ------------------------------------------------------------ json bodies

#[test]
fn json_response_openai() {
    let body = br#"{"id":"chatcmpl-9","object":"chat.completion","model":"qwen3-vl-plus","choices":[{"index":0,"message":{"role":"assistant","content":"x = 70\u00b0","reasoning_content":"Because..."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"completion_tokens_details":{"reasoning_tokens":3}}}"#;
    let c = decode_json_response(Protocol::OpenAi, body, "asked").unwrap();
    assert_eq!(
        c,
        Completion {
            model: "qwen3-vl-plus".into(),
            reasoning: "Because...".into(),
            answer: "x = 70°".into(),
            finish_reason: "stop".into(),
            usage: Some(usage(
                5,
                7,
                12,
                Some(3),
                None,
                None,
                r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"completion_tokens_details":{"reasoning_tokens":3}}"#
            )),
            request_id: Some("chatcmpl-9".into()),
        }
    );
}

#[test]
fn json_response_dashscope() {
    let body = br#"{"output":{"choices":[{"message":{"role":"assistant","content":[{"text":"x = "},{"text":"70"}],"reasoning_content":"R"},"finish_reason":"stop"}]},"usage":{"input_tokens":4,"output_tokens":2},"request_id":"rid"}"#;
    let c = decode_json_response(Protocol::DashScope, body, "qwen3-vl-flash").unwrap();
    assert_eq!(c.model, "qwen3-vl-flash");
    assert_eq!(c.answer, "x = 70");
    assert_eq!(c.reasoning, "R");
    assert_eq!(c.finish_reason, "stop");
    assert_eq!(c.usage.unwrap().total_tokens, 6);
    assert_eq!(c.request_id.as_deref(), Some("rid"));
}

#[test]
fn json_response_errors() {
    let e = decode_json_response(Protocol::OpenAi, b"<html>oops</html>", "m").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Stream);
    assert_eq!(
        e.message,
        "the response body is not valid JSON: <html>oops</html>"
    );
    let e = decode_json_response(
        Protocol::DashScope,
        br#"{"code":"InvalidParameter","message":"current user api does not support http call.","request_id":"r"}"#,
        "qvq-max",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.message, "current user api does not support http call.");
    let e = decode_json_response(
        Protocol::OpenAi,
        br#"{"error":{"message":"m","code":"c"},"id":"chatcmpl-2"}"#,
        "m",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.code.as_deref(), Some("c"));
}

#[test]
fn usage_json_is_api_md_usage_with_raw_as_received() {
    let full = Usage {
        input_tokens: 1271,
        output_tokens: 352,
        total_tokens: 1623,
        reasoning_tokens: Some(150),
        image_tokens: None,
        video_tokens: Some(0),
        raw: r#"{"prompt_tokens":1271, "x":[1,"é"]}"#.into(),
    };
    let v: serde_json::Value = serde_json::from_str(&full.to_json()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "inputTokens": 1271, "outputTokens": 352, "totalTokens": 1623,
            "reasoningTokens": 150, "videoTokens": 0,
            "raw": {"prompt_tokens": 1271, "x": [1, "é"]}
        })
    );
    // No raw (a usage the core made up), no optional counts.
    let bare = Usage {
        input_tokens: 1,
        output_tokens: 2,
        total_tokens: 3,
        ..Usage::default()
    };
    assert_eq!(
        bare.to_json(),
        r#"{"inputTokens":1,"outputTokens":2,"totalTokens":3}"#
    );
}
