// Replicas sharing one Redis (relay/README.md "Shared state in Redis"): two
// Rust relays and one JavaScript relay on Node in front of the Rust mock,
// with Debian's redis-server on a free port: one budget and one rate limit
// for all of them, counters that outlive a restart, the fail modes while
// Redis is down and the recovery when it returns, the same keys and script
// in both relays, the JS store under Deno and Bun, and 200 parallel
// requests spread over the replicas.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { NEW_SECRET } from "./spend.mjs";
import { DASHSCOPE, OPENAI, ORIGIN, dashscopeBody, openaiBody, signToken, sleep, startRedis, until, usageOf } from "./support.mjs";
import { PKG, ROOT, TARGETS } from "./targets.mjs";

describe("replicas sharing one Redis: two Rust relays and one JS relay (Node)", () => {
  let redis;
  let mock;
  const running = [];
  before(async () => {
    [redis, mock] = await Promise.all([startRedis(), startMock({ allowNoOrigin: true })]);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await redis.start().catch(() => {}); // a test that stopped it
    redis.cli("FLUSHALL");
  });
  after(async () => {
    await Promise.all([redis?.stop(), mock?.stop()]);
  });

  async function start(target, o = {}) {
    const r = await target.start({ upstream: mock.url, allowOrigins: [ORIGIN], redisUrl: redis.url, maxConnectionsPerIp: 0, ...o });
    r.name = target.name;
    running.push(r);
    return r;
  }
  /** Two Rust replicas and a JS one, with the same options. */
  const replicas = (o) => Promise.all([start(TARGETS.rust, o), start(TARGETS.rust, o), start(TARGETS.node, o)]);

  async function call(r, p, { token, body, method = "POST" } = {}) {
    const headers = { origin: ORIGIN };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) headers["content-type"] = "application/json";
    const res = await fetch(r.url + p, { method, headers, body: body && JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
  }
  const codeOf = (res) => res.json().error?.code ?? res.json().code;
  const body = () => openaiBody("qwen3-vl-plus", { max_tokens: 200 });
  const relayKey = (windowSeconds = 86400) => `vr:budget:${Math.floor(Date.now() / 1000 / windowSeconds)}:relay`;

  test("a budget spent across replicas refuses the next request on every replica", async () => {
    const rs = await replicas({ dailyTokenBudget: 1500 });
    let spent = 0;
    for (let i = 0; ; i++) {
      const res = await call(rs[i % 3], OPENAI, { body: body() });
      if (res.status === 429) break;
      assert.equal(res.status, 200, res.text);
      spent += usageOf(res.text).total_tokens;
      assert.ok(i < 50, "the budget never ran out");
      // The relay settles a reply's charge once its stream has ended, which
      // the client may see first: until then its reservation (the
      // estimate, 200 here) still counts, and the next request could be
      // refused for a moment with budget left (CI saw that once).
      assert.ok(await until(() => Number(redis.cli("GET", relayKey())) === spent, 5000), `${redis.cli("GET", relayKey())} in Redis, ${spent} reported`);
    }
    for (const r of rs) {
      const res = await call(r, OPENAI, { body: body() });
      assert.equal(res.status, 429, `${r.name}: ${res.text}`);
      assert.equal(codeOf(res), "relay_budget_exhausted");
      const b = await call(r, "/budget", { method: "GET" });
      assert.deepEqual({ ...b.json(), resetAt: undefined }, { scope: "relay", limit: 1500, remaining: 0, resetAt: undefined }, r.name);
    }
  });

  test("counters survive a relay restart", async () => {
    const [a, , j] = await replicas({ dailyTokenBudget: 100_000 });
    assert.equal((await call(a, DASHSCOPE, { body: dashscopeBody("qwen3-vl-plus", { max_tokens: 200 }) })).status, 200);
    const remaining = await until(async () => {
      const r = (await call(j, "/budget", { method: "GET" })).json().remaining;
      return r < 100_000 ? r : undefined;
    });
    assert.ok(remaining, "the spend was counted");
    await Promise.all(running.splice(0).map((r) => r.stop()));
    for (const target of [TARGETS.rust, TARGETS.node]) {
      const again = await start(target, { dailyTokenBudget: 100_000 });
      assert.equal((await call(again, "/budget", { method: "GET" })).json().remaining, remaining, target.name);
    }
  });

  test("per-client rate limits are shared: the 4th request of 3 per minute is refused on any replica", async () => {
    const rs = await replicas({ rateLimit: 3 });
    for (const r of rs) assert.equal((await call(r, OPENAI, { body: body() })).status, 200, r.name);
    for (const r of rs) {
      const res = await call(r, OPENAI, { body: body() });
      assert.equal(res.status, 429, r.name);
      assert.equal(codeOf(res), "limit_requests");
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
    }
    assert.ok(Number(redis.cli("HGET", "vr:rate:127.0.0.1", "tokens")) < 1, "the shared bucket is empty");
  });

  test("Redis stopped mid-test: closed gives 503, open serves uncounted; both recover when it returns", async () => {
    const o = { dailyTokenBudget: 100_000 };
    const [closedRust, , closedJs] = await replicas(o);
    const openRust = await start(TARGETS.rust, { ...o, budgetStoreFail: "open" });
    const openJs = await start(TARGETS.node, { ...o, budgetStoreFail: "open" });
    for (const r of [closedRust, closedJs, openRust]) assert.equal((await call(r, OPENAI, { body: body() })).status, 200);
    await redis.stop();
    for (let i = 0; i < 3; i++) {
      for (const r of [closedRust, closedJs]) {
        const res = await call(r, OPENAI, { body: body() });
        assert.equal(res.status, 503, `${r.name}: ${res.text}`);
        assert.equal(codeOf(res), "budget_store_unavailable");
        assert.equal(res.headers.get("retry-after"), "5");
        assert.equal((await call(r, "/budget", { method: "GET" })).status, 503);
      }
      for (const r of [openRust, openJs]) assert.equal((await call(r, OPENAI, { body: body() })).status, 200, `${r.name} fails open`);
    }
    for (const r of [closedRust, closedJs, openRust]) {
      const lines = r.output().split("\n").filter((l) => l.includes("budget store unreachable"));
      assert.equal(lines.length, 1, `${r.name} logs it once a minute at most:\n${lines.join("\n")}`);
    }
    await redis.start();
    for (const r of [closedRust, closedJs]) {
      const back = await until(async () => (await call(r, OPENAI, { body: body() })).status === 200, 10_000, 200);
      assert.ok(back, `${r.name} recovered`);
    }
    assert.ok(await until(() => Number(redis.cli("GET", relayKey())) > 0, 5000), "counting again");
  });

  test("both relays use the same keys, values, expiry and script", async () => {
    const { STORE_SCRIPT } = await import(pathToFileURL(path.join(PKG, "relay-redis.js")).href);
    assert.equal(STORE_SCRIPT, readFileSync(path.join(ROOT, "relay", "redis", "store.lua"), "utf8"), "pkg/relay-redis.js inlines relay/redis/store.lua byte for byte");
    const o = { tokenSecrets: [NEW_SECRET], perClientDailyTokens: 50_000, rateLimit: 100, maxStreamsPerClient: 8 };
    const [rust, , js] = await replicas(o);
    const token = await signToken({ sub: "shared-student", exp: Math.floor(Date.now() / 1000) + 600 }, NEW_SECRET);
    let spent = 0;
    for (const r of [rust, js]) {
      const res = await call(r, OPENAI, { token, body: body() });
      assert.equal(res.status, 200, res.text);
      spent += usageOf(res.text).total_tokens;
    }
    const key = `vr:budget:${Math.floor(Date.now() / 86_400_000)}:sub:shared-student`;
    assert.ok(await until(() => Number(redis.cli("GET", key)) === spent, 5000), `${key} = ${redis.cli("GET", key)}, spent ${spent}`);
    const ttl = Number(redis.cli("TTL", key));
    const toMidnight = 86400 - (Math.floor(Date.now() / 1000) % 86400);
    assert.ok(Math.abs(ttl - (toMidnight + 3600)) <= 5, `TTL ${ttl}: the window's end plus an hour`);
    for (const r of [rust, js]) assert.equal((await call(r, "/budget", { method: "GET", token })).json().remaining, 50_000 - spent);
    assert.equal(redis.cli("EXISTS", "vr:streams:127.0.0.1"), "1");
    assert.ok(await until(() => redis.cli("GET", "vr:streams:127.0.0.1") === "0", 5000), "every stream slot given back");
    assert.equal(redis.cli("TYPE", "vr:rate:127.0.0.1"), "hash");
  });

  test("the Redis store works under Deno and Bun too, sharing the budget with the Rust relay", async () => {
    const o = { dailyTokenBudget: 100_000 };
    const rs = [await start(TARGETS.rust, o), await start(TARGETS.deno, o), await start(TARGETS.bun, o)];
    let spent = 0;
    for (const r of rs) {
      const res = await call(r, OPENAI, { body: body() });
      assert.equal(res.status, 200, `${r.name}: ${res.text}`);
      spent += usageOf(res.text).total_tokens;
    }
    assert.ok(await until(() => Number(redis.cli("GET", relayKey())) === spent, 5000), `${redis.cli("GET", relayKey())} in Redis, ${spent} spent`);
    for (const r of rs) assert.equal((await call(r, "/budget", { method: "GET" })).json().remaining, 100_000 - spent, r.name);
  });

  test("200 parallel requests spread over the replicas overshoot the shared budget by no more than the documented bound", async (t) => {
    const [r0] = await replicas({ dailyTokenBudget: 1_000_000 });
    const probe = await call(r0, OPENAI, { body: body() });
    const usage = usageOf(probe.text).total_tokens;
    await Promise.all(running.splice(0).map((r) => r.stop()));
    redis.cli("FLUSHALL");
    const budget = 10 * usage;
    const rs = await replicas({ dailyTokenBudget: budget });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => call(rs[i % 3], OPENAI, { body: body() })));
    const admitted = results.filter((x) => x.status === 200);
    assert.equal(admitted.length + results.filter((x) => x.status === 429 && codeOf(x) === "relay_budget_exhausted").length, 200);
    const spent = admitted.reduce((n, x) => n + usageOf(x.text).total_tokens, 0);
    const estimate = 200;
    const bound = estimate + admitted.length * Math.max(0, usage - estimate);
    t.diagnostic(`shared Redis, 3 replicas: ${admitted.length} admitted, spent ${spent} of ${budget} (${usage} per request): overshoot ${spent - budget} (bound ${bound})`);
    assert.ok(spent - budget < bound);
    assert.ok(await until(() => Number(redis.cli("GET", relayKey())) === spent, 5000), "Redis holds what was spent");
  });
});
