//! visual-reasoning: stream Qwen3-VL and QVQ reasoning from Model Studio.
//!
//! The core (every module but `web`) is plain Rust with no wasm types, no
//! I/O and no clocks, so it is tested on the host with `cargo test`. The
//! `web` module is the thin wasm binding layer (wasm32 only).

#![no_std]

// alloc only, so the wasm build carries no std: no dlmalloc (see
// web/alloc.rs) and no std panic machinery with its core::fmt.
extern crate alloc;
// std only where something needs it: the host (tests, the relay's mock),
// and wasm builds without the `bare` feature (the browser tests' crate,
// clippy), whose panic handler is std's. The npm build enables `bare` and
// brings its own panic handler and allocator (web/bare.rs).
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

pub mod error;
mod float;
pub mod json;
pub mod models;
pub mod options;
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
