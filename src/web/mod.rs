//! The wasm binding layer: converts between JS values and core types,
//! drives `fetch` and the body reader, and presents the classes of API.md.
//! Parsing, validation and wire formats all live in the core.
//!
//! - `client.rs`: `Client`, `Conversation`, `models()`
//! - `iter.rs`: `ReasoningStream` and the core it drives
//! - `glue.js` (bound in `glue.rs`): fetch, retries, timeouts, the body
//!   loop, the queue of parts and their iterator, in JavaScript for size
//! - `image.rs`: `estimateImageTokens`, `prepareImage`
//! - `convert.rs`: every JS <-> core conversion, errors included

#[allow(unused_imports)]
use crate::prelude::*;
mod bare;
#[cfg(feature = "binding")]
mod client;
#[cfg(feature = "binding")]
mod convert;
#[cfg(feature = "binding")]
mod glue;
#[cfg(feature = "binding")]
mod image;
#[cfg(feature = "binding")]
mod iter;

// For the browser tests in tests/web, which drive the classes from Rust
// (lib.rs exposes this module as a hidden `pub mod web` for them).
#[cfg(feature = "binding")]
#[allow(unused_imports)]
pub use client::{models, Client, Conversation};
#[cfg(feature = "binding")]
#[allow(unused_imports)]
pub use image::{estimate_image_tokens, prepare_image};
#[cfg(feature = "binding")]
#[allow(unused_imports)]
pub use iter::{PartIterator, ReasoningStream};

#[cfg(feature = "binding")]
use wasm_bindgen::prelude::*;

// API.md's types, verbatim, so the generated .d.ts says them instead of
// `any`; the exported functions and classes refer to them by name through
// `unchecked_*_type`. The classes themselves are generated.
#[cfg(feature = "binding")]
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type Region = "intl" | "us" | "cn";          // Singapore, Virginia, Beijing
export type Protocol = "openai" | "dashscope";      // compatible-mode, or native

export interface ClientOptions {
  apiKey?: string;          // omit when a relay adds the key
  region?: Region;          // default "intl"
  baseUrl?: string;         // replaces the region's host, e.g. a CORS relay
  protocol?: Protocol;      // default "openai"
  headers?: Record<string, string>;
  timeoutMs?: number;       // until response headers; default 60_000
  idleTimeoutMs?: number;   // longest silence inside a body; default 300_000
  maxRetries?: number;      // default 2
  dangerouslyAllowBrowser?: boolean; // required to use apiKey in a page or Worker
}

export type ContentItem =
  | { text: string }
  | { image: string | Blob }                 // URL, data: URL, or Blob/File
  | { video: string | string[]; fps?: number } // video URL, or frame URLs
  | { type: "text"; text: string }            // OpenAI-style items are
  | { type: "image_url"; image_url: { url: string } } // accepted too
  | { type: "video_url"; video_url: { url: string } };

export interface Message {
  role: "system" | "user" | "assistant";
  content: string | ContentItem[];
}

export interface RequestOptions {
  model: string;
  messages: Message[];
  enableThinking?: boolean;
  thinkingBudget?: number;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string | string[];
  vlHighResolutionImages?: boolean;
  signal?: AbortSignal;
  extra?: Record<string, unknown>;   // merged into the wire request as is
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  reasoningTokens?: number;
  imageTokens?: number;
  videoTokens?: number;
  raw?: Record<string, unknown>; // the provider's usage object as received
}

export type Part =
  | { type: "reasoning"; text: string }
  | { type: "answer"; text: string }
  | { type: "usage"; usage: Usage };

export interface Result {
  model: string;
  reasoning: string;
  answer: string;
  finishReason: string;     // "stop", "length", ...
  usage?: Usage;
  requestId?: string;
}

export interface ModelInfo {
  id: string;
  family: "qwen3-vl" | "qvq";
  thinking: "hybrid" | "always";
  streamingOnly: boolean;
  thinkingBudget: boolean;                 // accepts thinking_budget
  regions: Region[];
}

/** The `name` of every error this package throws or rejects with. */
export type ErrorName =
  | "ApiError" | "NetworkError" | "TimeoutError"
  | "AbortError" | "StreamError" | "InvalidRequestError";

/** The shape of those errors: real `Error` objects with these fields. */
export interface VisualReasoningError extends Error {
  name: ErrorName;
  status?: number;
  code?: string;
  requestId?: string;
  retryable: boolean;
  partial?: Result;          // what had arrived, once any text had
}
"#;
