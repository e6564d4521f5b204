// CPU time of this package parsing one transcript, nothing else: for
// comparing two builds of pkg/ on a busy machine, where wall-clock times
// of `run.mjs` move by 15–30 % (CPU time moves less; alternate the builds
// and take medians of many runs).
//   node --expose-gc bench/cpu-time.mjs PKG_DIR FILE openai|dashscope [RUNS] [READ_BYTES]
//   -> {"cpu":[ms…],"wall":[ms…],"mem":bytes of wasm memory at the end}
// Transcripts: `relay/target/release/visual-reasoning-relay transcript
// --protocol P --reasoning-tokens 80000 --answer-tokens 2000 > FILE`.
import { readFileSync } from "node:fs";
import { memFetch } from "./lib/harness.mjs";
import { packageContender } from "./lib/package.mjs";
import { loadBuild } from "./lib/node.mjs";

const [dir, file, protocol, runs = "15", chunk = "65536"] = process.argv.slice(2);
const { glue, exports } = await loadBuild(dir);
const contender = packageContender(glue.Client);
const b = readFileSync(file);
globalThis.fetch = memFetch(new Uint8Array(b.buffer, b.byteOffset, b.length), Number(chunk), protocol);
const cpu = [];
const wall = [];
// Two warm-up runs, not counted.
for (let i = 0; i < Number(runs) + 2; i++) {
  globalThis.gc?.();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await contender.run({ baseUrl: "http://bench.invalid", protocol, headers: {} });
  const u = process.cpuUsage(u0);
  const t = performance.now() - t0;
  if (i >= 2) {
    cpu.push((u.user + u.system) / 1000);
    wall.push(t);
  }
}
process.stdout.write(JSON.stringify({ cpu, wall, mem: exports.memory.buffer.byteLength }) + "\n");
