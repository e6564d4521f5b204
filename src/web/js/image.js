// @ts-check
// estimateImageTokens and prepareImage: the core's resize rules (wire.rs
// `estimateImageTokens`, `fit`), and the browser's decoder and canvas to
// apply them before upload.

import * as wire from "./wire.js";
import { makeError } from "./errors.js";

/** @typedef {import("./public").PreparedImage} PreparedImage */

/**
 * An option that must be a number, as the core takes it: undefined when
 * absent, NaN (refused by the core) when not a number.
 * @param {unknown} v
 */
const num = (v) => (v == null ? undefined : typeof v === "number" ? v : NaN);

/**
 * @param {unknown} options
 * @returns {Record<string, unknown>}
 */
const fields = (options) => (options !== null && typeof options === "object" ? /** @type {Record<string, unknown>} */ (options) : {});

/**
 * The tokens an image of this size costs with `model` (after the server's
 * own resize). Unknown models: Qwen3-VL's rules.
 * @param {number} width
 * @param {number} height
 * @param {string} model
 * @param {{ highResolution?: boolean; maxPixels?: number }} [options]
 * @returns {number}
 */
export function estimateImageTokens(width, height, model, options) {
  wire.assertReady();
  const o = fields(options);
  const w = typeof width === "number" ? width : NaN;
  const h = typeof height === "number" ? height : NaN;
  return wire.estimateImageTokens(w, h, typeof model === "string" ? model : "", o.highResolution === true, num(o.maxPixels));
}

/** @param {string} message */
const invalid = (message) => makeError("InvalidRequestError", message, { retryable: false });

const NO_CANVAS =
  "prepareImage needs createImageBitmap and OffscreenCanvas (a browser page or Worker); elsewhere, resize the image before sending it";

/**
 * Decodes (honouring EXIF orientation), downsizes to fit `maxPixels`
 * (default: the model's own limit), re-encodes, and reports the cost.
 * @param {Blob} image
 * @param {{ model?: string; maxPixels?: number; mimeType?: string; quality?: number }} [options]
 * @returns {Promise<PreparedImage>}
 */
export async function prepareImage(image, options) {
  wire.assertReady();
  const o = fields(options);
  const model = typeof o.model === "string" ? o.model : "";
  const maxPixels = num(o.maxPixels);
  if (!(image instanceof Blob)) throw invalid("prepareImage needs a Blob or File");
  if (typeof createImageBitmap !== "function" || typeof OffscreenCanvas !== "function") throw invalid(NO_CANVAS);
  wire.checkMaxPixels(maxPixels);
  const undecodable = () =>
    invalid(
      "this browser cannot decode the image (type " +
        (image.type || "application/octet-stream") +
        "); convert it to JPEG, PNG or WebP first (HEIC photos are not decodable in Chromium or Firefox)",
    );
  // Phone photos carry their rotation in EXIF; without this they arrive sideways.
  /** @param {Blob} blob */
  const decode = (blob) => createImageBitmap(blob, { imageOrientation: "from-image" });
  let bitmap;
  try {
    bitmap = await decode(image);
  } catch {
    // Firefox sniffs the format from a Blob's first part alone: a Blob
    // spliced from parts (the first shorter than 3 bytes) is "undecodable"
    // there. Once more as one part.
    try {
      bitmap = await decode(new Blob([await image.arrayBuffer()], { type: image.type }));
    } catch {
      throw undecodable();
    }
  }
  const { width, height, tokens } = wire.fit(bitmap.width, bitmap.height, model, maxPixels);
  let canvas, ctx;
  try {
    canvas = new OffscreenCanvas(width, height);
    ctx = canvas.getContext("2d");
  } catch {}
  if (!canvas || !ctx) {
    bitmap.close();
    throw invalid(NO_CANVAS);
  }
  try {
    ctx.drawImage(bitmap, 0, 0, width, height);
  } catch {
    throw undecodable();
  } finally {
    bitmap.close();
  }
  // JPEG is much smaller for photos, but would turn a PNG's transparency
  // black and blur a diagram's text: keep PNG and WebP as they came.
  const type =
    typeof o.mimeType === "string" ? o.mimeType : image.type === "image/png" || image.type === "image/webp" ? image.type : "image/jpeg";
  const quality = typeof o.quality === "number" ? o.quality : undefined;
  let out;
  try {
    out = await canvas.convertToBlob(quality === undefined ? { type } : { type, quality });
  } catch {
    throw invalid("the browser could not encode the image");
  }
  // The engine's base64 (FileReader is wherever OffscreenCanvas is): no
  // wasm export for it.
  /** @type {string} */
  let dataUrl;
  try {
    dataUrl = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(/** @type {string} */ (reader.result));
      reader.onerror = reject;
      reader.readAsDataURL(out);
    });
  } catch {
    throw invalid("could not read an image Blob");
  }
  return { dataUrl, width, height, bytes: out.size, tokens };
}
