// @ts-check
// Options encoding: ClientOptions and RequestOptions as the one JSON text
// the core reads (src/options.rs), with what JSON cannot carry as markers
// (wire.js `MARKER`, options.rs `marker`). One string crosses into wasm
// instead of a property read per field.

import { MARKER } from "./wire.js";

const OPEN = "{" + JSON.stringify(MARKER.key) + ':"';
const UNSUPPORTED = OPEN + MARKER.unsupported + '"}';
const SIGNAL = OPEN + MARKER.signal + '"}';
const EXTRA = OPEN + MARKER.extra + '",' + JSON.stringify(MARKER.extraText) + ":";
const EXTRA_BAD = OPEN + MARKER.extraBad + '"}';
const NUM = OPEN + MARKER.num;
const BLOB = OPEN + MARKER.blob;
const BLOB_TYPE = '",' + JSON.stringify(MARKER.blobType) + ":";

/**
 * Options as the core reads them.
 * @typedef {object} Encoded
 * @property {string} json  the options, markers in place of numbers, Blobs, the signal and `extra`
 * @property {Float64Array} nums  every number, exact (Infinity and NaN too)
 * @property {Blob[]} blobs  the Blob images, in the order of their markers
 * @property {AbortSignal | undefined} signal
 */

/**
 * A thrown JS value's message.
 * @param {unknown} e
 * @returns {string}
 */
export function message(e) {
  if (typeof e === "string") return e;
  const m = /** @type {{ message?: unknown } | null | undefined} */ (e)?.message;
  return typeof m === "string" ? m : "";
}

/**
 * Options as the core reads them (src/options.rs): every number an index
 * into `nums`, each Blob an index into `blobs` with its type, the
 * AbortSignal, and `extra` serialised on its own (its numbers as written,
 * for the wire). Functions and symbols, which JSON would drop, become a
 * marker no field accepts, so a wrong type is named rather than ignored.
 * Returns the reason as a string when the engine cannot serialise the
 * value (a cycle).
 * @param {unknown} value
 * @returns {Encoded | string}
 */
export function encode(value) {
  /** @type {number[]} */
  const nums = [];
  /** @type {Blob[]} */
  const blobs = [];
  /** @type {AbortSignal | undefined} */
  let signal;
  // The objects being written, to refuse a cycle as JSON.stringify does.
  /** @type {object[]} */
  const stack = [];
  // JSON.stringify's rules, written out: a replacer function made the
  // engine call back into JS for every key, most of encode's time.
  /**
   * @param {unknown} holder
   * @param {string} key
   * @param {unknown} v
   * @returns {string | undefined}
   */
  const write = (holder, key, v) => {
    if (v !== null && typeof v === "object" && typeof (/** @type {{ toJSON?: unknown }} */ (v).toJSON) === "function") {
      v = /** @type {{ toJSON(key: string): unknown }} */ (v).toJSON(key);
    }
    const type = typeof v;
    if (type === "number") return NUM + (nums.push(/** @type {number} */ (v)) - 1) + '"}';
    // A string where a number belongs: the core names the field.
    if (type === "bigint") return JSON.stringify(String(v));
    if (type === "function" || type === "symbol") return UNSUPPORTED;
    if (holder === value && v != null) {
      if (key === "signal") return v instanceof AbortSignal ? ((signal = v), SIGNAL) : UNSUPPORTED;
      if (key === "extra" && type === "object") {
        try {
          return EXTRA + JSON.stringify(JSON.stringify(v)) + "}";
        } catch {
          return EXTRA_BAD;
        }
      }
    }
    if (type === "string") return JSON.stringify(v);
    if (type === "boolean") return v ? "true" : "false";
    if (v === undefined) return undefined;
    if (v === null) return "null";
    const o = /** @type {object} */ (v);
    if (o instanceof Blob) return BLOB + (blobs.push(o) - 1) + BLOB_TYPE + JSON.stringify(o.type) + "}";
    if (o instanceof Number || o instanceof String || o instanceof Boolean) return JSON.stringify(o);
    if (stack.includes(o)) throw new TypeError("Converting circular structure to JSON");
    stack.push(o);
    let out;
    if (Array.isArray(o)) {
      out = "[";
      for (let i = 0; i < o.length; i++) out += (i ? "," : "") + (write(o, String(i), o[i]) ?? "null");
      out += "]";
    } else {
      const rec = /** @type {Record<string, unknown>} */ (o);
      out = "{";
      for (const k of Object.keys(rec)) {
        const item = write(rec, k, rec[k]);
        if (item !== undefined) out += (out.length > 1 ? "," : "") + JSON.stringify(k) + ":" + item;
      }
      out += "}";
    }
    stack.pop();
    return out;
  };
  try {
    const json = write({ "": value }, "", value ?? null) ?? "null";
    return { json, nums: new Float64Array(nums), blobs, signal };
  } catch (e) {
    return message(e);
  }
}
