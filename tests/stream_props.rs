//! Property: for any generated transcript (both protocols, random texts
//! with multi-byte characters and escapes, framing variants) and any way of
//! splitting it into reads, `StreamState` yields the generator's texts,
//! usage, finish reason and request id, and the parts keep their promises
//! (never empty, coalesced only within a read, usage at most once and last,
//! concatenation == accumulated text).

use proptest::prelude::*;
use visual_reasoning::protocol::Protocol;
use visual_reasoning::reply::{Part, Usage};
use visual_reasoning::stream::StreamState;

#[derive(Debug, Clone)]
struct Transcript {
    protocol: Protocol,
    reasoning: Vec<String>,
    answer: Vec<String>,
    finish: &'static str,
    /// openai: a usage chunk is sent (stream_options.include_usage).
    usage: bool,
    eol: &'static str,
    space_after_colon: bool,
    /// Escape every non-ASCII char as `\uXXXX` (surrogate pairs above the
    /// BMP), as some JSON writers do.
    ascii_only: bool,
    keep_alive: bool,
}

fn json_str(s: &str, ascii_only: bool) -> String {
    let plain = serde_json::to_string(s).unwrap();
    if !ascii_only {
        return plain;
    }
    let mut out = String::new();
    for c in plain.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        }
    }
    out
}

impl Transcript {
    fn bytes(&self) -> Vec<u8> {
        let eol = self.eol;
        let sp = if self.space_after_colon { " " } else { "" };
        let mut out = String::new();
        let mut n = 0;
        let mut event = |out: &mut String, data: &str, dashscope: bool| {
            n += 1;
            if self.keep_alive && n % 2 == 0 {
                out.push_str(&format!(": keep-alive{eol}{eol}"));
            }
            if dashscope {
                out.push_str(&format!(
                    "id:{n}{eol}event:result{eol}:HTTP_STATUS/200{eol}"
                ));
            }
            out.push_str(&format!("data:{sp}{data}{eol}{eol}"));
        };
        let j = |s: &str| json_str(s, self.ascii_only);
        match self.protocol {
            Protocol::OpenAi => {
                let head = r#"{"id":"chatcmpl-42","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":["#;
                event(
                    &mut out,
                    &format!(
                        r#"{head}{{"index":0,"delta":{{"role":"assistant"}},"finish_reason":null}}],"usage":null}}"#
                    ),
                    false,
                );
                for r in &self.reasoning {
                    let d = format!(
                        r#"{head}{{"index":0,"delta":{{"content":null,"reasoning_content":{}}},"finish_reason":null,"logprobs":null}}],"usage":null}}"#,
                        j(r)
                    );
                    event(&mut out, &d, false);
                }
                for a in &self.answer {
                    let d = format!(
                        r#"{head}{{"index":0,"delta":{{"content":{},"reasoning_content":null}},"finish_reason":null,"logprobs":null}}],"usage":null}}"#,
                        j(a)
                    );
                    event(&mut out, &d, false);
                }
                let d = format!(
                    r#"{head}{{"index":0,"delta":{{"content":""}},"finish_reason":"{}","logprobs":null}}],"usage":null}}"#,
                    self.finish
                );
                event(&mut out, &d, false);
                if self.usage {
                    let d = format!(r#"{head}],"usage":{}}}"#, openai_usage());
                    event(&mut out, &d, false);
                }
                event(&mut out, "[DONE]", false);
            }
            Protocol::DashScope => {
                let mut tokens = 0;
                let mut ds = |out: &mut String,
                              content: String,
                              reasoning: String,
                              finish: &str| {
                    tokens += 1;
                    let d = format!(
                        r#"{{"output":{{"choices":[{{"message":{{"content":{content},{reasoning}"role":"assistant"}},"finish_reason":"{finish}"}}]}},"usage":{},"request_id":"rid-7"}}"#,
                        dashscope_usage(tokens)
                    );
                    event(out, &d, true);
                };
                for r in &self.reasoning {
                    ds(
                        &mut out,
                        "[]".into(),
                        format!(r#""reasoning_content":{},"#, j(r)),
                        "null",
                    );
                }
                for a in &self.answer {
                    ds(
                        &mut out,
                        format!(r#"[{{"text":{}}}]"#, j(a)),
                        String::new(),
                        "null",
                    );
                }
                ds(
                    &mut out,
                    "[]".into(),
                    r#""reasoning_content":"","#.into(),
                    self.finish,
                );
            }
        }
        out.into_bytes()
    }

    fn events(&self) -> u64 {
        (self.reasoning.len() + self.answer.len() + 1) as u64
    }

    fn expected_usage(&self) -> Option<Usage> {
        match self.protocol {
            Protocol::OpenAi if self.usage => Some(Usage {
                input_tokens: 10,
                output_tokens: 20,
                total_tokens: 30,
                reasoning_tokens: Some(15),
                image_tokens: Some(4),
                video_tokens: None,
                raw: openai_usage().into(),
            }),
            Protocol::OpenAi => None,
            Protocol::DashScope => {
                let n = self.events();
                Some(Usage {
                    input_tokens: 100,
                    output_tokens: n,
                    total_tokens: 100 + n,
                    reasoning_tokens: Some(n),
                    image_tokens: Some(64),
                    video_tokens: None,
                    raw: dashscope_usage(n),
                })
            }
        }
    }
}

fn openai_usage() -> &'static str {
    r#"{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"prompt_tokens_details":{"image_tokens":4},"completion_tokens_details":{"reasoning_tokens":15}}"#
}

fn dashscope_usage(n: u64) -> String {
    format!(
        r#"{{"input_tokens":100,"output_tokens":{n},"output_tokens_details":{{"reasoning_tokens":{n}}},"image_tokens":64}}"#
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,12}",
        "[a-zαβ∠°😀中文\"\\\\\n\t/ ]{0,10}",
        any::<String>(),
    ]
}

fn transcript() -> impl Strategy<Value = Transcript> {
    (
        prop_oneof![Just(Protocol::OpenAi), Just(Protocol::DashScope)],
        prop::collection::vec(text(), 0..6),
        prop::collection::vec(text(), 0..6),
        prop_oneof![Just("stop"), Just("length")],
        any::<bool>(),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(protocol, reasoning, answer, finish, usage, eol, space, ascii_only, keep_alive)| {
                Transcript {
                    protocol,
                    reasoning,
                    answer,
                    finish,
                    usage,
                    eol,
                    space_after_colon: space,
                    ascii_only,
                    keep_alive,
                }
            },
        )
}

/// How to cut the bytes into reads.
#[derive(Debug, Clone)]
enum Cuts {
    OneByte,
    Random(Vec<prop::sample::Index>),
    /// Inside every CRLF and every multi-byte character.
    Nasty,
}

fn cuts() -> impl Strategy<Value = Cuts> {
    prop_oneof![
        Just(Cuts::OneByte),
        Just(Cuts::Nasty),
        prop::collection::vec(any::<prop::sample::Index>(), 0..24).prop_map(Cuts::Random),
    ]
}

fn pieces(bytes: &[u8], cuts: &Cuts) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = match cuts {
        Cuts::OneByte => (1..bytes.len()).collect(),
        Cuts::Random(idx) => idx.iter().map(|i| i.index(bytes.len() + 1)).collect(),
        Cuts::Nasty => (1..bytes.len())
            .filter(|&i| (bytes[i - 1] == b'\r' && bytes[i] == b'\n') || (bytes[i] & 0xC0) == 0x80)
            .collect(),
    };
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

struct Outcome {
    reasoning_parts: String,
    answer_parts: String,
    state: StreamState,
}

fn drive(t: &Transcript, reads: &[Vec<u8>]) -> Result<Outcome, TestCaseError> {
    let mut state = StreamState::new(t.protocol, "asked");
    let mut reasoning_parts = String::new();
    let mut answer_parts = String::new();
    let mut usage_parts = 0;
    for read in reads {
        let feed = state
            .feed(read)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut prev: Option<&Part> = None;
        for p in &feed.parts {
            prop_assert!(usage_parts == 0, "a part after the usage part");
            match p {
                Part::Reasoning(r) => {
                    prop_assert!(!r.is_empty());
                    reasoning_parts.push_str(&state.reasoning()[r.clone()]);
                }
                Part::Answer(r) => {
                    prop_assert!(!r.is_empty());
                    answer_parts.push_str(&state.answer()[r.clone()]);
                }
                Part::Usage => usage_parts += 1,
            }
            // Coalesced within one read: never two texts of one type in a row.
            let same = matches!(
                (prev, p),
                (Some(Part::Reasoning(_)), Part::Reasoning(_))
                    | (Some(Part::Answer(_)), Part::Answer(_))
            );
            prop_assert!(!same, "uncoalesced parts {:?}", feed.parts);
            prev = Some(p);
        }
        // The running texts always equal the parts so far.
        prop_assert_eq!(&reasoning_parts, state.reasoning());
        prop_assert_eq!(&answer_parts, state.answer());
    }
    prop_assert_eq!(state.end(), Ok(()));
    prop_assert_eq!(usage_parts, usize::from(state.usage().is_some()));
    Ok(Outcome {
        reasoning_parts,
        answer_parts,
        state,
    })
}

proptest! {
    #[test]
    fn any_split_gives_the_generated_reply(t in transcript(), cuts in cuts()) {
        let bytes = t.bytes();
        let whole = drive(&t, std::slice::from_ref(&bytes))?;
        let split = drive(&t, &pieces(&bytes, &cuts))?;
        let want_reasoning: String = t.reasoning.concat();
        let want_answer: String = t.answer.concat();
        for o in [&whole, &split] {
            prop_assert_eq!(&o.reasoning_parts, &want_reasoning);
            prop_assert_eq!(&o.answer_parts, &want_answer);
            let s = &o.state;
            prop_assert_eq!(s.finish_reason(), Some(t.finish));
            prop_assert_eq!(s.usage().cloned(), t.expected_usage());
            prop_assert!(s.is_done());
            match t.protocol {
                Protocol::OpenAi => {
                    prop_assert_eq!(s.request_id(), Some("chatcmpl-42"));
                    prop_assert_eq!(s.model(), "qwen3-vl-plus");
                }
                Protocol::DashScope => {
                    prop_assert_eq!(s.request_id(), Some("rid-7"));
                    prop_assert_eq!(s.model(), "asked");
                }
            }
        }
        prop_assert_eq!(whole.state.completion(), split.state.completion());
    }
}
