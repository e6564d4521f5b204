//! visual-reasoning: stream Qwen3-VL and QVQ reasoning from Model Studio.
//!
//! The core (every module but `web`) is plain Rust with no wasm types, no
//! I/O and no clocks, so it is tested on the host with `cargo test`. The
//! `web` module is the thin wasm binding layer (wasm32 only).
//!
//! The modules, each named for its one job, listed so that a module uses
//! only modules above it (tests/module_graph.rs keeps the imports free of
//! cycles):
//!
//! ```text
//! error        the error kinds of API.md, with their fields
//! float        floor/ceil/trunc/rint/sqrt without std
//! models       the model catalog and the rules for other ids
//! sse          incremental SSE parser over bytes (WHATWG rules, capped, linear)
//! base64       data: URLs for Blob images
//! json/        value (the tree), write (JSON text and numbers out),
//!              parse (strict, whole texts), scan (field-selective cursor)
//! text         message builder, excerpts, substring search (no core::fmt)
//! reply        what a reply is made of: Part, Usage, Completion (API.md's Result)
//! retry        which failures retry, Retry-After, backoff
//! vision       image token estimation, the prepareImage fit
//! protocol/    Protocol (and its paths); decoding its replies: openai, dashscope,
//!              event (what both share), usage, errors (error bodies and events)
//! request/     the protocol-neutral request; validate, endpoint (URL, headers),
//!              encode (the wire JSON)
//! stream       bytes -> events -> coalesced parts, running texts, finish state
//! options      ClientOptions / RequestOptions from the JSON the binding makes
//! web/         wasm32 only: the binding layer (JS classes, conversions, glue.js)
//! ```

#![no_std]
// Unsafe code only where it cannot be avoided, each place allowing it for
// itself: the allocator (web/bare.rs); wasm-bindgen's FFI is generated
// (the exports, and json::write's one import, `String(n)`).
// And no panicking shortcuts outside tests: a panic in wasm poisons the
// module for the whole page.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

// alloc only, so the wasm build carries no std: no dlmalloc (see
// web/bare.rs) and no std panic machinery with its core::fmt.
extern crate alloc;
// std only where something needs it: the host (tests, the relay's mock),
// and wasm builds without the `bare` feature (the browser tests' crate,
// clippy), whose panic handler is std's. The npm build enables `bare` and
// brings its own panic handler (web/bare.rs); the allocator there is every
// wasm32 build's, `bare` or not.
#[cfg(not(all(target_arch = "wasm32", feature = "bare")))]
extern crate std;

/// What std's prelude would give every module.
#[allow(unused_imports)]
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec::Vec;
    pub(crate) use alloc::{format, vec};
}

pub mod base64;
pub mod error;
mod float;
pub mod json;
pub mod models;
pub mod options;
pub mod protocol;
pub mod reply;
pub mod request;
pub mod retry;
pub mod sse;
pub mod stream;
mod text;
pub mod vision;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;

pub use error::{Error, ErrorKind};
