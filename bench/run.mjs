#!/usr/bin/env node
// The benchmark, in one command:   node bench/run.mjs [options]
// Compares this package with the JavaScript peers on the same bytes, in
// Node 20 and headless Chromium, and writes bench/RESULTS.md. It builds
// nothing: pkg/ (bash scripts/build.sh) and the relay binary (cargo build
// --release --manifest-path relay/Cargo.toml) must exist.
//   --quick          fewer runs and no 40 MB input (a smoke test, not figures)
//   --skip-chromium  Node only
//   --skip-live      no end-to-end runs over loopback
//   --skip-node      Chromium only (timing and memory; for work on the harness)
//   --standin        inputs from bench/lib/standin.mjs instead of the mock
//                    (the harness's own development; RESULTS.md says so)
//   --no-package     time the peers alone (when pkg/ is not built yet)
//   --skip-small     do not run bench/small.mjs at the end (small reads,
//                    quiet and contended; its section of RESULTS.md is kept)
//   --skip-ui        do not run bench/ui.mjs after it (the element's frame
//                    cost against the element before issue 17, UI_BEFORE;
//                    ≈ 12 minutes; its section of RESULTS.md is kept)
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { stats } from "./lib/harness.mjs";
import { standinTranscript } from "./lib/standin.mjs";
import { requestInit } from "./lib/peers.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCH = path.join(ROOT, "bench");
const DATA = path.join(BENCH, "data");
const OUT = path.join(BENCH, "out");
const RELAY = process.env.VISUAL_REASONING_RELAY ?? path.join(ROOT, "relay/target/release/visual-reasoning-relay");
const PKG_JS = path.join(ROOT, "pkg/visual_reasoning.js");
const PKG_WASM = path.join(ROOT, "pkg/visual_reasoning_bg.wasm");

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has("--quick");
const STANDIN = argv.has("--standin");
const NO_PACKAGE = argv.has("--no-package");
const SKIP_CHROMIUM = argv.has("--skip-chromium");
const SKIP_LIVE = argv.has("--skip-live") || STANDIN;
const SKIP_NODE = argv.has("--skip-node");
for (const a of argv) {
  if (!["--quick", "--standin", "--no-package", "--skip-chromium", "--skip-live", "--skip-node", "--skip-small", "--skip-ui"].includes(a)) {
    console.error(`unknown option ${a}; see the header of bench/run.mjs`);
    process.exit(2);
  }
}

const PKG_NAME = "visual-reasoning";
const FASTEST_PEER_CANDIDATES = ["eventsource-parser", "fetch+split", "openai-node"];
const KIB64 = 65536;
const SMALL_CHUNK = 16;
const t0All = Date.now();
const log = (...a) => console.error(`[${((Date.now() - t0All) / 1000).toFixed(0).padStart(4)}s]`, ...a);

// ---------------------------------------------------------------- preflight
{
  const missing = [];
  if (!NO_PACKAGE && !(existsSync(PKG_JS) && existsSync(PKG_WASM))) {
    missing.push("pkg/ is not built: run `bash scripts/build.sh` (or pass --no-package to time the peers alone)");
  }
  if (!STANDIN && !existsSync(RELAY)) {
    missing.push("the relay binary is missing: run `cargo build --release --manifest-path relay/Cargo.toml` " +
      "(or pass --standin to use the harness's stand-in transcripts)");
  }
  if (!SKIP_CHROMIUM && !existsSync("/usr/bin/chromium")) missing.push("/usr/bin/chromium is missing: run `bash scripts/setup.sh`");
  if (missing.length) {
    console.error("bench/run.mjs builds nothing; first:\n  - " + missing.join("\n  - "));
    process.exit(1);
  }
}
mkdirSync(DATA, { recursive: true });
mkdirSync(OUT, { recursive: true });
// A snapshot of pkg/: a rebuild during the run must not mix two builds in
// one table. Every runtime and the size figures use the snapshot.
const SNAP = path.join(OUT, "pkg");
const SNAP_JS = path.join(SNAP, "visual_reasoning.js");
const SNAP_WASM = path.join(SNAP, "visual_reasoning_bg.wasm");
const pkgStamp = NO_PACKAGE ? "?" : statSync(PKG_WASM).mtime.toISOString();
if (!NO_PACKAGE) {
  mkdirSync(SNAP, { recursive: true });
  for (const f of ["visual_reasoning.js", "visual_reasoning_bg.wasm", "package.json"]) {
    if (existsSync(path.join(ROOT, "pkg", f))) writeFileSync(path.join(SNAP, f), readFileSync(path.join(ROOT, "pkg", f)));
  }
}

// ---------------------------------------------------------------- inputs
function relayHasTranscript() {
  try {
    execFileSync(RELAY, ["transcript", "--protocol", "openai", "--reasoning-tokens", "2", "--answer-tokens", "1"],
      { stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
    return true;
  } catch { return false; }
}

let mock = null;
async function ensureMock() {
  if (!mock) {
    const { startMock } = await import("../tests/support/mock.mjs");
    // The static dir lets the Chromium end-to-end page share the mock's
    // origin, so no contender pays for (or trips over) CORS preflights.
    mock = await startMock({ tokensPerSecond: 0, staticDir: OUT, allowNoOrigin: true });
  }
  return mock;
}

function mockHeaders(r, a) {
  return { "X-Mock-Reasoning-Tokens": String(r), "X-Mock-Answer-Tokens": String(a) };
}

let SOURCE = STANDIN ? "standin" : null;
async function transcript(protocol, r, a) {
  if (!SOURCE) SOURCE = relayHasTranscript() ? "mock-transcript" : "mock-stream";
  const file = path.join(DATA, `${SOURCE}-${protocol}-${r}r-${a}a.sse`);
  // Mock-made files are remade when the binary changes: its texts may.
  const stamp = SOURCE === "standin" ? "standin-v1" : (() => { const s = statSync(RELAY); return `${s.size}-${s.mtimeMs}`; })();
  const stampFile = file + ".stamp";
  if (existsSync(file) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return file;
  if (SOURCE === "standin") {
    writeFileSync(file, standinTranscript(protocol, r, a));
  } else if (SOURCE === "mock-transcript") {
    const bytes = execFileSync(RELAY, ["transcript", "--protocol", protocol, "--reasoning-tokens", String(r),
      "--answer-tokens", String(a)], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "inherit"] });
    writeFileSync(file, bytes);
  } else {
    const m = await ensureMock();
    const init = requestInit(protocol, mockHeaders(r, a));
    const p = protocol === "openai" ? "/compatible-mode/v1/chat/completions" : "/api/v1/services/aigc/multimodal-generation/generation";
    const res = await fetch(m.url + p, init);
    if (res.status !== 200) throw new Error(`mock answered ${res.status} for ${r} reasoning tokens: ${await res.text()}`);
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
  }
  writeFileSync(stampFile, stamp);
  return file;
}

function countEvents(buf) {
  // Events end at a blank line; both protocols here use LF only.
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0 && i + 1 < buf.length; i = buf.indexOf(10, i + 1)) if (buf[i + 1] === 10) n++;
  return n;
}

async function makeInputs() {
  // Size per reasoning token, measured on the source itself, picks the
  // token counts that give the scaling curve its 1/4/16/40 MB.
  const a = 500;
  const small = statSync(await transcript("openai", 4000, a)).size;
  const big = statSync(await transcript("openai", 8000, a)).size;
  const perToken = (big - small) / 4000;
  const fixed = small - 4000 * perToken;
  const tokensFor = (mb) => Math.round((mb * 1e6 - fixed) / perToken);
  const list = [
    { name: "typical", protocol: "openai", r: 2000, a: 300 },
    { name: "typical", protocol: "dashscope", r: 2000, a: 300 },
    { name: "long", protocol: "openai", r: 80000, a: 2000 },
    { name: "long", protocol: "dashscope", r: 80000, a: 2000 },
  ];
  for (const mb of QUICK ? [1, 4, 16] : [1, 4, 16, 40]) list.push({ name: `${mb} MB`, protocol: "openai", r: tokensFor(mb), a, mb });
  for (const inp of list) {
    inp.file = await transcript(inp.protocol, inp.r, inp.a);
    const buf = readFileSync(inp.file);
    inp.bytes = buf.length;
    inp.events = countEvents(buf);
    inp.url = "/data/" + path.basename(inp.file);
  }
  return list;
}

// ---------------------------------------------------------------- Node jobs
function nodeJob(job) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", path.join(BENCH, "node-bench.mjs"),
      JSON.stringify({ ...job, noPackage: NO_PACKAGE })],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, VR_BENCH_PKG: SNAP } });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`node job ${JSON.stringify(job)} exited ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

// ---------------------------------------------------------------- Chromium
const MIME = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html",
  ".wasm": "application/wasm", ".sse": "text/event-stream", ".json": "application/json" };

function startStatic() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let file;
    if (url.pathname.startsWith("/data/")) file = path.join(DATA, path.basename(url.pathname));
    else if (url.pathname.startsWith("/pkg/")) file = path.join(SNAP, path.basename(url.pathname));
    else file = path.join(OUT, path.basename(url.pathname === "/" ? "index.html" : url.pathname));
    if (!existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": MIME[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function bundle() {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(BENCH, "browser-entry.mjs")],
    bundle: true, format: "esm", platform: "browser", target: "chrome120",
    outfile: path.join(OUT, "bench.js"), logLevel: "warning",
    alias: { "vr-package": NO_PACKAGE ? path.join(BENCH, "lib/no-package.mjs") : SNAP_JS },
  });
  writeFileSync(path.join(OUT, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/bench.js"></script>\n');
}

async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
      "--enable-precise-memory-info", "--js-flags=--expose-gc"],
  });
}

async function openPage(browser, origin) {
  const page = await browser.newPage();
  page.on("pageerror", (e) => log("page error:", e.message));
  await page.goto(origin + "/");
  await page.waitForFunction(() => globalThis.__bench !== undefined);
  return page;
}

// ---------------------------------------------------------------- sizes
function gz9(buf) {
  // The CLI, as the issue states the measure as `gzip -9`.
  return execFileSync("gzip", ["-9", "-c"], { input: buf }).length;
}

async function sizes() {
  const esbuild = await import("esbuild");
  const rows = [];
  const entries = [
    ["visual-reasoning", "size/visual-reasoning.js"],
    ["eventsource-parser", "size/eventsource-parser.js"],
    ["fetch+split", "size/fetch-split.js"],
    ["openai-node", "size/openai-node.js"],
  ];
  for (const [name, entry] of entries) {
    if (name === PKG_NAME && NO_PACKAGE) continue;
    const r = await esbuild.build({
      entryPoints: [path.join(BENCH, entry)], bundle: true, minify: true, format: "esm",
      platform: "browser", target: "es2022", write: false, logLevel: "warning",
      alias: { "visual-reasoning": SNAP_JS },
    });
    const js = r.outputFiles[0].contents;
    const row = { name, jsRaw: js.length, jsGz: gz9(js) };
    if (name === PKG_NAME) {
      const wasm = readFileSync(SNAP_WASM);
      Object.assign(row, { wasmRaw: wasm.length, wasmGz: gz9(wasm), glueGz: gz9(readFileSync(SNAP_JS)) });
      row.totalGz = row.jsGz + row.wasmGz;
    } else {
      row.totalGz = row.jsGz;
    }
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------- plan
const RUNS = QUICK ? 3 : 5;
const TYPICAL_RUNS = 101;
const SCALE_RUNS = 9;
function plan(inputs) {
  const jobs = [];
  const base = { kind: "time", warmups: 1, runs: RUNS };
  for (const inp of inputs.filter((i) => !i.mb)) {
    const common = { ...base, input: inp, protocol: inp.protocol, file: inp.file, url: inp.url };
    // A typical reply takes milliseconds: many runs, or one noisy run on
    // this shared machine moves its median across the 2× line.
    if (inp.name === "typical") Object.assign(common, { warmups: 10, runs: QUICK ? 7 : TYPICAL_RUNS });
    jobs.push({ ...common, chunk: KIB64 });
  }
  // The scaling curve is one job with the sizes interleaved (harness.scale);
  // openai-node is timed where its figure means something (the replies
  // above and small reads), the curve is about the fast contenders.
  const sizes = inputs.filter((i) => i.mb);
  jobs.push({ ...base, runs: QUICK ? RUNS : SCALE_RUNS, kind: "scale", protocol: "openai", chunk: KIB64, sizes,
    only: [PKG_NAME, "eventsource-parser", "fetch+split"] });
  const four = sizes.find((i) => i.mb === 4);
  jobs.push({ ...base, input: four, protocol: "openai", file: four.file, url: four.url, chunk: SMALL_CHUNK });
  return jobs;
}

// Runs one planned job in a runtime and turns its answer into table rows.
async function runJob(job, exec, rows, runtime) {
  const out = await exec(strip(exclude(job)));
  const made = job.kind === "scale"
    ? job.sizes.map((inp) => ({ job: { ...job, input: inp }, times: out[inp.name] }))
    : [{ job, times: out }];
  for (const r of made) {
    rows.push(r);
    log(`  ${runtime} ${r.job.input.name}/${r.job.protocol} @${r.job.chunk}:`, summary(r.job.input, r.times));
  }
}

function strip(job) {
  const { input, sizes, ...rest } = job;
  if (sizes) rest.inputs = sizes.map((i) => ({ name: i.name, file: i.file, url: i.url }));
  return rest;
}

// ---------------------------------------------------------------- agreement
function agree(result, where) {
  // result: {chunk: {contender: {reasoning, answer} | {error}}}
  const problems = [];
  for (const [chunk, byName] of Object.entries(result)) {
    const names = Object.keys(byName);
    const ref = byName[names[0]];
    for (const n of names) {
      const v = byName[n];
      if (v.error) problems.push(`${where} chunk ${chunk}: ${n} failed: ${v.error.split("\n")[0]}`);
      else if (!ref.error && (v.reasoning !== ref.reasoning || v.answer !== ref.answer)) {
        problems.push(`${where} chunk ${chunk}: ${n} reasoning ${v.reasoning} answer ${v.answer} ≠ ${names[0]} ${ref.reasoning} ${ref.answer}`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------- main
const results = { native: [], node: [], chromium: [], checks: [], memory: { node: [], chromium: [] }, live: { node: [], chromium: [] }, drain: null };
const problems = [];
const loadStart = os.loadavg();

log("preparing inputs");
const inputs = await makeInputs();
log(`inputs from ${SOURCE}:`, inputs.map((i) => `${i.name}/${i.protocol} ${(i.bytes / 1e6).toFixed(2)} MB ${i.events} events`).join(", "));
const jobs = plan(inputs);

// Agreement first, in Node: every contender on every input at 64 KiB, and
// at 7-byte reads on the typical replies (splits inside UTF-8 and lines).
for (const inp of inputs) {
  const chunks = inp.name === "typical" ? [KIB64, 7] : [KIB64];
  const r = await nodeJob({ kind: "check", protocol: inp.protocol, file: inp.file, chunks });
  results.checks.push({ runtime: "node", input: inp, result: r });
  problems.push(...agree(r, `node ${inp.name}/${inp.protocol}`));
}
if (problems.length) log("DISAGREEMENT:\n  " + problems.join("\n  "));
const failed = new Set(problems.map((p) => p.match(/: (\S+) (failed|reasoning)/)?.[1]).filter(Boolean));
// A contender that failed or disagreed is left out of timing rather than
// reported with a speed for a different job.
const exclude = (job) => ({ ...job, only: (job.only ?? [PKG_NAME, ...FASTEST_PEER_CANDIDATES]).filter((n) => !failed.has(n)) });

log("Node: timing");
for (const job of SKIP_NODE ? [] : jobs) await runJob(job, nodeJob, results.node, "node");

log("Node: memory");
for (const inp of SKIP_NODE ? [] : inputs.filter((i) => i.name === "long" || i.mb === 4 || i.mb === 40 || (QUICK && i.mb === 16))) {
  const names = [PKG_NAME, ...FASTEST_PEER_CANDIDATES].filter((n) => !failed.has(n) && (inp.name === "long" || n !== "openai-node"));
  for (const contender of names) {
    if (contender === PKG_NAME && NO_PACKAGE) continue;
    if (inp.protocol === "dashscope" && contender === "openai-node") continue;
    const m = await nodeJob({ kind: "memory", contender, protocol: inp.protocol, file: inp.file, chunk: KIB64 });
    results.memory.node.push({ input: inp, contender, ...m });
  }
}

// The parts queue: a backlog of 200 000 parts iterated after result()
// (this package only: the peers keep no queue).
if (!SKIP_NODE && !NO_PACKAGE) {
  log("Node: drain of 200 000 parts after result()");
  results.drain = await nodeJob({ kind: "drain", parts: 200_000, warmups: 1, runs: QUICK ? 3 : 7 });
}

// The core compiled natively (bench/native): a ceiling for the wasm figures,
// optional because run.mjs builds nothing.
const NATIVE = path.join(ROOT, "target/bench-native/release/vr-bench-native");
if (existsSync(NATIVE) && !SKIP_NODE) {
  log("native core reference");
  for (const inp of inputs.filter((i) => i.name === "long" || i.mb === 4)) {
    for (const chunk of inp.mb === 4 ? [KIB64, SMALL_CHUNK] : [KIB64]) {
      const out = JSON.parse(execFileSync(NATIVE, [inp.file, inp.protocol, String(chunk), String(RUNS)]).toString());
      results.native.push({ input: inp, chunk, times: out.times });
    }
  }
}

let sizeRows = [];
let compile = null;
let chromiumVersion = null;
if (!SKIP_CHROMIUM) {
  await bundle();
  const server = await startStatic();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium();
  chromiumVersion = browser.version();
  try {
    let page = await openPage(browser, origin);
    log("Chromium: agreement");
    for (const inp of inputs.filter((i) => i.name === "typical" || i.name === "long")) {
      const chunks = inp.name === "typical" ? [KIB64, 7] : [KIB64];
      const r = await page.evaluate((j) => globalThis.__bench.run(j), { kind: "check", protocol: inp.protocol, url: inp.url, chunks });
      results.checks.push({ runtime: "chromium", input: inp, result: r });
      const p = agree(r, `chromium ${inp.name}/${inp.protocol}`);
      problems.push(...p);
      for (const x of p) failed.add(x.match(/: (\S+) (failed|reasoning)/)?.[1]);
    }
    log("Chromium: timing");
    for (const job of jobs) {
      await runJob(job, (j) => page.evaluate((x) => globalThis.__bench.run(x), j), results.chromium, "chromium");
    }
    if (!NO_PACKAGE) {
      log("Chromium: wasm compile + instantiate");
      compile = await page.evaluate((j) => globalThis.__bench.run(j), { kind: "compile", url: "/pkg/visual_reasoning_bg.wasm", rounds: 21 });
    }
    log("Chromium: memory");
    for (const inp of inputs.filter((i) => i.name === "long" || i.mb === 4 || i.mb === 40 || (QUICK && i.mb === 16))) {
      for (const contender of [PKG_NAME, ...FASTEST_PEER_CANDIDATES]) {
        if ((contender === PKG_NAME && NO_PACKAGE) || failed.has(contender)) continue;
        if (contender === "openai-node" && (inp.name !== "long" || inp.protocol !== "openai")) continue;
        // A fresh page per measurement: the previous one's garbage is not ours.
        await page.close();
        page = await openPage(browser, origin);
        const m = await page.evaluate((j) => globalThis.__bench.run(j), { kind: "memory", contender, protocol: inp.protocol, url: inp.url, chunk: KIB64 });
        results.memory.chromium.push({ input: inp, contender, ...m });
      }
    }
    await page.close();
    if (!SKIP_LIVE) {
      log("Chromium: end to end over loopback");
      const m = await ensureMock();
      const live = await openPage(browser, m.url);
      for (const inp of inputs.filter((i) => i.name === "typical" || i.name === "long")) {
        const r = await live.evaluate((j) => globalThis.__bench.run(j), {
          kind: "live", protocol: inp.protocol, headers: mockHeaders(inp.r, inp.a),
          warmups: 1, runs: inp.name === "typical" ? 11 : RUNS,
          // Over a minute a run on the long reply: once is enough to show it.
          once: inp.name === "long" ? ["openai-node"] : [] });
        results.live.chromium.push({ input: inp, ...r });
      }
      await live.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

if (!SKIP_LIVE && !SKIP_NODE) {
  log("Node: end to end over loopback");
  const m = await ensureMock();
  for (const inp of inputs.filter((i) => i.name === "typical" || i.name === "long")) {
    const r = await nodeJob({ kind: "live", protocol: inp.protocol, baseUrl: m.url, headers: mockHeaders(inp.r, inp.a),
      warmups: 1, runs: inp.name === "typical" ? 11 : RUNS });
    results.live.node.push({ input: inp, ...r });
  }
}
if (mock) await mock.stop();

log("sizes");
sizeRows = await sizes();

// ---------------------------------------------------------------- report
function mbps(bytes, ms) { return bytes / 1e3 / ms; }
function summary(inp, times) {
  return Object.entries(times).map(([n, t]) => `${n} ${mbps(inp.bytes, stats(t).median).toFixed(0)} MB/s`).join(", ");
}
const fmt = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? "–" : x.toFixed(d));
const MB = (b) => (b / 1e6).toFixed(1);

function throughputTable(rows) {
  const names = [PKG_NAME, ...FASTEST_PEER_CANDIDATES];
  const lines = [
    `| input | protocol | MB | read | ${names.map((n) => `${n} MB/s median (min–max)`).join(" | ")} | ${PKG_NAME} events/s | fastest peer | ratio |`,
    `|---|---|---|---|${names.map(() => "---").join("|")}|---|---|---|`,
  ];
  const ratios = [];
  for (const { job, times } of rows) {
    const inp = job.input;
    const cell = (n) => {
      if (!times[n]) return "–";
      const s = stats(times[n]);
      return `${fmt(mbps(inp.bytes, s.median))} (${fmt(mbps(inp.bytes, s.max))}–${fmt(mbps(inp.bytes, s.min))})`;
    };
    const peers = FASTEST_PEER_CANDIDATES.filter((n) => times[n]);
    const best = peers.sort((a, b) => stats(times[a]).median - stats(times[b]).median)[0];
    const ours = times[PKG_NAME] ? stats(times[PKG_NAME]).median : null;
    const ratio = ours && best ? stats(times[best]).median / ours : null;
    ratios.push({ input: inp, chunk: job.chunk, protocol: job.protocol, best, ratio });
    lines.push(`| ${inp.name} | ${job.protocol} | ${MB(inp.bytes)} | ${job.chunk === KIB64 ? "64 KiB" : job.chunk + " B"} | ${names.map(cell).join(" | ")} | ${ours ? fmt(inp.events / ours * 1e3) : "–"} | ${best ?? "–"} | ${ratio ? fmt(ratio, 2) + "×" : "–"} |`);
  }
  return { text: lines.join("\n"), ratios };
}

function scalingTable(rows) {
  const names = [PKG_NAME, "eventsource-parser", "fetch+split"];
  const scale = rows.filter((r) => r.job.input.mb && r.job.chunk === KIB64);
  const lines = [`| contender | ${scale.map((r) => `${r.job.input.name} ms`).join(" | ")} | 40 MB / 4 MB time (medians) | same, fastest runs |`,
    `|---|${scale.map(() => "---").join("|")}|---|---|`];
  const out = {};
  for (const n of names) {
    const ms = scale.map((r) => (r.times[n] ? stats(r.times[n]).median : null));
    const four = scale.find((r) => r.job.input.mb === 4);
    const forty = scale.find((r) => r.job.input.mb === 40);
    const ratio = four && forty && four.times[n] && forty.times[n] ? stats(forty.times[n]).median / stats(four.times[n]).median : null;
    const ratioMin = four && forty && four.times[n] && forty.times[n] ? stats(forty.times[n]).min / stats(four.times[n]).min : null;
    out[n] = ratio;
    out[n + ":min"] = ratioMin;
    lines.push(`| ${n} | ${ms.map((x) => fmt(x, 1)).join(" | ")} | ${ratio ? fmt(ratio, 2) + "×" : "–"} | ${ratioMin ? fmt(ratioMin, 2) + "×" : "–"} |`);
  }
  return { text: lines.join("\n"), ratios: out };
}

// Memory charged to a run: JS heap (Node: + external) peak growth plus the
// wasm linear memory it grew (not in the JS heap figure).
const memTotal = (m) => m.peak + (m.extraGrowth || 0);

function memoryTable(rows) {
  const lines = [
    "| input | contender | peak heap growth MB | wasm memory growth MB | retained after GC MB | accumulated text MB | (peak + wasm) / text |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const m of rows) {
    lines.push(`| ${m.input.name}/${m.input.protocol} | ${m.contender} | ${MB(m.peak)} | ${m.wasmMemory ? MB(m.extraGrowth) + " (of " + MB(m.wasmMemory) + ")" : "–"} | ${MB(m.retained)} | ${MB(m.textBytes)} | ${fmt(memTotal(m) / m.textBytes, 2)} |`);
  }
  return lines.join("\n");
}

function liveTable(rows) {
  const names = [PKG_NAME, ...FASTEST_PEER_CANDIDATES];
  const lines = [`| input | protocol | MB | ${names.map((n) => `${n} ms median (min–max)`).join(" | ")} |`, `|---|---|---|${names.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const cell = (n) => (r.times[n] ? (() => { const s = stats(r.times[n]); return `${fmt(s.median, 1)} (${fmt(s.min, 1)}–${fmt(s.max, 1)})`; })() : "–");
    lines.push(`| ${r.input.name} | ${r.input.protocol} | ${MB(r.input.bytes)} | ${names.map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

function liveAgreement(rows, runtime) {
  const out = [];
  for (const r of rows) {
    const ref = results.checks.find((c) => c.runtime === "node" && c.input === r.input)?.result[KIB64];
    const refName = ref && Object.keys(ref)[0];
    for (const [n, d] of Object.entries(r.digests)) {
      if (ref && refName && (d.reasoning !== ref[refName].reasoning || d.answer !== ref[refName].answer)) {
        out.push(`${runtime} live ${r.input.name}/${r.input.protocol}: ${n} got ${d.reasoning}/${d.answer}, the transcript gives ${ref[refName].reasoning}/${ref[refName].answer}`);
      }
    }
  }
  return out;
}
if (!SKIP_LIVE) problems.push(...liveAgreement(results.live.node, "node"), ...liveAgreement(results.live.chromium, "chromium"));

const version = (p) => { try { return JSON.parse(readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version; } catch { return "?"; } };
const pkgVersion = (() => { try { return JSON.parse(readFileSync(path.join(SNAP, "package.json"), "utf8")).version; } catch { return "?"; } })();
const git = (() => { try { return execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).toString().trim(); } catch { return "?"; } })();
const dirty = (() => { try { return execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "Cargo.toml"]).toString().trim() ? " (+ uncommitted changes in src/)" : ""; } catch { return ""; } })();

const nodeT = throughputTable(results.node);
const chromeT = SKIP_CHROMIUM ? null : throughputTable(results.chromium);
const nodeS = scalingTable(results.node);
const chromeS = SKIP_CHROMIUM ? null : scalingTable(results.chromium);
const pkgSize = sizeRows.find((r) => r.name === PKG_NAME);
const peerSizes = sizeRows.filter((r) => r.name !== PKG_NAME);

// Targets of issue 6, each with the figure that decides it.
const targets = [];
function target(name, ok, detail) { targets.push(`| ${name} | ${ok === null ? "not measured" : ok ? "met" : "**missed**"} | ${detail} |`); }
if (!NO_PACKAGE) {
  for (const [rt, T] of [["Node", nodeT], ["Chromium", chromeT]]) {
    if (!T) continue;
    const big = T.ratios.filter((r) => r.chunk === KIB64 && r.ratio);
    const worst = big.reduce((a, b) => (a && a.ratio < b.ratio ? a : b), null);
    const long = big.find((r) => r.input.name === "long" && r.protocol === "openai");
    target(`throughput ≥ 2× fastest peer, ${rt}, 64 KiB`, worst ? worst.ratio >= 2 : null,
      `long/openai ${long ? fmt(long.ratio, 2) + "× (vs " + long.best + ")" : "–"}; lowest over all 64 KiB rows ${worst ? fmt(worst.ratio, 2) + "× (" + worst.input.name + "/" + worst.protocol + " vs " + worst.best + ")" : "–"}`);
    const small = T.ratios.find((r) => r.chunk === SMALL_CHUNK);
    target(`small reads no worse than the peers, ${rt}, ${SMALL_CHUNK} B on 4 MB`, small?.ratio ? small.ratio >= 0.95 : null,
      `${small?.ratio ? fmt(small.ratio, 2) + "× the fastest peer (" + small.best + ")" : "–"}; ≥ 0.95× counted as "no worse" given run-to-run noise`);
  }
  for (const [rt, S] of [["Node", nodeS], ["Chromium", chromeS]]) {
    if (!S) continue;
    const r = S.ratios[PKG_NAME];
    const rMin = S.ratios[PKG_NAME + ":min"];
    target(`time linear, ${rt}: 40 MB ≤ 10.5× 4 MB`, r ? r <= 10.5 : null,
      r ? `${fmt(r, 2)}× (medians; fastest runs ${fmt(rMin, 2)}×; eventsource-parser ${fmt(S.ratios["eventsource-parser"], 2)}×)` : "40 MB not run");
  }
  for (const [rt, rows] of [["Node", results.memory.node], ["Chromium", results.memory.chromium]]) {
    const mine = rows.filter((m) => m.contender === PKG_NAME && m.input.mb);
    if (mine.length < 2) continue;
    const [a, b] = [mine[0], mine[mine.length - 1]];
    const ra = memTotal(a) / a.textBytes, rb = memTotal(b) / b.textBytes;
    target(`memory linear, ${rt}: (peak heap + wasm growth) per text byte does not grow with length`, rb <= ra * 1.25,
      `${a.input.name}: ${fmt(ra, 2)} B per text byte (${MB(memTotal(a))} MB), ${b.input.name}: ${fmt(rb, 2)} (${MB(memTotal(b))} MB)`);
  }
  if (pkgSize) {
    target("shipped size ≤ 56 KB gzip -9 (issue 17: wasm + the package's glue, on the way to 48 KB)", pkgSize.wasmGz + pkgSize.glueGz <= 56 * 1024,
      `${pkgSize.wasmGz + pkgSize.glueGz} B = wasm ${pkgSize.wasmGz} + pkg/visual_reasoning.js ${pkgSize.glueGz} (the sum scripts/build.sh prints; 56 KB read as 57,344 B); steps and what is left: bench/README.md "Bytes"`);
    // "Doing the same job" = a client: request building, retries, timeouts,
    // errors and the stream. eventsource-parser and the split loop are
    // parsers a page must wrap in all that, so they are listed, not compared.
    const client = peerSizes.find((r) => r.name === "openai-node");
    if (client) {
      target("shipped size below every peer doing the same job (openai-node)", pkgSize.totalGz < client.totalGz,
        `${pkgSize.totalGz} B vs openai-node ${client.totalGz} B; the bare parsers weigh ${peerSizes.filter((r) => r !== client).map((r) => `${r.name} ${r.totalGz} B`).join(", ")}`);
    }
  }
  if (compile) {
    target("compile+instantiate ≤ 5 ms in Chromium (from bytes)", compile.total.median <= 5,
      `${fmt(compile.total.median, 2)} ms median (compile ${fmt(compile.compile.median, 2)} + instantiate ${fmt(compile.instantiate.median, 2)}); fetch over loopback ${fmt(compile.fetch.median, 2)} ms, reported apart`);
  }
}

const cpu = os.cpus()[0]?.model ?? "?";
const md = `# Benchmark results

Generated by \`node bench/run.mjs${process.argv.slice(2).length ? " " + process.argv.slice(2).join(" ") : ""}\` on ${new Date().toISOString()} in ${((Date.now() - t0All) / 1000).toFixed(0)} s.
${STANDIN ? "\n**Inputs from the harness's stand-in generator (`--standin`), not the mock: development figures only.**\n" : ""}${QUICK ? "\n**`--quick`: fewer runs and no 40 MB input: a smoke test, not figures.**\n" : ""}
## Machine and versions

- CPU: ${cpu}, ${os.cpus().length} logical cores (\`nproc\`: ${os.availableParallelism?.() ?? os.cpus().length}); memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB
- load average (1 min) at start ${loadStart[0].toFixed(2)}, at end ${os.loadavg()[0].toFixed(2)} — the machine is shared, so absolute figures move 15–30 % between runs; compare ratios within one run.
- Node ${process.version}; Chromium ${chromiumVersion ?? "not run"} (headless, playwright-core ${version("playwright-core")})
- ${PKG_NAME} ${pkgVersion} (git ${git}${dirty}; pkg/ built ${pkgStamp}); openai ${version("openai")}; eventsource-parser ${version("eventsource-parser")}; esbuild ${version("esbuild")}
- inputs: ${SOURCE === "mock-transcript" ? "`visual-reasoning-relay transcript --protocol P --reasoning-tokens N --answer-tokens M`" : SOURCE === "mock-stream" ? "bodies streamed from the mock (`--mock --tokens-per-second 0`, `X-Mock-Reasoning-Tokens`/`X-Mock-Answer-Tokens`)" : "bench/lib/standin.mjs"}

| input | protocol | reasoning tokens | answer tokens | bytes | events |
|---|---|---|---|---|---|
${inputs.map((i) => `| ${i.name} | ${i.protocol} | ${i.r} | ${i.a} | ${i.bytes} | ${i.events} |`).join("\n")}

## Method

- In memory: a substituted \`globalThis.fetch\` returns \`new Response(ReadableStream)\` whose reads are views of one buffer, ${KIB64 / 1024} KiB each (and ${SMALL_CHUNK} B on the 4 MB input). openai-node gets it through its \`fetch\` option; the others call \`globalThis.fetch\`. Each contender accumulates the reasoning and answer texts; this package is iterated part by part (each part's text touched) and its \`stream.reasoning\`/\`stream.answer\` read at the end.
- Agreement: before timing, every contender's reasoning and answer texts (FNV-1a digest + length) are compared on every input at 64 KiB reads and, on the typical replies, at 7-byte reads. ${problems.length ? "**Disagreements: see below.**" : "All agreed."}
- Timing: round-robin over the contenders (run *r* of each, then run *r*+1; each round starts at the next contender), no forced GC between runs (in Chromium a run right after \`gc()\` is 0.3–1 ms slower for every contender, and this package more), ${RUNS} timed runs after 1 warm-up (typical: ${QUICK ? 7 : TYPICAL_RUNS} after 10; the scaling curve: ${QUICK ? RUNS : SCALE_RUNS}). MB = 10⁶ bytes of SSE; events/s counts SSE events of the input. Ratio = fastest peer's median time / this package's median time.
- Memory: one run per contender in a fresh process (Node; \`process.memoryUsage()\` heapUsed + external, sampled every 64 reads) or a fresh page (Chromium; \`performance.memory.usedJSHeapSize\` with \`--enable-precise-memory-info\`), peak minus the value after a GC just before the run; "retained" is the same after a GC at the end, with the texts still held. The package's wasm linear memory is not in those heap figures: its growth during the run is listed and added. "Accumulated text" is what the reasoning and answer strings take in V8 (n bytes for n Latin-1 chars, else 2n); the package also keeps a UTF-8 copy in wasm memory (the API's \`stream.reasoning\`).
- Size: each contender's minimal streaming page (\`bench/size/*.js\`) bundled with \`esbuild --bundle --minify --format=esm\`, then \`gzip -9\`; for this package plus \`visual_reasoning_bg.wasm\` gzip -9.
- Compile: in Chromium, \`WebAssembly.compile(bytes)\` then \`WebAssembly.instantiate\`, median of 21 rounds (each round's bytes carry a distinct custom section so V8 cannot reuse a compiled module); fetching the .wasm over loopback is timed apart (\`cache: "no-store"\`).
- End to end: the real \`fetch\` against the mock (\`--mock --tokens-per-second 0\`) over 127.0.0.1; Chromium loads the bench page from the mock's \`--static\` so requests are same-origin. In Chromium openai-node runs the long reply once (it takes over a minute).

## Throughput, Node (in-memory stream)

${nodeT.text}

${results.native.length ? `The core alone, compiled natively (\`bench/native\`, \`StreamState::feed\` in fixed reads, no JS, no wasm; run after the table above, so under similar load):

| input | protocol | read | MB/s median (min–max) |
|---|---|---|---|
${results.native.map((r) => { const s = stats(r.times); return `| ${r.input.name} | ${r.input.protocol} | ${r.chunk === KIB64 ? "64 KiB" : r.chunk + " B"} | ${fmt(mbps(r.input.bytes, s.median))} (${fmt(mbps(r.input.bytes, s.max))}–${fmt(mbps(r.input.bytes, s.min))}) |`; }).join("\n")}
` : "(The native core reference is not built: `CARGO_TARGET_DIR=target/bench-native cargo build --release --manifest-path bench/native/Cargo.toml`.)\n"}
${chromeT ? `## Throughput, Chromium (in-memory stream)\n\n${chromeT.text}\n` : ""}
## Scaling (64 KiB reads, median ms; the sizes interleaved in one job)

Node:

${nodeS.text}
${chromeS ? `\nChromium:\n\n${chromeS.text}\n` : ""}
${results.drain ? `## Draining a backlog (Node)

${results.drain.parts} one-event reads, \`await stream.result()\`, then \`for await\` over every part: ${fmt(results.drain.median, 1)} ms median (${fmt(results.drain.min, 1)}–${fmt(results.drain.max, 1)}) over ${results.drain.times.length} runs for the iteration (${fmt((results.drain.median * 1e6) / results.drain.parts, 0)} ns a part).
` : ""}
## Memory (64 KiB reads)

Node:

${memoryTable(results.memory.node)}
${results.memory.chromium.length ? `\nChromium:\n\n${memoryTable(results.memory.chromium)}\n` : ""}
## Shipped size (esbuild --minify page, gzip -9)

| contender | page JS raw | page JS gz | wasm raw | wasm gz | total gz |
|---|---|---|---|---|---|
${sizeRows.map((r) => `| ${r.name} | ${r.jsRaw} | ${r.jsGz} | ${r.wasmRaw ?? "–"} | ${r.wasmGz ?? "–"} | **${r.totalGz}** |`).join("\n")}
${pkgSize ? `\n(\`pkg/visual_reasoning.js\` unminified, gzip -9: ${pkgSize.glueGz} B.)\n` : ""}
${compile ? `## Wasm start-up, Chromium (${compile.bytes} B module, median of ${compile.rounds} (min–max) ms)

| fetch over loopback | compile | instantiate | compile + instantiate |
|---|---|---|---|
| ${fmt(compile.fetch.median, 2)} (${fmt(compile.fetch.min, 2)}–${fmt(compile.fetch.max, 2)}) | ${fmt(compile.compile.median, 2)} (${fmt(compile.compile.min, 2)}–${fmt(compile.compile.max, 2)}) | ${fmt(compile.instantiate.median, 2)} (${fmt(compile.instantiate.min, 2)}–${fmt(compile.instantiate.max, 2)}) | ${fmt(compile.total.median, 2)} (${fmt(compile.total.min, 2)}–${fmt(compile.total.max, 2)}) |
` : ""}
${SKIP_LIVE ? "" : `## End to end over loopback (mock at --tokens-per-second 0)

Node:

${liveTable(results.live.node)}
${results.live.chromium.length ? `\nChromium:\n\n${liveTable(results.live.chromium)}\n` : ""}`}
## Targets (issue 6)

| target | status | measured |
|---|---|---|
${targets.join("\n") || "| – | not measured | --no-package |"}
${problems.length ? `\n## Problems\n\n${problems.map((p) => "- " + p).join("\n")}\n` : ""}`;

// bench/small.mjs (small reads, quiet and contended) and bench/ui.mjs (the
// element's frame cost) write their own sections: keep them. small.mjs
// runs next (unless --skip-small) and replaces its section.
const previous = existsSync(path.join(BENCH, "RESULTS.md")) ? readFileSync(path.join(BENCH, "RESULTS.md"), "utf8") : "";
const kept = [/<!-- small-reads[\s\S]*?<!-- \/small-reads -->\n?/, /<!-- ui-bench[\s\S]*?<!-- \/ui-bench -->\n?/]
  .map((re) => re.exec(previous)?.[0]).filter(Boolean);
writeFileSync(path.join(BENCH, "RESULTS.md"), [md.trimEnd(), ...kept.map((k) => k.trimEnd())].join("\n\n") + "\n");
log("wrote bench/RESULTS.md");
if (!argv.has("--skip-small") && !NO_PACKAGE && !STANDIN) {
  log("small reads, quiet and contended: node bench/small.mjs" + (SKIP_CHROMIUM ? " --skip-chromium" : "") + (QUICK ? " --runs 5" : ""));
  execFileSync(process.execPath, [path.join(BENCH, "small.mjs"), ...(SKIP_CHROMIUM ? ["--skip-chromium"] : []), ...(QUICK ? ["--runs", "5"] : [])],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, VR_BENCH_PKG: SNAP } });
}
// The element's "before" in RESULTS.md is the element as it was before
// issue 17 (whole-answer re-render on every update), so the table shows
// what the issue's work changed; `node bench/ui.mjs --before main` compares
// against the last commit instead.
const UI_BEFORE = "8bf601e";
if (!argv.has("--skip-ui") && !SKIP_CHROMIUM && !NO_PACKAGE && !STANDIN) {
  try {
    execFileSync("git", ["cat-file", "-e", `${UI_BEFORE}^{commit}`], { cwd: ROOT, stdio: "ignore" });
  } catch {
    throw new Error(`bench/run.mjs: commit ${UI_BEFORE} (the element before issue 17) is not in this clone: \`git fetch --unshallow\`, or pass --skip-ui`);
  }
  const uiArgs = ["--before", UI_BEFORE, ...(QUICK ? ["--quick"] : [])];
  log("the element's frame cost: node bench/ui.mjs " + uiArgs.join(" "));
  execFileSync(process.execPath, [path.join(BENCH, "ui.mjs"), ...uiArgs], { stdio: ["ignore", "ignore", "inherit"] });
}
for (const [rt, T] of [["node", nodeT], ["chromium", chromeT]]) {
  if (!T) continue;
  for (const r of T.ratios) {
    console.log(`${rt.padEnd(8)} ${(r.input.name + "/" + r.protocol).padEnd(18)} ${String(r.chunk).padStart(5)} B reads: ${PKG_NAME} ${r.ratio ? r.ratio.toFixed(2) + "×" : "–"} the fastest peer (${r.best})`);
  }
}
for (const t of targets) console.log(t);
if (problems.length) { console.log("problems:\n  " + problems.join("\n  ")); process.exitCode = 1; }
