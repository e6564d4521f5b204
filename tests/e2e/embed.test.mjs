// The docs' copy-paste embed works as written: the HTML block from
// docs/element.md, saved on a different origin (a bare static server), loads
// the element from the relay's /pkg/ and asks through the relay.
// Needs: www/dist (vite build, which publishes pkg/ under dist/pkg/), the relay.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMock } from "../support/mock.mjs";
import { withoutSimd } from "../support/nosimd.mjs";
import { ROOT, launch, openPage, requireBuilt } from "./lib/browser.mjs";

const DIST = path.join(ROOT, "www", "dist");
let server, mock, browser, pageOrigin, fileDir;

function snippet() {
  const doc = readFileSync(path.join(ROOT, "docs", "element.md"), "utf8");
  const m = /<!-- embed-snippet[^>]*-->\s*```html\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, "docs/element.md has the embed snippet block");
  return m[1];
}

before(async () => {
  requireBuilt(path.join(DIST, "pkg", "element.js"), "run `node_modules/.bin/vite build --config www/vite.config.js`");
  // The page's server: knows nothing about the package, just returns the snippet.
  let html = "";
  server = http.createServer((req, res) => {
    if (req.url === "/tutor.html" || req.url === "/tutor-nosimd.html") {
      res.setHeader("content-type", "text/html; charset=utf-8");
      // The same snippet in an engine without wasm SIMD (Safari before
      // 16.4): WebAssembly.validate says no to SIMD before the element loads.
      res.end(req.url === "/tutor.html" ? html : `<script>(${withoutSimd})();</script>\n${html}`);
    } else {
      // Only the browser's automatic /favicon.ico lands here.
      res.statusCode = req.url === "/favicon.ico" ? 204 : 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${server.address().port}`;
  // `null` is what a page opened from a file sends; scripts/demo.sh's mock
  // relay allows it so the snippet works double-clicked.
  mock = await startMock({ staticDir: DIST, origins: [pageOrigin, "null"], tokensPerSecond: 0 });
  const text = snippet();
  assert.ok(text.split("\n").filter(Boolean).length <= 12, "the embed is at most 12 lines");
  assert.ok(text.includes("http://127.0.0.1:8787"));
  html = text.replaceAll("http://127.0.0.1:8787", mock.url);
  fileDir = mkdtempSync(path.join(os.tmpdir(), "vr-embed-"));
  writeFileSync(path.join(fileDir, "tutor.html"), html);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await mock?.stop();
  await new Promise((r) => server?.close(r) ?? r());
  if (fileDir) rmSync(fileDir, { recursive: true, force: true });
});

test("the README/docs embed snippet works from another origin", async () => {
  const { page, context, problems } = await openPage(browser, pageOrigin + "/tutor.html");
  try {
    const tutor = page.locator("visual-reasoning-tutor");
    const result = await page.evaluate(() => document.querySelector("visual-reasoning-tutor").ask("Find the angle x in the triangle."));
    assert.equal(result.finishReason, "stop");
    assert.ok(result.answer.length > 0);
    // Math from the relay-hosted lazy chunk, with its fonts from /pkg/katex-fonts/.
    await tutor.locator(".answer .katex").first().waitFor({ timeout: 10_000 });
    const fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts].filter((f) => f.family.includes("KaTeX") && f.status === "loaded").map((f) => f.family);
    });
    assert.ok(fonts.length > 0, "KaTeX fonts loaded through the document-level @font-face");
    const sheets = await page.evaluate(() => document.querySelectorAll("style[data-vr-katex-fonts]").length);
    assert.equal(sheets, 1);
    assert.deepEqual(problems, [], problems.map((p) => p.text).join("\n"));
  } finally {
    await context.close();
  }
});

test("the embed snippet works in an engine without wasm SIMD: the relay's /pkg/ has the fallback .wasm", async () => {
  const { page, context, problems } = await openPage(browser, pageOrigin + "/tutor-nosimd.html");
  try {
    const result = await page.evaluate(() => document.querySelector("visual-reasoning-tutor").ask("Find the angle x in the triangle."));
    assert.equal(result?.finishReason, "stop", JSON.stringify(result));
    const wasm = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith(".wasm")));
    assert.deepEqual(wasm, ["/pkg/visual_reasoning_nosimd_bg.wasm"]);
    assert.deepEqual(problems, [], problems.map((p) => p.text).join("\n"));
  } finally {
    await context.close();
  }
});

test("the embed snippet saved as a file and opened from disk works too", async () => {
  const { page, context, problems } = await openPage(browser, "file://" + path.join(fileDir, "tutor.html"));
  try {
    const result = await page.evaluate(() => document.querySelector("visual-reasoning-tutor").ask("Find the angle x in the triangle."));
    assert.equal(result.finishReason, "stop");
    assert.ok(result.answer.length > 0);
    const requests = await mock.requests();
    assert.equal(requests.at(-1).headers.origin, "null");
    assert.deepEqual(problems, [], problems.map((p) => p.text).join("\n"));
  } finally {
    await context.close();
  }
});
