// @ts-check
// The JavaScript side of the boundary with the wasm core: the only module
// that imports wasm-bindgen's output, and the one owner here of the formats
// the two sides share. Its counterpart is src/web/wire.rs, whose docs (and
// docs/boundary.md) list the formats; each is defined once on each side:
// the constants below, and the Rust constants and encoders that
// `contract()` describes. `load` compares the two when the package loads,
// so a change to one side alone fails loudly, naming the format.
//
// Core calls that fail throw an *error record* (JSON text, wire.rs
// `record`); every wrapper here turns it into the error classes, so no
// other module sees a record or calls the core directly.

import initCore, {
  initSync as initCoreSync,
  contract,
  client as coreClient,
  start as coreStart,
  StreamCore,
  retryable as coreRetryable,
  backoff as coreBackoff,
  models as coreModels,
  modelInfo as coreModelInfo,
  estimateImageTokens as coreEstimate,
  maxPixels as coreMaxPixels,
  fit as coreFit,
  dataUrl as coreDataUrl,
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

let ready = false;

/**
 * wasm-bindgen's init, then the contract check.
 * @param {Parameters<typeof initCore>[0]} [input]
 */
export async function load(input) {
  const exports = await initCore(input);
  checkContract();
  ready = true;
  return /** @type {WebAssembly.Exports} */ (/** @type {unknown} */ (exports));
}

/** @param {Parameters<typeof initCoreSync>[0]} input */
export function loadSync(input) {
  const exports = initCoreSync(input);
  checkContract();
  ready = true;
  return /** @type {WebAssembly.Exports} */ (/** @type {unknown} */ (exports));
}

const NOT_READY =
  "visual-reasoning is not initialised yet: `await init()` (the package's default export) before using it, " +
  "or call initSync({ module }) with the .wasm's bytes";

/** Throws the "call init() first" Error before the module is loaded. */
export function assertReady() {
  if (!ready) throw new Error(NOT_READY);
}

// ------------------------------------------------------------ errors

/**
 * A value a core call threw: an error record, as the error class; anything
 * else (the engine ran out of memory, say) is passed on untouched.
 * @param {unknown} e
 * @returns {unknown}
 */
function fromCore(e) {
  if (typeof e !== "string") return e;
  const r = JSON.parse(e);
  return makeError(KINDS[r.kind], r.message, r);
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
  return coreBackoff(attempt, Math.random(), retryAfter, Date.now());
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
  let text;
  try {
    text = coreClient(json, nums, browser);
  } catch (e) {
    throw fromCore(e);
  }
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
  try {
    return coreStart(target, json, nums, complete);
  } catch (e) {
    throw fromCore(e);
  }
}

// ------------------------------------------------------------ stream

/** @param {StreamCore} core */
export const isJson = (core) => core.json;
/** @param {StreamCore} core */
export const blobOrder = (core) => core.blobs();
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
/** @param {StreamCore} core */
export const model = (core) => core.model;
/** @param {StreamCore} core */
export const finishReason = (core) => core.finishReason;
/** @param {StreamCore} core */
export const requestId = (core) => core.requestId;

/**
 * Response headers: throws StreamError unless it is an event stream.
 * @param {StreamCore} core
 * @param {string | undefined} contentType
 * @param {string | undefined} id
 */
export function headers(core, contentType, id) {
  try {
    core.headers(contentType, id);
  } catch (e) {
    throw fromCore(e);
  }
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
const SEP = PARTS.sep;

/**
 * One body read into the core; its parts to `sink`, in order. Returns the
 * flags: bit DONE, the reply has ended; bit DATA, an event carried data.
 * Throws the stream's error.
 * @param {StreamCore} core
 * @param {Uint8Array} bytes
 * @param {PartSink} sink
 */
export function feed(core, bytes, sink) {
  let out;
  try {
    out = core.feed(bytes);
  } catch (e) {
    throw fromCore(e);
  }
  for (let i = 1; i < out.length; ) {
    const tag = out[i];
    if (tag === U) {
      sink.usagePart();
      i++;
      continue;
    }
    const sep = out.indexOf(SEP, i + 1);
    const end = sep + 1 + Number(out.slice(i + 1, sep));
    const text = out.slice(sep + 1, end);
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
  try {
    core.end();
  } catch (e) {
    throw fromCore(e);
  }
}

/**
 * The ApiError for an HTTP status >= 400 and its body.
 * @param {StreamCore} core
 * @param {number} status
 * @param {Uint8Array} bytes
 * @param {string | undefined} id
 */
export function httpError(core, status, bytes, id) {
  return /** @type {VisualReasoningError} */ (fromCore(core.httpError(status, bytes, id)));
}

/**
 * A `transport: "json"` body as the Result; throws its error.
 * @param {StreamCore} core
 * @param {Uint8Array} bytes
 * @param {string | undefined} id
 * @returns {Result}
 */
export function jsonResult(core, bytes, id) {
  try {
    return JSON.parse(core.jsonResult(bytes, id));
  } catch (e) {
    throw fromCore(e);
  }
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
  try {
    return coreEstimate(width, height, model, high, max);
  } catch (e) {
    throw fromCore(e);
  }
}

/**
 * Throws InvalidRequestError for a bad maxPixels (NaN: not a number).
 * @param {number | undefined} max
 */
export function checkMaxPixels(max) {
  try {
    coreMaxPixels(max);
  } catch (e) {
    throw fromCore(e);
  }
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
  const t = coreFit(width, height, model, max);
  /** @param {string} k */
  const at = (k) => /** @type {number} */ (t[FIT.indexOf(k)]);
  return { width: at("width"), height: at("height"), tokens: at("tokens") };
}

/**
 * @param {string} type
 * @param {Uint8Array} bytes
 */
export const dataUrl = (type, bytes) => coreDataUrl(type, bytes);
