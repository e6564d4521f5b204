// relay.js keeps spending control (signed tokens, budgets, the usage
// scanner) in relay-spend.js and import()s it only for a relay that has
// tokenSecrets or a budget option, or to mint a token: a relay without them
// runs from relay.js alone. Checked with pkg/relay.js copied to a folder
// without relay-spend.js.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { OPENAI, ORIGIN, openaiBody, scriptedUpstream } from "./support.mjs";
import { PKG } from "./targets.mjs";

let dir;
let stub;
let relayModule;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "vr-relay-alone-"));
  writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }');
  copyFileSync(path.join(PKG, "relay.js"), path.join(dir, "relay.js"));
  relayModule = await import(pathToFileURL(path.join(dir, "relay.js")).href);
  stub = await scriptedUpstream();
});
after(async () => {
  await stub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (relay, token) =>
  relay(
    new Request(`http://relay.test${OPENAI}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(openaiBody("qwen3-vl-plus", { max_tokens: 250 })),
    }),
    { remoteAddress: "127.0.0.1" },
  );

test("a relay without tokenSecrets or budgets works with no relay-spend.js beside relay.js", async () => {
  const lines = [];
  const relay = relayModule.createRelay({
    apiKey: "sk-alone",
    upstream: stub.url,
    allowOrigins: [ORIGIN],
    clientToken: "static-client-token",
    maxTokens: 500,
    log: (l) => lines.push(l),
  });
  const res = await post(relay, "static-client-token");
  assert.equal(res.status, 200);
  assert.match(await res.text(), /x = 70/);
  assert.equal((await post(relay, "wrong")).status, 401);
  const budget = await relay(new Request("http://relay.test/budget", { headers: { origin: ORIGIN, authorization: "Bearer static-client-token" } }));
  assert.equal(budget.status, 204, "no budget applies");
  assert.ok(!lines.some((l) => /relay error/.test(l)), lines.join("\n"));
});

for (const [what, options] of [
  ["tokenSecrets", { tokenSecrets: ["secret-0123456789abcdef"] }],
  ["dailyTokenBudget", { dailyTokenBudget: 10_000 }],
  ["perClientDailyTokens", { perClientDailyTokens: 1_000 }],
]) {
  test(`a relay with ${what} loads relay-spend.js: missing, its requests get 500 and the log says why`, async () => {
    const lines = [];
    const relay = relayModule.createRelay({ apiKey: "sk-alone", upstream: stub.url, allowOrigins: [ORIGIN], ...options, log: (l) => lines.push(l) });
    const res = await post(relay, "v1.x.y");
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.code, "internal_error");
    assert.ok(lines.some((l) => /relay error: .*relay-spend\.js/.test(l)), lines.join("\n"));
  });
}

test("mintClientToken loads relay-spend.js", async () => {
  await assert.rejects(relayModule.mintClientToken({ sub: "s", ttlSeconds: 60 }, "secret-0123456789abcdef"), /relay-spend\.js/);
  // From pkg/, where it is, a token comes back.
  const { mintClientToken } = await import(pathToFileURL(path.join(PKG, "relay.js")).href);
  assert.match(await mintClientToken({ sub: "s", ttlSeconds: 60 }, "secret-0123456789abcdef"), /^v1\.[\w-]+\.[\w-]+$/);
});
