// @ts-check
// The package's main module (pkg/visual_reasoning.js, bundled by
// scripts/build.sh): the exports of API.md, in JavaScript over the wasm
// core. public.d.ts declares them (pkg/visual_reasoning.d.ts).
//
//   index.js      this list; init / initSync
//   client.js     Client, Conversation, ReasoningStream (the public classes)
//   errors.js     the error classes
//   transport.js  fetch, retries, timers, the body loop (Run)
//   parts.js      the parts queue, the iterator, ReadableStream views
//   options.js    options encoding for the core
//   image.js      estimateImageTokens, prepareImage
//   wire.js       the boundary: the only caller of the wasm (src/web/wire.rs)

import * as wire from "./wire.js";

export { Client, Conversation, ReasoningStream } from "./client.js";
export {
  VisualReasoningError,
  ApiError,
  NetworkError,
  TimeoutError,
  AbortError,
  StreamError,
  InvalidRequestError,
} from "./errors.js";
export { estimateImageTokens, prepareImage } from "./image.js";

/**
 * Loads the wasm: by default the build this engine can run (with wasm SIMD,
 * or without where SIMD is missing), from next to this module — read from
 * disk in Node, Deno and Bun, fetched elsewhere; or what `{ module_or_path }`
 * gives (a URL, a Response, the bytes, a compiled Module). Resolves once the
 * package is usable; again: the same module.
 * @param {Parameters<typeof wire.load>[0]} [options]
 */
export default function init(options) {
  return wire.load(options);
}

/**
 * Loads the wasm from `{ module }` (its bytes or a compiled Module) at once.
 * @param {Parameters<typeof wire.loadSync>[0]} options
 */
export function initSync(options) {
  return wire.loadSync(options);
}

/**
 * The model catalog: every id (aliases and dated snapshots included).
 * @returns {import("./public").ModelInfo[]}
 */
export function models() {
  wire.assertReady();
  return wire.models();
}

/**
 * The rules for any model id: its catalog entry, or for an id outside the
 * catalog the rules its prefix implies (`qvq-…`, `qwen3-vl-…-thinking`,
 * `qwen3-vl-…`; `regions` then empty: not known), else undefined.
 * @param {string} id
 * @returns {import("./public").ModelInfo | undefined}
 */
export function modelInfo(id) {
  wire.assertReady();
  return wire.modelInfo(typeof id === "string" ? id : "");
}
