//! Image token estimation: the resize rules of PROTOCOL.md §7 per family,
//! and the downscale target `prepareImage` uses.
//!
//! The service resizes every image to multiples of a patch factor `f`
//! (the qwen-vl-utils `smart_resize`) and bills one token per `f × f`
//! patch plus two. Reproducing the resize exactly — including Python's
//! round-half-to-even — is what makes the estimate match the bill.

use crate::float::{ceil, floor, round_ties_even, sqrt};
use crate::models::Family;
#[allow(unused_imports)]
use crate::prelude::*;

/// The patch edge in pixels.
fn factor(family: Family) -> f64 {
    match family {
        Family::Qwen3Vl => 32.0,
        Family::Qvq => 28.0,
    }
}

/// The pixel budget the service resizes down to when the caller sets no
/// `max_pixels`: 2,560 patches for Qwen3-VL, 1,280 for QVQ, and 16,384
/// with `vl_high_resolution_images`.
pub fn default_max_pixels(family: Family, high_resolution: bool) -> u64 {
    let f = factor(family) as u64;
    let patches = match (high_resolution, family) {
        (true, _) => 16_384,
        (false, Family::Qwen3Vl) => 2_560,
        (false, Family::Qvq) => 1_280,
    };
    patches * f * f
}

/// Tokens one `width × height` image costs on `family`.
///
/// `max_pixels` is the caller's per-image limit; it is kept within
/// `[min_pixels, 16,384 · f²]` (the service's own bounds), and ignored when
/// `high_resolution` is set, which fixes the limit at 16,384 · f² (the
/// service documents `vl_high_resolution_images` as overriding it). A
/// missing, non-finite or non-positive `max_pixels` means the default.
/// A non-finite or non-positive width or height costs 0: there is no image.
pub fn image_tokens(
    width: f64,
    height: f64,
    family: Family,
    max_pixels: Option<f64>,
    high_resolution: bool,
) -> u32 {
    if !(width.is_finite() && height.is_finite() && width > 0.0 && height > 0.0) {
        return 0;
    }
    let f = factor(family);
    let min_pixels = 4.0 * f * f;
    let ceiling = 16_384.0 * f * f;
    let max_pixels = match max_pixels {
        Some(m) if !high_resolution && m.is_finite() && m > 0.0 => {
            // Not `clamp`: its NaN/order assertion formats f64s with
            // core::fmt, kilobytes of wasm for a panic that cannot happen.
            m.max(min_pixels).min(ceiling)
        }
        _ => default_max_pixels(family, high_resolution) as f64,
    };
    let (w, h) = resize(width, height, f, min_pixels, max_pixels);
    let tokens = w * h / (f * f) + 2.0;
    // `as` saturates; the resize keeps this far below u32::MAX anyway.
    tokens as u32
}

/// qwen-vl-utils `smart_resize`: (width, height), both multiples of `f`.
/// The `max(f, …)` guards are the reference code's (PROTOCOL.md §7 leaves
/// them out); they only matter for extreme aspect ratios, where flooring
/// the short side would otherwise give 0.
fn resize(width: f64, height: f64, f: f64, min_pixels: f64, max_pixels: f64) -> (f64, f64) {
    let mut h = f.max(round_ties_even(height / f) * f);
    let mut w = f.max(round_ties_even(width / f) * f);
    if h * w > max_pixels {
        let beta = sqrt(height * width / max_pixels);
        h = f.max(floor(height / beta / f) * f);
        w = f.max(floor(width / beta / f) * f);
    } else if h * w < min_pixels {
        let beta = sqrt(min_pixels / (height * width));
        h = ceil(height * beta / f) * f;
        w = ceil(width * beta / f) * f;
    }
    (w, h)
}

/// The largest `(width, height)` with (nearly) the same aspect ratio and
/// `width · height <= max_pixels`; an image that already fits is returned
/// unchanged (never upscaled). Neither side goes below 1 pixel, so for a
/// `max_pixels` below 1 (or an absurd aspect ratio) the 1-pixel floor wins
/// over the budget. A zero-sized input is returned as is.
pub fn fit(width: u32, height: u32, max_pixels: u64) -> (u32, u32) {
    let area = u64::from(width) * u64::from(height);
    if area <= max_pixels || area == 0 {
        return (width, height);
    }
    let scale = sqrt(max_pixels as f64 / area as f64);
    let mut w = (floor(f64::from(width) * scale) as u32).max(1);
    let mut h = (floor(f64::from(height) * scale) as u32).max(1);
    // The float scale can land a pixel over the budget: step the longer
    // side down until it fits (at most a couple of steps).
    while u64::from(w) * u64::from(h) > max_pixels && (w > 1 || h > 1) {
        if w >= h {
            w -= 1;
        } else {
            h -= 1;
        }
    }
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_rounds_half_to_even() {
        // 406 / 28 = 14.5 -> 14, not 15.
        assert_eq!(
            resize(1024.0, 406.0, 28.0, 3136.0, 1_003_520.0),
            (1036.0, 392.0)
        );
    }
}
