// The demo site (www/dist, built by Vite on top of pkg/) served by the relay
// in mock mode, as `scripts/demo.sh` does, driven like a student would.
// Needs: www/dist (vite build), the relay binary.
//   VR_UPDATE_SCREENSHOTS=1 also writes docs/screenshots/demo-desktop.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { startMock } from "../support/mock.mjs";
import { ROOT, launch, openPage, screenshot, requireBuilt, recordEvents, events, waitForEnd, watchNetwork } from "./lib/browser.mjs";

const DIST = path.join(ROOT, "www", "dist");
const SAMPLES = path.join(ROOT, "www", "public", "samples");
// A key in the relay's environment must never reach the page.
const KEY = "sk-test-e2e-0123456789abcdef-never-in-the-page";
let mock, browser;

before(async () => {
  requireBuilt(path.join(DIST, "index.html"), "run `node_modules/.bin/vite build --config www/vite.config.js`");
  const saved = process.env.DASHSCOPE_API_KEY;
  process.env.DASHSCOPE_API_KEY = KEY; // inherited by the relay process
  try {
    // A pace slow enough to watch the thinking stream, fast enough to finish.
    mock = await startMock({ staticDir: DIST, tokensPerSecond: 400 });
  } finally {
    if (saved === undefined) delete process.env.DASHSCOPE_API_KEY;
    else process.env.DASHSCOPE_API_KEY = saved;
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await mock?.stop();
});

test("a student session on the demo page", async (t) => {
  const { page, context, problems } = await openPage(browser, mock.url + "/", { resizable: true });
  const origin = new URL(mock.url).origin;
  const network = await watchNetwork(page, origin);
  const tutor = page.locator("visual-reasoning-tutor");
  const phase = { name: "session" };
  try {
    await recordEvents(page);
    // Deterministic lengths; set once so the conversation keeps one client.
    await page.evaluate(() => {
      document.getElementById("tutor").headers = { "X-Mock-Reasoning-Tokens": "300" };
    });

    await t.test("upload a sample image: preview with size and token estimate", async () => {
      await tutor.locator("input.file").setInputFiles(path.join(SAMPLES, "geometry.png"));
      const info = await tutor.locator(".preview .info", { hasText: "tokens" }).textContent();
      assert.match(info, /^\d+×\d+ · [\d.]+ (B|KB|MB) · ~\d+ tokens$/);
    });

    await t.test("ask: thinking streams before the answer, LaTeX is typeset", async () => {
      // Record when each area first gets text, from the DOM itself.
      await page.evaluate(() => {
        const root = document.getElementById("tutor").shadowRoot;
        window.__firstText = {};
        const obs = new MutationObserver(() => {
          const thinking = root.querySelector(".thinking-body");
          const answer = root.querySelector(".answer");
          if (thinking && thinking.textContent && !window.__firstText.thinking) window.__firstText.thinking = performance.now();
          if (answer && answer.textContent && !window.__firstText.answer) window.__firstText.answer = performance.now();
        });
        obs.observe(root, { subtree: true, childList: true, characterData: true });
      });
      await tutor.locator("textarea").fill("Find the angle x. Show the working.");
      await tutor.locator("button.ask").click();
      const log = await waitForEnd(page, "tutor", 1, 30_000);
      assert.equal(log.at(-1).type, "vr-done", JSON.stringify(log.at(-1)));
      const first = await page.evaluate(() => window.__firstText);
      assert.ok(first.thinking && first.answer, JSON.stringify(first));
      assert.ok(first.thinking < first.answer, "thinking appeared before the answer");
      await tutor.locator(".answer .katex").first().waitFor({ timeout: 10_000 });
      // The summary reports the thinking with a token count and a time.
      assert.match(await tutor.locator("summary").first().textContent(), /Thought for [\d.]+ s · ~?[\d,]+ tokens/);
      assert.match(await tutor.locator(".meta").first().textContent(), /Finished: stop · [\d,]+ input/);
    });

    await t.test("a follow-up question continues the conversation", async () => {
      await mock.clear();
      await tutor.locator("textarea").fill("Why do the angles add up to 180°?");
      await tutor.locator("button.ask").click();
      const log = await waitForEnd(page, "tutor", 2, 30_000);
      assert.equal(log.at(-1).type, "vr-done");
      assert.equal(await tutor.locator(".turn").count(), 2);
      const [req] = (await mock.requests()).filter((r) => r.method === "POST");
      const messages = req.body.messages;
      const roles = messages.map((m) => m.role);
      assert.deepEqual(roles.filter((r) => r !== "system"), ["user", "assistant", "user"]);
      const firstAnswer = (await events(page, "tutor")).find((e) => e.type === "vr-done").detail.answer;
      const assistant = messages.find((m) => m.role === "assistant").content;
      const text = typeof assistant === "string" ? assistant : assistant.map((i) => i.text ?? "").join("");
      assert.equal(text, firstAnswer);
      // The image went with the first question only (it is in the history).
      assert.equal(JSON.stringify(messages).match(/data:image\//g).length, 1);
    });

    await t.test("axe-core finds no serious or critical violations on the demo", async () => {
      await page.addScriptTag({ path: path.join(ROOT, "node_modules", "axe-core", "axe.min.js") });
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
      });
      const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
    });

    // Taken after a clean exchange (the README shows this one); the Stop and
    // fault steps below then run at phone width.
    await t.test("screenshots at desktop and phone width", async () => {
      const desktop = await screenshot(page, "demo-desktop.png");
      if (process.env.VR_UPDATE_SCREENSHOTS === "1") {
        mkdirSync(path.join(ROOT, "docs", "screenshots"), { recursive: true });
        copyFileSync(desktop, path.join(ROOT, "docs", "screenshots", "demo-desktop.png"));
      }
      await page.setViewportSize({ width: 390, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
      await screenshot(page, "demo-phone.png");
    });


    await t.test("Stop mid-stream ends it cleanly", async () => {
      await page.evaluate(() => {
        document.getElementById("tutor").headers = { "X-Mock-Reasoning-Tokens": "20000", "X-Mock-Id": "demo-stop" };
      });
      await tutor.locator("textarea").fill("Take your time.");
      await tutor.locator("button.ask").click();
      await page.waitForFunction(() => {
        const bodies = document.getElementById("tutor").shadowRoot.querySelectorAll(".thinking-body");
        return bodies.length === 3 && bodies[2].textContent.length > 50;
      });
      await tutor.locator("button.stop").click();
      const log = await waitForEnd(page, "tutor", 3, 5_000);
      assert.equal(log.at(-1).detail.name, "AbortError");
      await tutor.locator(".turn").nth(2).locator(".meta", { hasText: "Stopped" }).waitFor();
      assert.equal(await tutor.locator(".turn").nth(2).locator(".error").isHidden(), true, "a stop is not an error");
      assert.equal(await tutor.locator("button.ask").isEnabled(), true);
      const deadline = Date.now() + 5_000;
      let outcome;
      while (Date.now() < deadline) {
        outcome = (await mock.requests()).find((r) => r.mockId === "demo-stop")?.outcome;
        if (outcome && outcome !== "pending") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(outcome, "disconnected");
    });

    await t.test("a fault shows a readable error with the request id", async () => {
      phase.name = "fault";
      await page.evaluate(() => {
        document.getElementById("tutor").headers = { "X-Mock-Fault": "status:503,retry-after:0" };
      });
      await tutor.locator("textarea").fill("Is the service up?");
      await tutor.locator("button.ask").click();
      const log = await waitForEnd(page, "tutor", 4, 30_000);
      const err = log.at(-1);
      assert.equal(err.type, "vr-error");
      assert.equal(err.detail.status, 503);
      const text = await tutor.locator(".turn").nth(3).locator(".error").textContent();
      assert.match(text, /unavailable right now/);
      if (err.detail.requestId) assert.ok(text.includes(err.detail.requestId), text);
      phase.name = "session";
    });

    await t.test("still no sideways scrolling at phone width after an error", async () => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
    });

    await t.test("the API key never reaches the page; nothing is loaded from elsewhere", async () => {
      const html = await page.evaluate(() => document.documentElement.outerHTML + document.getElementById("tutor").shadowRoot.innerHTML);
      assert.ok(!html.includes(KEY));
      const bodies = await network.bodies();
      // At least the app's script and stylesheet, /config and a chunk (over
      // WebDriver the API's streamed replies are not among them).
      assert.ok(bodies.length > 3, `responses were captured: ${bodies.map((b) => b.url).join(" ")}`);
      for (const b of bodies) assert.ok(!b.text.includes(KEY), `the key appears in ${b.url}`);
      assert.deepEqual(await network.foreign(), [], "requests outside the relay's origin");
    });

    await t.test("no console errors", async () => {
      // The 503 answer makes Chromium log the failed fetch; nothing else may.
      const unexpected = problems.filter((p) => !/Failed to load resource: .*503/.test(p.text));
      assert.deepEqual(unexpected, [], unexpected.map((p) => p.text).join("\n"));
    });
  } finally {
    await context.close();
  }
});

test("the sample buttons load the problem into the element", async () => {
  const { page, context, problems } = await openPage(browser, mock.url + "/", { width: 390, height: 844 });
  try {
    await page.getByRole("button", { name: /Bar chart/ }).click();
    const tutor = page.locator("visual-reasoning-tutor");
    await tutor.locator(".preview .info", { hasText: "tokens" }).waitFor();
    assert.match(await tutor.locator("textarea").inputValue(), /mean number of books/);
    assert.equal(await tutor.locator(".preview").count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
