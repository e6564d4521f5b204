// The conformance suite against the JS relay as a Worker in Cloudflare's
// runtime (npm `workerd`), the key from the Worker's env, bundled as
// wrangler bundles it; and the package's files as separate modules, where
// workerd itself loads relay-spend.js for tokens and budgets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { conformance } from "./conformance.mjs";
import { NEW_SECRET, spendConformance } from "./spend.mjs";
import { OPENAI, ORIGIN, openaiBody, scriptedUpstream, until, usageOf } from "./support.mjs";
import { TARGETS } from "./targets.mjs";

conformance(TARGETS.workerd);
spendConformance(TARGETS.workerd);

describe("workerd, unbundled: relay.js import()s relay-spend.js", () => {
  let stub;
  before(async () => {
    stub = await scriptedUpstream();
  });
  after(() => stub?.stop());

  test("tokens are minted and checked, and a budget counted and reported", async () => {
    const r = await TARGETS.workerdModules.start({
      allowOrigins: [ORIGIN],
      upstream: stub.url,
      tokenSecrets: [NEW_SECRET],
      perClientDailyTokens: 1000,
      env: { VR_TEST_MINT_SECRET: NEW_SECRET },
    });
    try {
      const token = (await (await fetch(`${r.url}/__test/mint?sub=modules-student&ttl=60`)).text()).trim();
      assert.match(token, /^v1\.[\w-]+\.[\w-]+$/);
      const call = (t, p = OPENAI, init = {}) =>
        fetch(r.url + p, { method: "POST", ...init, headers: { origin: ORIGIN, "content-type": "application/json", ...(t ? { authorization: `Bearer ${t}` } : {}) } });
      const none = await call(undefined, OPENAI, { body: JSON.stringify(openaiBody("qwen3-vl-plus", { max_tokens: 250 })) });
      assert.equal(none.status, 401);
      assert.equal((await none.json()).error.code, "client_token_missing");
      const ok = await call(token, OPENAI, { body: JSON.stringify(openaiBody("qwen3-vl-plus", { max_tokens: 250 })) });
      assert.equal(ok.status, 200);
      // The relay asked for usage (budget set) and counted it.
      assert.equal(usageOf(await ok.text()).total_tokens, 300);
      // Settled from the usage once the stream ended: 1000 - 300.
      const left = await until(async () => {
        const res = await fetch(`${r.url}/budget`, { headers: { origin: ORIGIN, authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        const { scope, limit, remaining } = await res.json();
        return remaining === 700 && { scope, limit, remaining };
      }, 5000);
      assert.deepEqual(left, { scope: "client", limit: 1000, remaining: 700 });
    } finally {
      await r.stop();
    }
  });
});
