// visual-reasoning/auto in Cloudflare Workers: the package.json "workerd"
// export condition, which wrangler (and other workerd bundlers) resolve. A
// Worker cannot fetch its own files, but imports a .wasm as a compiled
// WebAssembly.Module; instantiating it needs no await. workerd's V8 has
// wasm SIMD, so the SIMD build is the one imported.
import wasm from "./visual_reasoning_bg.wasm";
import { initSync } from "./visual_reasoning.js";

initSync({ module: wasm });

export * from "./visual_reasoning.js";
export { default } from "./visual_reasoning.js";
