//! visual-reasoning: stream Qwen3-VL and QVQ reasoning from Model Studio.
//!
//! The core (every module but `web`) is plain Rust with no wasm types, no
//! I/O and no clocks, so it is tested on the host with `cargo test`. The
//! `web` module is the thin wasm binding layer (wasm32 only).

pub mod error;
pub mod json;
pub mod models;
pub mod protocol;
pub mod request;
pub mod retry;
pub mod sse;
pub mod stream;
pub mod vision;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;

pub use error::{Error, ErrorKind};
