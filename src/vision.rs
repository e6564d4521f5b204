//! Image token estimation: the resize rules of PROTOCOL.md §7 per family.
//!
//! OWNER: core-request helper. Interface:
//! `pub fn image_tokens(width: f64, height: f64, family: Family, max_pixels: Option<f64>, high_resolution: bool) -> u32`
//! `pub fn max_pixels(family: Family, high_resolution: bool) -> u64`
//! `pub fn fit(width, height, max_pixels) -> (u32, u32)` (the size prepareImage downscales to).
