// visual-reasoning/auto: the main module's exports, the wasm already loaded
// (a top-level await); calling init() again is harmless.
export * from "./visual_reasoning.js";
export { default } from "./visual_reasoning.js";
