//! The two functions the npm build's wasm takes from the JavaScript engine
//! that loads it, instead of carrying its own: `String(n)` (the shortest
//! round-trip digits in ECMA-262's layout, which the core's JSON writer
//! needs for non-integral numbers; zmij and the layout weigh ≈ 2.3 KB gzip)
//! and `Math.sqrt` (IEEE 754's correctly rounded square root, as libm's).
//!
//! A crate of its own so that the core (`src/` outside `src/web/`) names no
//! binding type: the core calls these as plain functions, only in builds for
//! wasm32 with its `binding` feature; the host and the core weighed alone
//! (bench/floor) use zmij and libm, and tests/web and tests/node check that
//! both give the same results.
#![no_std]

#[cfg(target_arch = "wasm32")]
extern crate alloc;

#[cfg(target_arch = "wasm32")]
mod imports {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        /// `String(n)`.
        #[wasm_bindgen(js_name = String)]
        pub fn number_to_string(n: f64) -> alloc::string::String;

        /// `Math.sqrt(x)`.
        #[wasm_bindgen(js_namespace = Math)]
        pub fn sqrt(x: f64) -> f64;
    }
}

#[cfg(target_arch = "wasm32")]
pub use imports::{number_to_string, sqrt};
