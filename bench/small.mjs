#!/usr/bin/env node
// Small reads, quiet and contended:   node bench/small.mjs [options]
// This package against the fastest JavaScript peer at 16- and 256-byte
// reads, both protocols, Node 20 and headless Chromium, once on the machine
// as it is ("quiet") and once with the CPU contended on purpose: one
// busy-loop process per core (`os.availableParallelism()`), started before
// and killed after each contended job. Writes its section of
// bench/RESULTS.md (bench/run.mjs runs this command at its end, and keeps
// the section when run with --skip-small).
//   --runs N          timed warm runs per contender per job (default 31)
//   --cold-reps N     fresh processes (contexts) per contender for the cold figure (default 5)
//   --skip-chromium   Node only
//   --skip-node       Chromium only
//   --quiet-only / --contended-only
//   --no-write        print the table, leave RESULTS.md alone
// Needs pkg/ (bash scripts/build.sh) and the relay binary (its `transcript`
// subcommand makes the inputs, the typical replies of run.mjs, cached in
// bench/data/ under the same names).
//
// Two figures per row. "Warm": one fresh Node process (or Chromium browser
// context) per job, the contenders round-robin, one untimed run each, then
// the median of --runs; beside its ratio of medians, the paired ratio: the
// median (and quartiles) over the rounds of the fastest peer's run / this
// package's run of the same round. "Cold": what a page pays for its first reply, in
// the baseline tiers (V8's Ignition/Sparkplug for JS, Liftoff for wasm)
// while the optimising compilers work on background threads that a
// contended CPU delays: the first run of a contender alone in a fresh
// process (context), median over --cold-reps such processes, contenders
// interleaved. (The package's wasm is instantiated before the clock
// starts, as a page does at load; so are the platform's Response,
// ReadableStream reader and TextDecoder, which Node loads on first use:
// harness.mjs `warmPlatform`.)
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stats } from "./lib/harness.mjs";
import { busyLoops } from "./lib/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCH = path.join(ROOT, "bench");
const DATA = path.join(BENCH, "data");
const OUT = path.join(BENCH, "out", "small");
const RELAY = process.env.VISUAL_REASONING_RELAY ?? path.join(ROOT, "relay/target/release/visual-reasoning-relay");
const PKG = path.resolve(ROOT, process.env.VR_BENCH_PKG ?? "pkg");

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const num = (f, d) => (args.includes(f) ? Number(args[args.indexOf(f) + 1]) : d);
const RUNS = num("--runs", 31);
const COLD_REPS = num("--cold-reps", 5);
const known = ["--runs", "--cold-reps", "--skip-chromium", "--skip-node", "--quiet-only", "--contended-only", "--no-write"];
for (const a of args) {
  if (!known.includes(a) && !/^\d+$/.test(a)) {
    console.error(`bench/small.mjs: unknown option ${a}`);
    process.exit(2);
  }
}
const MODES = flag("--quiet-only") ? ["quiet"] : flag("--contended-only") ? ["contended"] : ["quiet", "contended"];
const RUNTIMES = [...(flag("--skip-node") ? [] : ["node"]), ...(flag("--skip-chromium") ? [] : ["chromium"])];
const PROTOCOLS = ["openai", "dashscope"];
const CHUNKS = [16, 256];
const PKG_NAME = "visual-reasoning";
// openai-node is 2-3× slower than the parsers at small reads (RESULTS.md)
// and OpenAI-only: it never is the fastest peer, so it is not timed here.
const ONLY = [PKG_NAME, "eventsource-parser", "fetch+split"];
const t0All = Date.now();
const log = (...a) => console.error(`[small ${((Date.now() - t0All) / 1000).toFixed(0).padStart(4)}s]`, ...a);

for (const [f, what] of [[path.join(PKG, "visual_reasoning.js"), "pkg/: run `bash scripts/build.sh`"],
  [RELAY, "the relay binary: run `cargo build --release --manifest-path relay/Cargo.toml`"]]) {
  if (!existsSync(f)) {
    console.error(`bench/small.mjs builds nothing; missing ${what}`);
    process.exit(1);
  }
}
mkdirSync(DATA, { recursive: true });
mkdirSync(OUT, { recursive: true });

// ------------------------------------------------------------ inputs
function transcript(protocol, r, a) {
  const file = path.join(DATA, `mock-transcript-${protocol}-${r}r-${a}a.sse`);
  const s = statSync(RELAY);
  const stamp = `${s.size}-${s.mtimeMs}`;
  if (!(existsSync(file) && existsSync(file + ".stamp") && readFileSync(file + ".stamp", "utf8") === stamp)) {
    writeFileSync(file, execFileSync(RELAY, ["transcript", "--protocol", protocol, "--reasoning-tokens", String(r),
      "--answer-tokens", String(a)], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "inherit"] }));
    writeFileSync(file + ".stamp", stamp);
  }
  const buf = readFileSync(file);
  let events = 0;
  for (let i = buf.indexOf(10); i >= 0 && i + 1 < buf.length; i = buf.indexOf(10, i + 1)) if (buf[i + 1] === 10) events++;
  return { protocol, file, url: "/data/" + path.basename(file), bytes: buf.length, events };
}
const inputs = Object.fromEntries(PROTOCOLS.map((p) => [p, transcript(p, 2000, 300)]));

// ------------------------------------------------------------ contention
let release = () => {};
const contend = () => (release = busyLoops(os.availableParallelism?.() ?? os.cpus().length));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

// ------------------------------------------------------------ runtimes
function nodeJob(job) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", path.join(BENCH, "node-bench.mjs"), JSON.stringify(job)],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, VR_BENCH_PKG: PKG } });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`node job exited ${code}`))));
  });
}

const MIME = { ".js": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".sse": "text/event-stream" };
let chromium = null;
async function startChromium() {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(BENCH, "browser-entry.mjs")], bundle: true, format: "esm", platform: "browser",
    target: "chrome120", outfile: path.join(OUT, "bench.js"), logLevel: "warning",
    alias: { "vr-package": path.join(PKG, "visual_reasoning.js") },
  });
  writeFileSync(path.join(OUT, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/bench.js"></script>\n');
  const server = createServer((req, res) => {
    const p = new URL(req.url, "http://x").pathname;
    const file = p.startsWith("/data/") ? path.join(DATA, path.basename(p))
      : p.startsWith("/pkg/") ? path.join(PKG, path.basename(p))
        : path.join(OUT, path.basename(p === "/" ? "index.html" : p));
    if (!existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": MIME[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { chromium: pw } = await import("playwright-core");
  const browser = await pw.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  chromium = { browser, server, origin: `http://127.0.0.1:${server.address().port}` };
}
async function chromiumJob(job) {
  // A fresh context per job: a new renderer, so the tiers start cold as in Node.
  const context = await chromium.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(chromium.origin + "/");
    await page.waitForFunction(() => globalThis.__bench !== undefined);
    return await page.evaluate((j) => globalThis.__bench.run(j), job);
  } finally {
    await context.close();
  }
}

/** Median and the quartiles around it (nearest rank). */
function quartiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  return { median: stats(xs).median, q1: at(0.25), q3: at(0.75) };
}

// ------------------------------------------------------------ the run
const loadStart = os.loadavg()[0];
const results = [];
if (RUNTIMES.includes("chromium")) await startChromium();
// Quiet and contended alternate job by job, so drift in the machine's own
// load lands on both modes alike.
for (const runtime of RUNTIMES) {
  for (const protocol of PROTOCOLS) {
    for (const chunk of CHUNKS) {
      for (const mode of MODES) {
        const inp = inputs[protocol];
        const job = { kind: "time", protocol, file: inp.file, url: inp.url, chunk, warmups: 1, runs: RUNS, only: ONLY };
        const exec = (j) => (runtime === "node" ? nodeJob(j) : chromiumJob(j));
        if (mode === "contended") {
          contend();
          await new Promise((r) => setTimeout(r, 300)); // the hogs are running
        }
        const load = os.loadavg()[0];
        let times;
        const cold = Object.fromEntries(ONLY.map((n) => [n, []]));
        try {
          times = await exec(job);
          for (let rep = 0; rep < COLD_REPS; rep++) {
            for (let i = 0; i < ONLY.length; i++) {
              const name = ONLY[(rep + i) % ONLY.length];
              const t = await exec({ ...job, warmups: 0, runs: 1, only: [name], prewarm: true });
              cold[name].push(t[name][0]);
            }
          }
        } finally {
          release();
        }
        const row = { runtime, protocol, chunk, mode, bytes: inp.bytes, events: inp.events, load, cells: {} };
        for (const [name, t] of Object.entries(times)) {
          row.cells[name] = { cold: stats(cold[name]).median, ...stats(t) };
        }
        const peers = Object.keys(row.cells).filter((n) => n !== PKG_NAME);
        row.best = peers.reduce((a, b) => (row.cells[a].median <= row.cells[b].median ? a : b));
        row.ratio = row.cells[PKG_NAME] ? row.cells[row.best].median / row.cells[PKG_NAME].median : null;
        // Paired: run k of the fastest peer against run k of this package
        // (adjacent in time: the harness runs them round-robin), so drift in
        // the machine's load between moments cancels within each pair.
        row.paired = row.cells[PKG_NAME] ? quartiles(times[row.best].map((t, k) => t / times[PKG_NAME][k])) : null;
        const coldBest = peers.reduce((a, b) => (row.cells[a].cold <= row.cells[b].cold ? a : b));
        row.coldRatio = row.cells[PKG_NAME] ? row.cells[coldBest].cold / row.cells[PKG_NAME].cold : null;
        results.push(row);
        log(`${runtime} ${protocol} ${chunk} B ${mode} (load ${load.toFixed(1)}): ${row.ratio?.toFixed(2)}× ${row.best}` +
          ` (paired ${row.paired?.median.toFixed(2)}×, ${row.paired?.q1.toFixed(2)}–${row.paired?.q3.toFixed(2)}), cold ${row.coldRatio?.toFixed(2)}×` +
          ` (${Object.entries(row.cells).map(([n, c]) => `${n} ${c.median.toFixed(1)} ms, cold ${c.cold.toFixed(1)}`).join("; ")})`);
      }
    }
  }
}
if (chromium) {
  await chromium.browser.close();
  chromium.server.close();
}
const loadEnd = os.loadavg()[0];
writeFileSync(path.join(OUT, "results.json"), JSON.stringify(results, null, 1));

// ------------------------------------------------------------ RESULTS.md
const fmt = (x, d = 1) => (x == null ? "–" : x.toFixed(d));
const mbps = (bytes, ms) => bytes / 1e3 / ms;
const cell = (row, name) => {
  const c = row.cells[name];
  return c ? `${fmt(mbps(row.bytes, c.median))} (${fmt(mbps(row.bytes, c.max))}–${fmt(mbps(row.bytes, c.min))})` : "–";
};
const lines = [];
lines.push("<!-- small-reads: written by node bench/small.mjs; bench/run.mjs runs it (or keeps this section) -->");
lines.push("## Small reads, quiet and contended");
lines.push("");
lines.push(`\`node bench/small.mjs\` on ${new Date().toISOString()} in ${((Date.now() - t0All) / 1000).toFixed(0)} s; ` +
  `load average (1 min) ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end, per job in the table ` +
  `(the contended jobs add one busy-loop process per core: ${os.availableParallelism?.() ?? os.cpus().length} here). ` +
  `Inputs: the typical replies (2 000 reasoning + 300 answer tokens from the mock; openai ${inputs.openai.bytes} B, ` +
  `dashscope ${inputs.dashscope.bytes} B) in 16- and 256-byte reads from an in-memory stream. Warm: a fresh Node process or ` +
  `Chromium context per job, contenders round-robin, 1 untimed run then ${RUNS}, MB/s median (min–max). ` +
  `Ratio = the fastest peer's median time / this package's; ≥ 1 meets "as fast as the fastest peer". ` +
  `Paired ratio = the median over the ${RUNS} rounds of that peer's time / this package's in the same round ` +
  `(the two run back to back), with its quartiles: load drift between moments cancels within a pair. ` +
  `Cold: the first run of each contender alone in a fresh process (context), the median of ${COLD_REPS}, as the ratio to the fastest peer's (ms in bench/out/small/results.json).`);
lines.push("");
lines.push("| runtime | protocol | read | CPU | load | visual-reasoning MB/s | eventsource-parser MB/s | fetch+split MB/s | fastest peer | ratio | paired ratio (quartiles) | cold ratio |");
lines.push("|---|---|---|---|---:|---|---|---|---|---:|---:|---:|");
const bold = (x) => (x >= 1 ? fmt(x, 2) : `**${fmt(x, 2)}**`);
for (const r of results) {
  lines.push(`| ${r.runtime === "node" ? "Node " + process.versions.node.split(".")[0] : "Chromium"} | ${r.protocol} | ${r.chunk} B | ${r.mode} | ${fmt(r.load)} | ` +
    `${cell(r, PKG_NAME)} | ${cell(r, "eventsource-parser")} | ${cell(r, "fetch+split")} | ${r.best} | ` +
    `${r.ratio == null ? "–" : (r.ratio >= 1 ? "" : "**") + fmt(r.ratio, 2) + "×" + (r.ratio >= 1 ? "" : "**")} | ` +
    `${r.paired ? `${bold(r.paired.median)}× (${fmt(r.paired.q1, 2)}–${fmt(r.paired.q3, 2)})` : "–"} | ${fmt(r.coldRatio, 2)}× |`);
}
const met = results.filter((r) => r.ratio >= 1).length;
const pairedMet = results.filter((r) => r.paired?.median >= 1).length;
const coldMet = results.filter((r) => r.coldRatio >= 1).length;
lines.push("");
lines.push(`Target "at least as fast as the fastest peer": met in ${met} of ${results.length} rows warm by the ratio of medians, ` +
  `${pairedMet} of ${results.length} by the paired ratio${met < results.length || pairedMet < results.length ? " (the others bold)" : ""}, ` +
  `${coldMet} of ${results.length} cold; why: bench/README.md "Small reads".`);
lines.push("<!-- /small-reads -->");
const section = lines.join("\n") + "\n";
console.log(section);
if (!flag("--no-write")) {
  const file = path.join(BENCH, "RESULTS.md");
  let md = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const marked = /<!-- small-reads[\s\S]*?<!-- \/small-reads -->\n?/;
  if (marked.test(md)) md = md.replace(marked, section);
  else {
    // Before the UI section, if there is one.
    const ui = md.indexOf("<!-- ui-bench");
    md = ui >= 0 ? md.slice(0, ui) + section + "\n" + md.slice(ui) : md.trimEnd() + "\n\n" + section;
  }
  writeFileSync(file, md);
  log("wrote the small-reads section of bench/RESULTS.md");
}
