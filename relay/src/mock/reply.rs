//! Rendering one reply in either protocol's bytes (PROTOCOL.md §3, §4):
//! SSE events one at a time (so the server can pace them and the
//! `transcript` command can write millions of tokens), or one JSON body.

use serde_json::{json, Map, Value};
use visual_reasoning::protocol::Protocol;

/// Input-side token counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputUsage {
    pub text: u64,
    pub image: u64,
    pub video: u64,
}

impl InputUsage {
    pub fn total(&self) -> u64 {
        self.text + self.image + self.video
    }
}

/// `event` with its usage object made invalid JSON (a bare `tru` inside,
/// which skips over as well-bracketed text), the rest untouched; an event
/// without a usage object is returned as is.
pub fn break_usage(event: String) -> String {
    event.replacen("\"usage\":{", "\"usage\":{\"x\":tru,", 1)
}

/// Everything about one reply; built by the mock from the request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub protocol: Protocol,
    pub model: String,
    /// Bare request id (a UUID); openai's `id` is `chatcmpl-` + this.
    pub request_id: String,
    pub created: u64,
    /// Whether the model thinks in this reply (then `reasoning_content`
    /// appears in every delta; otherwise it is left out).
    pub thinking: bool,
    pub reasoning: Vec<String>,
    pub answer: Vec<String>,
    pub finish_reason: &'static str,
    pub input: InputUsage,
    /// QVQ reports its thinking as plain output text in the usage.
    pub qvq: bool,
    /// openai: `stream_options.include_usage`.
    pub include_usage: bool,
    /// dashscope: `incremental_output` (false repeats the text so far).
    pub incremental: bool,
}

/// Token counts per event, cycled: upstream chunks carry a few tokens each.
const CHUNK: [usize; 8] = [2, 3, 1, 4, 3, 2, 1, 3];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Reasoning(usize, usize),
    Answer(usize, usize),
    Finish,
    Usage,
    Done,
}

/// One SSE event of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The complete event, blank line included.
    pub bytes: String,
    /// Text tokens it carries (0 for finish/usage/[DONE]): pacing uses this.
    pub tokens: usize,
}

impl Reply {
    fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut k = 0;
        for (len, is_answer) in [(self.reasoning.len(), false), (self.answer.len(), true)] {
            let mut i = 0;
            while i < len {
                let end = (i + CHUNK[k % CHUNK.len()]).min(len);
                k += 1;
                steps.push(if is_answer {
                    Step::Answer(i, end)
                } else {
                    Step::Reasoning(i, end)
                });
                i = end;
            }
        }
        steps.push(Step::Finish);
        if self.protocol == Protocol::OpenAi {
            if self.include_usage {
                steps.push(Step::Usage);
            }
            steps.push(Step::Done);
        }
        steps
    }

    /// The reply's SSE events, in order.
    pub fn events(&self) -> Events<'_> {
        Events {
            reply: self,
            steps: self.steps(),
            next: 0,
            seq: 0,
        }
    }

    fn openai_id(&self) -> String {
        format!("chatcmpl-{}", self.request_id)
    }

    fn output_tokens(&self, reasoning: usize, answer: usize) -> (u64, u64) {
        (reasoning as u64, answer as u64)
    }

    fn openai_usage(&self) -> Value {
        let (r, a) = self.output_tokens(self.reasoning.len(), self.answer.len());
        let mut prompt = Map::new();
        prompt.insert("text_tokens".into(), self.input.text.into());
        if self.input.image > 0 {
            prompt.insert("image_tokens".into(), self.input.image.into());
        }
        if self.input.video > 0 {
            prompt.insert("video_tokens".into(), self.input.video.into());
        }
        let completion = if self.qvq {
            json!({ "text_tokens": r + a })
        } else if self.thinking {
            json!({ "reasoning_tokens": r, "text_tokens": a })
        } else {
            json!({ "text_tokens": a })
        };
        json!({
            "prompt_tokens": self.input.total(),
            "completion_tokens": r + a,
            "total_tokens": self.input.total() + r + a,
            "prompt_tokens_details": prompt,
            "completion_tokens_details": completion,
        })
    }

    /// DashScope's cumulative usage after `reasoning` + `answer` tokens.
    fn dashscope_usage(&self, reasoning: usize, answer: usize) -> Value {
        let (r, a) = self.output_tokens(reasoning, answer);
        let mut input = Map::new();
        input.insert("text_tokens".into(), self.input.text.into());
        if self.input.image > 0 {
            input.insert("image_tokens".into(), self.input.image.into());
        }
        if self.input.video > 0 {
            input.insert("video_tokens".into(), self.input.video.into());
        }
        let output = if self.qvq {
            json!({ "text_tokens": r + a })
        } else if self.thinking {
            json!({ "reasoning_tokens": r, "text_tokens": a })
        } else {
            json!({ "text_tokens": a })
        };
        let mut u = Map::new();
        u.insert("input_tokens".into(), self.input.total().into());
        u.insert("output_tokens".into(), (r + a).into());
        u.insert("input_tokens_details".into(), Value::Object(input));
        u.insert("output_tokens_details".into(), output);
        u.insert("total_tokens".into(), (self.input.total() + r + a).into());
        if self.input.image > 0 {
            u.insert("image_tokens".into(), self.input.image.into());
        }
        if self.input.video > 0 {
            u.insert("video_tokens".into(), self.input.video.into());
        }
        Value::Object(u)
    }

    fn openai_chunk(&self, delta: Value, finish: Value) -> String {
        let mut chunk = json!({
            "id": self.openai_id(),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish, "logprobs": null }],
        });
        if self.include_usage {
            // With include_usage every chunk before the usage one says so.
            chunk["usage"] = Value::Null;
        }
        format!("data: {chunk}\n\n")
    }

    fn dashscope_event(&self, seq: usize, message: Value, finish: &str, usage: Value) -> String {
        let data = json!({
            "output": { "choices": [{ "message": message, "finish_reason": finish }] },
            "usage": usage,
            "request_id": self.request_id,
        });
        format!("id:{seq}\nevent:result\n:HTTP_STATUS/200\ndata:{data}\n\n")
    }

    /// The in-stream error event (content moderation, PROTOCOL.md §3).
    pub fn error_event(&self, seq: usize) -> String {
        let message = "Output data may contain inappropriate content.";
        match self.protocol {
            Protocol::OpenAi => format!(
                "data: {}\n\n",
                crate::errors::body(
                    Some(Protocol::OpenAi),
                    crate::errors::DATA_INSPECTION,
                    message,
                    &self.request_id
                )
            ),
            Protocol::DashScope => format!(
                "id:{seq}\nevent:error\n:HTTP_STATUS/400\ndata:{}\n\n",
                crate::errors::body(
                    Some(Protocol::DashScope),
                    crate::errors::DATA_INSPECTION,
                    message,
                    &self.request_id
                )
            ),
        }
    }

    /// A deliberately malformed event in the protocol's framing.
    pub fn bad_json_event(&self, seq: usize) -> String {
        match self.protocol {
            Protocol::OpenAi => format!(
                "data: {{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"delta\":{{\"content\":\"tru\n\n",
                self.openai_id()
            ),
            Protocol::DashScope => format!(
                "id:{seq}\nevent:result\n:HTTP_STATUS/200\ndata:{{\"output\":{{\"choices\":[{{\"message\":{{\"content\":[{{\"text\n\n"
            ),
        }
    }

    /// The non-streaming JSON body (PROTOCOL.md §4).
    pub fn json_body(&self) -> String {
        let reasoning = self.reasoning.concat();
        let answer = self.answer.concat();
        let v = match self.protocol {
            Protocol::OpenAi => {
                let mut message = json!({ "role": "assistant", "content": answer });
                if self.thinking {
                    message["reasoning_content"] = reasoning.into();
                }
                json!({
                    "id": self.openai_id(),
                    "object": "chat.completion",
                    "created": self.created,
                    "model": self.model,
                    "choices": [{ "index": 0, "message": message, "finish_reason": self.finish_reason, "logprobs": null }],
                    "usage": self.openai_usage(),
                })
            }
            Protocol::DashScope => {
                let mut message = json!({ "role": "assistant", "content": [{ "text": answer }] });
                if self.thinking {
                    message["reasoning_content"] = reasoning.into();
                }
                json!({
                    "output": { "choices": [{ "message": message, "finish_reason": self.finish_reason }] },
                    "usage": self.dashscope_usage(self.reasoning.len(), self.answer.len()),
                    "request_id": self.request_id,
                })
            }
        };
        v.to_string()
    }
}

/// Iterator over a reply's events.
#[derive(Debug)]
pub struct Events<'a> {
    reply: &'a Reply,
    steps: Vec<Step>,
    next: usize,
    /// DashScope `id:` of the last event sent.
    seq: usize,
}

impl Events<'_> {
    /// The `id:` the next DashScope event will carry.
    pub fn next_seq(&self) -> usize {
        self.seq + 1
    }
}

impl Iterator for Events<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let step = *self.steps.get(self.next)?;
        let first = self.next == 0;
        self.next += 1;
        self.seq += 1;
        let r = self.reply;
        let thinking = r.thinking;
        let event = match r.protocol {
            Protocol::OpenAi => match step {
                Step::Reasoning(a, b) => {
                    let text = r.reasoning[a..b].concat();
                    let delta = if first {
                        json!({ "role": "assistant", "content": null, "reasoning_content": text })
                    } else {
                        json!({ "content": null, "reasoning_content": text })
                    };
                    Event {
                        bytes: r.openai_chunk(delta, Value::Null),
                        tokens: b - a,
                    }
                }
                Step::Answer(a, b) => {
                    let text = r.answer[a..b].concat();
                    let mut delta = Map::new();
                    if first {
                        delta.insert("role".into(), "assistant".into());
                    }
                    delta.insert("content".into(), text.into());
                    if thinking {
                        delta.insert("reasoning_content".into(), Value::Null);
                    }
                    Event {
                        bytes: r.openai_chunk(Value::Object(delta), Value::Null),
                        tokens: b - a,
                    }
                }
                Step::Finish => {
                    let mut delta = Map::new();
                    if first {
                        delta.insert("role".into(), "assistant".into());
                    }
                    delta.insert("content".into(), "".into());
                    if thinking {
                        delta.insert("reasoning_content".into(), Value::Null);
                    }
                    Event {
                        bytes: r.openai_chunk(Value::Object(delta), r.finish_reason.into()),
                        tokens: 0,
                    }
                }
                Step::Usage => {
                    let chunk = json!({
                        "id": r.openai_id(),
                        "object": "chat.completion.chunk",
                        "created": r.created,
                        "model": r.model,
                        "choices": [],
                        "usage": r.openai_usage(),
                    });
                    Event {
                        bytes: format!("data: {chunk}\n\n"),
                        tokens: 0,
                    }
                }
                Step::Done => Event {
                    bytes: "data: [DONE]\n\n".into(),
                    tokens: 0,
                },
            },
            Protocol::DashScope => {
                // Tokens sent once this event is out (usage is cumulative).
                let (r_end, a_end, tokens) = match step {
                    Step::Reasoning(a, b) => (b, 0, b - a),
                    Step::Answer(a, b) => (r.reasoning.len(), b, b - a),
                    _ => (r.reasoning.len(), r.answer.len(), 0),
                };
                let (reasoning, answer) = match (step, r.incremental) {
                    (Step::Reasoning(a, b), true) => (r.reasoning[a..b].concat(), None),
                    (Step::Answer(a, b), true) => (String::new(), Some(r.answer[a..b].concat())),
                    (Step::Reasoning(_, b), false) => (r.reasoning[..b].concat(), None),
                    (Step::Answer(_, b), false) => {
                        (r.reasoning.concat(), Some(r.answer[..b].concat()))
                    }
                    (_, true) => (String::new(), None),
                    (_, false) => (r.reasoning.concat(), Some(r.answer.concat())),
                };
                let content = match answer {
                    Some(t) if !t.is_empty() => json!([{ "text": t }]),
                    _ => json!([]),
                };
                let message = if thinking {
                    json!({ "content": content, "reasoning_content": reasoning, "role": "assistant" })
                } else {
                    json!({ "content": content, "role": "assistant" })
                };
                let finish = if step == Step::Finish {
                    r.finish_reason
                } else {
                    "null"
                };
                Event {
                    bytes: r.dashscope_event(
                        self.seq,
                        message,
                        finish,
                        r.dashscope_usage(r_end, a_end),
                    ),
                    tokens,
                }
            }
        };
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(protocol: Protocol) -> Reply {
        Reply {
            protocol,
            model: "qwen3-vl-plus".into(),
            request_id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
            created: 1_764_300_000,
            thinking: true,
            reasoning: vec!["The".into(), " figure".into(), " shows".into()],
            answer: vec!["$x".into(), " = 70^\\circ$".into()],
            finish_reason: "stop",
            input: InputUsage {
                text: 746,
                image: 520,
                video: 0,
            },
            qvq: false,
            include_usage: true,
            incremental: true,
        }
    }

    #[test]
    fn openai_events_in_order() {
        let all: Vec<String> = reply(Protocol::OpenAi).events().map(|e| e.bytes).collect();
        assert!(all[0].starts_with("data: {\"id\":\"chatcmpl-a1b2c3d4-0000-4000-8000-000000000001\",\"object\":\"chat.completion.chunk\",\"created\":1764300000,\"model\":\"qwen3-vl-plus\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"The figure\"},\"finish_reason\":null,\"logprobs\":null}],\"usage\":null}"));
        assert!(all[all.len() - 3].contains("\"finish_reason\":\"stop\""));
        assert!(all[all.len() - 2]
            .contains("\"choices\":[],\"usage\":{\"prompt_tokens\":1266,\"completion_tokens\":5,"));
        assert_eq!(all[all.len() - 1], "data: [DONE]\n\n");
    }

    #[test]
    fn dashscope_usage_is_cumulative_and_finish_is_a_string() {
        let all: Vec<String> = reply(Protocol::DashScope)
            .events()
            .map(|e| e.bytes)
            .collect();
        assert!(all[0].starts_with("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":[],\"reasoning_content\":\"The figure\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":1266,\"output_tokens\":2,"));
        let last = all.last().unwrap();
        assert!(last.starts_with(&format!("id:{}\n", all.len())));
        assert!(last.contains("\"finish_reason\":\"stop\""));
        assert!(last.contains("\"output_tokens\":5,"));
    }

    #[test]
    fn non_incremental_repeats_the_text_so_far() {
        let mut r = reply(Protocol::DashScope);
        r.incremental = false;
        let all: Vec<String> = r.events().map(|e| e.bytes).collect();
        assert!(all[1].contains("\"reasoning_content\":\"The figure shows\""));
    }

    #[test]
    fn break_usage_breaks_only_a_usage_object() {
        for protocol in [Protocol::OpenAi, Protocol::DashScope] {
            let r = reply(protocol);
            let closing = r
                .events()
                .filter(|e| e.tokens == 0 && e.bytes.contains("\"usage\":{"));
            let closing: Vec<Event> = closing.collect();
            assert_eq!(
                closing.len(),
                1,
                "{protocol:?}: one closing event has a usage object"
            );
            let broken = break_usage(closing[0].bytes.clone());
            assert!(broken.contains("\"usage\":{\"x\":tru,\""), "{broken}");
            let data = broken
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .unwrap();
            assert!(serde_json::from_str::<Value>(data.trim()).is_err());
        }
        assert_eq!(break_usage("data: [DONE]\n\n".into()), "data: [DONE]\n\n");
    }
}
