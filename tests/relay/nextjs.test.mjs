// The conformance suite against the JS relay as a Next.js App Router route
// handler: examples/nextjs, installed from the packed tarball, built with
// `next build` and served by `next start`, at /api/relay; and the example's
// token route (/api/relay-token) minting tokens the relay route accepts;
// and its server-rendered tutor page (/tutor), hydrated in Chromium, whose
// element asks through /api/relay in front of the mock.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { conformance } from "./conformance.mjs";
import { NEW_SECRET } from "./spend.mjs";
import { OPENAI, ORIGIN, openaiBody, scriptedUpstream } from "./support.mjs";
import { TARGETS, buildNextApp, removeNextApp } from "./targets.mjs";
import { launchChromium, newPage } from "../examples/support.mjs";
import { startMock } from "../support/mock.mjs";

before(buildNextApp, { timeout: 600_000 });
after(removeNextApp);
conformance(TARGETS.nextjs);

describe("examples/nextjs: the token route", () => {
  test("GET /api/relay-token mints a token /api/relay accepts and counts the student's budget by", async () => {
    const stub = await scriptedUpstream();
    const app = await TARGETS.nextjs.start({
      upstream: stub.url,
      allowOrigins: [ORIGIN],
      perClientDailyTokens: 1000,
      env: { RELAY_TOKEN_SECRET: NEW_SECRET, VR_DEMO_SUB: "next-student" },
    });
    try {
      const res = await fetch(`${app.url}/api/relay-token`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      const { token, expiresIn } = await res.json();
      assert.equal(expiresIn, 600);
      const call = (t) =>
        fetch(`${app.url}/api/relay${OPENAI}`, {
          method: "POST",
          headers: { origin: ORIGIN, "content-type": "application/json", ...(t ? { authorization: `Bearer ${t}` } : {}) },
          body: JSON.stringify(openaiBody("qwen3-vl-plus", { max_tokens: 100 })),
        });
      assert.equal((await call()).status, 401, "the relay route wants a token");
      const ok = await call(token);
      assert.equal(ok.status, 200);
      await ok.text();
      const budget = await (await fetch(`${app.url}/api/relay/budget`, { headers: { origin: ORIGIN, authorization: `Bearer ${token}` } })).json();
      assert.equal(budget.scope, "client");
      assert.equal(budget.limit, 1000);
    } finally {
      await app.stop();
      await stub.stop();
    }
  });
});

describe("examples/nextjs: the tutor page", () => {
  test("/tutor renders on the server with the tag, hydrates, and the element streams an answer through /api/relay", async () => {
    // The route handler relays to the mock, which sees no page origin.
    const mock = await startMock({ allowNoOrigin: true });
    const app = await TARGETS.nextjs.start({ upstream: mock.url });
    const browser = await launchChromium();
    try {
      // The server's HTML, before any script: the tag with its attribute,
      // and the client component's first state (the element entry was
      // imported on the server without throwing).
      const res = await fetch(`${app.url}/tutor`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<visual-reasoning-tutor base-url="\/api\/relay"><\/visual-reasoning-tutor>/);
      assert.match(html, /data-testid="tutor-status">Loading…</);

      const { page, problems } = await newPage(browser);
      await page.goto(`${app.url}/tutor`);
      // Hydrated: the client component's effect ran, and the tag is defined.
      await page.getByTestId("tutor-status").filter({ hasText: "Ready" }).waitFor({ timeout: 30_000 });
      assert.equal(await page.evaluate(() => customElements.get("visual-reasoning-tutor") !== undefined), true);
      const tutor = page.locator("visual-reasoning-tutor");
      await tutor.locator("textarea").fill("Find the angle x in the triangle.");
      await tutor.locator("button.ask").click();
      // React's onvr-done listener (attached at hydration) sets the status.
      await page.getByTestId("tutor-status").filter({ hasText: /^Answered|Error/ }).waitFor({ timeout: 30_000 });
      assert.match(await page.getByTestId("tutor-status").textContent(), /^Answered \(stop, \d+ tokens\)\.$/);
      assert.match(await tutor.locator(".answer").first().textContent(), /70/, "the mock's triangle answer, shown by the element");
      const asked = (await mock.requests()).filter((r) => /\/chat\/completions$|\/generation$/.test(r.path));
      assert.equal(asked.length, 1, "one question reached the mock, through the route handler");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await app.stop();
      await mock.stop();
    }
  });
});
