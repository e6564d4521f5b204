//! `ReasoningStream` and its async iterator, over one shared state.
//!
//! The reader task (reader.rs) pushes parts into a queue as reads arrive;
//! `next()` takes from the queue or parks a resolver. Every method borrows
//! the state only synchronously and never across an `.await`, because JS
//! may call `next()` again before the previous promise settles
//! (wasm-bindgen #4440: "recursive use of an object").

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{Function, JsString, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

use super::convert;
use super::reader;
use crate::error::{Error, ErrorKind};
use crate::protocol::Protocol;
use crate::stream::{Completion, Part, StreamState};

pub(crate) enum End {
    Running,
    Finished,
    /// `delivered`: the iterator has thrown it once; later `next()` calls
    /// say `done` as a finished JS iterator does.
    Failed {
        error: JsValue,
        delivered: bool,
    },
}

/// Which timer is armed: before headers a timeout is retried, inside the
/// body it ends the stream.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Headers,
    Body,
    /// After the last event: waiting briefly for the server to close.
    Drain,
}

/// Called with the answer when a stream finishes with a finish reason
/// (Conversation commits its turn there).
pub(crate) type Commit = Box<dyn FnOnce(&JsValue)>;

pub(crate) struct Inner {
    pub core: StreamState,
    /// Running texts as JS strings: appending is a rope concat in the
    /// engine, so reading `.reasoning` after every part stays linear.
    reasoning: JsString,
    answer: JsString,
    usage: Option<JsValue>,
    usage_stale: bool,
    /// The decoded body of a `transport: "json"` request.
    json: Option<Completion>,
    parts: VecDeque<JsValue>,
    end: End,
    waiters: VecDeque<(Function, Function)>,
    results: Vec<(Function, Function)>,
    controller: Option<AbortController>,
    timer: Option<JsValue>,
    phase: Phase,
    timed_out: bool,
    /// Resolves a pending backoff sleep early when the stream ends.
    wake: Option<Function>,
    signal: Option<AbortSignal>,
    commit: Option<Commit>,
    idle_ms: f64,
    /// `Date.now()` of the last data-carrying event: the idle timer is
    /// armed once and re-armed from here when it fires, rather than
    /// cleared and set again on every read (setTimeout is not free).
    last_data: f64,
}

pub(crate) struct Shared {
    pub inner: RefCell<Inner>,
    on_timer: Closure<dyn FnMut()>,
    on_signal: Option<Closure<dyn FnMut()>>,
}

/// A timer delay JS can honour: `setTimeout` treats anything past 2^31-1 ms
/// (say `Infinity`, "no timeout") as 0 and would fire at once.
fn delay_ok(ms: f64) -> bool {
    ms.is_finite() && ms <= 2_147_483_647.0
}

impl Shared {
    pub(crate) fn new(
        protocol: Protocol,
        model: &str,
        idle_ms: f64,
        signal: Option<AbortSignal>,
        commit: Option<Commit>,
    ) -> Rc<Shared> {
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            let w = weak.clone();
            let on_timer = Closure::<dyn FnMut()>::new(move || {
                if let Some(s) = w.upgrade() {
                    s.timer_fired();
                }
            });
            let on_signal = signal.as_ref().map(|_| {
                let w = weak.clone();
                Closure::<dyn FnMut()>::new(move || {
                    if let Some(s) = w.upgrade() {
                        s.fail(&Error::new(
                            ErrorKind::Abort,
                            "the request was aborted by its signal",
                        ));
                    }
                })
            });
            Shared {
                inner: RefCell::new(Inner {
                    core: StreamState::new(protocol, model),
                    reasoning: JsString::from(""),
                    answer: JsString::from(""),
                    usage: None,
                    usage_stale: false,
                    json: None,
                    parts: VecDeque::new(),
                    end: End::Running,
                    waiters: VecDeque::new(),
                    results: Vec::new(),
                    controller: None,
                    timer: None,
                    phase: Phase::Headers,
                    timed_out: false,
                    wake: None,
                    signal: None,
                    commit,
                    idle_ms,
                    last_data: 0.0,
                }),
                on_timer,
                on_signal,
            }
        });
        if let (Some(sig), Some(cb)) = (signal, shared.on_signal.as_ref()) {
            if sig.aborted() {
                shared.fail(&Error::new(
                    ErrorKind::Abort,
                    "the request was aborted by its signal",
                ));
            } else {
                let _ = sig.add_event_listener_with_callback("abort", cb.as_ref().unchecked_ref());
                shared.inner.borrow_mut().signal = Some(sig);
            }
        }
        shared
    }

    pub(crate) fn is_running(&self) -> bool {
        matches!(self.inner.borrow().end, End::Running)
    }

    // ------------------------------------------------------------ timers

    /// Replaces the armed timer (if any) with one of `phase` after `ms`.
    pub(crate) fn arm(&self, phase: Phase, ms: f64) {
        let mut s = self.inner.borrow_mut();
        if let Some(id) = s.timer.take() {
            reader::clear_timeout(&id);
        }
        s.phase = phase;
        if delay_ok(ms) {
            s.timer = Some(reader::set_timeout(
                self.on_timer.as_ref().unchecked_ref(),
                ms,
            ));
        }
    }

    pub(crate) fn disarm(&self) {
        if let Some(id) = self.inner.borrow_mut().timer.take() {
            reader::clear_timeout(&id);
        }
    }

    fn timer_fired(&self) {
        let (phase, controller, rest) = {
            let mut s = self.inner.borrow_mut();
            s.timer = None;
            if s.phase == Phase::Headers {
                s.timed_out = true;
            }
            let rest = s.last_data + s.idle_ms - js_sys::Date::now();
            (s.phase, s.controller.clone(), rest)
        };
        match phase {
            // Data came since the timer was set: wait out the remainder.
            Phase::Body if rest >= 1.0 => self.arm(Phase::Body, rest),
            Phase::Body => self.fail(&Error::new(
                ErrorKind::Timeout,
                "no data arrived for idleTimeoutMs: the stream stalled",
            )),
            // The attempt's fetch rejects; reader.rs sees `timed_out`.
            Phase::Headers | Phase::Drain => {
                if let Some(c) = controller {
                    c.abort();
                }
            }
        }
    }

    /// A new attempt: its own AbortController and the headers timer.
    pub(crate) fn begin_attempt(&self, controller: AbortController, timeout_ms: f64) {
        {
            let mut s = self.inner.borrow_mut();
            s.controller = Some(controller);
            s.timed_out = false;
        }
        self.arm(Phase::Headers, timeout_ms);
    }

    pub(crate) fn take_timed_out(&self) -> bool {
        std::mem::take(&mut self.inner.borrow_mut().timed_out)
    }

    pub(crate) fn controller(&self) -> Option<AbortController> {
        self.inner.borrow().controller.clone()
    }

    pub(crate) fn enter_body(&self) {
        let ms = {
            let mut s = self.inner.borrow_mut();
            s.last_data = js_sys::Date::now();
            s.idle_ms
        };
        self.arm(Phase::Body, ms);
    }

    /// Waits `ms` (a retry's backoff), or less if the stream ends meanwhile.
    pub(crate) async fn sleep(&self, ms: f64) {
        let ms = if delay_ok(ms) { ms } else { 60_000.0 };
        let p = Promise::new(&mut |resolve, _reject| {
            let id = reader::set_timeout(&resolve, ms);
            let mut s = self.inner.borrow_mut();
            s.timer = Some(id);
            s.wake = Some(resolve);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        self.inner.borrow_mut().wake = None;
    }

    // ------------------------------------------------------------ data

    /// One body read: feed the core, turn its coalesced parts into JS
    /// objects, hand them to parked `next()` calls. Returns whether the
    /// core has seen the end of the reply.
    pub(crate) fn feed(&self, bytes: &[u8]) -> Result<bool, Error> {
        let mut guard = self.inner.borrow_mut();
        let s = &mut *guard;
        let feed = s.core.feed(bytes)?;
        if s.core.usage().is_some() {
            s.usage_stale = true;
        }
        for part in feed.parts {
            let value = match part {
                Part::Reasoning(r) => s.core.reasoning().get(r).map(convert::js_string).map(|t| {
                    s.reasoning = s.reasoning.concat(&t);
                    convert::part("reasoning", "text", &t)
                }),
                Part::Answer(r) => s.core.answer().get(r).map(convert::js_string).map(|t| {
                    s.answer = s.answer.concat(&t);
                    convert::part("answer", "text", &t)
                }),
                Part::Usage => {
                    let u = s.usage_js();
                    Some(convert::part("usage", "usage", &u))
                }
            };
            if let Some(v) = value {
                s.parts.push_back(v);
            }
        }
        while !s.parts.is_empty() && !s.waiters.is_empty() {
            if let (Some(p), Some((resolve, _))) = (s.parts.pop_front(), s.waiters.pop_front()) {
                let _ = resolve.call1(&JsValue::UNDEFINED, &convert::step(&p, false));
            }
        }
        if feed.data_events > 0 {
            s.last_data = js_sys::Date::now();
        }
        Ok(s.core.is_done())
    }

    pub(crate) fn set_json(&self, c: Completion) {
        let mut s = self.inner.borrow_mut();
        s.answer = convert::js_string(&c.answer);
        s.reasoning = convert::js_string(&c.reasoning);
        s.json = Some(c);
    }

    // ------------------------------------------------------------ ending

    /// The reply finished: resolve everything waiting, commit the turn.
    pub(crate) fn succeed(&self) {
        let (commit, answer) = {
            let s = self.inner.borrow();
            (matches!(s.end, End::Running), s.answer.clone())
        };
        if !commit {
            return;
        }
        self.finalize(End::Finished, false);
        let commit = self.inner.borrow_mut().commit.take();
        if let Some(c) = commit {
            c(&answer);
        }
    }

    /// Ends the stream with `e` (no-op once ended), attaching what text
    /// had arrived as `partial`.
    pub(crate) fn fail(&self, e: &Error) {
        self.end_with(e, false);
    }

    /// `return()` from the iterator: stop quietly. Pending and later
    /// `next()` calls say done; a later `result()` rejects with AbortError.
    pub(crate) fn stop(&self) {
        self.end_with(
            &Error::new(
                ErrorKind::Abort,
                "the stream was stopped before it finished (the for await loop was left)",
            ),
            true,
        );
    }

    fn end_with(&self, e: &Error, delivered: bool) {
        let error = {
            let s = self.inner.borrow();
            if !matches!(s.end, End::Running) {
                return;
            }
            let partial = if s.core.has_text() {
                Some(convert::completion(&s.core.partial()))
            } else {
                None
            };
            convert::error(e, partial.as_ref())
        };
        // An abort means "stop now": parts already queued are dropped.
        let drop_queue = e.kind == ErrorKind::Abort;
        self.finalize(End::Failed { error, delivered }, drop_queue);
    }

    fn finalize(&self, end: End, drop_queue: bool) {
        let failed = matches!(end, End::Failed { .. });
        let (waiters, results, controller, timer, wake, signal) = {
            let mut s = self.inner.borrow_mut();
            s.end = end;
            if drop_queue {
                s.parts.clear();
            }
            (
                std::mem::take(&mut s.waiters),
                std::mem::take(&mut s.results),
                s.controller.clone(),
                s.timer.take(),
                s.wake.take(),
                s.signal.take(),
            )
        };
        if let Some(id) = timer {
            reader::clear_timeout(&id);
        }
        if let Some(w) = wake {
            let _ = w.call0(&JsValue::UNDEFINED);
        }
        if let (Some(sig), Some(cb)) = (signal, self.on_signal.as_ref()) {
            let _ = sig.remove_event_listener_with_callback("abort", cb.as_ref().unchecked_ref());
        }
        if failed {
            // Closes the connection: the pending fetch or read rejects and
            // the reader task exits through its drop guard.
            if let Some(c) = controller {
                c.abort();
            }
        }
        for (resolve, reject) in waiters {
            self.settle_next(&resolve, &reject);
        }
        for (resolve, reject) in results {
            self.settle_result(&resolve, &reject);
        }
    }

    fn settle_next(&self, resolve: &Function, reject: &Function) {
        let mut s = self.inner.borrow_mut();
        if let End::Failed { error, delivered } = &mut s.end {
            if !*delivered {
                *delivered = true;
                let e = error.clone();
                drop(s);
                let _ = reject.call1(&JsValue::UNDEFINED, &e);
                return;
            }
        }
        drop(s);
        let _ = resolve.call1(
            &JsValue::UNDEFINED,
            &convert::step(&JsValue::UNDEFINED, true),
        );
    }

    fn settle_result(&self, resolve: &Function, reject: &Function) {
        match self.outcome() {
            Ok(r) => resolve.call1(&JsValue::UNDEFINED, &r),
            Err(e) => reject.call1(&JsValue::UNDEFINED, &e),
        }
        .ok();
    }

    /// The Result once finished, the error once failed.
    fn outcome(&self) -> Result<JsValue, JsValue> {
        let mut s = self.inner.borrow_mut();
        match &s.end {
            End::Failed { error, .. } => Err(error.clone()),
            _ => Ok(s.result_js()),
        }
    }

    // ------------------------------------------------------------ JS side

    pub(crate) fn next(self: &Rc<Self>) -> Promise {
        let mut s = self.inner.borrow_mut();
        if let Some(p) = s.parts.pop_front() {
            return Promise::resolve(&convert::step(&p, false));
        }
        match &mut s.end {
            End::Running => {
                drop(s);
                Promise::new(&mut |resolve, reject| {
                    self.inner.borrow_mut().waiters.push_back((resolve, reject));
                })
            }
            End::Failed { error, delivered } if !*delivered => {
                *delivered = true;
                Promise::reject(error)
            }
            _ => Promise::resolve(&convert::step(&JsValue::UNDEFINED, true)),
        }
    }

    pub(crate) fn result(self: &Rc<Self>) -> Promise {
        if self.is_running() {
            return Promise::new(&mut |resolve, reject| {
                self.inner.borrow_mut().results.push((resolve, reject));
            });
        }
        match self.outcome() {
            Ok(r) => Promise::resolve(&r),
            Err(e) => Promise::reject(&e),
        }
    }
}

impl Inner {
    fn usage_js(&mut self) -> JsValue {
        if self.usage_stale {
            self.usage = self.core.usage().map(convert::usage);
            self.usage_stale = false;
        }
        self.usage.clone().unwrap_or(JsValue::UNDEFINED)
    }

    fn result_js(&mut self) -> JsValue {
        if let Some(c) = &self.json {
            return convert::completion(c);
        }
        let usage = self.usage_js();
        convert::result(
            self.core.model(),
            &self.reasoning,
            &self.answer,
            self.core.finish_reason().unwrap_or(""),
            if usage.is_undefined() {
                None
            } else {
                Some(&usage)
            },
            self.core.request_id(),
        )
    }
}

/// The reply as it streams: an async iterable of parts, with the texts so
/// far, the usage and the request id as live properties.
#[wasm_bindgen]
pub struct ReasoningStream {
    shared: Rc<Shared>,
}

impl ReasoningStream {
    pub(crate) fn new(shared: Rc<Shared>) -> Self {
        ReasoningStream { shared }
    }
}

#[wasm_bindgen]
impl ReasoningStream {
    /// Iterates the parts; leaving the loop early aborts the request.
    #[wasm_bindgen(
        js_name = "[Symbol.asyncIterator]",
        unchecked_return_type = "AsyncIterator<Part>"
    )]
    pub fn iterator(&self) -> PartIterator {
        PartIterator {
            shared: self.shared.clone(),
        }
    }

    /// All reasoning text received so far.
    #[wasm_bindgen(getter)]
    pub fn reasoning(&self) -> JsString {
        self.shared.inner.borrow().reasoning.clone()
    }

    /// All answer text received so far.
    #[wasm_bindgen(getter)]
    pub fn answer(&self) -> JsString {
        self.shared.inner.borrow().answer.clone()
    }

    /// Token usage: with dashscope updated by every event, with openai set
    /// at the end.
    #[wasm_bindgen(getter, unchecked_return_type = "Usage | undefined")]
    pub fn usage(&self) -> JsValue {
        self.shared.inner.borrow_mut().usage_js()
    }

    #[wasm_bindgen(getter, js_name = requestId)]
    pub fn request_id(&self) -> Option<String> {
        self.shared
            .inner
            .borrow()
            .core
            .request_id()
            .map(String::from)
    }

    #[wasm_bindgen(getter, js_name = finishReason)]
    pub fn finish_reason(&self) -> Option<String> {
        self.shared
            .inner
            .borrow()
            .core
            .finish_reason()
            .map(String::from)
    }

    /// Reads the rest (if not iterated) and resolves the whole Result.
    #[wasm_bindgen(unchecked_return_type = "Promise<Result>")]
    pub fn result(&self) -> Promise {
        self.shared.result()
    }

    /// Cancels the request: the server sees the connection close, and
    /// `next()` / `result()` reject with AbortError.
    pub fn abort(&self) {
        self.shared.fail(&Error::new(
            ErrorKind::Abort,
            "the stream was aborted (stream.abort())",
        ));
    }
}

/// What `stream[Symbol.asyncIterator]()` returns.
#[wasm_bindgen]
pub struct PartIterator {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl PartIterator {
    /// The next part; safe to call again before the last call settles.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Part, undefined>>")]
    pub fn next(&self) -> Promise {
        self.shared.next()
    }

    /// Called by `for await` on `break`: aborts the request, throws nothing.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<Part, undefined>>"
    )]
    pub fn return_(&self) -> Promise {
        self.shared.stop();
        Promise::resolve(&convert::step(&JsValue::UNDEFINED, true))
    }
}
