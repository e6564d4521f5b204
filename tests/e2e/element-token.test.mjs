// The element's `token` property against a relay that wants signed client
// tokens and counts a per-student budget (relay/README.md "Client tokens",
// "Budgets"): the token goes as `Authorization: Bearer …`, and the element
// shows "N tokens left today" from GET /budget, before and after an answer.
// Needs: www/dist (vite build, which publishes pkg/ under dist/pkg/), the relay.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startMock } from "../support/mock.mjs";
import { TARGETS } from "../relay/targets.mjs";
import { ROOT, launch, openPage, requireBuilt, eventually } from "./lib/browser.mjs";

const DIST = path.join(ROOT, "www", "dist");
const SECRET = "element-secret-0123456789abcdef";
let server, mock, relay, browser, pageOrigin;

before(async () => {
  requireBuilt(path.join(DIST, "pkg", "element.js"), "run `node_modules/.bin/vite build --config www/vite.config.js`");
  let html = "";
  server = http.createServer((req, res) => {
    res.statusCode = req.url === "/tutor.html" ? 200 : 404;
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(req.url === "/tutor.html" ? html : "");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${server.address().port}`;
  mock = await startMock({ allowNoOrigin: true, tokensPerSecond: 0 });
  relay = await TARGETS.rust.start({
    upstream: mock.url,
    allowOrigins: [pageOrigin],
    staticDir: DIST,
    tokenSecrets: [SECRET],
    perClientDailyTokens: 5000,
  });
  html = `<!doctype html><meta charset="utf-8"><title>tokens</title>
<script type="module" src="${relay.url}/pkg/element.js"></script>
<visual-reasoning-tutor base-url="${relay.url}" lang="en"></visual-reasoning-tutor>`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await relay?.stop();
  await mock?.stop();
  await new Promise((r) => server?.close(r) ?? r());
});

test("the element sends its token and shows the tokens left today", async () => {
  const { mintClientToken } = await import(pathToFileURL(path.join(ROOT, "pkg", "relay.js")).href);
  const token = await mintClientToken({ sub: "element-student", ttlSeconds: 600 }, SECRET);
  const { page, context } = await openPage(browser, pageOrigin + "/tutor.html");
  try {
    const status = page.locator("visual-reasoning-tutor").locator(".status");
    // No token: the relay refuses, naming why.
    const refused = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const el = document.querySelector("visual-reasoning-tutor");
          el.addEventListener("vr-error", (e) => resolve(e.detail), { once: true });
          el.ask("Find the angle x in the triangle.");
        }),
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.code, "client_token_missing");
    await page.evaluate(() => document.querySelector("visual-reasoning-tutor").reset());
    await page.evaluate((t) => (document.querySelector("visual-reasoning-tutor").token = t), token);
    await eventually(async () => (await status.textContent()) === "5,000 tokens left today", { message: "the budget before asking" });
    const result = await page.evaluate(() => document.querySelector("visual-reasoning-tutor").ask("Find the angle x in the triangle."));
    assert.equal(result.finishReason, "stop");
    const left = (5000 - result.usage.totalTokens).toLocaleString("en");
    await eventually(async () => (await status.textContent()) === `${left} tokens left today`, { message: `"${left} tokens left today"` });
    assert.equal(await page.evaluate(() => document.querySelector("visual-reasoning-tutor").getAttribute("token")), null, "never an attribute");
  } finally {
    await context.close();
  }
});
