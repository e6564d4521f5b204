// Makes this scope's WebAssembly.validate answer as an engine without wasm
// SIMD does (Safari before 16.4): false for a module using a SIMD
// instruction (their 0xfd prefix byte), the engine's own answer otherwise.
// The package asks WebAssembly.validate whether SIMD is there (wire.js
// `defaultWasm`), so this forces its fallback with no hook in the package.
// Runs in Node, pages and Workers (tests/browser/fixtures imports it).
/** @returns {() => void} undoes it */
export function withoutSimd(scope = globalThis) {
  const wasm = scope.WebAssembly;
  const validate = wasm.validate;
  wasm.validate = function (bytes) {
    const u8 = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
    return !u8.includes(0xfd) && validate.call(this, bytes);
  };
  return () => {
    wasm.validate = validate;
  };
}
