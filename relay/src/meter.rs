//! Reads the usage the upstream reports in the reply the relay forwards,
//! with the core's own SSE parser and codecs, without holding any chunk
//! back: each chunk is parsed and passed on in the same poll.
//!
//! A stream's events each go through `protocol::decode_json_response`
//! (the codec reads a chunk's `delta` as it reads a whole reply's
//! `message`): the latest usage object is kept (DashScope's is cumulative,
//! OpenAI's comes last), and the bytes of text forwarded are counted for a
//! stream that ends without usage. A JSON reply (`stream: false`) is copied
//! up to a bound and decoded when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use visual_reasoning::protocol::{decode_json_response, Protocol};
use visual_reasoning::sse::{self, Event, Parser};
use visual_reasoning::reply::Usage;

/// JSON replies longer than this are not decoded (their usage is lost and
/// the text rule applies).
const MAX_JSON_COPY: usize = 4 << 20;

/// What one forwarded reply reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    pub usage: Option<Usage>,
    /// UTF-8 bytes of reasoning and answer text forwarded.
    pub text_bytes: u64,
    /// The body was read to its end (not abandoned, not broken off).
    pub complete: bool,
}

impl Counted {
    /// The usage's total (as reported, else input + output).
    pub fn total(&self) -> Option<u64> {
        self.usage.as_ref().map(|u| u.total_tokens)
    }
}

struct UsageSink {
    protocol: Protocol,
    counted: Counted,
}

impl sse::Sink for UsageSink {
    fn event(&mut self, event: &Event<'_>) {
        if event.data == "[DONE]" || event.event == "error" {
            return;
        }
        if let Ok(c) = decode_json_response(self.protocol, event.data.as_bytes(), "") {
            self.counted.text_bytes += (c.reasoning.len() + c.answer.len()) as u64;
            if c.usage.is_some() {
                self.counted.usage = c.usage;
            }
        }
    }
}

enum Reading {
    Sse(Parser),
    Json(Vec<u8>),
    /// A JSON reply past [`MAX_JSON_COPY`]: not counted.
    Off,
}

/// Watches the bytes of one reply.
pub struct Meter {
    reading: Reading,
    sink: UsageSink,
}

impl Meter {
    /// For a 200 reply of `content_type`.
    pub fn new(protocol: Protocol, content_type: Option<&str>) -> Self {
        let sse = content_type.is_some_and(|c| {
            c.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        });
        Meter {
            // The same cap per event as the library's.
            reading: if sse {
                Reading::Sse(Parser::new())
            } else {
                Reading::Json(Vec::new())
            },
            sink: UsageSink {
                protocol,
                counted: Counted::default(),
            },
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        match &mut self.reading {
            // A parse error (an event past 16 MiB) stops the counting; the
            // bytes still pass unchanged.
            Reading::Sse(p) => {
                let _ = p.feed(chunk, &mut self.sink);
            }
            Reading::Json(buf) if buf.len() + chunk.len() <= MAX_JSON_COPY => {
                buf.extend_from_slice(chunk);
            }
            Reading::Json(_) => self.reading = Reading::Off,
            Reading::Off => {}
        }
    }

    /// The count so far; `complete` says whether the body ended normally.
    pub fn finish(&mut self, complete: bool) -> Counted {
        if let Reading::Json(buf) = &mut self.reading {
            if complete && !buf.is_empty() {
                if let Ok(c) = decode_json_response(self.sink.protocol, buf, "") {
                    self.sink.counted.text_bytes += (c.reasoning.len() + c.answer.len()) as u64;
                    self.sink.counted.usage = c.usage;
                }
            }
        }
        self.reading = Reading::Off;
        let mut c = std::mem::take(&mut self.sink.counted);
        c.complete = complete;
        c
    }
}

/// A body stream that feeds a [`Meter`] and calls `done` once with the
/// count, when the stream ends, fails, or is dropped (the client left).
pub struct Metered<S> {
    inner: S,
    /// `None`: only the end is reported (nothing is counted).
    meter: Option<Meter>,
    done: Option<Box<dyn FnOnce(Counted) + Send>>,
}

impl<S> Metered<S> {
    pub fn new(inner: S, meter: Option<Meter>, done: Box<dyn FnOnce(Counted) + Send>) -> Self {
        Metered {
            inner,
            meter,
            done: Some(done),
        }
    }

    fn end(&mut self, complete: bool) {
        if let Some(done) = self.done.take() {
            let c = match &mut self.meter {
                Some(m) => m.finish(complete),
                None => Counted {
                    complete,
                    ..Counted::default()
                },
            };
            done(c);
        }
    }
}

impl<S, E> Stream for Metered<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let (Some(m), true) = (&mut this.meter, this.done.is_some()) {
                    m.feed(&chunk);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.end(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.end(true);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Drop for Metered<S> {
    fn drop(&mut self) {
        self.end(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: &str = concat!(
        "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"reasoning_content\":\"think\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"x=70\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":1266,\"completion_tokens\":412,\"total_tokens\":1678,\"completion_tokens_details\":{\"reasoning_tokens\":380}}}\n\n",
        "data: [DONE]\n\n",
    );

    const DASHSCOPE: &str = concat!(
        ":HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":[],\"reasoning_content\":\"think\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":1266,\"output_tokens\":3,\"output_tokens_details\":{\"reasoning_tokens\":3},\"total_tokens\":1269}}\n\n",
        "data:{\"output\":{\"choices\":[{\"message\":{\"content\":[{\"text\":\"x=70\"}]},\"finish_reason\":\"stop\"}]},\"usage\":{\"input_tokens\":1266,\"output_tokens\":412,\"output_tokens_details\":{\"reasoning_tokens\":380},\"total_tokens\":1678}}\n\n",
    );

    fn count(protocol: Protocol, text: &str, split: usize) -> Counted {
        let mut m = Meter::new(protocol, Some("text/event-stream; charset=utf-8"));
        for piece in text.as_bytes().chunks(split.max(1)) {
            m.feed(piece);
        }
        m.finish(true)
    }

    #[test]
    fn both_protocols_report_the_same_usage_whatever_the_reads() {
        for split in [1, 3, 17, 1000] {
            for (p, text) in [(Protocol::OpenAi, OPENAI), (Protocol::DashScope, DASHSCOPE)] {
                let c = count(p, text, split);
                let u = c.usage.as_ref().unwrap();
                assert_eq!(
                    (u.input_tokens, u.output_tokens, u.total_tokens),
                    (1266, 412, 1678)
                );
                assert_eq!(u.reasoning_tokens, Some(380));
                assert_eq!(c.text_bytes, 9, "{p:?} split {split}");
            }
        }
    }

    #[test]
    fn a_stream_cut_short_keeps_its_text_count() {
        let cut = &OPENAI[..OPENAI.find("data: {\"id\":\"c\",\"choices\":[]").unwrap()];
        let mut m = Meter::new(Protocol::OpenAi, Some("text/event-stream"));
        m.feed(cut.as_bytes());
        let c = m.finish(false);
        assert_eq!((c.usage, c.text_bytes, c.complete), (None, 9, false));
    }

    #[test]
    fn json_replies_are_decoded_at_the_end() {
        let body = r#"{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#;
        let mut m = Meter::new(Protocol::OpenAi, Some("application/json"));
        for piece in body.as_bytes().chunks(10) {
            m.feed(piece);
        }
        assert_eq!(m.finish(true).total(), Some(7));
    }

    #[test]
    fn garbage_counts_nothing_and_never_panics() {
        let mut m = Meter::new(Protocol::DashScope, Some("text/event-stream"));
        m.feed(b"data: {\"usage\":{\"input_tokens\":\"x\"}}\n\ndata: not json\n\n\xff\xfe\n\n");
        let c = m.finish(true);
        assert_eq!(c.text_bytes, 0);
    }
}
