//! Helpers shared by the SSE tests: a sink that records everything the
//! parser reports, in order.

use visual_reasoning::sse::{Event, Sink, SseError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Event {
        event: String,
        data: String,
        id: String,
    },
    Comment(String),
    Retry(u64),
}

#[derive(Default)]
pub struct Record(pub Vec<Out>);

impl Sink for Record {
    fn event(&mut self, e: &Event<'_>) {
        self.0.push(Out::Event {
            event: e.event.into(),
            data: e.data.into(),
            id: e.id.into(),
        });
    }
    fn comment(&mut self, text: &str) {
        self.0.push(Out::Comment(text.into()));
    }
    fn retry(&mut self, ms: u64) {
        self.0.push(Out::Retry(ms));
    }
}

pub type Run = (Vec<Out>, Result<(), SseError>);
