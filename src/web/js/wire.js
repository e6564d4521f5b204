// @ts-check
// The JavaScript side of the boundary with the wasm core: the only module
// that imports wasm-bindgen's output, and the one owner here of the formats
// the two sides share. Its counterpart is src/web/wire.rs, whose docs (and
// docs/boundary.md) list the formats; each is defined once on each side:
// the constants below, and the Rust constants and encoders that
// `contract()` describes. `load` compares the two when the package loads,
// so a change to one side alone fails loudly, naming the format.
//
// Core calls that fail return an *error record* (JSON text beginning
// `{"kind":`, wire.rs `record`) where they would return their value (or
// nothing); every wrapper here turns it into the error classes, so no
// other module sees a record or calls the core directly.

import initCore, {
  initSync as initCoreSync,
  contract,
  client as coreClient,
  start as coreStart,
  startError as coreStartError,
  StreamCore,
  retryable as coreRetryable,
  backoff as coreBackoff,
  models as coreModels,
  modelInfo as coreModelInfo,
  estimateImageTokens as coreEstimate,
  fit as coreFit,
} from "../../../target/wasm-core/visual_reasoning.js";
import { makeError } from "./errors.js";

export { StreamCore };

/** @typedef {import("./errors.js").ErrorName} ErrorName */
/** @typedef {import("./errors.js").VisualReasoningError} VisualReasoningError */
/** @typedef {import("./public").Result} Result */
/** @typedef {import("./public").Usage} Usage */
/** @typedef {import("./public").ModelInfo} ModelInfo */

// ------------------------------------------------------------ the formats

/** Error kinds: an error's kind crosses as its index here (`ErrorKind::ALL`). */
/** @type {ErrorName[]} */
export const KINDS = ["ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError"];

/** Option markers: `{"\u0000":"<tag>"…}` (options.rs `marker`). */
export const MARKER = {
  key: "\u0000",
  num: "n",
  blob: "b",
  blobType: "t",
  signal: "s",
  extra: "x",
  extraText: "j",
  extraBad: "x!",
  unsupported: "?",
};

/** The per-read part string (wire.rs `StreamCore::feed`). */
const PARTS = { reasoning: "r", answer: "a", usage: "u", sep: ":", done: 1, data: 2 };

/** The transport config's keys (options.rs `transport_json`). */
const TRANSPORT = ["url", "headers", "timeoutMs", "idleTimeoutMs", "maxRetries", "apiKey"];

/** The client record's keys (wire.rs `client`). */
const CLIENT = ["target", "stream", "json"];

/** An error record's keys (wire.rs `record`). */
const RECORD = ["kind", "message", "status", "code", "requestId", "retryable"];

/** The image fit tuple (wire.rs `fit`). */
const FIT = ["width", "height", "tokens"];

const EXPECTED = JSON.stringify({
  kinds: KINDS,
  marker: MARKER,
  parts: PARTS,
  transport: TRANSPORT,
  client: CLIENT,
  error: RECORD,
  fit: FIT,
});

/** Throws unless the wasm describes the formats exactly as this file does. */
function checkContract() {
  const got = contract();
  if (got === EXPECTED) return;
  /** @type {Record<string, unknown>} */
  let have = {};
  try {
    have = JSON.parse(got);
  } catch {}
  const want = JSON.parse(EXPECTED);
  const differ = Object.keys(want).filter((k) => JSON.stringify(have[k]) !== JSON.stringify(want[k]));
  throw new Error(
    "visual-reasoning: this JavaScript and the .wasm it loaded come from different builds " +
      `(they disagree on the boundary format${differ.length > 1 ? "s" : ""} ${differ.join(", ")}). ` +
      "Serve the visual_reasoning_bg.wasm built with this visual_reasoning.js.",
  );
}

// ------------------------------------------------------------ loading

// Tiny modules that validate only where the engine has a wasm feature:
// SIMD (i8x16.popcnt of a splat), and reference types (ref.null func).
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
const REFTYPES_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 0, 208, 112, 26, 11];

/** @param {number[]} bytes */
const validates = (bytes) => WebAssembly.validate(new Uint8Array(bytes));

/** The engines the package runs in (README "Supported engines"). */
const MINIMUM = "Chrome 96, Firefox 90, Safari 15 (iOS 15), Node 20, Deno 2, Bun 1.1 or later";

/**
 * The first feature the package needs that this scope lacks, named for
 * the error; undefined when everything is there. Engines new enough to
 * parse this module have all but wasm's (old Chromium lacks reference
 * types; iOS Lockdown Mode, `node --jitless` and some policies turn wasm
 * off); other runtimes may lack the rest. (TextDecoder and TextEncoder
 * are not checked: wasm-bindgen's glue makes one as the module loads, so
 * a runtime without them fails at import, with a ReferenceError naming it.)
 */
function missingFeature() {
  const g = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (globalThis));
  if (typeof g.WebAssembly !== "object" || g.WebAssembly === null)
    return "WebAssembly, which this engine lacks or has turned off (iOS Lockdown Mode and some enterprise policies do)";
  if (!validates(REFTYPES_PROBE)) return "WebAssembly reference types (Chrome 96, Firefox 79, Safari 15)";
  if (typeof g.fetch !== "function") return "fetch";
  const R = g.Response;
  if (typeof R !== "function" || !("body" in R.prototype) || typeof g.ReadableStream !== "function")
    return "streamed fetch responses (Response.body, a ReadableStream)";
  if (typeof g.AbortController !== "function") return "AbortController";
  return undefined;
}

/** Throws an Error naming the first missing feature and the engines that have it. */
function checkEngine() {
  const feature = missingFeature();
  if (feature) throw new Error(`visual-reasoning cannot run here: it needs ${feature}. It runs in ${MINIMUM}`);
}

/**
 * The .wasm this engine can run, next to this module: the SIMD build, or
 * where wasm SIMD is missing (Safari before 16.4) the build without it, so
 * that an engine downloads only the one it compiles. Each
 * `new URL(literal, import.meta.url)` is a pattern bundlers (Vite,
 * webpack, Rollup) recognise and copy as an asset.
 */
function defaultWasm() {
  try {
    return validates(SIMD_PROBE)
      ? new URL("visual_reasoning_bg.wasm", import.meta.url)
      : new URL("visual_reasoning_nosimd_bg.wasm", import.meta.url);
  } catch (e) {
    throw new Error(
      `visual-reasoning cannot tell where its .wasm is (this module's import.meta.url is ${String(import.meta.url)}): ` +
        'pass it to init({ module_or_path }) as a URL, bytes or a WebAssembly.Module (in a Cloudflare Worker: import "visual-reasoning/auto")',
      { cause: e },
    );
  }
}

// Hidden from bundlers (a specifier they cannot read): only Node, Deno and
// Bun reach this import, and browser bundles must not try to resolve it.
const NODE_FS = ["node", "fs/promises"].join(":");

/**
 * A `file:` URL's bytes, read from disk where there is a disk (Node, Deno,
 * Bun: their fetch cannot read `file:` URLs, or needs a permission for
 * it); anything else as it is, for wasm-bindgen to fetch.
 * @param {unknown} wasm
 */
async function local(wasm) {
  const url = wasm instanceof URL ? wasm : typeof wasm === "string" && wasm.startsWith("file:") ? new URL(wasm) : undefined;
  if (url?.protocol !== "file:") return wasm;
  /** @type {{ readFile(path: URL): Promise<Uint8Array> }} */
  let fs;
  try {
    fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS);
  } catch {
    return url; // no node:fs (an Electron page, say): the engine's fetch may read file: URLs
  }
  try {
    return await fs.readFile(url);
  } catch (e) {
    throw new Error(`visual-reasoning could not read its .wasm at ${url.href}: ${/** @type {Error} */ (e)?.message}`, { cause: e });
  }
}

let ready = false;
/** @type {WebAssembly.Exports | undefined} */
let loaded;
/** @type {Promise<WebAssembly.Exports> | undefined} */
let loading;

/**
 * The `init()` argument's wasm, or undefined for the default (the
 * wasm-bindgen forms: `{ module_or_path }`, or the value itself).
 * @param {unknown} input
 */
function given(input) {
  if (input !== null && typeof input === "object" && Object.getPrototypeOf(input) === Object.prototype) {
    return /** @type {{ module_or_path?: unknown }} */ (input).module_or_path;
  }
  return input;
}

/**
 * The engine check, wasm-bindgen's init (with the .wasm the engine can
 * run unless the caller gave one), then the contract check.
 * @param {Parameters<typeof initCore>[0]} [input]
 */
export function load(input) {
  if (loaded) return Promise.resolve(loaded);
  // Calls while one loads share it (one fetch or read); a failure lets the next try again.
  loading ??= (async () => {
    checkEngine();
    const wasm = await local(given(input) ?? defaultWasm());
    const exports = await initCore({ module_or_path: /** @type {import("../../../target/wasm-core/visual_reasoning.js").InitInput} */ (wasm) });
    checkContract();
    ready = true;
    loaded = /** @type {WebAssembly.Exports} */ (/** @type {unknown} */ (exports));
    return loaded;
  })().finally(() => {
    loading = undefined;
  });
  return loading;
}

/** @param {Parameters<typeof initCoreSync>[0]} input */
export function loadSync(input) {
  if (loaded) return loaded;
  checkEngine();
  const exports = initCoreSync(input);
  checkContract();
  ready = true;
  loaded = /** @type {WebAssembly.Exports} */ (/** @type {unknown} */ (exports));
  return loaded;
}

const NOT_READY =
  "visual-reasoning is not initialised yet: `await init()` (the package's default export) before using it, " +
  'or import "visual-reasoning/auto", which does that itself';

/** Throws the "call init() first" Error before the module is loaded. */
export function assertReady() {
  if (!ready) throw new Error(NOT_READY);
}

// ------------------------------------------------------------ errors

/** How every error record begins (its first key, `RECORD[0]`). */
const RECORD_START = `{"${RECORD[0]}":`;

/**
 * Whether a core call's value is an error record: none of the values the
 * failing calls return begins so (a client record, a Result, a part
 * string, a token count).
 * @param {string} text
 */
const failed = (text) => text.startsWith(RECORD_START);

/**
 * An error record as its error class.
 * @param {string} record
 * @returns {VisualReasoningError}
 */
function fromCore(record) {
  const r = JSON.parse(record);
  return makeError(KINDS[r.kind], r.message, r);
}

/**
 * Throws the error of a call that returns its record or nothing.
 * @param {string | undefined} record
 */
function check(record) {
  if (record !== undefined) throw fromCore(record);
}

/**
 * The core's retry rule for a failure the transport saw.
 * @param {ErrorName} kind
 * @param {boolean} bodyStarted  bytes of the reply's body had arrived
 */
export function retryable(kind, bodyStarted) {
  return coreRetryable(KINDS.indexOf(kind), bodyStarted);
}

/**
 * Milliseconds to wait before retry `attempt` + 1.
 * @param {number} attempt
 * @param {string | undefined} retryAfter  the Retry-After header
 */
export function backoff(attempt, retryAfter) {
  return coreBackoff(attempt, Math.random(), retryAfterMs(retryAfter, Date.now()));
}

const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;

/**
 * A Retry-After header in milliseconds from `now`, unclamped (the core
 * clamps it to 0..60 s): delta-seconds (`"120"`) or an IMF-fixdate (`"Sun,
 * 06 Nov 1994 08:49:37 GMT"`, RFC 9110 §5.6.7; the weekday is not checked
 * against the date, a leap second is allowed). Anything else — the
 * obsolete RFC 850 and asctime forms, fractions, signs — is undefined: the
 * normal backoff applies. The same rule as the core's
 * `retry::retry_after_ms`, here so the wasm carries no calendar code
 * (`Date` has one).
 * @param {string | undefined} header
 * @param {number} now  Unix epoch milliseconds
 * @returns {number | undefined}
 */
export function retryAfterMs(header, now) {
  if (header === undefined) return undefined;
  const v = header.replace(/^[ \t]+|[ \t]+$/g, "");
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const m = IMF_FIXDATE.exec(v);
  if (!m || !Number.isFinite(now)) return undefined;
  const [day, year, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6]].map(Number);
  const month = "JanFebMarAprMayJunJulAugSepOctNovDec".indexOf(m[2]) / 3;
  // setUTCFullYear, not Date.UTC: no 19xx for years below 100. A day past
  // the month's end rolls over into the next month: refused.
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (day < 1 || date.getUTCMonth() !== month || hour > 23 || minute > 59 || second > 60) return undefined;
  return date.getTime() + (hour * 3600 + minute * 60 + second) * 1000 - now;
}

// ------------------------------------------------------------ client

/**
 * What a request needs of its client's options (options.rs
 * `transport_json`): a timeout of null is none.
 * @typedef {{ url: string, headers: [string, string, string?][], timeoutMs: number, idleTimeoutMs: number, maxRetries: number, apiKey?: string }} TransportConfig
 */

/**
 * A client's resolved options: `target`, a number only the core reads
 * (it hands it back to `start`), and the transport config for streaming
 * and for JSON requests.
 * @typedef {{ target: number, stream: TransportConfig, json: TransportConfig }} ClientRecord
 */

/**
 * ClientOptions resolved; throws InvalidRequestError.
 * @param {string} json  ClientOptions, encoded (options.js)
 * @param {Float64Array} nums
 * @param {boolean} browser  a page or Worker scope
 * @returns {ClientRecord}
 */
export function client(json, nums, browser) {
  const text = coreClient(json, nums, browser);
  if (failed(text)) throw fromCore(text);
  const r = JSON.parse(text);
  for (const cfg of [r.stream, r.json]) {
    cfg.timeoutMs ??= Infinity;
    cfg.idleTimeoutMs ??= Infinity;
  }
  return r;
}

/**
 * Converts and validates a request; throws InvalidRequestError.
 * @param {number} target  the client record's
 * @param {string} json  RequestOptions, encoded (options.js)
 * @param {Float64Array} nums
 * @param {boolean} complete  read `transport` too
 */
export function start(target, json, nums, complete) {
  const core = coreStart(target, json, nums, complete);
  if (core === undefined) throw fromCore(/** @type {string} */ (coreStartError(target, json, nums, complete)));
  return core;
}

// ------------------------------------------------------------ stream

/** @param {StreamCore} core */
export const isJson = (core) => core.json;
/** @param {StreamCore} core */
export const blobOrder = (core) => /** @type {number[]} */ (JSON.parse(core.blobs()));
/**
 * @param {StreamCore} core
 * @param {number} index
 * @param {string} type
 * @param {Uint8Array} bytes
 */
export const blob = (core, index, type, bytes) => core.blob(index, type, bytes);
/** @param {StreamCore} core */
export const body = (core) => core.body();
/**
 * Frees the core's wasm memory now (the stream ended); later calls on it
 * throw.
 * @param {StreamCore} core
 */
export const free = (core) => core.free();
/**
 * The reply's model, finish reason and request id (the absent ones undefined).
 * @param {StreamCore} core
 * @returns {{ model: string, finishReason?: string, requestId?: string }}
 */
export const meta = (core) => JSON.parse(core.meta());

/**
 * Response headers: throws StreamError unless it is an event stream.
 * @param {StreamCore} core
 * @param {string | undefined} contentType
 * @param {string | undefined} id
 */
export function headers(core, contentType, id) {
  check(core.headers(contentType, id));
}

/**
 * What `feed` hands each part to.
 * @typedef {object} PartSink
 * @property {(text: string) => void} reasoningPart
 * @property {(text: string) => void} answerPart
 * @property {() => void} usagePart
 */

const DONE = PARTS.done;
const DATA = PARTS.data;
const R = PARTS.reasoning;
const U = PARTS.usage;
const SEP_CODE = PARTS.sep.charCodeAt(0);
/** `{`: a part string begins with its flags digit, an error record so. */
const RECORD_CODE = RECORD_START.charCodeAt(0);

/**
 * One body read into the core; its parts to `sink`, in order. Returns the
 * flags: bit DONE, the reply has ended; bit DATA, an event carried data.
 * Throws the stream's error.
 * @param {StreamCore} core
 * @param {Uint8Array} bytes
 * @param {PartSink} sink
 */
export function feed(core, bytes, sink) {
  const out = core.feed(bytes);
  if (out === undefined) return 0;
  if (out.charCodeAt(0) === RECORD_CODE) throw fromCore(out);
  for (let i = 1; i < out.length; ) {
    const tag = out[i];
    if (tag === U) {
      sink.usagePart();
      i++;
      continue;
    }
    // The length's digits, read in place (no substring for Number()).
    let n = 0;
    let c = out.charCodeAt(++i);
    while (c !== SEP_CODE) {
      n = n * 10 + c - 48;
      c = out.charCodeAt(++i);
    }
    const end = i + 1 + n;
    const text = out.slice(i + 1, end);
    i = end;
    if (tag === R) sink.reasoningPart(text);
    else sink.answerPart(text);
  }
  return out.charCodeAt(0) - 48;
}
export { DONE, DATA };

/**
 * The usage if it changed since the last call (a new object), else undefined.
 * @param {StreamCore} core
 * @returns {Usage | undefined}
 */
export function usageUpdate(core) {
  const json = core.usage();
  return json === undefined ? undefined : JSON.parse(json);
}

/**
 * The body ended: throws unless the reply finished.
 * @param {StreamCore} core
 */
export function end(core) {
  check(core.end());
}

/**
 * The ApiError for an HTTP status >= 400 and its body.
 * @param {StreamCore} core
 * @param {number} status
 * @param {Uint8Array} bytes
 * @param {string | undefined} id
 */
export function httpError(core, status, bytes, id) {
  return fromCore(core.httpError(status, bytes, id));
}

/**
 * A `transport: "json"` body as the Result; throws its error.
 * @param {StreamCore} core
 * @param {Uint8Array} bytes
 * @param {string | undefined} id
 * @returns {Result}
 */
export function jsonResult(core, bytes, id) {
  const text = core.jsonResult(bytes, id);
  if (failed(text)) throw fromCore(text);
  return JSON.parse(text);
}

// ------------------------------------------------------------ models, images

/** @returns {ModelInfo[]} */
export const models = () => JSON.parse(coreModels());

/**
 * @param {string} id
 * @returns {ModelInfo | undefined}
 */
export function modelInfo(id) {
  const json = coreModelInfo(id);
  return json === undefined ? undefined : JSON.parse(json);
}

/**
 * @param {number} width
 * @param {number} height
 * @param {string} model
 * @param {boolean} high
 * @param {number | undefined} max
 */
export function estimateImageTokens(width, height, model, high, max) {
  const text = coreEstimate(width, height, model, high, max);
  if (failed(text)) throw fromCore(text);
  return Number(text);
}

/**
 * Throws InvalidRequestError for a bad maxPixels (NaN: not a number).
 * @param {number | undefined} max
 */
export function checkMaxPixels(max) {
  // The core checks maxPixels first, whatever the image.
  estimateImageTokens(1, 1, "", false, max);
}

/**
 * prepareImage's target size and the tokens it costs.
 * @param {number} width
 * @param {number} height
 * @param {string} model
 * @param {number | undefined} max
 * @returns {{ width: number, height: number, tokens: number }}
 */
export function fit(width, height, model, max) {
  /** @type {number[]} */
  const t = JSON.parse(coreFit(width, height, model, max));
  /** @param {string} k */
  const at = (k) => /** @type {number} */ (t[FIT.indexOf(k)]);
  return { width: at("width"), height: at("height"), tokens: at("tokens") };
}
