#!/usr/bin/env node
// The element's frame cost: <visual-reasoning-tutor> streaming long answers
// full of math in headless Chromium with the CPU throttled, the element of
// another commit ("before", default `main`) against the working tree's
// ("after"). See bench/README.md "The element's frame cost".
//
//   bash scripts/build.sh                                    # pkg/ (the client)
//   cargo build --release --manifest-path relay/Cargo.toml   # the mock
//   node bench/ui.mjs [--before main] [--rates 2,4] [--lengths 1000,2000,4000]
//                     [--runs 3] [--tps 500] [--reasoning 5000] [--quick]
//                     [--only before|after] [--trace [full]]   (profiling: one
//                     element; a Chromium trace per run in bench/out/ui/)
//                     [--css RULES]   (trying styles: RULES appended to the
//                     elements' shadow roots)
//
// Each run: a fresh page with one element, Emulation.setCPUThrottlingRate,
// the mock streaming --reasoning thinking tokens then an answer of the
// given length with a formula every 20 tokens (X-Mock-Answer), at --tps
// tokens a second — faster than the throttled page renders, so updates
// queue up. Measured in the page: requestAnimationFrame intervals (p95 and
// max, answer phase), long tasks (PerformanceObserver "longtask", > 50 ms),
// and the time from the last byte (Resource Timing responseEnd of the
// request) to the final render (the frame after the answer's aria-busy
// turned false — all of it shown — after its paint). From a light Chromium
// trace of each run (categories toplevel and blink.user_timing): the
// renderer main thread's top-level tasks in the answer phase by their own
// thread time, which other processes on a loaded machine do not stretch
// (long tasks by the wall clock count them).
// Runs are interleaved (before/after, rates, lengths) so load drift hits
// all alike; the tables give medians over --runs. Writes bench/out/ui/
// results.json and the "UI benchmark" section of bench/RESULTS.md.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMock, RELAY_BINARY } from "../tests/support/mock.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "out", "ui");
const PKG = path.join(ROOT, "pkg");

const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const quick = argv.includes("--quick");
const before = opt("--before", "main");
const rates = opt("--rates", "2,4").split(",").map(Number);
const lengths = opt("--lengths", quick ? "1000,4000" : "1000,2000,4000").split(",").map(Number);
const runs = Number(opt("--runs", quick ? "1" : "3"));
const tps = Number(opt("--tps", "500"));
const reasoning = Number(opt("--reasoning", "5000"));
const FORMULA_EVERY = 20;

const log = (...a) => console.error("[ui-bench]", ...a);

// --- the two elements ----------------------------------------------------------

for (const f of ["visual_reasoning.js", "visual_reasoning_bg.wasm"]) {
  if (!existsSync(path.join(PKG, f))) throw new Error(`pkg/${f} is missing: run \`bash scripts/build.sh\` first`);
}
if (!existsSync(RELAY_BINARY)) throw new Error("the relay binary is missing: cargo build --release --manifest-path relay/Cargo.toml");

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const beforeCommit = execFileSync("git", ["rev-parse", "--short", before], { cwd: ROOT, encoding: "utf8" }).trim();
const afterCommit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
const dirty = execFileSync("git", ["status", "--porcelain", "js/element"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
// The old sources go inside the repository so their imports (marked,
// DOMPurify, KaTeX) resolve from its node_modules.
const oldSrc = path.join(OUT, "src-before");
mkdirSync(oldSrc, { recursive: true });
execFileSync("sh", ["-c", `git archive ${beforeCommit} js/element | tar -x -C "${oldSrc}"`], { cwd: ROOT });
const only = opt("--only", null); // before | after: one element (for profiling)
const VARIANTS = [
  { name: "before", label: `before (${before} ${beforeCommit})`, src: path.join(oldSrc, "js", "element") },
  { name: "after", label: `after (${afterCommit}${dirty ? "+changes" : ""})`, src: path.join(ROOT, "js", "element") },
];
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ui bench</title><link rel="icon" href="data:,"><script type="module" src="./pkg/element.js"></script></head>
<body><visual-reasoning-tutor base-url=""></visual-reasoning-tutor></body></html>`;
if (only) VARIANTS.splice(0, VARIANTS.length, ...VARIANTS.filter((v) => v.name === only));
for (const v of VARIANTS) {
  const dir = path.join(OUT, v.name);
  mkdirSync(path.join(dir, "pkg"), { recursive: true });
  for (const f of ["visual_reasoning.js", "visual_reasoning_bg.wasm"]) cpSync(path.join(PKG, f), path.join(dir, "pkg", f));
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-element.mjs"), "--outdir", path.join(dir, "pkg"), "--src", v.src], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  writeFileSync(path.join(dir, "index.html"), PAGE);
}

// --- the answers -----------------------------------------------------------------

// The mock's tokens (relay/src/mock/text.rs `tokenize`): a word with its
// leading spaces (long words in pieces of 8), or one other character.
function countTokens(text) {
  let n = 0;
  let i = 0;
  while (i < text.length) {
    while (text[i] === " ") i++;
    if (i < text.length) {
      if (/[A-Za-z0-9]/.test(text[i])) {
        const start = i;
        while (i < text.length && /[A-Za-z0-9]/.test(text[i]) && i - start < 8) i++;
      } else {
        i += text.codePointAt(i) > 0xffff ? 2 : 1;
      }
    }
    n++;
  }
  return n;
}

const WORDS = ("so the next step follows from the previous one and we can check each term carefully before " +
  "moving on because every quantity here is defined by the figure and the given values").split(" ");
const INLINE = [
  (k) => `$a_{${k}} = \\frac{${k}}{${k + 1}}$`,
  (k) => `$x^{${k}} + y$`,
  (k) => `$\\sqrt{${k}}$`,
  (k) => `$\\angle B = ${k}^\\circ$`,
];
const DISPLAY = [
  (k) => `$$\\sum_{i=1}^{${k}} i = \\frac{${k}(${k}+1)}{2}$$`,
  (k) => `$$\\int_0^{${k}} x\\,dx = \\frac{${k}^2}{2}$$`,
];

/**
 * A Markdown answer of at least `tokens` mock tokens with a formula every
 * FORMULA_EVERY tokens: prose ending in a formula, one in four displayed
 * on its own lines; a short numbered list every eight formulas, a heading
 * every 24.
 */
function answerText(tokens) {
  let w = 0;
  const words = (n) => Array.from({ length: n }, () => WORDS[w++ % WORDS.length]).join(" ");
  let out = "**Solution.**";
  for (let k = 1; countTokens(out) < tokens + 50; k++) {
    const display = k % 4 === 0;
    const formula = display ? DISPLAY[k % DISPLAY.length](k) : INLINE[k % INLINE.length](k);
    const joiner = display ? ":\n\n" : " ";
    // (FORMULA_EVERY - 7: list numbers, full stops and headings make up the
    // rest, measured: one formula every 20.6–20.9 tokens.)
    let prose = words(1);
    while (countTokens(prose + joiner + formula) < FORMULA_EVERY - 7) prose += " " + words(1);
    let piece = prose + joiner + formula;
    if (display) piece += "\n\n";
    else if (k % 8 >= 5 && k % 8 <= 7) piece = `${k % 8 - 4}. ` + piece + (k % 8 === 7 ? "\n\n" : "\n");
    else piece += k % 8 === 4 ? "" : ".";
    if (k % 24 === 1 && k > 1) piece = `### Part ${(k - 1) / 24 + 1}\n\n` + piece;
    out += (out.endsWith("\n") ? "" : " ") + piece;
  }
  return out;
}

// --- one run ------------------------------------------------------------------------

const percentile = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const median = (xs) => percentile(xs, 0.5);

async function run(browser, mock, variant, rate, length) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(`${mock.url}/${variant.name}/index.html`);
    await page.waitForFunction(() => {
      const el = document.querySelector("visual-reasoning-tutor");
      return el && el.shadowRoot && el.shadowRoot.querySelector("select.model").options.length > 1;
    }, null, { timeout: 30_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate });
    const trace = argv.includes("--trace") ? path.join(OUT, `trace-${variant.name}-${rate}x-${length}.json`) : null;
    // Always a light trace (top-level tasks and the page's marks): the
    // main thread's own time per task, which the other processes of a
    // loaded machine do not stretch as they stretch the wall clock.
    // --trace keeps it with the timeline's events (style, layout, paint,
    // scripts, GC), still without the CPU profiler and stacks, which
    // stretch a 4x frame by a third; --trace full records Playwright's
    // default categories.
    const categories = ["toplevel", "blink.user_timing"];
    if (trace && opt("--trace", "") !== "full") categories.push("devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute");
    if (trace && opt("--trace", "") === "full") await browser.startTracing(page, { path: trace, screenshots: false });
    else await browser.startTracing(page, { path: trace ?? undefined, screenshots: false, categories });
    const headers = {
      "X-Mock-Reasoning-Tokens": String(reasoning),
      "X-Mock-Answer-Tokens": String(length),
      "X-Mock-Answer": encodeURIComponent(answerText(length)),
    };
    await page.evaluate(([headers, css]) => {
      const el = document.querySelector("visual-reasoning-tutor");
      el.headers = headers;
      if (css) {
        const style = document.createElement("style");
        style.textContent = css;
        el.shadowRoot.append(style);
      }
      const m = (window.__m = { frames: [], longtasks: [], marks: {}, stop: false });
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) m.longtasks.push([e.startTime, e.duration]);
      }).observe({ type: "longtask" });
      const tick = (t) => {
        m.frames.push(t);
        if (!m.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      el.addEventListener("vr-start", () => {
        m.marks.start = performance.now();
        // The final render: the frame after the answer's aria-busy turns
        // false (both elements do so once all of it is shown), after its paint.
        const answer = el.shadowRoot.querySelector(".turn:last-child .answer");
        new MutationObserver((_, observer) => {
          if (answer.getAttribute("aria-busy") !== "false") return;
          observer.disconnect();
          m.marks.shown = performance.now();
          requestAnimationFrame(() => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => {
              m.marks.rendered = performance.now();
              performance.mark("vr-ui-rendered");
              m.stop = true;
            };
            ch.port2.postMessage(null);
          });
        }).observe(answer, { attributes: true, attributeFilter: ["aria-busy"] });
      });
      el.addEventListener("vr-part", (e) => {
        const now = performance.now();
        if (e.detail.type === "answer" && !m.marks.firstAnswer) {
          m.marks.firstAnswer = now;
          performance.mark("vr-ui-first-answer");
        }
        m.marks.lastPart = now;
      });
      const end = (kind) => () => {
        m.marks.end = kind;
        m.marks.done = performance.now();
      };
      el.addEventListener("vr-done", end("done"));
      el.addEventListener("vr-error", end("error"));
      el.ask("Explain the solution step by step.");
    }, [headers, opt("--css", "")]);
    await page.waitForFunction(() => window.__m.marks.rendered, null, { timeout: 300_000, polling: 500 });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    const cpu = threadTasks(JSON.parse(String(await browser.stopTracing())));
    const m = await page.evaluate(() => {
      const fetches = performance.getEntriesByType("resource").filter((e) => /chat\/completions/.test(e.name));
      const answer = document.querySelector("visual-reasoning-tutor").shadowRoot.querySelector(".answer");
      return {
        ...window.__m,
        responseEnd: fetches.length ? fetches.at(-1).responseEnd : NaN,
        katex: answer.querySelectorAll(".katex").length,
        placeholders: answer.querySelectorAll(".vr-math").length,
      };
    });
    if (m.marks.end !== "done") throw new Error(`${variant.name} ${rate}x ${length}: the stream ended with an error`);
    if (m.katex !== m.placeholders || m.katex < (length / FORMULA_EVERY) * 0.8) {
      throw new Error(`${variant.name} ${rate}x ${length}: ${m.katex} formulas typeset of ${m.placeholders}`);
    }
    const { start, firstAnswer, rendered } = m.marks;
    const intervals = (from, to) => {
      const ts = m.frames.filter((t) => t >= from && t <= to);
      return ts.slice(1).map((t, i) => t - ts[i]);
    };
    const answerFrames = intervals(firstAnswer, rendered);
    const thinkingFrames = intervals(start, firstAnswer);
    const longIn = (from, to) => m.longtasks.filter(([t]) => t >= from && t <= to);
    return {
      variant: variant.name, rate, length,
      p95: percentile(answerFrames, 0.95),
      max: Math.max(...answerFrames),
      frames: answerFrames.length,
      thinkingP95: percentile(thinkingFrames, 0.95),
      longAnswer: longIn(firstAnswer, rendered).length,
      // the same tasks by the main thread's own time (trace thread time)
      longCpu: cpu.long,
      taskCpuMax: cpu.max,
      taskCpuP95: cpu.p95,
      longAll: longIn(start, rendered).length,
      longMs: longIn(start, rendered).reduce((s, [, d]) => s + d, 0),
      lastByte: rendered - m.responseEnd,
      lastPart: rendered - m.marks.lastPart,
      doneToShown: m.marks.shown - m.marks.done,
      answerSecs: (rendered - firstAnswer) / 1000,
      formulas: m.katex,
      errors,
      // raw, for results.json: times from the first answer part
      longTasks: m.longtasks.map(([t, d]) => [Math.round(t - firstAnswer), Math.round(d)]),
      frameIntervals: answerFrames.map(Math.round),
    };
  } finally {
    await context.close();
  }
}

/**
 * The renderer main thread's top-level tasks between the page's marks
 * vr-ui-first-answer and vr-ui-rendered, by thread time (`tdur`): how many
 * passed 50 ms, the longest, the p95 of those over 5 ms (ms).
 */
function threadTasks(json) {
  const events = Array.isArray(json) ? json : json.traceEvents;
  const mark = (name) => events.find((e) => e.name === name && e.cat?.includes("blink.user_timing"));
  const from = mark("vr-ui-first-answer");
  const to = mark("vr-ui-rendered");
  if (!from || !to) return { long: NaN, max: NaN, p95: NaN };
  const tids = new Set(events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.pid === from.pid && e.args?.name === "CrRendererMain").map((e) => e.tid));
  const ms = events
    .filter((e) => e.ph === "X" && e.name === "ThreadControllerImpl::RunTask" && e.pid === from.pid && tids.has(e.tid) && e.ts >= from.ts && e.ts <= to.ts)
    .map((e) => (e.tdur ?? e.dur) / 1000);
  return { long: ms.filter((x) => x > 50).length, max: Math.max(0, ...ms), p95: percentile(ms.filter((x) => x > 5), 0.95) };
}

// --- all runs -------------------------------------------------------------------------

const mock = await startMock({ staticDir: OUT, tokensPerSecond: tps });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const browserVersion = browser.version();
const results = [];
const t0 = Date.now();
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");
const loadStart = load();
try {
  for (let r = 0; r < runs; r++) {
    for (const rate of rates) {
      for (const length of lengths) {
        const order = (r + length / 1000) % 2 ? [...VARIANTS].reverse() : VARIANTS;
        for (const v of order) {
          const res = await run(browser, mock, v, rate, length);
          results.push(res);
          log(`${v.name.padEnd(6)} ${rate}x ${String(length).padStart(4)}: p95 ${res.p95.toFixed(0)} ms, max ${res.max.toFixed(0)} ms, ` +
            `long tasks ${res.longAnswer}/${res.longAll} (by thread time ${res.longCpu}, longest ${res.taskCpuMax.toFixed(0)} ms), last byte → final ${res.lastByte.toFixed(0)} ms (load ${load()})`);
        }
      }
    }
  }
} finally {
  await browser.close();
  await mock.stop();
}
const loadEnd = load();
const chromiumVersion = browserVersion;
writeFileSync(path.join(OUT, "results.json"), JSON.stringify({ before, beforeCommit, afterCommit, dirty, tps, reasoning, runs, results }, null, 2));

// --- tables -------------------------------------------------------------------------------

const ms = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const lines = [];
lines.push("<!-- ui-bench: written by node bench/ui.mjs; bench/run.mjs keeps this section -->");
lines.push("## UI benchmark: the element's frame cost (`node bench/ui.mjs`)");
lines.push("");
lines.push(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load average ${loadStart} → ${loadEnd}, ` +
  `${((Date.now() - t0) / 60000).toFixed(1)} min. Chromium ${chromiumVersion}, CPU throttled with ` +
  `\`Emulation.setCPUThrottlingRate\`. The mock streams ${reasoning.toLocaleString("en-US")} thinking tokens, then the answer ` +
  `(a formula every ${FORMULA_EVERY} tokens, one in four displayed; paragraphs, lists, headings) at ${tps} tokens/s. ` +
  `Medians of ${runs} run${runs > 1 ? "s" : ""}. Frames: requestAnimationFrame intervals from the first answer part to the final render. ` +
  `Long tasks: > 50 ms, answer phase / whole stream; by thread time: the renderer main thread's own time per top-level task in a Chromium trace (toplevel), which the machine's other load does not stretch. Last byte → final: Resource Timing responseEnd to the frame after the answer's aria-busy turned false (all shown), painted.`);
lines.push("");
lines.push(`before = \`${before}\` (${beforeCommit}), after = ${afterCommit}${dirty ? " with uncommitted changes" : ""}.`);
for (const rate of rates) {
  lines.push("");
  lines.push(`### CPU ${rate}× slower`);
  lines.push("");
  lines.push("| element | answer tokens | frame p95 ms | frame max ms | long tasks (answer / all) | long-task ms | tasks > 50 ms by thread time (answer) | task thread ms p95 / max (answer) | last byte → final ms | thinking frame p95 ms |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const v of VARIANTS) {
    for (const length of lengths) {
      const rs = results.filter((x) => x.variant === v.name && x.rate === rate && x.length === length);
      const med = (k) => median(rs.map((x) => x[k]));
      lines.push(`| ${v.name} | ${length.toLocaleString("en-US")} | ${ms(med("p95"))} | ${ms(med("max"))} | ${ms(med("longAnswer"))} / ${ms(med("longAll"))} | ` +
        `${ms(med("longMs"))} | ${ms(med("longCpu"))} | ${ms(med("taskCpuP95"))} / ${ms(med("taskCpuMax"))} | ${ms(med("lastByte"))} | ${ms(med("thinkingP95"))} |`);
    }
  }
  for (const v of VARIANTS) {
    const p = (length) => median(results.filter((x) => x.variant === v.name && x.rate === rate && x.length === length).map((x) => x.p95));
    const lo = Math.min(...lengths);
    const hi = Math.max(...lengths);
    lines.push("");
    lines.push(`${v.name}: p95 at ${hi.toLocaleString("en-US")} / p95 at ${lo.toLocaleString("en-US")} = **${(p(hi) / p(lo)).toFixed(2)}×** (goal ≤ 1.5×)`);
  }
}
lines.push("<!-- /ui-bench -->");
const section = lines.join("\n") + "\n";
console.log(section);
const resultsMd = path.join(ROOT, "bench", "RESULTS.md");
let md = existsSync(resultsMd) ? readFileSync(resultsMd, "utf8") : "# Benchmark results\n";
const marked = /<!-- ui-bench[\s\S]*?<!-- \/ui-bench -->\n?/;
md = marked.test(md) ? md.replace(marked, section) : md.trimEnd() + "\n\n" + section;
writeFileSync(resultsMd, md);
log("wrote bench/out/ui/results.json and the UI section of bench/RESULTS.md");
