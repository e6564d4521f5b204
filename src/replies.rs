//! The reply side of the core, its own crate (`crates/replies`, built at
//! opt-level 3): what reads a reply (sse, protocol, stream, reply, retry)
//! and what both sides use (error, float, json, text). The request side
//! (src/requests.rs) builds on it; src/lib.rs has the module map of both.

#![no_std]
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

extern crate alloc;
// std as in src/lib.rs: everywhere but the npm build (`bare`).
#[cfg(not(all(target_arch = "wasm32", feature = "bare")))]
extern crate std;

/// What std's prelude would give every module (of this crate and of
/// src/requests.rs).
#[doc(hidden)]
#[allow(unused_imports)]
pub mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

pub mod error;
// float and text: public for the request side, not part of the API.
#[doc(hidden)]
pub mod float;
pub mod json;
pub mod protocol;
pub mod reply;
pub mod retry;
pub mod sse;
pub mod stream;
#[doc(hidden)]
pub mod text;

pub use error::{Error, ErrorKind};
