//! The wasm binding layer. OWNER: web helper.
