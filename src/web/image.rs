//! `estimateImageTokens` and `prepareImage`: the core's resize rules, and
//! the browser's decoder and canvas (driven from glue.js) to apply them
//! before upload.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::convert::{self, get};
use super::glue;
use super::iter::PartIterator;
use crate::error::Error;
use crate::models::{self, Family};
use crate::vision;

/// Unknown ids get Qwen3-VL's rules, as API.md says.
fn family(model: &str) -> Family {
    models::rules(model).map_or(Family::Qwen3Vl, |r| r.family)
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn opt_max_pixels(options: &JsValue) -> Result<Option<f64>, Error> {
    let v = get(options, "maxPixels");
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if positive(n) => Ok(Some(n)),
        _ => Err(Error::invalid_request(
            "maxPixels must be a positive number",
        )),
    }
}

/// The tokens an image of this size costs with `model` (after the
/// server's own resize).
#[wasm_bindgen(js_name = estimateImageTokens)]
pub fn estimate_image_tokens(
    width: f64,
    height: f64,
    model: &str,
    #[wasm_bindgen(
        unchecked_optional_param_type = "{ highResolution?: boolean; maxPixels?: number }"
    )]
    options: JsValue,
) -> Result<u32, JsValue> {
    let check = || -> Result<u32, Error> {
        if !positive(width) || !positive(height) {
            return Err(Error::invalid_request(
                "estimateImageTokens needs a positive width and height in pixels",
            ));
        }
        let max = opt_max_pixels(&options)?;
        let high = get(&options, "highResolution").as_bool().unwrap_or(false);
        Ok(vision::image_tokens(
            width,
            height,
            family(model),
            max,
            high,
        ))
    };
    check().map_err(|e| convert::error(&e, None))
}

/// Decodes (honouring EXIF orientation), downsizes to fit `maxPixels`
/// (default: the model's own limit), re-encodes, and reports the cost.
#[wasm_bindgen(
    js_name = prepareImage,
    unchecked_return_type = "Promise<{ dataUrl: string; width: number; height: number; bytes: number; tokens: number }>"
)]
pub fn prepare_image(
    #[wasm_bindgen(unchecked_param_type = "Blob")] image: JsValue,
    #[wasm_bindgen(
        unchecked_optional_param_type = "{ model?: string; maxPixels?: number; mimeType?: string; quality?: number }"
    )]
    options: JsValue,
) -> Promise {
    // The checks come in glue.js's order: a Blob, a browser, maxPixels.
    let max_pixels = match opt_max_pixels(&options) {
        Ok(Some(n)) => JsValue::from_f64(n),
        Ok(None) => JsValue::UNDEFINED,
        Err(e) => convert::error(&e, None),
    };
    glue::prepare(
        PartIterator {},
        &image,
        &get(&options, "model").as_string().unwrap_or_default(),
        &max_pixels,
        get(&options, "mimeType").as_string(),
        get(&options, "quality").as_f64(),
    )
}
