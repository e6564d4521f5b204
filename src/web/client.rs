//! `Client` and `Conversation`: options in, streams out.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::rc::Rc;
use core::cell::OnceCell;

use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::*;

use super::convert::{self, get, set};
use super::glue;
use super::iter::{Core, ReasoningStream};
use crate::error::Error;
use crate::models::CATALOG;
use crate::options::{self, ClientConfig};
use crate::request::{self, Transport};

/// A Model Studio client.
#[wasm_bindgen]
pub struct Client {
    config: Rc<Config>,
}

/// The resolved options, and what glue.js needs of them per transport
/// (made on first use, not per request).
struct Config {
    core: ClientConfig,
    stream: OnceCell<JsValue>,
    json: OnceCell<JsValue>,
}

/// Whether this is a page or a Worker, where an API key is readable by
/// anyone who opens the developer tools. Node has neither global.
fn browser_scope() -> bool {
    let g: JsValue = js_sys::global().into();
    !get(&g, "window").is_undefined() || !get(&g, "WorkerGlobalScope").is_undefined()
}

fn throw(e: &Error) -> JsValue {
    convert::error(e, None)
}

/// What glue.js needs of the options for one request (see
/// `ClientConfig::transport_json`), with the timeouts and retries.
fn config_js(cfg: &ClientConfig, transport: Transport) -> JsValue {
    glue::config(
        &cfg.transport_json(transport),
        cfg.timeout_ms,
        cfg.idle_timeout_ms,
        cfg.max_retries,
    )
}

/// Converts and validates a request, then starts it. Synchronous up to
/// the first `fetch`, so `stream()` can throw validation errors.
/// `complete`: read `transport` too (default: stream).
fn start(
    config: &Config,
    js: &JsValue,
    complete: bool,
    turn: Option<(&Array, &JsValue)>,
) -> Result<ReasoningStream, Error> {
    let e = convert::encoded(js, "the request")?;
    let input = options::request(&e.text, &e.nums, complete)?;
    let transport = match input.json_transport {
        Some(true) => Transport::Json,
        _ => Transport::Stream,
    };
    request::validate(&input.request, &config.core.target, transport)?;
    // The Blobs the content uses, in the order the core places them.
    let blobs = Array::new();
    let mut at = Vec::with_capacity(input.blobs.len());
    for (m, i, b) in input.blobs {
        blobs.push(&e.blobs.get(b as u32));
        at.push((m, i));
    }
    let core = Core::new(config.core.target.protocol, transport, input.request, at);
    let cfg = match transport {
        Transport::Stream => &config.stream,
        Transport::Json => &config.json,
    };
    let cfg = cfg.get_or_init(|| config_js(&config.core, transport));
    Ok(ReasoningStream::start(core, cfg, &e.signal, &blobs, turn))
}

#[wasm_bindgen]
impl Client {
    /// Throws InvalidRequestError for a bad option, or for an `apiKey` in
    /// a page or Worker without `dangerouslyAllowBrowser: true`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<Client, JsValue> {
        let config = convert::encoded(&options, "the client options")
            .and_then(|e| options::client(&e.text, &e.nums))
            .map_err(|e| throw(&e))?;
        if config.api_key.is_some() && !config.allow_browser && browser_scope() {
            return Err(throw(&Error::invalid_request(
                "an apiKey in a web page or Worker is public: anyone can read it from the \
                 page. Keep the key in a relay (pass its URL as baseUrl and omit apiKey), or \
                 pass dangerouslyAllowBrowser: true if you accept that risk",
            )));
        }
        Ok(Client {
            config: Rc::new(Config {
                core: config,
                stream: OnceCell::new(),
                json: OnceCell::new(),
            }),
        })
    }

    /// Starts a streaming request and returns at once. Throws
    /// InvalidRequestError synchronously.
    pub fn stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] request: JsValue,
    ) -> Result<ReasoningStream, JsValue> {
        start(&self.config, &request, false, None).map_err(|e| throw(&e))
    }

    /// The whole Result: streamed and collected (default), or one JSON
    /// response with `transport: "json"`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Result>")]
    pub fn complete(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "RequestOptions & { transport?: \"stream\" | \"json\" }"
        )]
        request: JsValue,
    ) -> Promise {
        match start(&self.config, &request, true, None) {
            Ok(stream) => stream.result_promise(),
            Err(e) => Promise::reject(&throw(&e)),
        }
    }

    /// A multi-turn conversation with these defaults.
    pub fn conversation(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "Omit<RequestOptions, \"messages\"> & { system?: string }"
        )]
        defaults: JsValue,
    ) -> Result<Conversation, JsValue> {
        if !defaults.is_object() {
            return Err(throw(&Error::invalid_request(
                "conversation() needs an object with at least model",
            )));
        }
        let system = get(&defaults, "system");
        let system = if system.is_undefined() || system.is_null() {
            None
        } else if system.is_string() {
            Some(system)
        } else {
            return Err(throw(&Error::invalid_request("system must be a string")));
        };
        // A copy: later changes to the caller's object do not leak in.
        let defaults: JsValue = Object::assign(&Object::new(), defaults.unchecked_ref()).into();
        Ok(Conversation {
            config: self.config.clone(),
            defaults,
            system,
            history: Array::new(),
        })
    }
}

/// History plus defaults; each `send()` streams one turn.
#[wasm_bindgen]
pub struct Conversation {
    config: Rc<Config>,
    defaults: JsValue,
    system: Option<JsValue>,
    /// Committed user/assistant messages, in order; glue.js appends a
    /// turn when its reply finishes.
    history: Array,
}

fn message(role: &str, content: &JsValue) -> JsValue {
    let m: JsValue = Object::new().into();
    set(&m, "role", &JsValue::from_str(role));
    set(&m, "content", content);
    m
}

impl Conversation {
    fn committed(&self) -> Array {
        let out = Array::new();
        if let Some(s) = &self.system {
            out.push(&message("system", s));
        }
        for m in self.history.iter() {
            out.push(&m);
        }
        out
    }
}

#[wasm_bindgen]
impl Conversation {
    /// The committed history, system message first if given. While a send
    /// runs this is still the history before it.
    #[wasm_bindgen(getter, unchecked_return_type = "Message[]")]
    pub fn messages(&self) -> Array {
        self.committed()
    }

    /// Streams the history plus this user message. The user message and
    /// the answer join the history only if the reply finishes.
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | ContentItem[]")] content: JsValue,
    ) -> Result<ReasoningStream, JsValue> {
        let user = message("user", &content);
        let messages = self.committed();
        messages.push(&user);
        let req: JsValue = Object::assign(&Object::new(), self.defaults.unchecked_ref()).into();
        set(&req, "messages", &messages);
        start(&self.config, &req, false, Some((&self.history, &user))).map_err(|e| throw(&e))
    }
}

/// The model catalog: every id (aliases and dated snapshots included).
#[wasm_bindgen(unchecked_return_type = "ModelInfo[]")]
pub fn models() -> Array {
    CATALOG.iter().map(convert::model_info).collect()
}
