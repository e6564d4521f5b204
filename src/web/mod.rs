//! The wasm binding layer (wasm32 only): the small core API that the
//! package's JavaScript (`src/web/js/`) is built on. The public classes of
//! API.md — `Client`, `Conversation`, `ReasoningStream`, the error classes
//! — are JavaScript; the transport (fetch, retries, timers, the body loop,
//! the parts queue) is JavaScript too. Every decision (options, validation,
//! wire formats, parsing, errors, retry rules) is the core's, reached
//! through the exports of `wire.rs`, the one Rust module that speaks to
//! JavaScript (its docs list the formats the two sides share).
//!
//! - `wire.rs`: every export, and the boundary formats
//! - `bare.rs`: the npm build has no std: its panic handler and allocator

#[allow(unused_imports)]
use crate::prelude::*;
mod bare;
// Public for the browser tests in tests/web, which drive the core API from
// Rust (lib.rs exposes this module as a hidden `pub mod web` for them).
#[cfg(feature = "binding")]
pub mod wire;
