// The streaming answer's DOM (js/element/answer.js) in headless Chromium:
// rendered block by block, it equals the one-shot render after every
// update (a property over random answers cut at random points), and the
// work per update does not grow with the answer. Runs in the page only
// (page.evaluate): no server, no Playwright-only features.
//   VR_ELEMENT_SEED   first seed (default 1; a failure prints its seed)
//   VR_ELEMENT_CASES  random answers (default 300)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ROOT, launch } from "./lib/browser.mjs";

const SEED = Number(process.env.VR_ELEMENT_SEED ?? 1);
const CASES = Number(process.env.VR_ELEMENT_CASES ?? 300);
let browser, page, context;

before(async () => {
  const katexCss = readFileSync(path.join(ROOT, "node_modules", "katex", "dist", "katex.min.css"), "utf8");
  const out = await build({
    entryPoints: [path.join(ROOT, "tests", "e2e", "element-markdown-page.mjs")],
    bundle: true,
    format: "iife",
    globalName: "VRProperty",
    write: false,
    logLevel: "warning",
    plugins: [{
      name: "katex-virtual",
      setup(b) {
        // math.js's build-time modules (scripts/build-element.mjs makes the real ones).
        b.onResolve({ filter: /^vr:katex-(css|fonts)$/ }, (a) => ({ path: a.path, namespace: "vr" }));
        b.onLoad({ filter: /^vr:katex-css$/, namespace: "vr" }, () => ({ contents: katexCss, loader: "text" }));
        b.onLoad({ filter: /^vr:katex-fonts$/, namespace: "vr" }, () => ({ contents: "export function fontFaceCss() { return ''; }", loader: "js" }));
      },
    }],
  });
  browser = await launch();
  context = await browser.newContext();
  page = await context.newPage();
  await page.setContent("<!doctype html><meta charset=utf-8><title>answer</title><body></body>");
  await page.addScriptTag({ content: out.outputFiles[0].text });
});

after(async () => {
  await context?.close();
  await browser?.close();
});

test(`split invariance: ${CASES} random answers, cut at random points, equal the one-shot render after every update (also prepared in slices)`, async () => {
  const r = await page.evaluate(([seed, cases]) => window.VRProperty.run(seed, cases), [SEED, CASES]);
  if (!r.ok) {
    assert.fail(
      `seed ${r.seed}${r.late ? " (formulas typeset late)" : ""}${r.sliced ? " (the container changed before apply)" : ""}: after ${JSON.stringify(r.prefix)}\n` +
        `whole text ${JSON.stringify(r.text)}\ncuts ${JSON.stringify(r.cuts)}\n got  ${r.got}\n want ${r.want}`,
    );
  }
  console.log(`# ${CASES} answers from seed ${SEED}: ${r.updates} updates, each equal to the one-shot render; ${r.slices} slices, ${r.dropped} renders dropped half-done`);
  assert.ok(r.slices > 0 && r.dropped > 0, "renders were prepared in slices, and some dropped half-done");
});

// A long answer of a fixed pattern: paragraphs with inline formulas, display
// formulas, a list, a code block.
function longAnswer(paragraphs) {
  let text = "";
  for (let k = 1; k <= paragraphs; k++) {
    text += `**Step ${k}.** Since $a_{${k}} = \\frac{${k}}{${k + 1}}$ and $b_{${k}} = ${k}^2$, the sum follows:\n\n`;
    text += k % 3 === 0 ? `$$\\sum_{i=1}^{${k}} i = \\frac{${k}(${k}+1)}{2}$$\n\n` : `1. first $x_{${k}}$\n2. second\n\n`;
    if (k % 10 === 0) text += "```\nchecked " + k + "\n```\n\n";
  }
  return text;
}

test("the work per update does not grow with the answer; finished blocks are kept", async () => {
  const text = longAnswer(120);
  const step = 37;
  const r = await page.evaluate(([text, step]) => window.VRProperty.work(text, step), [text, step]);
  assert.equal(r.equal, true, "the streamed DOM equals the one-shot render");
  assert.equal(r.same, true, "the first block and its formula are the nodes first rendered");
  const longestBlock = Math.max(...text.split("\n\n").map((b) => b.length));
  assert.ok(r.maxOpen <= 2 * longestBlock + step, `rendered again per update: at most ${r.maxOpen} characters (longest block ${longestBlock})`);
  // Nodes touched per update: the last quarter of the answer no more than
  // the first (the pattern repeats), where a full re-render would touch
  // every node of the answer each time.
  const q = Math.floor(r.perUpdate.length / 4);
  const early = Math.max(...r.perUpdate.slice(1, q));
  const late = Math.max(...r.perUpdate.slice(-q));
  console.log(`# ${r.perUpdate.length} updates; nodes touched per update: first quarter ≤ ${early}, last quarter ≤ ${late}; rendered again ≤ ${r.maxOpen} chars`);
  assert.ok(late <= early * 1.5 + 20, `nodes touched per update grew: ${early} early, ${late} late`);
});
