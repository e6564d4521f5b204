// visual-reasoning/auto: the main module, initialised. Its top-level await
// loads the wasm with init() (fetched next to the module in a page or a
// Worker, read from disk in Node, Deno and Bun; the build without wasm
// SIMD where SIMD is missing) before any module importing this one runs.
// Cloudflare Workers get auto-workerd.js instead (the "workerd" condition).
import init from "./visual_reasoning.js";

await init();

export * from "./visual_reasoning.js";
export { default } from "./visual_reasoning.js";
