// The public surface of the built package, as a page sees it at run time:
// every exported class, its prototype chain and its live instances carry
// exactly the members docs/API.md names, and nothing of the wasm under
// them (issue 16, bug 3: `__feed`, `__body`, `__release`… and `free()` /
// `[Symbol.dispose]()` sat on the public prototypes; bug 4: the wasm
// exported the public classes themselves, one of them made twice).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { PKG_DIR, loadPkg, mockOptions, thinkingRequest } from "./helpers.mjs";

const pkg = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
});

const BRAND = Symbol.for("visual-reasoning.error");

// API.md's members, per class (tee and toReadableStream: docs/API.md).
const PROTOTYPES = {
  Client: ["constructor", "stream", "complete", "conversation"],
  ReasoningStream: [
    "constructor", Symbol.asyncIterator, "reasoning", "answer", "usage", "requestId", "finishReason",
    "result", "abort", "toReadableStream", "tee",
  ],
  Conversation: ["constructor", "messages", "send"],
  VisualReasoningError: ["constructor", "name", BRAND],
  ApiError: ["constructor", "name"],
  NetworkError: ["constructor", "name"],
  TimeoutError: ["constructor", "name"],
  AbortError: ["constructor", "name"],
  StreamError: ["constructor", "name"],
  InvalidRequestError: ["constructor", "name"],
};
// Static members beyond a function's own length, name and prototype.
const STATICS = { VisualReasoningError: ["isInstance"] };
const FUNCTIONS = ["default", "initSync", "models", "modelInfo", "estimateImageTokens", "prepareImage"];

const keys = (o) => Reflect.ownKeys(o).map((k) => (typeof k === "symbol" ? k.toString() : k)).sort();
const names = (list) => list.map((k) => (typeof k === "symbol" ? k.toString() : k)).sort();

test("the module exports API.md's classes and functions, and nothing else", () => {
  assert.deepEqual(Object.keys(pkg).sort(), [...Object.keys(PROTOTYPES), ...FUNCTIONS].sort());
  for (const f of FUNCTIONS) assert.equal(typeof pkg[f], "function", f);
});

test("every exported class: its prototype chain and statics carry only documented members", () => {
  for (const [name, members] of Object.entries(PROTOTYPES)) {
    const C = pkg[name];
    assert.equal(typeof C, "function", name);
    assert.deepEqual(keys(C.prototype), names(members), `${name}.prototype`);
    assert.deepEqual(keys(C), names(["length", "name", "prototype", ...(STATICS[name] ?? [])]), `${name} statics`);
    // Up the chain: the package's classes, then Error or Object only.
    let proto = Object.getPrototypeOf(C.prototype);
    while (proto && proto !== Object.prototype && proto !== Error.prototype) {
      const owner = Object.entries(PROTOTYPES).find(([n]) => pkg[n].prototype === proto);
      assert.ok(owner, `${name}'s prototype chain holds an undocumented object with ${keys(proto).join(", ")}`);
      proto = Object.getPrototypeOf(proto);
    }
  }
});

test("live instances have no own properties beyond API.md's (the internals are private)", async () => {
  const client = new pkg.Client(mockOptions(mock, "openai", { reasoningTokens: 5, answerTokens: 3 }));
  assert.deepEqual(keys(client), [], "a Client");
  const stream = client.stream(thinkingRequest());
  assert.deepEqual(keys(stream), [], "a ReasoningStream");
  const iterator = stream[Symbol.asyncIterator]();
  assert.deepEqual(keys(iterator), [], "the parts iterator");
  const proto = Object.getPrototypeOf(iterator);
  assert.deepEqual(keys(proto), names(["constructor", "next", "return", Symbol.asyncIterator]), "the iterator's prototype");
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
    const part = r.value;
    assert.deepEqual(Object.keys(part), part.type === "usage" ? ["type", "usage"] : ["type", "text"]);
  }
  assert.deepEqual(keys(stream), [], "a finished ReasoningStream");
  const result = await stream.result();
  assert.deepEqual(Object.keys(result), ["model", "reasoning", "answer", "finishReason", "usage", "requestId"]);
  const conversation = client.conversation({ model: "qwen3-vl-plus" });
  assert.deepEqual(keys(conversation), [], "a Conversation");
  const e = await client.complete({ ...thinkingRequest(), model: "qvq-max", enableThinking: false }).catch((x) => x);
  assert.ok(e instanceof pkg.InvalidRequestError, String(e));
  for (const k of keys(e)) assert.ok(["stack", "message", "status", "code", "requestId", "retryable", "partial", "cause"].includes(k), `error field ${k}`);
});

test("the package's classes are made by the package: new ReasoningStream() / new Conversation() throw", () => {
  assert.throws(() => new pkg.ReasoningStream(), TypeError);
  assert.throws(() => new pkg.ReasoningStream({}), TypeError);
  assert.throws(() => new pkg.Conversation(), TypeError);
});

test("the wasm exports the small core API, none of the public classes (JS owns them)", () => {
  const bytes = readFileSync(path.join(PKG_DIR, "visual_reasoning_bg.wasm"));
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
  const publicClass = exports.filter((n) => /^(__wbg_)?(client|reasoningstream|conversation|partiterator)_/.test(n));
  assert.deepEqual(publicClass, [], "wasm exports for a public class");
  assert.ok(exports.some((n) => n.startsWith("streamcore_")), `the stream core is there: ${exports.join(" ")}`);
});
