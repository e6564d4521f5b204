// A focused A/B benchmark of this package alone: builds side by side in one
// Node process, round-robin, so load on a shared machine hits both alike.
// Minutes, not the 5-9 of run.mjs; for checking a change to the binding.
//   node --expose-gc bench/focus.mjs [dir ...]      (default: pkg)
//   VR_FOCUS_ROUNDS=N (default 15)   VR_FOCUS_ONLY=stream,typical,long,small,drain
//   VR_FOCUS_CPU=1: time by the process's CPU time (process.cpuUsage)
//   rather than the wall clock: steadier on a loaded shared machine
// Rows (medians over the rounds, each round a few runs):
//   stream   new Client + client.stream() + a 7-event reply, µs per stream
//   sustain  the same 20 000 times in a row (no forced GC between): what
//            the garbage collector and finalization cost over time
//   typical  a 0.26 MB reply (2000 + 300 tokens) in 64 KiB reads, ms
//   long     an 8 MB reply in 64 KiB reads, MB/s
//   small    a 1 MB reply in 16-byte reads, MB/s
//   drain    200 000 one-event reads, then `await result()`, then
//            iterating every part: ms for the iteration alone
// Inputs: bench/lib/standin.mjs (OpenAI framing), served by an in-memory
// fetch (bench/lib/harness.mjs memFetch).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { memFetch, stats } from "./lib/harness.mjs";
import { standinTranscript } from "./lib/standin.mjs";
import { drain, eventReads } from "./lib/drain.mjs";
import { loadBuild } from "./lib/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ["pkg"];
const ROUNDS = Number(process.env.VR_FOCUS_ROUNDS ?? 15);
const ONLY = (process.env.VR_FOCUS_ONLY ?? "stream,sustain,typical,long,small,drain").split(",");

const CPU = process.env.VR_FOCUS_CPU === "1";
/** Milliseconds: wall clock, or CPU time of the process. */
const now = CPU
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : () => performance.now();

const pkgs = [];
for (const d of dirs) {
  const { glue: mod } = await loadBuild(path.resolve(ROOT, d), String(pkgs.length));
  pkgs.push({ name: d, mod });
}

const enc = new TextEncoder();
const tiny = enc.encode(standinTranscript("openai", 4, 2));
const typical = enc.encode(standinTranscript("openai", 2000, 300));
const long = enc.encode(standinTranscript("openai", 60000, 2000));
const small = enc.encode(standinTranscript("openai", 7000, 300));
const REQUEST = { model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "Find angle x." }] };
const OPTS = { baseUrl: "http://bench.invalid", maxRetries: 0 };

async function withFetch(f, fn) {
  const saved = globalThis.fetch;
  globalThis.fetch = f;
  try {
    return await fn();
  } finally {
    globalThis.fetch = saved;
  }
}

async function reply(mod, bytes, chunk) {
  return withFetch(memFetch(bytes, chunk, "openai"), async () => {
    const stream = new mod.Client(OPTS).stream(REQUEST);
    let n = 0;
    for await (const p of stream) if (p.type !== "usage") n += p.text.length;
    if (n !== stream.reasoning.length + stream.answer.length) throw new Error("lost text");
    return n;
  });
}

const DRAIN_N = 200_000;
const drainReads = ONLY.includes("drain") ? eventReads(DRAIN_N) : [];

const rows = {
  stream: { unit: "µs/stream", runs: 200, run: async (m) => reply(m, tiny, 65536), per: (ms, runs) => (ms * 1000) / runs },
  sustain: { unit: "µs/stream", runs: 20_000, run: async (m) => reply(m, tiny, 65536), per: (ms, runs) => (ms * 1000) / runs },
  typical: { unit: "ms", runs: 5, run: (m) => reply(m, typical, 65536), per: (ms, runs) => ms / runs },
  long: { unit: "MB/s", runs: 1, run: (m) => reply(m, long, 65536), per: (ms, runs) => (long.length * runs) / 1e3 / ms },
  small: { unit: "MB/s", runs: 1, run: (m) => reply(m, small, 16), per: (ms, runs) => (small.length * runs) / 1e3 / ms },
};

const results = {};
for (const name of ONLY) results[name] = Object.fromEntries(pkgs.map((p) => [p.name, []]));
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const name of ONLY) {
    for (let k = 0; k < pkgs.length; k++) {
      const p = pkgs[(r + k) % pkgs.length];
      let v;
      if ((name === "drain" || name === "sustain") && r > 2 && r % 3) continue; // slow: a third of the rounds
      if (name === "drain") {
        v = await drain(p.mod.Client, drainReads, now);
      } else {
        const row = rows[name];
        const t0 = now();
        for (let i = 0; i < row.runs; i++) await row.run(p.mod);
        v = row.per(now() - t0, row.runs);
      }
      if (r > 0) results[name][p.name].push(v);
    }
  }
  globalThis.gc?.();
}

const units = { ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.unit])), drain: "ms" };
for (const name of ONLY) {
  const cells = pkgs.map((p) => {
    const s = stats(results[name][p.name]);
    return `${p.name}: ${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  });
  console.log(`${name.padEnd(8)} ${units[name].padEnd(10)} ${cells.join("   ")}`);
}
