// The conformance suite against the JS relay as a Next.js App Router route
// handler: examples/nextjs, installed from the packed tarball, built with
// `next build` and served by `next start`, at /api/relay; and the example's
// token route (/api/relay-token) minting tokens the relay route accepts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { conformance } from "./conformance.mjs";
import { NEW_SECRET } from "./spend.mjs";
import { OPENAI, ORIGIN, openaiBody, scriptedUpstream } from "./support.mjs";
import { TARGETS, buildNextApp, removeNextApp } from "./targets.mjs";

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
