//! The request side of the core, its own crate (`crates/requests`, built
//! at opt-level "s": code that runs once per request, where bytes count
//! more than cycles): options, validation, request building, the model
//! catalog, image maths. It builds on the reply side (src/replies.rs);
//! src/lib.rs has the module map of both.

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

// The reply side's modules under the names this crate's modules use.
use replies::{error, float, json, prelude, protocol, text};

pub mod base64;
pub mod models;
pub mod options;
pub mod request;
pub mod vision;
