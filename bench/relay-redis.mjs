// What the shared Redis store adds to each request, over loopback: the
// Rust binary and the JavaScript relay (visual-reasoning-relay-js on Node),
// each with a daily token budget and the per-client limits, counters in
// memory vs in a local redis-server (--redis-url). A measurement, not a test:
//   bash scripts/build.sh && cargo build --release --manifest-path relay/Cargo.toml
//   node bench/relay-redis.mjs [--requests N]
//
// An upstream in this process answers every request at once with a short
// OpenAI stream and its usage; the client (this process) times each request
// from sending it to the response headers (where admission happens: rate
// limit, stream count, budget reservation) and to the end of the body (the
// settlement is sent after it, off the request's path). Requests are
// sequential, and alternate between the memory and the Redis relay, so
// that load drift hits both alike.
import http from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";
import { startRedis } from "../tests/relay/support.mjs";
import { TARGETS } from "../tests/relay/targets.mjs";

const { values } = parseArgs({ options: { requests: { type: "string", default: "400" } } });
const N = Number(values.requests);
const ORIGIN = "http://bench.example";
const OPENAI = "/compatible-mode/v1/chat/completions";
const REPLY =
  'data: {"id":"c","choices":[{"delta":{"content":"x = 70"},"finish_reason":"stop"}],"usage":null}\n\n' +
  'data: {"id":"c","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}}\n\ndata: [DONE]\n\n';

const upstream = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(REPLY);
  });
});
upstream.keepAliveTimeout = 60_000;
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
const redis = await startRedis();

const body = JSON.stringify({ model: "qwen3-vl-plus", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 100 });
async function once(base) {
  const t0 = performance.now();
  const res = await fetch(base + OPENAI, { method: "POST", headers: { origin: ORIGIN, "content-type": "application/json" }, body });
  const head = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${base}: ${res.status} ${text}`);
  return [head, performance.now() - t0];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const us = (ms) => `${Math.round(ms * 1000)} µs`.padStart(9);

const options = {
  upstream: upstreamUrl,
  allowOrigins: [ORIGIN],
  dailyTokenBudget: 1e12,
  perClientDailyTokens: 1e12,
  rateLimit: 1_000_000,
  maxStreamsPerClient: 64,
  maxConnectionsPerIp: 0,
};
const rows = [];
try {
  for (const target of [TARGETS.rust, TARGETS.node]) {
    const memory = await target.start(options);
    const shared = await target.start({ ...options, redisUrl: redis.url });
    try {
      for (let i = 0; i < 20; i++) await Promise.all([once(memory.url), once(shared.url)]); // warm up
      const m = [];
      const r = [];
      for (let i = 0; i < N; i++) {
        m.push(await once(memory.url));
        r.push(await once(shared.url));
      }
      for (const [name, xs] of [
        [`${target.name}, counters in memory`, m],
        [`${target.name}, counters in Redis`, r],
      ]) {
        rows.push([name, median(xs.map((x) => x[0])), p90(xs.map((x) => x[0])), median(xs.map((x) => x[1]))]);
      }
    } finally {
      await Promise.all([memory.stop(), shared.stop()]);
    }
  }
} finally {
  await redis.stop();
  upstream.close();
}

console.log(`${N} sequential requests each, alternating; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log("| relay | headers, median | headers, p90 | whole reply, median |");
console.log("|---|---|---|---|");
for (const [name, h, h90, all] of rows) console.log(`| ${name} | ${us(h)} | ${us(h90)} | ${us(all)} |`);
for (let i = 0; i < rows.length; i += 2) {
  console.log(`${rows[i][0].split(",")[0]}: Redis adds ${us(rows[i + 1][1] - rows[i][1]).trim()} to the headers (median), ${us(rows[i + 1][3] - rows[i][3]).trim()} to the whole reply`);
}
