// Node side of the benchmark; run.mjs starts it in a fresh process
// (node --expose-gc) per job so heaps do not carry over between jobs.
//   node --expose-gc bench/node-bench.mjs '<job json>'   -> one JSON line on stdout
// Jobs: {kind:"time"|"check"|"memory"|"live"|"drain", ...} (see run.mjs).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PEERS } from "./lib/peers.mjs";
import { packageContender } from "./lib/package.mjs";
import { check, memory, scale, stats, time, timeLive } from "./lib/harness.mjs";
import { drain, eventReads } from "./lib/drain.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const job = JSON.parse(process.argv[2]);

async function contenders() {
  const list = [];
  if (!job.noPackage) {
    // VR_BENCH_PKG: another build of the package (say one keeping wasm
    // function names, for profiles); default pkg/.
    const dir = path.resolve(ROOT, process.env.VR_BENCH_PKG ?? "pkg");
    const pkg = await import(path.join(dir, "visual_reasoning.js"));
    const bytes = readFileSync(path.join(dir, "visual_reasoning_bg.wasm"));
    const t0 = performance.now();
    const exports = pkg.initSync({ module: bytes });
    globalThis.__vrInitMs = performance.now() - t0;
    globalThis.__vrExports = exports;
    list.push(packageContender(pkg.Client));
  }
  list.push(...PEERS);
  return list.filter((c) => c.protocols.includes(job.protocol) && (!job.only || job.only.includes(c.name)));
}

const gc = globalThis.gc;
// A view of the file's buffer, not a copy: the input should not double the heap.
const readInput = (file) => { const b = readFileSync(file); return new Uint8Array(b.buffer, b.byteOffset, b.length); };
const list = await contenders();
let out;
if (job.kind === "check") {
  const bytes = readInput(job.file);
  out = {};
  for (const chunk of job.chunks) out[chunk] = await check(list, bytes, job.protocol, chunk);
} else if (job.kind === "time") {
  const bytes = readInput(job.file);
  out = await time(list, bytes, job.protocol, job.chunk, { warmups: job.warmups, runs: job.runs, prewarm: job.prewarm });
} else if (job.kind === "scale") {
  const inputs = job.inputs.map((i) => ({ name: i.name, bytes: readInput(i.file) }));
  out = await scale(list, inputs, job.protocol, job.chunk, { warmups: job.warmups, runs: job.runs });
} else if (job.kind === "memory") {
  const bytes = readInput(job.file);
  const c = list.find((x) => x.name === job.contender);
  // Warm the code paths first so the measured run allocates only for the data.
  await memory(c, bytes.subarray(0, 0), job.protocol, job.chunk, { gc, sample: () => 0 }).catch(() => {});
  const wasmMem = globalThis.__vrExports ? globalThis.__vrExports.memory : null;
  // Node counts wasm linear memory in `external`; take it out here so the
  // heap figure means the same as in Chromium, and add its growth apart.
  const sample = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external - (wasmMem ? wasmMem.buffer.byteLength : 0);
  };
  const r = await memory(c, bytes, job.protocol, job.chunk, {
    gc, sample, extra: () => (wasmMem && c.name === "visual-reasoning" ? wasmMem.buffer.byteLength : 0),
  });
  out = { ...r, wasmMemory: wasmMem && c.name === "visual-reasoning" ? wasmMem.buffer.byteLength : 0 };
} else if (job.kind === "drain") {
  const { Client } = await import(path.join(path.resolve(ROOT, process.env.VR_BENCH_PKG ?? "pkg"), "visual_reasoning.js"));
  const reads = eventReads(job.parts);
  const times = [];
  for (let r = 0; r < job.warmups + job.runs; r++) {
    const t = await drain(Client, reads);
    if (r >= job.warmups) times.push(t);
  }
  out = { parts: job.parts, times, ...stats(times) };
} else if (job.kind === "live") {
  out = await timeLive(list, job.protocol, job.baseUrl, job.headers, { warmups: job.warmups, runs: job.runs, once: job.once });
} else {
  throw new Error("unknown job kind " + job.kind);
}
process.stdout.write(JSON.stringify(out) + "\n");
