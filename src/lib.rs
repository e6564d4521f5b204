//! visual-reasoning: stream Qwen3-VL and QVQ reasoning from Model Studio.
//!
//! The core (every module but `web`) is plain Rust with no wasm types, no
//! I/O and no clocks, so it is tested on the host with `cargo test`. The
//! `web` module is the thin wasm binding layer (wasm32 only).
//!
//! The core is compiled as two crates, both with their source here in
//! src/: the reply side (crates/replies, root src/replies.rs; R below) at
//! opt-level 3, and the request side (crates/requests, root
//! src/requests.rs; Q), which runs once per request, at "s" (Cargo.toml's
//! profile: fewer bytes where speed does not matter). The request side
//! builds on the reply side, never the reverse; this crate re-exports both
//! under the paths below.
//!
//! The modules, each named for its one job, listed so that a module uses
//! only modules above it (tests/module_graph.rs keeps the imports free of
//! cycles):
//!
//! ```text
//! error      R  the error kinds of API.md, with their fields
//! float      R  floor/ceil/trunc/rint/sqrt without std
//! models     Q  the model catalog and the rules for other ids
//! sse        R  incremental SSE parser over bytes (WHATWG rules, capped, linear)
//! base64     Q  data: URLs for Blob images
//! json/      R  value (the tree), write (JSON text and numbers out),
//!               parse (strict, whole texts), scan (field-selective cursor)
//! text       R  message builder, excerpts, substring search (no core::fmt)
//! reply      R  what a reply is made of: Part, Usage, Completion (API.md's Result)
//! retry      R  which failures retry, Retry-After, backoff
//! vision     Q  image token estimation, the prepareImage fit
//! protocol/  R  Protocol (and its paths); decoding its replies: openai, dashscope,
//!               event (what both share), usage, errors (error bodies and events)
//! request/   Q  the protocol-neutral request; validate, endpoint (URL, headers),
//!               encode (the wire JSON)
//! stream     R  bytes -> events -> coalesced parts, running texts, finish state
//! options    Q  ClientOptions / RequestOptions from the JSON the binding makes
//! web/          wasm32 only: the binding layer (JS classes, conversions, glue.js)
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

// The core is two crates (Cargo.toml, the profile): the reply side at
// opt-level 3, the request side at "s". Their modules keep their paths here.
pub use replies::{error, json, protocol, reply, retry, sse, stream};
pub use requests::{base64, models, options, request, vision};

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;

pub use error::{Error, ErrorKind};
