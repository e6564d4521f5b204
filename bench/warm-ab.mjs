#!/usr/bin/env node
// Warm CPU time of several builds of the package on one typical reply, the
// builds loaded side by side in one Node process and run round-robin, so
// load on a shared machine hits them alike (bench/focus.mjs does the same
// on stand-in OpenAI framing; this one takes either protocol and a read size):
//   node --expose-gc bench/warm-ab.mjs PROTOCOL READ_BYTES RUNS DIR_A DIR_B ...
// Input: bench/data/mock-transcript-PROTOCOL-2000r-300a.sse (small.mjs makes
// it), or FILE=path. Prints the median CPU ms (process.cpuUsage) per build
// after 3 untimed rounds, and each build's ratio to the first.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { memFetch, stats } from "./lib/harness.mjs";
import { packageContender } from "./lib/package.mjs";
import { loadBuild } from "./lib/node.mjs";

const [protocol, chunk, runs, ...dirs] = process.argv.slice(2);
if (!protocol || !Number(chunk) || !Number(runs) || dirs.length === 0) {
  console.error("usage: node --expose-gc bench/warm-ab.mjs PROTOCOL READ_BYTES RUNS DIR_A [DIR_B ...]");
  process.exit(2);
}
const data = path.join(path.dirname(fileURLToPath(import.meta.url)), "data");
const file = process.env.FILE ?? path.join(data, `mock-transcript-${protocol}-2000r-300a.sse`);
const b = readFileSync(file);
const bytes = new Uint8Array(b.buffer, b.byteOffset, b.length);
const contenders = [];
for (const d of dirs) {
  contenders.push(packageContender((await loadBuild(d, d)).glue.Client));
}
const cpu = dirs.map(() => []);
const WARMUPS = 3;
for (let r = 0; r < Number(runs) + WARMUPS; r++) {
  for (let k = 0; k < contenders.length; k++) {
    const i = (r + k) % contenders.length;
    globalThis.fetch = memFetch(bytes, Number(chunk), protocol);
    const u0 = process.cpuUsage();
    await contenders[i].run({ baseUrl: "http://bench.invalid", protocol, headers: {} });
    const u = process.cpuUsage(u0);
    if (r >= WARMUPS) cpu[i].push((u.user + u.system) / 1e3);
  }
}
const med = cpu.map((t) => stats(t).median);
console.log(`${path.basename(file)} in ${chunk}-byte reads, CPU ms, medians of ${runs}: ` +
  dirs.map((d, i) => `${d} ${med[i].toFixed(3)}${i ? ` (${(med[i] / med[0]).toFixed(3)}×)` : ""}`).join("  "));
