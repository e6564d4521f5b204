// memoryStore (the default RelayStore) and createRelay's use of a store:
// the contract relay.d.ts documents, on a mocked clock.
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { PKG } from "./targets.mjs";

const { createRelay, memoryStore } = await import(pathToFileURL(path.join(PKG, "relay.js")).href);

test("add: atomic increments that start at 0 and expire ttlSeconds after the last add", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
  const s = memoryStore();
  assert.equal(await s.add("k", 1, 10), 1);
  assert.equal(await s.add("k", 2, 10), 3);
  assert.equal(await s.add("k", -3, 10), 0);
  assert.equal(await s.add("k", 5, 10), 5);
  t.mock.timers.tick(9_000);
  assert.equal(await s.add("k", 0, 10), 5, "still there before its expiry; a read is add(key, 0)");
  t.mock.timers.tick(10_001);
  assert.equal(await s.add("k", 1, 10), 1, "expired: counts from 0 again");
  assert.equal(await s.add("other", 1, 10), 1, "keys are independent");
});

test("take: a token bucket that starts full, refills, says when to come back, and takes refunds", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
  const s = memoryStore();
  // 2 per minute, as relay/src/limit.rs's test: the third waits 30 s.
  assert.equal(await s.take("r", 1, 2, 2 / 60), 0);
  assert.equal(await s.take("r", 1, 2, 2 / 60), 0);
  assert.equal(Math.ceil(await s.take("r", 1, 2, 2 / 60)), 30);
  t.mock.timers.tick(31_000);
  assert.equal(await s.take("r", 1, 2, 2 / 60), 0, "one token back after 30 s");
  assert.ok((await s.take("r", 1, 2, 2 / 60)) > 0);
  assert.equal(await s.take("r", -1, 2, 2 / 60), 0, "a refund");
  assert.equal(await s.take("r", 1, 2, 2 / 60), 0, "the refunded token is there");
  // Never above capacity, however long the wait or the refunds.
  t.mock.timers.tick(3_600_000);
  await s.take("r", -5, 2, 2 / 60);
  assert.equal(await s.take("r", 2, 2, 2 / 60), 0);
  assert.ok((await s.take("r", 1, 2, 2 / 60)) > 0);
});

test("createRelay counts the per-client limits in the store it is given", async () => {
  const calls = [];
  const inner = memoryStore();
  const store = {
    add: (...a) => (calls.push(["add", ...a]), inner.add(...a)),
    take: (...a) => (calls.push(["take", ...a]), inner.take(...a)),
  };
  const relay = createRelay({ apiKey: "sk-store", upstream: "http://127.0.0.1:1", allowNoOrigin: true, rateLimit: 6, maxStreamsPerClient: 1, store, log: false });
  const res = await relay(new Request("http://relay.test/compatible-mode/v1/chat/completions", { method: "POST", body: "{}" }), {
    remoteAddress: "::ffff:10.1.2.3",
  });
  await res.text(); // port 1 refuses: a 502, and the stream slot is given back
  assert.equal(res.status, 502);
  assert.deepEqual(calls[0], ["take", "vr:rate:10.1.2.3", 1, 6, 0.1]);
  assert.deepEqual(calls[1], ["add", "vr:streams:10.1.2.3", 1, 3600]);
  assert.deepEqual(calls.at(-1), ["add", "vr:streams:10.1.2.3", -1, 3600]);
  assert.equal(await inner.add("vr:streams:10.1.2.3", 0, 3600), 0, "no slot left held");
});

test("spending options are checked: short secrets, bad budgets and fail modes are refused", () => {
  assert.throws(() => createRelay({ apiKey: "k", tokenSecrets: ["short"] }), /at least 16 characters/);
  assert.throws(() => createRelay({ apiKey: "k", tokenSecrets: "one-long-secret-0123456789" }), /array/);
  assert.throws(() => createRelay({ apiKey: "k", dailyTokenBudget: -1 }), /dailyTokenBudget/);
  assert.throws(() => createRelay({ apiKey: "k", perClientDailyTokens: 1.5 }), /perClientDailyTokens/);
  assert.throws(() => createRelay({ apiKey: "k", budgetStoreFail: "maybe" }), /budgetStoreFail/);
  assert.ok(createRelay({ apiKey: "k", tokenSecrets: ["a-long-secret-0123456789"], dailyTokenBudget: 10, perClientDailyTokens: 5 }));
  assert.throws(() => createRelay({ apiKey: " " }), /apiKey is required/);
  assert.throws(() => createRelay({ apiKey: "k", allowOrigins: ["*"] }), /\*/);
  assert.throws(() => createRelay({ apiKey: "k", upstream: "ftp://x" }), /http\(s\)/);
  assert.throws(() => createRelay({ apiKey: "k", maxTokens: -1 }), /maxTokens/);
  assert.throws(() => createRelay({ apiKey: "k", region: "eu" }), /region/);
});

test("a store that fails: 503 by default (logged once a minute), uncounted with budgetStoreFail: open", async () => {
  const broken = { add: () => Promise.reject(new Error("store down")), take: () => Promise.reject(new Error("store down")) };
  const lines = [];
  const req = () => new Request("http://relay.test/compatible-mode/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "m", stream: true }) });
  const closed = createRelay({ apiKey: "sk-store", upstream: "http://127.0.0.1:1", allowNoOrigin: true, dailyTokenBudget: 100, store: broken, log: (l) => lines.push(l) });
  for (let i = 0; i < 3; i++) {
    const res = await closed(req(), { remoteAddress: "10.0.0.1" });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "budget_store_unavailable");
  }
  assert.equal(lines.filter((l) => l.includes("budget store unreachable: store down; failing closed")).length, 1, lines.join("\n"));
  const open = createRelay({ apiKey: "sk-store", upstream: "http://127.0.0.1:1", allowNoOrigin: true, dailyTokenBudget: 100, budgetStoreFail: "open", store: broken, log: false });
  const res = await open(req(), { remoteAddress: "10.0.0.1" });
  await res.text();
  assert.equal(res.status, 502, "went on to the (unreachable) upstream");
});
