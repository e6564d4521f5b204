// Chromium side of the benchmark: bundled by run.mjs with esbuild into
// bench/out/bench.js and driven through playwright-core. It runs the same
// harness as Node; "vr-package" is aliased to pkg/visual_reasoning.js (or to
// a stub when measuring the peers alone).
import * as pkg from "vr-package";
import { PEERS } from "./lib/peers.mjs";
import { packageContender } from "./lib/package.mjs";
import { check, memory, scale, stats, time, timeLive } from "./lib/harness.mjs";

const gc = globalThis.gc;
let exports = null;
const cache = new Map();

async function load(url) {
  if (!cache.has(url)) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    cache.clear(); // keep one input in memory at a time
    cache.set(url, new Uint8Array(await res.arrayBuffer()));
  }
  return cache.get(url);
}

async function contenders(job) {
  const list = [];
  if (pkg.Client) {
    if (!exports) exports = pkg.initSync({ module: await load("/pkg/visual_reasoning_bg.wasm") });
    list.push(packageContender(pkg.Client));
  }
  list.push(...PEERS);
  return list.filter((c) => c.protocols.includes(job.protocol) && (!job.only || job.only.includes(c.name)));
}

// A unique custom section per round defeats V8's in-process cache of
// compiled modules keyed by the bytes, so each round compiles for real.
function variant(bytes, i) {
  const name = new TextEncoder().encode("bench" + i);
  const out = new Uint8Array(bytes.length + 3 + name.length);
  out.set(bytes);
  out.set([0, name.length + 1, name.length], bytes.length);
  out.set(name, bytes.length + 3);
  return out;
}

async function compileTimes(url, rounds) {
  const fetchMs = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { cache: "no-store" });
    await res.arrayBuffer();
    fetchMs.push(performance.now() - t0);
  }
  const bytes = new Uint8Array(await (await fetch(url, { cache: "no-store" })).arrayBuffer());
  const compileMs = [];
  const instantiateMs = [];
  const totalMs = [];
  for (let i = 0; i < rounds + 1; i++) {
    const b = variant(bytes, i);
    const t0 = performance.now();
    const module = await WebAssembly.compile(b);
    const t1 = performance.now();
    // Stubs stand in for the glue's imports: instantiation links them but
    // calls none (wasm-bindgen modules have no start section).
    const imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      imports[imp.module] ??= {};
      imports[imp.module][imp.name] = imp.kind === "function" ? () => {} : undefined;
    }
    await WebAssembly.instantiate(module, imports);
    const t2 = performance.now();
    if (i > 0) { compileMs.push(t1 - t0); instantiateMs.push(t2 - t1); totalMs.push(t2 - t0); }
  }
  return { fetch: stats(fetchMs), compile: stats(compileMs), instantiate: stats(instantiateMs),
    total: stats(totalMs), bytes: bytes.length, rounds };
}

globalThis.__bench = {
  hasPackage: Boolean(pkg.Client),
  async run(job) {
    if (job.kind === "compile") return compileTimes(job.url, job.rounds);
    const list = await contenders(job);
    if (job.kind === "check") {
      const bytes = await load(job.url);
      const out = {};
      for (const chunk of job.chunks) out[chunk] = await check(list, bytes, job.protocol, chunk);
      return out;
    }
    if (job.kind === "time") {
      return time(list, await load(job.url), job.protocol, job.chunk, { warmups: job.warmups, runs: job.runs, prewarm: job.prewarm });
    }
    if (job.kind === "scale") {
      const inputs = [];
      for (const i of job.inputs) {
        const res = await fetch(i.url);
        if (!res.ok) throw new Error(`GET ${i.url}: ${res.status}`);
        inputs.push({ name: i.name, bytes: new Uint8Array(await res.arrayBuffer()) });
      }
      return scale(list, inputs, job.protocol, job.chunk, { warmups: job.warmups, runs: job.runs });
    }
    if (job.kind === "memory") {
      const bytes = await load(job.url);
      const c = list.find((x) => x.name === job.contender);
      await memory(c, bytes.subarray(0, 0), job.protocol, job.chunk, { gc, sample: () => 0 }).catch(() => {});
      const wasmMem = exports && c.name === "visual-reasoning" ? exports.memory : null;
      const r = await memory(c, bytes, job.protocol, job.chunk, {
        gc, sample: () => performance.memory.usedJSHeapSize,
        extra: () => (wasmMem ? wasmMem.buffer.byteLength : 0),
      });
      return { ...r, wasmMemory: exports && c.name === "visual-reasoning" ? exports.memory.buffer.byteLength : 0 };
    }
    if (job.kind === "live") {
      return timeLive(list, job.protocol, location.origin, job.headers, { warmups: job.warmups, runs: job.runs, once: job.once });
    }
    throw new Error("unknown job kind " + job.kind);
  },
};
