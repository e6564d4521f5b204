// Self time per function from a V8 .cpuprofile (node --cpu-prof), top N:
//   node bench/lib/profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs";

const [file, n = "25"] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const node = byId.get(prof.samples[i]);
  const f = node.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-1)[0]}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${(v / 1e3).toFixed(1).padStart(9)} ms ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
}
