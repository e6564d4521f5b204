#!/usr/bin/env node
// The first reply in a fresh Node process, builds and V8 flags side by side
// (bench/README.md "Small reads": the first reply):
//   node bench/cold.mjs PROTOCOL READ_BYTES REPS LABEL=WHO[,V8_FLAG...] ...
// WHO: a package directory (pkg, or a copy of another build), or a peer:
// `eventsource-parser` or `fetch+split`. Each rep starts one process per
// LABEL, the order rotating from rep to rep, so drift in the machine's load
// lands on all alike. A process instantiates the package (or loads the
// peer) and warms the platform's Response/reader/TextDecoder, as
// bench/small.mjs's cold figure does, then times its first reply (the
// typical 2 000 + 300 token transcript of bench/data/, made by small.mjs):
// wall ms, and CPU ms of the whole process over the reply (all threads: V8's
// background compile jobs included); "tail" is the CPU of the 200 ms after
// it (compile jobs still running). Medians over REPS.
//   HOGS=N   one busy-loop process per N, started before and killed after
//            (the contended case: HOGS=2 on this 2-core machine)
// Example, what TurboFan and lazy compilation cost the first reply:
//   node bench/cold.mjs openai 256 11 pkg=pkg lo=pkg,--liftoff-only \
//     eager-lo=pkg,--no-wasm-lazy-compilation,--liftoff-only esp=eventsource-parser
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { memFetch, stats } from "./lib/harness.mjs";
import { busyLoops, loadBuild } from "./lib/node.mjs";

const HERE = fileURLToPath(import.meta.url);
const DATA = path.join(path.dirname(HERE), "data");
const PEER_NAMES = ["eventsource-parser", "fetch+split"];
const OPTS = { baseUrl: "http://bench.invalid", headers: {} };

if (process.argv[2] === "--child") {
  const [who, protocol, chunk] = process.argv.slice(3);
  let contender;
  if (PEER_NAMES.includes(who)) {
    const { PEERS } = await import("./lib/peers.mjs");
    contender = PEERS.find((p) => p.name === who);
  } else {
    const { packageContender } = await import("./lib/package.mjs");
    contender = packageContender((await loadBuild(who)).glue.Client);
  }
  const b = readFileSync(path.join(DATA, `mock-transcript-${protocol}-2000r-300a.sse`));
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.length);
  // What every contender shares, once (harness.mjs warmPlatform).
  const res = await memFetch(new Uint8Array(64), 16, protocol)("http://bench.invalid", {});
  const reader = res.body.getReader();
  while (!(await reader.read()).done);
  new TextDecoder().decode(new Uint8Array(4), { stream: true });

  globalThis.fetch = memFetch(bytes, Number(chunk), protocol);
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await contender.run({ ...OPTS, protocol });
  const wall = performance.now() - t0;
  const u = process.cpuUsage(u0);
  const u1 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 200));
  const t = process.cpuUsage(u1);
  process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1e3, tail: (t.user + t.system) / 1e3 }) + "\n");
  process.exit(0);
}

const [protocol, chunk, reps, ...specs] = process.argv.slice(2);
if (!protocol || !Number(chunk) || !Number(reps) || specs.length === 0) {
  console.error("usage: node bench/cold.mjs PROTOCOL READ_BYTES REPS LABEL=WHO[,V8_FLAG...] ...");
  process.exit(2);
}
const configs = specs.map((s) => {
  const eq = s.indexOf("=");
  const [label, rest] = eq < 0 ? [s, s] : [s.slice(0, eq), s.slice(eq + 1)];
  const [who, ...flags] = rest.split(",");
  return { label, who, flags };
});
const hogs = Number(process.env.HOGS ?? 0);
const release = busyLoops(hogs);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
if (hogs) await new Promise((r) => setTimeout(r, 300));
const load0 = os.loadavg()[0];
const out = Object.fromEntries(configs.map((c) => [c.label, []]));
try {
  for (let r = 0; r < Number(reps); r++) {
    for (let i = 0; i < configs.length; i++) {
      const c = configs[(r + i) % configs.length];
      const o = execFileSync(process.execPath, [...c.flags, HERE, "--child", c.who, protocol, chunk],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      out[c.label].push(JSON.parse(o));
    }
  }
} finally {
  release();
}
const med = (a, k) => stats(a.map((o) => o[k])).median.toFixed(1);
console.log(`${protocol} ${chunk} B, ${reps} processes each${hogs ? `, ${hogs} busy loops` : ""}; ` +
  `load ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}; medians, ms`);
console.log("| | wall | CPU (all threads) | CPU in the next 200 ms |\n|---|---:|---:|---:|");
for (const [label, a] of Object.entries(out)) console.log(`| ${label} | ${med(a, "wall")} | ${med(a, "cpu")} | ${med(a, "tail")} |`);
