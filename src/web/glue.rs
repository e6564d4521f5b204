//! Bindings to `glue.js`, the transport written in JavaScript (that file
//! says why).

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::{Array, JsString, Promise};
use wasm_bindgen::prelude::*;

use super::iter::{PartIterator, ReasoningStream};

#[wasm_bindgen(module = "/src/web/glue.js")]
extern "C" {
    /// One request under way: its queue, timers and connection.
    #[derive(Clone)]
    pub(crate) type Run;

    /// Options as JSON for the core: `[json, nums, blobs, signal]`, or
    /// `[undefined, message]` if the value cannot be serialised.
    pub(crate) fn encode(value: &JsValue) -> Array;

    /// A client's transport settings: its JSON text plus the numbers.
    pub(crate) fn config(
        json: &str,
        timeout_ms: f64,
        idle_timeout_ms: f64,
        max_retries: u32,
    ) -> JsValue;

    /// Starts a request; `core` is the stream's handle on its core.
    pub(crate) fn run(
        core: ReasoningStream,
        cfg: &JsValue,
        json: bool,
        signal: &JsValue,
        blobs: &Array,
        history: &JsValue,
        user: &JsValue,
    ) -> Run;

    #[wasm_bindgen(method, getter)]
    pub(crate) fn reasoning(this: &Run) -> JsString;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn answer(this: &Run) -> JsString;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn usage(this: &Run) -> JsValue;
    #[wasm_bindgen(method)]
    pub(crate) fn result(this: &Run) -> Promise;
    #[wasm_bindgen(method)]
    pub(crate) fn abort(this: &Run);

    /// The run's async iterator of parts.
    pub(crate) fn parts(run: &Run) -> JsValue;
    /// The run's parts as a `ReadableStream`.
    pub(crate) fn readable(run: &Run) -> JsValue;
    /// `readable(run).tee()`.
    pub(crate) fn tee(run: &Run) -> JsValue;

    /// prepareImage's decode, resize and encode; rejects with the core's
    /// errors. `max_pixels`: a number, undefined, or the error to report.
    pub(crate) fn prepare(
        core: PartIterator,
        image: &JsValue,
        model: &str,
        max_pixels: &JsValue,
        mime: Option<String>,
        quality: Option<f64>,
    ) -> Promise;
}
