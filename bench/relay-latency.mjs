// Added latency per event through the relays, over loopback: the Rust
// binary and the JavaScript relay (visual-reasoning-relay-js on Node; with
// --all also under Deno and Bun), in one run. A measurement, not a test:
//   bash scripts/build.sh && cargo build --release --manifest-path relay/Cargo.toml
//   node bench/relay-latency.mjs [--all] [--runs N]
//
// As relay/benches/latency.rs: an upstream in this process sends 400
// events 3 ms apart, each stamped with the time it was handed to the
// socket; the client (this process too, so both ends read one clock)
// computes arrival - sent for every event, directly and through each
// relay, runs interleaved so that load drift hits all alike.
import http from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";
import { TARGETS } from "../tests/relay/targets.mjs";

const { values } = parseArgs({ options: { all: { type: "boolean", default: false }, runs: { type: "string", default: "5" } } });
const RUNS = Number(values.runs);
const EVENTS = 400;
const GAP_MS = 3;
const ORIGIN = "http://bench.example";
const OPENAI = "/compatible-mode/v1/chat/completions";

const now = () => Number(process.hrtime.bigint()) / 1000; // µs

const upstream = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
    let i = 0;
    const pad = "x".repeat(200);
    const tick = () => {
      if (i++ === EVENTS) return res.end();
      res.write(`data: {"sent":${now()},"pad":"${pad}"}\n\n`);
      setTimeout(tick, GAP_MS);
    };
    setTimeout(tick, GAP_MS);
  });
});
upstream.keepAliveTimeout = 60_000;
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

/** Per-event delays (µs) of one reply from `base`. */
async function delays(base) {
  const res = await fetch(base + OPENAI, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "application/json" },
    body: "{}",
  });
  if (res.status !== 200) throw new Error(`${base}: ${res.status} ${await res.text()}`);
  const out = [];
  let buf = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    const t = now();
    buf += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const ev = buf.slice(0, end);
      buf = buf.slice(end + 2);
      out.push(t - JSON.parse(ev.slice(6)).sent);
    }
  }
  if (out.length !== EVENTS) throw new Error(`${base}: ${out.length} events`);
  return out;
}

const options = { upstream: upstreamUrl, allowOrigins: [ORIGIN], rateLimit: 0, maxStreamsPerClient: 0 };
const paths = [["upstream direct", { url: upstreamUrl, stop: async () => {} }]];
const names = values.all ? ["rust", "node", "deno", "bun"] : ["rust", "node"];
for (const name of names) {
  const server = await TARGETS[name].start({ ...options, apiKey: "sk-bench" });
  // The JS relays log a line per request to stderr; nobody reads it here.
  paths.push([name === "rust" ? "Rust relay" : `JS relay (${name})`, server]);
}

const samples = new Map(paths.map(([label]) => [label, []]));
for (const [, p] of paths) await delays(p.url); // warm up connections and JITs
for (let run = 0; run < RUNS; run++) {
  for (const [label, p] of paths) samples.get(label).push(...(await delays(p.url)));
}
for (const [, p] of paths) await p.stop();
upstream.close();

const pct = (sorted, q) => sorted[Math.round((sorted.length - 1) * q)];
const direct = samples.get("upstream direct").sort((a, b) => a - b);
const d50 = pct(direct, 0.5);
console.log(`per-event delay over loopback, ${EVENTS} events x ${RUNS} runs per path (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${os.cpus().length} cores):`);
console.log(`  ${"path".padEnd(20)} ${"median".padStart(9)} ${"p90".padStart(9)} ${"p99".padStart(9)}  added (median)`);
for (const [label, s] of samples) {
  s.sort((a, b) => a - b);
  const added = label === "upstream direct" ? "" : `${(pct(s, 0.5) - d50).toFixed(0)} µs`;
  const f = (v) => `${v.toFixed(0)} µs`.padStart(9);
  console.log(`  ${label.padEnd(20)} ${f(pct(s, 0.5))} ${f(pct(s, 0.9))} ${f(pct(s, 0.99))}  ${added}`);
}
