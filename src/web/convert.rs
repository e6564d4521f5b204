//! JS <-> core conversions, all in one place: caller options into the
//! JSON the core reads (`crate::options`), core results and errors into
//! the plain JS objects of API.md.
//!
//! Messages are `&'static str` pieces joined with `+`: `core::fmt` would
//! cost kilobytes of wasm for nothing a user reads differently.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::{Array, Float64Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use super::glue;
use crate::error::Error;
use crate::models::ModelInfo;
use crate::reply::{Completion, Usage};

/// `obj[key]`, or `undefined` when `obj` is not an object.
#[inline(never)]
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value` on an object this module made (cannot throw).
#[inline(never)]
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

#[inline(never)]
fn set_str(obj: &JsValue, key: &str, value: &str) {
    set(obj, key, &JsValue::from_str(value));
}

#[inline(never)]
fn set_num(obj: &JsValue, key: &str, value: f64) {
    set(obj, key, &JsValue::from_f64(value));
}

/// Options as glue.js `encode` hands them over: the JSON text and numbers
/// for `crate::options`, the Blobs and the AbortSignal (or undefined).
pub(crate) struct Encoded {
    pub text: String,
    pub nums: Vec<f64>,
    pub blobs: Array,
    pub signal: JsValue,
}

pub(crate) fn encoded(value: &JsValue, what: &str) -> Result<Encoded, Error> {
    let out = glue::encode(value);
    let Some(text) = out.get(0).as_string() else {
        let why = out.get(1).as_string().unwrap_or_default();
        return Err(Error::invalid_request(
            String::from(what) + " could not be read as plain data: " + &why,
        ));
    };
    Ok(Encoded {
        text,
        nums: Float64Array::from(out.get(1)).to_vec(),
        blobs: out.get(2).unchecked_into(),
        signal: out.get(3),
    })
}

/// A Blob's MIME type, with the generic one when the browser knows none.
pub(crate) fn mime_or_default(t: String) -> String {
    if t.is_empty() {
        String::from("application/octet-stream")
    } else {
        t
    }
}

// ---------------------------------------------------------------- results

pub(crate) fn usage(u: &Usage) -> JsValue {
    JSON::parse(&u.to_json()).unwrap_or(JsValue::UNDEFINED)
}

/// A `Result` of API.md from its pieces; the texts are already JS strings.
pub(crate) fn result(
    model: &str,
    reasoning: &JsValue,
    answer: &JsValue,
    finish_reason: &str,
    usage: Option<&JsValue>,
    request_id: Option<&str>,
) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "model", model);
    set(&o, "reasoning", reasoning);
    set(&o, "answer", answer);
    set_str(&o, "finishReason", finish_reason);
    if let Some(u) = usage {
        set(&o, "usage", u);
    }
    if let Some(id) = request_id {
        set_str(&o, "requestId", id);
    }
    o
}

pub(crate) fn completion(c: &Completion) -> JsValue {
    result(
        &c.model,
        &JsValue::from_str(&c.reasoning),
        &JsValue::from_str(&c.answer),
        &c.finish_reason,
        c.usage.as_ref().map(usage).as_ref(),
        c.request_id.as_deref(),
    )
}

pub(crate) fn model_info(m: &ModelInfo) -> JsValue {
    let o: JsValue = Object::new().into();
    let r = &m.rules;
    set_str(&o, "id", m.id);
    set_str(&o, "family", r.family.as_str());
    set_str(&o, "thinking", r.thinking.as_str());
    set(&o, "streamingOnly", &JsValue::from_bool(r.streaming_only));
    set(&o, "thinkingBudget", &JsValue::from_bool(r.thinking_budget));
    let regions = Array::new();
    for region in r.regions.unwrap_or(&[]) {
        regions.push(&JsValue::from_str(region.as_str()));
    }
    set(&o, "regions", &regions);
    o
}

// ---------------------------------------------------------------- errors

/// The one place a core error becomes a JS `Error`: `name` from the kind,
/// the fields of API.md, and `partial` once any text had arrived.
pub(crate) fn error(e: &Error, partial: Option<&JsValue>) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name(e.kind.name());
    let o: &JsValue = err.as_ref();
    if let Some(status) = e.status {
        set_num(o, "status", f64::from(status));
    }
    if let Some(code) = &e.code {
        set_str(o, "code", code);
    }
    if let Some(id) = &e.request_id {
        set_str(o, "requestId", id);
    }
    set(o, "retryable", &JsValue::from_bool(e.retryable));
    if let Some(p) = partial {
        set(o, "partial", p);
    }
    err.into()
}
