// How the package finds its wasm (src/web/js/wire.js `load`): in Node
// `init()` with no argument reads the .wasm next to the module from disk
// (no fetch of a file: URL); the build without wasm SIMD is chosen where
// WebAssembly.validate says SIMD is missing, and only that file is read;
// what the caller passes is used as given; an engine lacking something the
// package needs gets an Error naming it; `visual-reasoning/auto` is ready
// on import.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { withoutSimd } from "../support/nosimd.mjs";
import { PKG_DIR } from "./helpers.mjs";

const SIMD = "visual_reasoning_bg.wasm";
const NOSIMD = "visual_reasoning_nosimd_bg.wasm";

let copies = 0;
/** A fresh, uninitialised instance of the module in `dir` (its own wasm once loaded). */
const fresh = (dir = PKG_DIR) => import(pathToFileURL(path.join(dir, "visual_reasoning.js")).href + `?copy=${++copies}`);

const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A copy of the package's module and wasm files, with the files named in `broken` replaced by bytes that are no wasm. */
function copyPkg(broken = []) {
  const dir = mkdtempSync(path.join(tmpdir(), "vr-loading-"));
  dirs.push(dir);
  for (const f of ["visual_reasoning.js", "package.json", SIMD, NOSIMD, "auto.js"]) copyFileSync(path.join(PKG_DIR, f), path.join(dir, f));
  for (const f of broken) writeFileSync(path.join(dir, f), "not a wasm module");
  return dir;
}

/** Runs `fn` with globalThis.fetch replaced by one that records its calls and fails. */
async function noFetch(fn) {
  const fetch = globalThis.fetch;
  const calls = [];
  globalThis.fetch = (input) => {
    calls.push(String(input?.url ?? input));
    return Promise.reject(new TypeError("fetch must not be called"));
  };
  try {
    await fn();
  } finally {
    globalThis.fetch = fetch;
  }
  return calls;
}

test("both builds are in pkg/, and only the fallback is without SIMD (the features binaryen reads in each)", () => {
  const wasmOpt = path.resolve(PKG_DIR, "..", "node_modules", ".bin", "wasm-opt");
  const features = (f) => execFileSync(wasmOpt, ["--print-features", path.join(PKG_DIR, f), "-o", "/dev/null"], { encoding: "utf8" });
  assert.match(features(SIMD), /--enable-simd/);
  assert.doesNotMatch(features(NOSIMD), /simd/);
  assert.ok(WebAssembly.validate(readFileSync(path.join(PKG_DIR, NOSIMD))));
});

test("init() with no argument reads the SIMD build from disk, without fetch", async () => {
  const dir = copyPkg([NOSIMD]); // were the fallback read, init would fail
  const vr = await fresh(dir);
  const calls = await noFetch(async () => {
    const exports = await vr.default();
    assert.ok(exports.memory instanceof WebAssembly.Memory);
  });
  assert.deepEqual(calls, [], "no fetch");
  assert.ok(vr.models().length > 0);
  assert.equal(await vr.default(), await vr.default(), "again: the same module");
});

test("where WebAssembly.validate says there is no SIMD, init() reads the build without it, and only that one", async () => {
  const dir = copyPkg([SIMD]); // were the SIMD build read, init would fail
  const vr = await fresh(dir);
  const restore = withoutSimd();
  try {
    await noFetch(() => vr.default());
  } finally {
    restore();
  }
  assert.equal(vr.modelInfo("qvq-max")?.family, "qvq");
  // And the fallback really runs the core: a request is validated by it.
  assert.throws(() => new vr.Client().stream({ model: "qvq-max", enableThinking: false, messages: [{ role: "user", content: "x" }] }), {
    name: "InvalidRequestError",
  });
});

test("with SIMD, init() reads the SIMD build only: that file broken, it fails (the fallback is not tried)", async () => {
  const dir = copyPkg([SIMD]);
  await assert.rejects((await fresh(dir)).default(), WebAssembly.CompileError, "with SIMD the (broken) SIMD build is read");
});

test("init({ module_or_path }) uses what the caller gave: a file: URL (read from disk), the bytes, a Module", async () => {
  const dir = copyPkg([SIMD]);
  const restore = withoutSimd();
  try {
    // A forced fallback does not override the caller's choice: the broken SIMD file is what is read.
    await assert.rejects((await fresh(dir)).default({ module_or_path: pathToFileURL(path.join(dir, SIMD)) }), WebAssembly.CompileError);
  } finally {
    restore();
  }
  const fromUrl = await fresh(dir);
  const calls = await noFetch(() => fromUrl.default({ module_or_path: pathToFileURL(path.join(dir, NOSIMD)) }));
  assert.deepEqual(calls, []);
  assert.ok(fromUrl.models().length > 0);
  const fromBytes = await fresh(dir);
  await fromBytes.default({ module_or_path: readFileSync(path.join(PKG_DIR, NOSIMD)) });
  assert.ok(fromBytes.models().length > 0);
  const fromModule = await fresh(dir);
  await fromModule.default({ module_or_path: new WebAssembly.Module(readFileSync(path.join(PKG_DIR, SIMD))) });
  assert.ok(fromModule.models().length > 0);
  // The old argument form (the value itself) still works.
  const bare = await fresh(dir);
  await bare.default(readFileSync(path.join(PKG_DIR, SIMD)));
  assert.ok(bare.models().length > 0);
});

test("a missing .wasm file: init() rejects naming the path and why", async () => {
  const dir = copyPkg();
  rmSync(path.join(dir, SIMD));
  const vr = await fresh(dir);
  await assert.rejects(vr.default(), (e) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /could not read its \.wasm at file:.*visual_reasoning_bg\.wasm/);
    assert.match(e.message, /ENOENT/);
    assert.equal(e.cause?.code, "ENOENT");
    return true;
  });
  assert.throws(() => new vr.Client(), /await init\(\)/, "and the package stays unusable");
});

/**
 * Runs `fn` with the globals named in `remove` deleted (or replaced by
 * `replace`'s values), restoring them after.
 */
async function without(names, fn, replace = {}) {
  const saved = names.map((n) => [n, Object.getOwnPropertyDescriptor(globalThis, n)]);
  try {
    for (const n of names) {
      if (n in replace) globalThis[n] = replace[n];
      else delete globalThis[n];
    }
    await fn();
  } finally {
    for (const [n, d] of saved) {
      if (d) Object.defineProperty(globalThis, n, d);
      else delete globalThis[n];
    }
  }
}

test("an engine lacking a feature the package needs: init() and initSync() fail with an Error naming it and the engines that have it", async () => {
  const wasm = readFileSync(path.join(PKG_DIR, SIMD));
  const cases = [
    [["WebAssembly"], /needs WebAssembly, which this engine lacks or has turned off/, {}],
    [["fetch"], /needs fetch\b/, {}],
    [["ReadableStream"], /needs streamed fetch responses \(Response\.body/, {}],
    [["Response"], /needs streamed fetch responses/, { Response: function Response() {} }],
    [["AbortController"], /needs AbortController/, {}],
  ];
  for (const [names, pattern, replace] of cases) {
    const vr = await fresh();
    await without(
      names,
      async () => {
        const check = (e) => {
          assert.equal(Object.getPrototypeOf(e), Error.prototype, `${names}: a plain Error`);
          assert.match(e.message, pattern, names.join());
          assert.match(e.message, /^visual-reasoning cannot run here: /);
          assert.match(e.message, /Chrome 96, Firefox 90, Safari 15 \(iOS 15\), Node 20/, "the minimum versions");
          return true;
        };
        await assert.rejects(vr.default(), check);
        assert.throws(() => vr.initSync({ module: wasm }), check);
      },
      replace,
    );
    assert.throws(() => new vr.Client(), /await init\(\)/, `${names}: not loaded`);
    await vr.default(); // the feature back: it loads
    assert.ok(vr.models().length > 0);
  }
});

test("node --jitless (no WebAssembly at all): init() rejects naming it", () => {
  const script = `
    const { default: init } = await import(${JSON.stringify(pathToFileURL(path.join(PKG_DIR, "visual_reasoning.js")).href)});
    await init().then(() => console.log("loaded"), (e) => console.log(e.message));`;
  const out = execFileSync(process.execPath, ["--jitless", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.match(out, /^visual-reasoning cannot run here: it needs WebAssembly, which this engine lacks or has turned off/);
});

test("wasm without reference types (Chrome 91-95): an Error naming them, not a CompileError", async () => {
  const vr = await fresh();
  const validate = WebAssembly.validate;
  WebAssembly.validate = () => false; // neither SIMD nor reference types
  try {
    await assert.rejects(vr.default(), /needs WebAssembly reference types \(Chrome 96, Firefox 79, Safari 15\)/);
  } finally {
    WebAssembly.validate = validate;
  }
});

test("visual-reasoning/auto: initialised on import, the main module's exports (and init, harmless again)", async () => {
  const auto = await import(pathToFileURL(path.join(PKG_DIR, "auto.js")).href);
  const main = await import(pathToFileURL(path.join(PKG_DIR, "visual_reasoning.js")).href);
  assert.deepEqual(Object.keys(auto).sort(), Object.keys(main).sort(), "the same export names");
  for (const k of Object.keys(main)) assert.equal(auto[k], main[k], `${k}: the same binding`);
  assert.ok(auto.models().length > 0, "usable at once, no init() call");
  assert.equal(typeof new auto.Client(), "object");
  assert.equal(await auto.default(), await main.default());
});

test("visual-reasoning/auto where SIMD is missing loads the fallback (a fresh process, the SIMD file broken)", () => {
  const dir = copyPkg([SIMD]);
  const script = `
    import { withoutSimd } from ${JSON.stringify(pathToFileURL(path.resolve(PKG_DIR, "..", "tests", "support", "nosimd.mjs")).href)};
    withoutSimd();
    const { models } = await import(${JSON.stringify(pathToFileURL(path.join(dir, "auto.js")).href)});
    console.log(models().length);`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.ok(Number(out) > 0, out);
});

test("before init(), the package says what to do (and names the auto entry)", async () => {
  const vr = await fresh();
  assert.throws(
    () => new vr.Client({ baseUrl: "http://127.0.0.1:1" }),
    (e) => {
      assert.equal(Object.getPrototypeOf(e), Error.prototype);
      assert.equal(
        e.message,
        'visual-reasoning is not initialised yet: `await init()` (the package\'s default export) before using it, or import "visual-reasoning/auto", which does that itself',
      );
      return true;
    },
  );
});

test("an uncaught error from the package prints a short source line in Node (the bundle is not one 28 KB line)", () => {
  const script = `import { Client } from ${JSON.stringify(pathToFileURL(path.join(PKG_DIR, "visual_reasoning.js")).href)};\nnew Client();\n`;
  let stderr = "";
  try {
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    stderr = e.stderr;
  }
  assert.match(stderr, /Error: visual-reasoning is not initialised yet: `await init\(\)`/);
  const before = stderr.slice(0, stderr.indexOf("Error: visual-reasoning"));
  assert.ok(before.length < 600, `what Node prints above the error is short (${before.length} characters):\n${before.slice(0, 300)}…`);
});

test("init() called again while it loads shares that load (the same module); after a failed load, the next call tries again", async () => {
  const dir = copyPkg();
  const vr = await fresh(dir);
  const [a, b] = await Promise.all([vr.default(), vr.default()]);
  assert.equal(a, b);
  // A failed load lets the next call try again.
  const broken = await fresh(copyPkg([SIMD]));
  await assert.rejects(broken.default(), WebAssembly.CompileError);
  const exports = await broken.default({ module_or_path: readFileSync(path.join(PKG_DIR, SIMD)) });
  assert.ok(exports.memory instanceof WebAssembly.Memory);
});
