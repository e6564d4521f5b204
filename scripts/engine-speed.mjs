// Throughput of the package's stream parsing in each browser engine, with the
// wasm built with simd128 and the fallback built without SIMD (both made by
// scripts/build.sh; init() picks one per engine): the same OpenAI-protocol reply
// (from the mock: `--tokens` reasoning tokens) handed to the client by a
// stubbed fetch in 64 KiB chunks, so the network stays out of it; each
// variant in its own page; a sample streams it `--repeat` times, the median
// of `--runs` samples is reported. Not part of scripts/test.sh.
//   node scripts/engine-speed.mjs [--engines chromium,firefox,webkit] [--tokens 80000] [--runs 7] [--repeat 10]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startStatic } from "../tests/browser/harness.mjs";
import { startMock } from "../tests/support/mock.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const engines = arg("engines", "chromium,firefox,webkit").split(",");
const tokens = Number(arg("tokens", "80000"));
const runs = Number(arg("runs", "7"));
const repeat = Number(arg("repeat", "10"));
const variants = { simd: "/pkg/visual_reasoning_bg.wasm", nosimd: "/pkg/visual_reasoning_nosimd_bg.wasm" };
for (const file of Object.values(variants)) {
  if (!existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing: bash scripts/build.sh`);
}

// The input: one reply of the mock, as the browser would receive it.
const mock = await startMock({ allowNoOrigin: true });
const res = await fetch(`${mock.url}/compatible-mode/v1/chat/completions`, {
  method: "POST",
  headers: { "content-type": "application/json", "X-Mock-Reasoning-Tokens": String(tokens) },
  body: JSON.stringify({ model: "qwen3-vl-plus", stream: true, enable_thinking: true, messages: [{ role: "user", content: "Find x." }] }),
});
const body = Buffer.from(await res.arrayBuffer());
if (!res.ok || body.length < 1000) throw new Error(`the mock answered ${res.status}: ${body.toString().slice(0, 300)}`);
await mock.stop();
const dir = mkdtempSync(path.join(tmpdir(), "vr-speed-"));
writeFileSync(path.join(dir, "reply.sse"), body);
writeFileSync(path.join(dir, "index.html"), "<!doctype html><meta charset=utf-8><title>speed</title>");
const site = await startStatic({ "/pkg/": path.join(ROOT, "pkg") + "/", "/": dir + "/" });
console.log(`input: ${(body.length / 1e6).toFixed(1)} MB of OpenAI SSE (${tokens} reasoning tokens), 64 KiB reads, ${repeat} streams a sample, median of ${runs}`);

const results = [];
try {
  for (const engine of engines) {
    process.env.VR_ENGINE = engine;
    const { launchEngine } = await import(`../tests/support/engine.mjs?${engine}`);
    const browser = await launchEngine();
    try {
      for (const [variant, wasm] of Object.entries(variants)) {
        const page = await browser.newPage();
        await page.goto(`${site.url}/index.html`);
        const r = await page.evaluate(
          async ([wasm, runs, repeat]) => {
            const vr = await import("/pkg/visual_reasoning.js");
            await vr.default({ module_or_path: new URL(wasm, location.origin) });
            const bytes = new Uint8Array(await (await fetch("/reply.sse")).arrayBuffer());
            const CHUNK = 64 * 1024;
            globalThis.fetch = async () =>
              new Response(
                new ReadableStream({
                  start(c) {
                    for (let i = 0; i < bytes.length; i += CHUNK) c.enqueue(bytes.slice(i, i + CHUNK));
                    c.close();
                  },
                }),
                { status: 200, headers: { "content-type": "text/event-stream" } },
              );
            const client = new vr.Client({ baseUrl: "http://stub.invalid" });
            const times = [];
            let chars = 0;
            for (let i = 0; i < runs + 1; i++) {
              const t0 = performance.now();
              for (let k = 0; k < repeat; k++) {
                const s = client.stream({ model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "x" }] });
                let n = 0;
                for await (const p of s) n += p.text ? p.text.length : 0;
                chars = n;
              }
              if (i > 0) times.push(performance.now() - t0); // the first sample warms up
            }
            times.sort((a, b) => a - b);
            return { ms: times[times.length >> 1], chars, bytes: bytes.length * repeat };
          },
          [wasm, runs, repeat],
        );
        await page.close();
        results.push({ engine, variant, ...r });
        console.log(`${engine.padEnd(9)} ${variant.padEnd(7)} ${r.ms.toFixed(0).padStart(6)} ms  ${(r.bytes / 1e6 / (r.ms / 1000)).toFixed(0).padStart(4)} MB/s`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const engine of engines) {
  const [a, b] = ["simd", "nosimd"].map((v) => results.find((r) => r.engine === engine && r.variant === v));
  if (a && b) console.log(`${engine}: no-SIMD takes ${(b.ms / a.ms).toFixed(2)}× the SIMD build's time`);
}
