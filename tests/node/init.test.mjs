// Loading: what using the package before init() says, and the check init()
// makes that the JavaScript and the .wasm agree on their private formats
// (src/web/wire.rs, src/web/js/wire.js): a build whose one side changed
// alone fails to load, naming the format, instead of misreading it later.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { PKG_DIR } from "./helpers.mjs";

const WASM = readFileSync(path.join(PKG_DIR, "visual_reasoning_bg.wasm"));
const JS = readFileSync(path.join(PKG_DIR, "visual_reasoning.js"), "utf8");

let copies = 0;
/** A fresh, uninitialised instance of the built module (its own wasm once loaded). */
const fresh = () => import(pathToFileURL(path.join(PKG_DIR, "visual_reasoning.js")).href + `?copy=${++copies}`);

const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A copy of the package with its JS and wasm as given, loaded fresh. */
async function patched(js, wasm) {
  const dir = mkdtempSync(path.join(tmpdir(), "vr-contract-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "visual_reasoning.js"), js);
  writeFileSync(path.join(dir, "visual_reasoning_bg.wasm"), wasm);
  copyFileSync(path.join(PKG_DIR, "package.json"), path.join(dir, "package.json"));
  return import(pathToFileURL(path.join(dir, "visual_reasoning.js")).href);
}

/** `bytes` with every occurrence of `from` replaced by `to` (same length). */
function replaceBytes(bytes, from, to) {
  assert.equal(from.length, to.length);
  const out = Buffer.from(bytes);
  const a = Buffer.from(from);
  let n = 0;
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + 1)) {
    out.write(to, i);
    n++;
  }
  assert.ok(n > 0, `${from} is in the wasm`);
  return out;
}

test("using the package before init() throws an Error that says to call init() (not a TypeError)", async () => {
  const vr = await fresh();
  const calls = {
    "new Client()": () => new vr.Client(),
    "new Client({...})": () => new vr.Client({ baseUrl: "http://127.0.0.1:1" }),
    "models()": () => vr.models(),
    "modelInfo()": () => vr.modelInfo("qvq-max"),
    "estimateImageTokens()": () => vr.estimateImageTokens(100, 100, "qvq-max"),
  };
  for (const [what, call] of Object.entries(calls)) {
    let e;
    try {
      call();
    } catch (x) {
      e = x;
    }
    assert.ok(e, `${what} threw`);
    assert.equal(Object.getPrototypeOf(e), Error.prototype, `${what}: a plain Error, got ${e?.name}: ${e?.message}`);
    assert.match(e.message, /await init\(\)/, what);
  }
  const rejected = await vr.prepareImage(new Blob([])).then(() => undefined, (x) => x);
  assert.ok(rejected instanceof Error && /await init\(\)/.test(rejected.message), String(rejected));
  // ...and once initialised, it works.
  vr.initSync({ module: WASM });
  assert.ok(vr.models().length > 0);
  assert.equal(typeof new vr.Client(), "object");
});

test("init() resolves, again as often as called; initSync returns the module's exports", async () => {
  const vr = await fresh();
  const a = await vr.default({ module_or_path: WASM });
  const b = await vr.default({ module_or_path: WASM });
  assert.equal(a, b);
  assert.ok(a.memory instanceof WebAssembly.Memory);
  assert.equal(vr.initSync({ module: WASM }), a);
});

test("two copies of the package agree on isInstance (a Symbol.for brand), though not on instanceof", async () => {
  const one = await fresh();
  const two = await fresh();
  one.initSync({ module: WASM });
  two.initSync({ module: WASM });
  let e;
  try {
    new one.Client().stream({ model: "qvq-max", enableThinking: false, messages: [{ role: "user", content: "x" }] });
  } catch (x) {
    e = x;
  }
  assert.ok(e instanceof one.InvalidRequestError);
  assert.ok(!(e instanceof two.InvalidRequestError), "different classes: instanceof cannot agree");
  assert.ok(two.InvalidRequestError.isInstance(e));
  assert.ok(two.VisualReasoningError.isInstance(e));
  assert.ok(!two.ApiError.isInstance(e), "a subclass checks the name too");
  for (const name of ["ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError"]) {
    const made = new two[name]("m", { retryable: true });
    assert.ok(one[name].isInstance(made), name);
    assert.ok(one.VisualReasoningError.isInstance(made), name);
    assert.equal(made.name, name);
    assert.ok(made instanceof Error && made instanceof two.VisualReasoningError);
  }
  // Look-alikes are not.
  const fake = Object.assign(new Error("m"), { name: "ApiError", retryable: false });
  assert.ok(!one.ApiError.isInstance(fake));
  for (const v of [null, undefined, "ApiError", 1, {}, { name: "ApiError" }]) assert.ok(!one.VisualReasoningError.isInstance(v));
});

test("a .wasm whose boundary formats changed alone (error kinds reordered) fails to load, naming the format", async () => {
  // NetworkError and TimeoutError swapped in the wasm: as if ErrorKind's
  // order changed on the Rust side only.
  let wasm = replaceBytes(WASM, "NetworkError", "NetworkXXXXX");
  wasm = replaceBytes(wasm, "TimeoutError", "NetworkError");
  wasm = replaceBytes(wasm, "NetworkXXXXX", "TimeoutError");
  const vr = await patched(JS, wasm);
  assert.throws(() => vr.initSync({ module: wasm }), (e) => {
    assert.match(e.message, /different builds/);
    assert.match(e.message, /\bkinds\b/);
    assert.doesNotMatch(e.message, /\bmarker\b/);
    return true;
  });
  await assert.rejects(vr.default({ module_or_path: wasm }), /kinds/);
  assert.throws(() => new vr.Client(), /await init\(\)/, "and the package stays unusable");
});

test("a JavaScript side whose formats changed alone (an option marker) fails to load, naming the format", async () => {
  const from = 'extraBad:"x!"';
  assert.ok(JS.includes(from), "the bundle spells the marker table as expected");
  const vr = await patched(JS.replace(from, 'extraBad:"x?"'), WASM);
  assert.throws(() => vr.initSync({ module: WASM }), /different builds[^]*\bmarker\b/);
});

test("the unmodified copy loads: the two sides agree", async () => {
  const vr = await patched(JS, WASM);
  vr.initSync({ module: WASM });
  assert.equal(vr.modelInfo("qvq-max")?.family, "qvq");
});
