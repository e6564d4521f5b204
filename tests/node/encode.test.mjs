// options.js `encode` writes JSON.stringify's rules out by hand (a replacer
// function made the engine call back into JS for every key). It must give
// exactly what JSON.stringify with the marker replacer gives: checked here
// against that replacer, on hand-picked oddities and on random values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encode as encodeObject } from "../../src/web/js/options.js";

/** encode's result in the reference's shape: [json, nums, blobs, signal] or [undefined, reason]. */
function encode(value) {
  const e = encodeObject(value);
  return typeof e === "string" ? [undefined, e] : [e.json, e.nums, e.blobs, e.signal];
}

const MARK = "\u0000";

/** The previous encode: JSON.stringify and a replacer (the reference). */
function reference(value) {
  const nums = [];
  const blobs = [];
  let signal;
  const root = value;
  try {
    const json = JSON.stringify(value ?? null, function (key, v) {
      const type = typeof v;
      if (type === "number") return { [MARK]: "n" + (nums.push(v) - 1) };
      if (type === "bigint") return String(v);
      if (type === "function" || type === "symbol") return { [MARK]: "?" };
      if (this === root && v != null) {
        if (key === "signal") return v instanceof AbortSignal ? ((signal = v), { [MARK]: "s" }) : { [MARK]: "?" };
        if (key === "extra") {
          if (type !== "object") return v;
          try {
            return { [MARK]: "x", j: JSON.stringify(v) };
          } catch {
            return { [MARK]: "x!" };
          }
        }
      }
      if (v instanceof Blob) return { [MARK]: "b" + (blobs.push(v) - 1), t: v.type };
      return v;
    });
    return [json, new Float64Array(nums), blobs, signal];
  } catch (e) {
    return [undefined, typeof e?.message === "string" ? e.message : ""];
  }
}

function same(value, label) {
  const ours = encode(value);
  const theirs = reference(value);
  if (theirs[0] === undefined) {
    assert.equal(ours[0], undefined, `${label}: should fail as JSON.stringify does`);
    assert.match(ours[1], /circular/i, label);
    return;
  }
  assert.equal(ours[0], theirs[0], label);
  assert.deepEqual([...ours[1]], [...theirs[1]], `${label}: numbers`);
  assert.equal(ours[2].length, theirs[2].length, `${label}: blobs`);
  ours[2].forEach((b, i) => assert.equal(b, theirs[2][i], `${label}: blob ${i}`));
  assert.equal(ours[3], theirs[3], `${label}: signal`);
}

test("encode matches JSON.stringify with the marker replacer on odd values", () => {
  const signal = new AbortController().signal;
  const blob = new Blob(["x"], { type: "image/png" });
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const shared = { n: 2 };
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const cases = {
    undefined: undefined,
    null: null,
    "a string": "hé\"llo\u2028\n",
    "plain request": { model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "x" }] },
    numbers: { a: 0.1 + 0.2, b: -0, c: Infinity, d: NaN, e: [1e21, 5e-324] },
    "undefined, functions, symbols": { a: undefined, b: () => 1, c: Symbol("s"), d: [undefined, () => 1, Symbol("t")] },
    bigint: { maxTokens: 10n, list: [1n] },
    "signal at the top and below": { signal, nested: { signal } },
    "a signal that is not one": { signal: { aborted: false } },
    "extra variants": { extra: { temperature: 0.5, n: [1, 2] } },
    "extra primitive": { extra: 5 },
    "extra string": { extra: "x" },
    "extra with a BigInt": { extra: { big: 1n } },
    "extra cyclic": { extra: cyclic },
    "extra null": { extra: null },
    blobs: { messages: [{ content: [{ image: blob }, { image: blob }] }] },
    "toJSON and Dates": { when: new Date(0), custom: { toJSON: (k) => ({ key: k, n: 1 }) } },
    "boxed primitives": { n: new Number(3), s: new String("s"), b: new Boolean(false) },
    "shared, not cyclic": { a: shared, b: [shared, shared] },
    "sparse arrays": { sparse },
    "keys needing escapes": { "a\"b": 1, "\u0000": 2, "": 3, 10: 4, 2: 5 },
    "top-level array": [1, "two", { three: 3 }],
    "top-level signal key in an array holder": [{ signal }],
    cycle: cyclic,
    "cycle in an array": (() => {
      const a = [];
      a.push(a);
      return a;
    })(),
  };
  for (const [label, value] of Object.entries(cases)) same(value, label);
});

test("encode matches the reference on random nested values", () => {
  // A small deterministic generator (xorshift), so a failure reproduces.
  let seed = 0x9e3779b9;
  const rand = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const signal = new AbortController().signal;
  const blob = new Blob(["y"], { type: "image/jpeg" });
  const keys = ["model", "messages", "signal", "extra", "content", "text", "a", "toJSON", "0", "é"];
  const leaf = () =>
    [
      () => rand(1000) / 7,
      () => "s" + rand(100),
      () => rand(2) === 0,
      () => null,
      () => undefined,
      () => () => 0,
      () => BigInt(rand(50)),
      () => signal,
      () => blob,
      () => new Date(rand(1e6)),
      () => Infinity,
    ][rand(11)]();
  const gen = (depth) => {
    if (depth > 3 || rand(3) === 0) return leaf();
    if (rand(2) === 0) return Array.from({ length: rand(4) }, () => gen(depth + 1));
    const o = {};
    for (let i = rand(5); i > 0; i--) o[keys[rand(keys.length)]] = gen(depth + 1);
    return o;
  };
  for (let i = 0; i < 3000; i++) {
    const value = gen(0);
    same(value, `case ${i}`);
  }
});
