//! The transport: `fetch` with retries and timeouts, then the
//! `ReadableStream` loop that feeds each read into the core in one call.
//!
//! `fetch`, `setTimeout` and `clearTimeout` are bound as globals, never
//! through `window`, so the same code runs in a page, a Worker and Node
//! (gloo #201).

use std::rc::Rc;

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Blob, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult,
    RequestInit, Response,
};

use super::convert::{self, ClientConfig, PendingBlob};
use super::iter::{Phase, Shared};
use crate::error::{Error, ErrorKind};
use crate::request::{self, Content, ContentItem, Request, Transport};
use crate::stream::StreamState;
use crate::{protocol, retry};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch(url: &str, init: &RequestInit) -> Promise;
    /// Returns a number in browsers and a Timeout object in Node; both go
    /// back to `clearTimeout` as they are.
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: &JsValue);
}

/// How long to wait for the server to close the body after the reply's
/// last event before closing it ourselves.
const DRAIN_MS: f64 = 5_000.0;

thread_local! {
    /// Swallows the rejection of a promise we no longer care about (a
    /// cancelled read): one closure for the whole module rather than one
    /// leaked per stream (wasm-streams #24).
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

fn ignore_rejection(p: &Promise) {
    IGNORE.with(|f| {
        let _ = p.catch(f);
    });
}

/// Everything a request needs once it has passed validation.
pub(crate) struct Plan {
    pub config: Rc<ClientConfig>,
    pub request: Request,
    pub blobs: Vec<PendingBlob>,
    pub transport: Transport,
}

/// Starts the request in the background; the outcome lands in `shared`.
pub(crate) fn spawn(shared: Rc<Shared>, plan: Plan) {
    wasm_bindgen_futures::spawn_local(async move {
        // An error after the stream already ended (aborted, stopped, idle
        // timeout) is the echo of that ending: `fail` ignores it.
        match drive(&shared, plan).await {
            Ok(()) => shared.succeed(),
            Err(e) => shared.fail(&e),
        }
    });
}

async fn drive(shared: &Rc<Shared>, mut plan: Plan) -> Result<(), Error> {
    for b in std::mem::take(&mut plan.blobs) {
        let url = read_blob(&b.blob).await?;
        if let Some(ContentItem::Image(slot)) =
            plan.request
                .messages
                .get_mut(b.message)
                .and_then(|m| match &mut m.content {
                    Content::Items(items) => items.get_mut(b.item),
                    Content::Text(_) => None,
                })
        {
            *slot = url;
        }
    }
    if !shared.is_running() {
        return Ok(());
    }
    let cfg = &plan.config;
    let body = request::encode(&plan.request, cfg.target.protocol, plan.transport);
    let response = open(shared, cfg, &body, plan.transport).await?;
    match plan.transport {
        Transport::Stream => read_stream(shared, &response).await,
        Transport::Json => read_json(shared, &response, cfg, &plan.request.model).await,
    }
}

/// A Blob as a base64 `data:` URL with its MIME type.
pub(crate) async fn read_blob(blob: &Blob) -> Result<String, Error> {
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| Error::invalid_request("could not read an image Blob"))?;
    let bytes = Uint8Array::new(&buf).to_vec();
    Ok(convert::data_url(&convert::blob_type(blob), &bytes))
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).ok().flatten()
}

fn header_request_id(resp: &Response) -> Option<String> {
    header(resp, "x-request-id").or_else(|| header(resp, "x-dashscope-request-id"))
}

/// The request's headers: the library's few, then the caller's (which win).
/// Nothing else: every extra header is one more thing a relay's CORS
/// preflight must allow.
fn headers(cfg: &ClientConfig, transport: Transport) -> Result<Headers, Error> {
    let bad = || Error::invalid_request("a header name or value is not valid HTTP");
    let h = Headers::new().map_err(|_| bad())?;
    for (name, value) in request::headers(cfg.target.protocol, transport) {
        h.set(name, value).map_err(|_| bad())?;
    }
    if let Some(key) = &cfg.api_key {
        let auth = String::from("Bearer ") + key;
        h.set("Authorization", &auth).map_err(|_| {
            Error::invalid_request("apiKey contains characters not allowed in a header")
        })?;
    }
    for (name, value) in &cfg.headers {
        h.set(name, value).map_err(|_| bad())?;
    }
    Ok(h)
}

/// A JS failure's message, without the API key should an engine quote it.
fn scrub(cfg: &ClientConfig, js: &JsValue) -> String {
    let mut msg = convert::js_message(js);
    if let Some(key) = &cfg.api_key {
        // Not `str::replace`: its substring searcher costs ~2 KB of wasm.
        let mut out = String::new();
        let mut rest = msg.as_str();
        while let Some(at) = protocol::find(rest, key) {
            out.push_str(rest.get(..at).unwrap_or(""));
            out.push_str("[redacted]");
            rest = rest.get(at + key.len()..).unwrap_or("");
        }
        out.push_str(rest);
        msg = out;
    }
    msg
}

fn aborted() -> Error {
    Error::new(ErrorKind::Abort, "the request was aborted")
}

/// Sends the request until response headers with a status below 400
/// arrive, retrying what API.md allows before any body byte.
async fn open(
    shared: &Rc<Shared>,
    cfg: &ClientConfig,
    body: &str,
    transport: Transport,
) -> Result<Response, Error> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers_headers(&headers(cfg, transport)?);
    init.set_body(&JsValue::from_str(body));
    let mut attempt = 0u32;
    loop {
        let controller = AbortController::new()
            .map_err(|_| Error::new(ErrorKind::Network, "AbortController is not available"))?;
        init.set_signal(Some(&controller.signal()));
        shared.begin_attempt(controller, cfg.timeout_ms);
        let outcome = JsFuture::from(fetch(&cfg.url, &init)).await;
        if !shared.is_running() {
            return Err(aborted());
        }
        let (error, retry_after) = match outcome {
            Ok(v) => {
                let resp: Response = v.unchecked_into();
                let status = resp.status();
                if status < 400 {
                    shared.disarm();
                    return Ok(resp);
                }
                let rid = header_request_id(&resp);
                // Still under timeoutMs: an error body that never ends is a
                // timeout like missing headers.
                let text = match resp.array_buffer() {
                    Ok(p) => JsFuture::from(p)
                        .await
                        .map(|b| Uint8Array::new(&b).to_vec()),
                    Err(e) => Err(e),
                };
                if !shared.is_running() {
                    return Err(aborted());
                }
                // A body that cannot be read still has its status to report.
                let text = text.unwrap_or_default();
                let retry_after = header(&resp, "retry-after")
                    .and_then(|h| retry::retry_after_ms(&h, js_sys::Date::now()));
                (
                    protocol::http_error(status, &text, rid.as_deref()),
                    retry_after,
                )
            }
            Err(js) => {
                let e = if shared.take_timed_out() {
                    convert::kind_error(
                        ErrorKind::Timeout,
                        "no response headers arrived within timeoutMs",
                        true,
                    )
                } else {
                    let msg = String::from("the request failed before a response (network error, ")
                        + "CORS refusal or unreachable host): "
                        + &scrub(cfg, &js);
                    convert::kind_error(ErrorKind::Network, &msg, true)
                };
                (e, None)
            }
        };
        shared.disarm();
        if !error.retryable || attempt >= cfg.max_retries {
            return Err(error);
        }
        let delay = retry::backoff_ms(attempt, js_sys::Math::random(), retry_after);
        attempt += 1;
        shared.sleep(delay).await;
        if !shared.is_running() {
            return Err(aborted());
        }
    }
}

/// Owns the body reader while the loop runs. Leaving the loop any way but
/// the end of the body (an error, the reply's last event, the stream
/// ending elsewhere) cancels the read and aborts the fetch, so the server
/// sees the connection close (wasm-streams #7).
struct BodyGuard {
    reader: ReadableStreamDefaultReader,
    controller: Option<AbortController>,
    at_end: bool,
}

impl Drop for BodyGuard {
    fn drop(&mut self) {
        if !self.at_end {
            ignore_rejection(&self.reader.cancel());
            if let Some(c) = &self.controller {
                c.abort();
            }
        }
    }
}

enum Read {
    Chunk(Uint8Array),
    End,
}

async fn read(guard: &BodyGuard) -> Result<Read, JsValue> {
    let r: ReadableStreamReadResult = JsFuture::from(guard.reader.read()).await?.unchecked_into();
    if r.get_done().unwrap_or(true) {
        Ok(Read::End)
    } else {
        Ok(Read::Chunk(r.get_value().unchecked_into()))
    }
}

async fn read_stream(shared: &Rc<Shared>, resp: &Response) -> Result<(), Error> {
    StreamState::check_content_type(header(resp, "content-type").as_deref())?;
    if let Some(id) = header_request_id(resp) {
        shared.inner.borrow_mut().core.set_header_request_id(&id);
    }
    let body = resp
        .body()
        .ok_or_else(|| Error::stream("the response has no body"))?;
    let mut guard = BodyGuard {
        reader: body.get_reader().unchecked_into(),
        controller: shared.controller(),
        at_end: false,
    };
    shared.enter_body();
    // One buffer for the whole stream: each read is copied in, fed, reused.
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let r = read(&guard).await;
        if !shared.is_running() {
            return Ok(());
        }
        let chunk = match r {
            Ok(Read::Chunk(c)) => c,
            Ok(Read::End) => {
                guard.at_end = true;
                break;
            }
            Err(js) => {
                let msg = String::from("the connection broke during the reply: ")
                    + &convert::js_message(&js);
                return Err(Error::new(ErrorKind::Network, msg));
            }
        };
        buf.clear();
        buf.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buf);
        if shared.feed(&buf)? {
            // The core may have ended on an error after this read's last
            // part (the parts are already handed out); end() reports it.
            let end = shared.inner.borrow_mut().core.end();
            end?;
            shared.succeed();
            drain(shared, &mut guard).await;
            return Ok(());
        }
    }
    shared.disarm();
    let end = shared.inner.borrow_mut().core.end();
    end
}

/// After the reply's last event: let the server close the body itself
/// (so it logs a completed reply), but not for longer than DRAIN_MS.
async fn drain(shared: &Shared, guard: &mut BodyGuard) {
    shared.arm(Phase::Drain, DRAIN_MS);
    while let Ok(r) = read(guard).await {
        if let Read::End = r {
            guard.at_end = true;
            break;
        }
    }
    shared.disarm();
}

async fn read_json(
    shared: &Rc<Shared>,
    resp: &Response,
    cfg: &ClientConfig,
    model: &str,
) -> Result<(), Error> {
    shared.enter_body();
    let bytes = match resp.array_buffer() {
        Ok(p) => JsFuture::from(p)
            .await
            .map(|b| Uint8Array::new(&b).to_vec()),
        Err(e) => Err(e),
    };
    shared.disarm();
    if !shared.is_running() {
        return Ok(());
    }
    let bytes = bytes.map_err(|js| {
        let msg = String::from("the connection broke during the reply: ") + &scrub(cfg, &js);
        Error::new(ErrorKind::Network, msg)
    })?;
    let mut c = protocol::decode_json_response(cfg.target.protocol, &bytes, model)?;
    if c.request_id.is_none() {
        c.request_id = header_request_id(resp);
    }
    shared.set_json(c);
    Ok(())
}
