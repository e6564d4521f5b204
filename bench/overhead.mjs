// Where the time goes at small reads: each contender's time minus the time
// of a reader that only drains the same in-memory stream (the part every
// contender pays: Node's or the browser's ReadableStream machinery, one
// promise per read). CPU time of the process (steadier than the wall clock
// on a busy machine), medians, contenders round-robin in one process.
//   node --expose-gc bench/overhead.mjs PKG_DIR FILE openai|dashscope READ_BYTES [ROUNDS]
import { readFileSync } from "node:fs";
import { memFetch, stats } from "./lib/harness.mjs";
import { packageContender } from "./lib/package.mjs";
import { loadBuild } from "./lib/node.mjs";
import { PEERS } from "./lib/peers.mjs";

const [dir, file, protocol, chunk, rounds = "21"] = process.argv.slice(2);
const { glue: pkg } = await loadBuild(dir);
const b = readFileSync(file);
const bytes = new Uint8Array(b.buffer, b.byteOffset, b.length);
const drainOnly = {
  name: "drain only",
  async run() {
    const res = await fetch("http://bench.invalid", { method: "POST" });
    const reader = res.body.getReader();
    let n = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      n += r.value.length;
    }
    return { reasoning: "", answer: "", n };
  },
};
const list = [drainOnly, packageContender(pkg.Client), ...PEERS.filter((p) => p.name !== "openai-node" && p.protocols.includes(protocol))];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const times = Object.fromEntries(list.map((c) => [c.name, []]));
for (let r = 0; r < Number(rounds) + 2; r++) {
  for (let i = 0; i < list.length; i++) {
    const c = list[(r + i) % list.length];
    globalThis.fetch = memFetch(bytes, Number(chunk), protocol);
    const t0 = cpu();
    await c.run({ baseUrl: "http://bench.invalid", protocol, headers: {} });
    if (r >= 2) times[c.name].push(cpu() - t0);
  }
}
const base = stats(times["drain only"]).median;
const out = {};
for (const [n, t] of Object.entries(times)) out[n] = { median: stats(t).median, over: stats(t).median - base };
process.stdout.write(JSON.stringify(out) + "\n");
