//! The size floor (see Cargo.toml): every core entry point the binding
//! uses, exported over a raw (ptr, len) ABI with results as JSON text. Not
//! shipped and not a binding anyone should use: it exists to be weighed.
#![no_std]
#![cfg(target_arch = "wasm32")]
// One contract for every export, stated once: pointers are (ptr, len)
// pairs from `vr_alloc` or handles from `vr_client` / `vr_request`.
#![allow(clippy::missing_safety_doc)]
extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use visual_reasoning::error::Error;
use visual_reasoning::json;
use visual_reasoning::models::{self, Family, CATALOG};
use visual_reasoning::options::{self, ClientConfig};
use visual_reasoning::protocol::{self, Protocol};
use visual_reasoning::request::{self, Transport};
use visual_reasoning::reply::{Completion, Part};
use visual_reasoning::stream::StreamState;
use visual_reasoning::{retry, vision};

static mut OUT: (usize, usize) = (0, 0);

fn out(s: String) -> usize {
    let b = s.into_bytes().into_boxed_slice();
    let len = b.len();
    let ptr = Box::into_raw(b) as *mut u8 as usize;
    unsafe { OUT = (ptr, len) };
    ptr
}

unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    core::slice::from_raw_parts(ptr, len)
}
unsafe fn text<'a>(ptr: *const u8, len: usize) -> &'a str {
    core::str::from_utf8_unchecked(bytes(ptr, len))
}
unsafe fn nums<'a>(ptr: *const f64, len: usize) -> &'a [f64] {
    core::slice::from_raw_parts(ptr, len)
}

fn err_json(e: &Error) -> String {
    let mut s = String::from("{\"name\":");
    json::write_str(e.kind.name(), &mut s);
    s.push_str(",\"message\":");
    json::write_str(&e.message, &mut s);
    if let Some(st) = e.status {
        s.push_str(",\"status\":");
        json::write_u64(st.into(), &mut s);
    }
    if let Some(c) = &e.code {
        s.push_str(",\"code\":");
        json::write_str(c, &mut s);
    }
    if let Some(r) = &e.request_id {
        s.push_str(",\"requestId\":");
        json::write_str(r, &mut s);
    }
    s.push_str(if e.retryable {
        ",\"retryable\":true}"
    } else {
        ",\"retryable\":false}"
    });
    s
}

fn completion_json(c: &Completion) -> String {
    let mut s = String::from("{\"model\":");
    json::write_str(&c.model, &mut s);
    s.push_str(",\"reasoning\":");
    json::write_str(&c.reasoning, &mut s);
    s.push_str(",\"answer\":");
    json::write_str(&c.answer, &mut s);
    s.push_str(",\"finishReason\":");
    json::write_str(&c.finish_reason, &mut s);
    if let Some(u) = &c.usage {
        s.push_str(",\"usage\":");
        s.push_str(&u.to_json());
    }
    if let Some(r) = &c.request_id {
        s.push_str(",\"requestId\":");
        json::write_str(r, &mut s);
    }
    s.push('}');
    s
}

#[no_mangle]
pub extern "C" fn vr_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}

#[no_mangle]
pub unsafe extern "C" fn vr_free(ptr: *mut u8, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len));
}

#[no_mangle]
pub unsafe extern "C" fn vr_client(t: *const u8, tl: usize, n: *const f64, nl: usize) -> usize {
    match options::client(text(t, tl), nums(n, nl)) {
        Ok(c) => {
            let mut s = String::from("{\"url\":");
            json::write_str(&c.url, &mut s);
            s.push('}');
            out(s);
            Box::into_raw(Box::new(c)) as usize
        }
        Err(e) => {
            out(err_json(&e));
            0
        }
    }
}

pub struct Session {
    state: StreamState,
    protocol: Protocol,
    transport: Transport,
    req: request::Request,
}

#[no_mangle]
pub unsafe extern "C" fn vr_request(
    client: *const ClientConfig,
    t: *const u8,
    tl: usize,
    n: *const f64,
    nl: usize,
    complete: bool,
) -> usize {
    let c = &*client;
    let r = options::request(text(t, tl), nums(n, nl), complete).and_then(|i| {
        let tr = if i.json_transport == Some(true) {
            Transport::Json
        } else {
            Transport::Stream
        };
        request::validate(&i.request, &c.target, tr).map(|_| (i, tr))
    });
    match r {
        Ok((i, tr)) => {
            let mut hs = String::new();
            for (k, v) in request::headers(c.target.protocol, tr) {
                hs.push_str(k);
                hs.push_str(v);
            }
            hs.push_str(&request::encode(&i.request, c.target.protocol, tr));
            out(hs);
            let s = Session {
                state: StreamState::new(c.target.protocol, &i.request.model),
                protocol: c.target.protocol,
                transport: tr,
                req: i.request,
            };
            Box::into_raw(Box::new(s)) as usize
        }
        Err(e) => {
            out(err_json(&e));
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn vr_headers(
    s: *mut Session,
    t: *const u8,
    tl: usize,
    r: *const u8,
    rl: usize,
) -> bool {
    let s = &mut *s;
    if rl > 0 {
        s.state.set_header_request_id(text(r, rl));
    }
    match StreamState::check_content_type(Some(text(t, tl))) {
        Ok(()) => true,
        Err(e) => {
            out(err_json(&e));
            false
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn vr_feed(s: *mut Session, b: *const u8, bl: usize) -> u32 {
    let s = &mut *s;
    match s.state.feed(bytes(b, bl)) {
        Ok(f) => {
            let mut o = String::new();
            for p in f.parts {
                match p {
                    Part::Reasoning(r) => o.push_str(&s.state.reasoning()[r]),
                    Part::Answer(r) => o.push_str(&s.state.answer()[r]),
                    Part::Usage => {
                        o.push_str(&s.state.usage().map(|u| u.to_json()).unwrap_or_default())
                    }
                }
            }
            out(o);
            u32::from(s.state.is_done()) | (u32::from(f.data_events > 0) << 1)
        }
        Err(e) => {
            let mut j = err_json(&e);
            if s.state.has_text() {
                j.push_str(&completion_json(&s.state.partial()));
            }
            out(j);
            4
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn vr_end(s: *mut Session) -> bool {
    let s = &mut *s;
    match s.state.end() {
        Ok(()) => {
            out(completion_json(&s.state.completion().unwrap_or_default()));
            true
        }
        Err(e) => {
            out(err_json(&e));
            false
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn vr_http_error(
    status: u16,
    b: *const u8,
    bl: usize,
    r: *const u8,
    rl: usize,
) {
    let id = if rl > 0 { Some(text(r, rl)) } else { None };
    out(err_json(&protocol::http_error(status, bytes(b, bl), id)));
}

#[no_mangle]
pub unsafe extern "C" fn vr_json(s: *mut Session, b: *const u8, bl: usize) -> bool {
    let s = &*s;
    let _ = s.transport;
    match protocol::decode_json_response(s.protocol, bytes(b, bl), &s.req.model) {
        Ok(c) => {
            out(completion_json(&c));
            true
        }
        Err(e) => {
            out(err_json(&e));
            false
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn vr_session_free(s: *mut Session) {
    drop(Box::from_raw(s));
}

#[no_mangle]
pub extern "C" fn vr_models() -> usize {
    let mut s = String::from("[");
    for m in CATALOG {
        s.push_str("{\"id\":");
        json::write_str(m.id, &mut s);
        s.push_str(",\"family\":");
        json::write_str(m.rules.family.as_str(), &mut s);
        s.push_str(",\"thinking\":");
        json::write_str(m.rules.thinking.as_str(), &mut s);
        s.push_str(if m.rules.streaming_only {
            ",\"streamingOnly\":true"
        } else {
            ",\"streamingOnly\":false"
        });
        s.push_str(if m.rules.thinking_budget {
            ",\"thinkingBudget\":true,\"regions\":["
        } else {
            ",\"thinkingBudget\":false,\"regions\":["
        });
        for (i, r) in m.rules.regions.unwrap_or(&[]).iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            json::write_str(r.as_str(), &mut s);
        }
        s.push_str("]},");
    }
    s.push(']');
    out(s)
}

#[no_mangle]
pub unsafe extern "C" fn vr_tokens(
    w: f64,
    h: f64,
    m: *const u8,
    ml: usize,
    max: f64,
    high: bool,
) -> u32 {
    let family = models::rules(text(m, ml)).map_or(Family::Qwen3Vl, |r| r.family);
    vision::image_tokens(w, h, family, if max > 0.0 { Some(max) } else { None }, high)
}

#[no_mangle]
pub unsafe extern "C" fn vr_fit(w: u32, h: u32, max: f64) -> u64 {
    let (a, b) = vision::fit(w, h, max as u64);
    (u64::from(a) << 32) | u64::from(b)
}

#[no_mangle]
pub unsafe extern "C" fn vr_backoff(
    attempt: u32,
    jitter: f64,
    r: *const u8,
    rl: usize,
    now: f64,
) -> f64 {
    let after = if rl > 0 {
        retry::retry_after_ms(text(r, rl), now)
    } else {
        None
    };
    retry::backoff_ms(attempt, jitter, after)
}

#[no_mangle]
pub unsafe extern "C" fn vr_data_url(m: *const u8, ml: usize, b: *const u8, bl: usize) -> usize {
    out(visual_reasoning::base64::data_url(text(m, ml), bytes(b, bl)))
}

#[no_mangle]
pub extern "C" fn vr_out_len() -> usize {
    unsafe { OUT.1 }
}
