// @ts-check
// Type-level only (nothing imports this file; it is not bundled): the
// implementation conforms to its published declarations, public.d.ts.
// `tsc -p src/web/js` fails when a signature drifts from them.

import * as impl from "./index.js";

/** @typedef {typeof import("./public")} Public */

/** @type {Public["Client"]} */
export const client = impl.Client;
/** @type {Public["models"]} */
export const models = impl.models;
/** @type {Public["modelInfo"]} */
export const modelInfo = impl.modelInfo;
/** @type {Public["estimateImageTokens"]} */
export const estimateImageTokens = impl.estimateImageTokens;
/** @type {Public["prepareImage"]} */
export const prepareImage = impl.prepareImage;
/** @type {Public["default"]} */
export const init = impl.default;
/** @type {Public["initSync"]} */
export const initSync = impl.initSync;

// The classes the package constructs (no public constructor): instances.
/**
 * @param {InstanceType<typeof impl.ReasoningStream>} s
 * @returns {import("./public").ReasoningStream}
 */
export const stream = (s) => s;
/**
 * @param {InstanceType<typeof impl.Conversation>} c
 * @returns {import("./public").Conversation}
 */
export const conversation = (c) => c;
