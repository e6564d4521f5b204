// examples/vite-react as a user gets it: installed from the packed tarball
// (`npm ci`), type-checked with tsc (strict) and built with Vite
// (`npm run build`), dist/ served on loopback, driven in Chromium against
// the mock relay: the client's parts land in React state (the thinking
// shows before the answer), and the element streams an answer whose typed
// vr-done / vr-error handlers update React state; and the same page from
// `npm run dev` (Vite's dev server, its dependency pre-bundling included).
// Needs pkg/ (scripts/build.sh) and the relay binary (tests/support/mock.mjs).
import assert from "node:assert/strict";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { startStatic } from "../browser/harness.mjs";
import { startMock } from "../support/mock.mjs";
import { freePort, installExample, launchChromium, newPage, run, startServer } from "./support.mjs";

let example, site, mock, browser;

before(async () => {
  example = installExample("vite-react");
  // The page's origin first: the mock must allow it, and the build must know the mock.
  site = await startStatic({ "/": path.join(example.dir, "dist") + "/" });
  // Paced (the mock's tokens per second), so the page gets the parts over
  // a few hundred milliseconds, as from a model, not in one read.
  mock = await startMock({ origins: [site.url], tokensPerSecond: 400 });
  browser = await launchChromium();
}, { timeout: 300_000 });

after(async () => {
  await browser?.close();
  await mock?.stop();
  await site?.stop();
  example?.remove();
});

test("tsc (strict, skipLibCheck false) accepts the example, and rejects a wrong field of the typed vr-done detail", () => {
  const tsc = path.join(example.dir, "node_modules", ".bin", "tsc");
  run(tsc, ["--noEmit", "-p", "."], example.dir);
  // The events are typed, not `any`: a misspelt field of Result fails.
  const wrong = path.join(example.dir, "src", "Wrong.tsx");
  writeFileSync(
    wrong,
    `import "visual-reasoning/element/react";\nexport const W = () => <visual-reasoning-tutor onvr-done={(e) => console.log(e.detail.answr)} />;\n`,
  );
  try {
    assert.throws(() => run(tsc, ["--noEmit", "-p", "."], example.dir), /Wrong\.tsx.*Property 'answr' does not exist on type 'Result'/s);
  } finally {
    rmSync(wrong);
  }
});

test("npm run build (tsc, then vite build) emits the wasm, the element's math chunk and the KaTeX fonts", () => {
  run("npm", ["run", "build"], example.dir, { VITE_RELAY_URL: mock.url });
  const assets = readdirSync(path.join(example.dir, "dist", "assets"));
  assert.ok(assets.some((f) => /^visual_reasoning_bg-.*\.wasm$/.test(f)), `the wasm: ${assets.join(", ")}`);
  assert.ok(assets.some((f) => /^element-math-.*\.js$/.test(f)), `the math chunk, split out: ${assets.join(", ")}`);
  assert.ok(assets.some((f) => /^KaTeX_.*\.woff2$/.test(f)), `KaTeX fonts: ${assets.join(", ")}`);
});

/** Asks with the page's own form; checks the order in which React showed the texts. */
async function clientStreams(page, url, t) {
  // Every text the two <pre>s show, in the order React committed them.
  await page.addInitScript(() => {
    const seen = (window.__seen = []);
    const len = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent.length ?? 0;
    new MutationObserver(() => {
      const now = [len("reasoning"), len("answer")];
      const last = seen.at(-1);
      if (!last || last[0] !== now[0] || last[1] !== now[1]) seen.push(now);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(url);
  await page.getByRole("region", { name: "The client, into React state" }).getByRole("button", { name: "Ask" }).click();
  await page.getByTestId("phase").filter({ hasText: /^(done|failed)$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId("phase").textContent(), "done", await page.getByTestId("ask-error").textContent().catch(() => ""));

  const reasoning = await page.getByTestId("reasoning").textContent();
  const answer = await page.getByTestId("answer").textContent();
  assert.ok(reasoning.length > 0 && answer.length > 0);
  assert.match(answer, /70/, "the mock's triangle answer");
  assert.match(await page.getByTestId("usage").textContent(), /^\d+ tokens$/);
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.some(([r, a]) => r > 0 && a === 0), `the thinking was on screen before any answer: ${JSON.stringify(seen)}`);
  assert.ok(seen.filter(([, a]) => a > 0).every(([r]) => r === reasoning.length), "the answer came after the whole thinking");
  const answerSteps = new Set(seen.map(([, a]) => a).filter((a) => a > 0));
  assert.ok(answerSteps.size >= 3, `the answer was shown as it arrived, not at the end (${answerSteps.size} lengths: ${[...answerSteps]})`);
  t.diagnostic(`${seen.length} renders: ${seen.filter(([, a]) => a === 0).length} with thinking only, then the answer at ${answerSteps.size} lengths`);
}

/** Asks through the element as a student would; checks the stream, the math and the typed vr-done handler. */
async function elementStreams(page, url) {
  await page.addInitScript(() => {
    window.__parts = [];
    document.addEventListener("vr-part", (e) => window.__parts.push(e.detail.type));
  });
  await page.goto(url);
  const tutor = page.locator("visual-reasoning-tutor");
  await tutor.locator("textarea").fill("Find the angle x in the triangle.");
  await tutor.locator("button.ask").click();
  await page.getByTestId("tutor-done").waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("tutor-done").textContent(), /^Answered \(stop, \d+ characters, \d+ tokens\)$/);
  const parts = await page.evaluate(() => window.__parts);
  assert.ok(parts.indexOf("reasoning") >= 0 && parts.indexOf("reasoning") < parts.indexOf("answer"), `parts in order: ${parts}`);
  assert.ok(parts.filter((p) => p === "answer").length > 1, "the answer streamed in several parts");
  await tutor.locator(".answer .katex").first().waitFor({ timeout: 15_000 });
  const fonts = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.family.includes("KaTeX") && f.status === "loaded").length;
  });
  assert.ok(fonts > 0, "KaTeX fonts loaded");
}

test("the client streams into React state: the thinking shows before the answer, the answer grows part by part", async (t) => {
  const { page, problems } = await newPage(browser);
  try {
    await clientStreams(page, `${site.url}/`, t);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("the element streams an answer (math typeset, KaTeX fonts loaded); its typed vr-done and vr-error handlers update React state", async () => {
  const { page, problems } = await newPage(browser);
  try {
    await elementStreams(page, `${site.url}/`);
    assert.deepEqual(problems, []);

    // A refusal from the relay (the mock answers 401 when told to):
    // onvr-error gets the ApiError itself.
    const tutor = page.locator("visual-reasoning-tutor");
    await page.evaluate(() => (document.querySelector("visual-reasoning-tutor").headers = { "X-Mock-Fault": "status:401" }));
    await tutor.locator("textarea").fill("Find the angle x in the triangle.");
    await tutor.locator("button.ask").click();
    await page.getByTestId("tutor-error").waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId("tutor-error").textContent(), /^ApiError 401: .+/);
    assert.equal(await page.getByTestId("tutor-done").count(), 0, "vr-start cleared the previous answer's line");
  } finally {
    await page.close();
  }
});

test("vite (npm run dev): the same page from Vite's dev server (dependencies pre-bundled) streams from the client and the element", async (t) => {
  // The dev server's port must be known before it starts (the mock allows
  // its origin, and it must know the mock): a free port, taken at once.
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const devMock = await startMock({ origins: [origin], tokensPerSecond: 400 });
  // What `npm run dev` runs, started directly: a signal to npm would not
  // reach Vite.
  let dev;
  try {
    dev = await startServer(process.execPath, ["node_modules/vite/bin/vite.js", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
      cwd: example.dir,
      env: { VITE_RELAY_URL: devMock.url },
      ready: /Local:\s+http:\/\/127\.0\.0\.1:\d+/,
    });
    for (const drive of [clientStreams, elementStreams]) {
      const { page, problems } = await newPage(browser);
      try {
        await drive(page, `${origin}/`, t);
        assert.deepEqual(problems, []);
      } finally {
        await page.close();
      }
    }
  } finally {
    // Also when the dev server never came up: a mock left running would keep
    // this test file's process alive for good.
    await dev?.stop();
    await devMock.stop();
  }
});
