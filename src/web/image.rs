//! `estimateImageTokens` and `prepareImage`: the core's resize rules, and
//! the browser's decoder and canvas to apply them before upload.

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions, ImageOrientation, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d,
};

use super::convert::{self, get, set};
use super::reader::read_blob;
use crate::error::Error;
use crate::models::{self, Family};
use crate::vision;

#[wasm_bindgen]
extern "C" {
    /// A global, so it works in Workers too; `catch` because it throws
    /// synchronously for some inputs instead of rejecting.
    #[wasm_bindgen(js_name = createImageBitmap, catch)]
    fn create_image_bitmap(image: &Blob, options: &ImageBitmapOptions) -> Result<Promise, JsValue>;
}

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

fn no_canvas() -> Error {
    Error::invalid_request(
        "prepareImage needs createImageBitmap and OffscreenCanvas (a browser page or Worker); \
         elsewhere, resize the image before sending it",
    )
}

async fn prepare(image: JsValue, options: JsValue) -> Result<JsValue, Error> {
    if !image.is_instance_of::<Blob>() {
        return Err(Error::invalid_request("prepareImage needs a Blob or File"));
    }
    let blob: Blob = image.unchecked_into();
    let global: JsValue = js_sys::global().into();
    if get(&global, "createImageBitmap").is_undefined()
        || get(&global, "OffscreenCanvas").is_undefined()
    {
        return Err(no_canvas());
    }
    let fam = family(&get(&options, "model").as_string().unwrap_or_default());
    let max_pixels = match opt_max_pixels(&options)? {
        Some(n) => n as u64,
        None => vision::default_max_pixels(fam, false),
    };
    let mime = get(&options, "mimeType").as_string();
    let quality = get(&options, "quality").as_f64();

    let undecodable = || {
        let msg = String::from("this browser cannot decode the image (type ")
            + &convert::blob_type(&blob)
            + "); convert it to JPEG, PNG or WebP first (HEIC photos are not decodable in \
               Chromium or Firefox)";
        Error::invalid_request(msg)
    };
    let opts = ImageBitmapOptions::new();
    // Phone photos carry their rotation in EXIF; without this they arrive
    // sideways.
    opts.set_image_orientation(ImageOrientation::FromImage);
    let promise = create_image_bitmap(&blob, &opts).map_err(|_| undecodable())?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| undecodable())?
        .unchecked_into();
    let (w, h) = vision::fit(bitmap.width(), bitmap.height(), max_pixels);
    let (w, h) = (w.max(1), h.max(1));

    let canvas = OffscreenCanvas::new(w, h).map_err(|_| no_canvas())?;
    let ctx: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or_else(no_canvas)?
        .unchecked_into();
    let drawn =
        ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w.into(), h.into());
    bitmap.close();
    drawn.map_err(|_| undecodable())?;

    let enc = ImageEncodeOptions::new();
    // JPEG is much smaller for photos, but would turn a PNG's transparency
    // black and blur a diagram's text: keep PNG and WebP as they came.
    let mime = mime.unwrap_or_else(|| match blob.type_().as_str() {
        t @ ("image/png" | "image/webp") => String::from(t),
        _ => String::from("image/jpeg"),
    });
    enc.set_type(&mime);
    if let Some(q) = quality {
        enc.set_quality(q);
    }
    let out: Blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&enc)
            .map_err(|_| no_canvas())?,
    )
    .await
    .map_err(|_| Error::invalid_request("the browser could not encode the image"))?
    .unchecked_into();
    let data_url = read_blob(&out).await?;
    let tokens = vision::image_tokens(w.into(), h.into(), fam, Some(max_pixels as f64), false);

    let o: JsValue = Object::new().into();
    set(&o, "dataUrl", &JsValue::from_str(&data_url));
    set(&o, "width", &JsValue::from(w));
    set(&o, "height", &JsValue::from(h));
    set(&o, "bytes", &JsValue::from_f64(out.size()));
    set(&o, "tokens", &JsValue::from(tokens));
    Ok(o)
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
    wasm_bindgen_futures::future_to_promise(async move {
        prepare(image, options)
            .await
            .map_err(|e| convert::error(&e, None))
    })
}
