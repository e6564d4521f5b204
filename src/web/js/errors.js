// @ts-check
// The error classes of API.md "Additions": every error the package throws
// or rejects with is one of these. Plain JavaScript with no wasm behind it,
// so an error can be made (and checked) before and without the module.
//
// `isInstance` checks a `Symbol.for` brand rather than the prototype chain:
// two copies of the package (a bundle and a CDN import, two versions in one
// app) make different classes, and `instanceof` across them says false;
// the brand is the same symbol for both.

/** @typedef {import("./public").Result} Result */
/** @typedef {"ApiError" | "NetworkError" | "TimeoutError" | "AbortError" | "StreamError" | "InvalidRequestError"} ErrorName */

/**
 * The fields of API.md "Errors", and the standard `cause`.
 * @typedef {object} ErrorFields
 * @property {number} [status]
 * @property {string} [code]
 * @property {string} [requestId]
 * @property {boolean} [retryable]
 * @property {Result} [partial]
 * @property {unknown} [cause]
 */

const BRAND = Symbol.for("visual-reasoning.error");

export class VisualReasoningError extends Error {
  /**
   * @param {string} [message]
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields) {
    super(message, fields?.cause === undefined ? undefined : { cause: fields.cause });
    // Own properties in API.md's order, only those that have a value
    // (as JSON.stringify and a console show them).
    if (fields?.status !== undefined) this.status = fields.status;
    if (fields?.code !== undefined) this.code = fields.code;
    if (fields?.requestId !== undefined) this.requestId = fields.requestId;
    this.retryable = fields?.retryable ?? false;
    if (fields?.partial !== undefined) this.partial = fields.partial;
  }

  /**
   * Whether `value` was made by any copy of this package as this class
   * (for a subclass: an error of that name).
   * @param {unknown} value
   * @returns {boolean}
   */
  static isInstance(value) {
    if (typeof value !== "object" || value === null) return false;
    const v = /** @type {{ [BRAND]?: unknown, name?: unknown }} */ (value);
    return v[BRAND] === true && (this === VisualReasoningError || v.name === this.prototype.name);
  }
}

export class ApiError extends VisualReasoningError {}
export class NetworkError extends VisualReasoningError {}
export class TimeoutError extends VisualReasoningError {}
export class AbortError extends VisualReasoningError {}
export class StreamError extends VisualReasoningError {}
export class InvalidRequestError extends VisualReasoningError {}

/** @type {Record<ErrorName, typeof VisualReasoningError>} */
const CLASSES = { ApiError, NetworkError, TimeoutError, AbortError, StreamError, InvalidRequestError };

// Names on the prototypes, as Error's own is (not enumerable): the bundle
// is minified, so the class names cannot be relied on.
for (const [name, C] of [["VisualReasoningError", VisualReasoningError], ...Object.entries(CLASSES)]) {
  Object.defineProperty(/** @type {Function} */ (C).prototype, "name", { value: name, writable: true, configurable: true });
}
Object.defineProperty(VisualReasoningError.prototype, BRAND, { value: true });

/**
 * An error of class `name`.
 * @param {ErrorName} name
 * @param {string} message
 * @param {ErrorFields} [fields]
 * @returns {VisualReasoningError}
 */
export function makeError(name, message, fields) {
  return new CLASSES[name](message, fields);
}
