// Spending control over HTTP (relay/README.md "Client tokens" and
// "Budgets"), one suite for every relay, each with its in-memory counters:
// signed client tokens (valid, missing, malformed, tampered, expired, not
// yet valid, unknown secret, rotation), budgets counted from the usage the
// upstream reports (both protocols alike, a stream the caller abandons),
// usage asked for, 429s before the upstream, GET /budget and its checks,
// epoch-aligned windows, and 200 parallel requests against a budget.
// The shared-Redis parts are in redis.test.mjs.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { DASHSCOPE, KEY, OPENAI, ORIGIN, dashscopeBody, openaiBody, scriptedUpstream, signToken, sleep, until, usageOf } from "./support.mjs";
import { PKG } from "./targets.mjs";

export const NEW_SECRET = "new-secret-0123456789abcdef";
export const OLD_SECRET = "old-secret-0123456789abcdef";
const now = () => Math.floor(Date.now() / 1000);

/** The stub's usage total (input 100 + output 200). */
export const USAGE_TOTAL = 300;

/**
 * @param {{ name: string, lacks: Record<string, string>, launcher?: boolean, prefix?: string,
 *   start(o: object): Promise<{ url: string, output(): string, stop(): Promise<void> }> }} target
 */
export function spendConformance(target) {
  const prefix = target.prefix ?? "";
  describe(`relay spending control: ${target.name}`, () => {
    let stub;
    const running = [];
    before(async () => {
      stub = await scriptedUpstream();
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      stub.set({ stall: false, reasoning: ["thinking "], answer: ["x = 70"], usage: { input: 100, output: 200, reasoning: 50 } });
    });
    after(async () => {
      await stub?.stop();
    });

    async function relay(options) {
      const r = await target.start({ allowOrigins: [ORIGIN], upstream: stub.url, ...options });
      running.push(r);
      r.base = r.url + prefix;
      return r;
    }

    async function call(r, p, { token, body, method = "POST", origin = ORIGIN, signal, keep = true, headers = {} } = {}) {
      const h = { ...headers };
      if (origin) h.origin = origin;
      if (token !== undefined) h.authorization = `Bearer ${token}`;
      if (body !== undefined) h["content-type"] = "application/json";
      const res = await fetch(r.base + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
      if (!keep) return res;
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
    }

    const openai = (extra = {}) => openaiBody("qwen3-vl-plus", { max_tokens: 250, ...extra });
    const dashscope = () => dashscopeBody("qwen3-vl-plus", { max_tokens: 250 });
    /** The code of a refusal in either protocol's shape. */
    const codeOf = (res) => {
      const j = res.json();
      return j.error?.code ?? j.code;
    };
    const budgetOf = async (r, token) => {
      const res = await call(r, "/budget", { method: "GET", token });
      assert.equal(res.status, 200, res.text);
      return res.json();
    };
    /** Waits until GET /budget reports `remaining` (settlement follows the stream's end). */
    const settled = async (r, token, remaining) => {
      const got = await until(async () => {
        const b = await budgetOf(r, token);
        return b.remaining === remaining ? b : undefined;
      }, 10_000);
      assert.ok(got, `remaining never became ${remaining}: ${JSON.stringify(await budgetOf(r, token))}`);
      return got;
    };

    test("signed tokens: valid ones pass, the rest get 401 naming why, never echoing the token", async () => {
      const r = await relay({ tokenSecrets: [NEW_SECRET, OLD_SECRET] });
      const good = await signToken({ sub: "s1", exp: now() + 600 }, NEW_SECRET);
      const cases = [
        ["missing", undefined, "client_token_missing"],
        ["malformed", "not-a-token", "client_token_malformed"],
        ["not base64url", "v1.e30.***", "client_token_malformed"],
        ["unknown secret", await signToken({ sub: "s1", exp: now() + 600 }, "some-other-secret-0123456789"), "client_token_invalid_signature"],
        ["tampered payload", `v1.${Buffer.from(JSON.stringify({ sub: "s1", exp: now() + 600, dailyTokens: 1e9 })).toString("base64url")}.${good.split(".")[2]}`, "client_token_invalid_signature"],
        ["tampered signature", `${good.slice(0, -4)}${good.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`, "client_token_invalid_signature"],
        ["expired", await signToken({ sub: "s1", exp: now() - 120 }, NEW_SECRET), "client_token_expired"],
        ["not yet valid", await signToken({ sub: "s1", exp: now() + 600, nbf: now() + 300 }, NEW_SECRET), "client_token_not_yet_valid"],
        ["no exp", await signToken({ sub: "s1" }, NEW_SECRET), "client_token_malformed"],
        ["empty sub", await signToken({ sub: "", exp: now() + 60 }, NEW_SECRET), "client_token_malformed"],
      ];
      for (const [what, token, code] of cases) {
        for (const [p, body] of [
          [OPENAI, openai()],
          [DASHSCOPE, dashscope()],
        ]) {
          const res = await call(r, p, { token, body });
          assert.equal(res.status, 401, `${what} on ${p}: ${res.text}`);
          assert.equal(codeOf(res), code, `${what} on ${p}`);
          const message = p === OPENAI ? res.json().error.message : res.json().message;
          assert.match(message, /client token/i, what);
          if (token) {
            assert.ok(!res.text.includes(token) && !res.text.includes(token.split(".").pop() || "\0"), `${what}: the token is echoed`);
          }
        }
      }
      const expired = await call(r, OPENAI, { token: cases[6][1], body: openai() });
      assert.match(expired.json().error.message, /expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
      // A minute of skew either way.
      for (const token of [
        good,
        await signToken({ sub: "s1", exp: now() - 30 }, NEW_SECRET),
        await signToken({ sub: "s1", exp: now() + 600, nbf: now() + 30 }, NEW_SECRET),
        await signToken({ sub: "s1", exp: now() + 600 }, OLD_SECRET),
      ]) {
        const res = await call(r, OPENAI, { token, body: openai() });
        assert.equal(res.status, 200, res.text);
      }
      assert.ok(!r.output().includes(good), "the token is not logged");
    });

    test("rotation: the old secret's tokens pass while it is listed, and not after", async () => {
      const old = await signToken({ sub: "s1", exp: now() + 600 }, OLD_SECRET);
      const fresh = await signToken({ sub: "s1", exp: now() + 600 }, NEW_SECRET);
      const during = await relay({ tokenSecrets: [NEW_SECRET, OLD_SECRET] });
      assert.equal((await call(during, OPENAI, { token: old, body: openai() })).status, 200);
      assert.equal((await call(during, OPENAI, { token: fresh, body: openai() })).status, 200);
      const afterwards = await relay({ tokenSecrets: [NEW_SECRET] });
      const res = await call(afterwards, OPENAI, { token: old, body: openai() });
      assert.equal(res.status, 401);
      assert.equal(codeOf(res), "client_token_invalid_signature");
      assert.equal((await call(afterwards, OPENAI, { token: fresh, body: openai() })).status, 200);
    });

    test("a static client token and signed tokens together: either is accepted", async () => {
      const r = await relay({ clientToken: "static-token-0123", tokenSecrets: [NEW_SECRET] });
      assert.equal((await call(r, OPENAI, { token: "static-token-0123", body: openai() })).status, 200);
      assert.equal((await call(r, OPENAI, { token: await signToken({ sub: "a", exp: now() + 60 }, NEW_SECRET), body: openai() })).status, 200);
      const wrong = await call(r, OPENAI, { token: "static-token-0124", body: openai() });
      assert.equal(wrong.status, 401);
      assert.equal(codeOf(wrong), "client_token_malformed");
    });

    test("mintClientToken makes tokens in the documented format that the relay accepts", async () => {
      const { mintClientToken } = await import(pathToFileURL(path.join(PKG, "relay.js")).href);
      const token = await mintClientToken({ sub: "student-7", ttlSeconds: 600, dailyTokens: 900 }, NEW_SECRET);
      const [v, payload, sig] = token.split(".");
      assert.equal(v, "v1");
      assert.equal(sig, createHmac("sha256", NEW_SECRET).update(`v1.${payload}`).digest("base64url"));
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      assert.equal(claims.sub, "student-7");
      assert.equal(claims.dailyTokens, 900);
      assert.equal(claims.exp - claims.nbf, 600);
      assert.ok(Math.abs(claims.nbf - now()) <= 2);
      assert.ok(!/[=+/]/.test(token), "base64url without padding");
      const r = await relay({ tokenSecrets: [NEW_SECRET] });
      assert.equal((await call(r, OPENAI, { token, body: openai() })).status, 200);
      await assert.rejects(mintClientToken({ sub: "", ttlSeconds: 1 }, NEW_SECRET), TypeError);
      await assert.rejects(mintClientToken({ sub: "a", ttlSeconds: 0 }, NEW_SECRET), TypeError);
    });

    if (target.mintPath) {
      test(`mintClientToken works in ${target.name} (WebCrypto)`, async () => {
        const r = await relay({ env: { VR_TEST_MINT_SECRET: NEW_SECRET } });
        const res = await fetch(`${r.url}${target.mintPath}?sub=rt-student&ttl=90`);
        const token = (await res.text()).trim();
        assert.equal(res.status, 200, token);
        const [, payload, sig] = token.split(".");
        assert.equal(sig, createHmac("sha256", NEW_SECRET).update(`v1.${payload}`).digest("base64url"));
        const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
        assert.deepEqual([claims.sub, claims.exp - claims.nbf], ["rt-student", 90]);
      });
    }

    if (target.metrics) {
      test("--metrics-listen serves Prometheus text on its own address, with no key, token or body", async () => {
        const r = await relay({ tokenSecrets: [NEW_SECRET], dailyTokenBudget: 100_000, metricsListen: "127.0.0.1:0" });
        const at = /metrics on (http:\/\/[\d.:]+\/metrics)/.exec(r.output())?.[1];
        assert.ok(at, r.output());
        const token = await signToken({ sub: "metrics-student", exp: now() + 60 }, NEW_SECRET);
        assert.equal((await call(r, OPENAI, { token, body: openai() })).status, 200);
        assert.equal((await call(r, OPENAI, { token: "v1.x.y", body: openai() })).status, 401);
        const text = await until(async () => {
          const t = await (await fetch(at)).text();
          return t.includes('vr_relay_tokens_total{kind="input"} 100') ? t : undefined;
        });
        assert.ok(text, "tokens counted");
        assert.match(text, /^# TYPE vr_relay_requests_total counter$/m);
        assert.match(text, /^vr_relay_requests_total\{route="openai",status="401"\} 1$/m);
        assert.match(text, /^vr_relay_tokens_total\{kind="reasoning"\} 50$/m);
        assert.match(text, /^vr_relay_upstream_ttfb_seconds_count 1$/m);
        for (const secret of [KEY, NEW_SECRET, token, "metrics-student", "Find angle"]) assert.ok(!text.includes(secret), secret);
        assert.equal((await fetch(r.url + "/metrics")).status, 404, "not on the relay's own address");
      });
    }

    test("budgets count the usage the upstream reports; spent, the next request gets 429 before the upstream", async () => {
      const r = await relay({ tokenSecrets: [NEW_SECRET], perClientDailyTokens: 1000, dailyTokenBudget: 100_000 });
      const a = await signToken({ sub: "student-a", exp: now() + 600, dailyTokens: 500 }, NEW_SECRET);
      const b = await signToken({ sub: "student-b", exp: now() + 600 }, NEW_SECRET);
      const midnight = new Date((Math.floor(now() / 86400) + 1) * 86400 * 1000).toISOString().replace(".000Z", "Z");
      assert.deepEqual(await budgetOf(r, a), { scope: "client", limit: 500, remaining: 500, resetAt: midnight });
      const first = await call(r, OPENAI, { token: a, body: openai() });
      assert.equal(first.status, 200);
      assert.equal(usageOf(first.text).total_tokens, USAGE_TOTAL);
      await settled(r, a, 500 - USAGE_TOTAL);
      // 300 of 500 used: still admitted (the estimate, 250, is not the charge).
      assert.equal((await call(r, DASHSCOPE, { token: a, body: dashscope() })).status, 200);
      await settled(r, a, 0);
      const before = stub.seen.length;
      for (const [p, body] of [
        [OPENAI, openai()],
        [DASHSCOPE, dashscope()],
      ]) {
        const res = await call(r, p, { token: a, body });
        assert.equal(res.status, 429, res.text);
        assert.equal(codeOf(res), "client_budget_exhausted");
        const message = p === OPENAI ? res.json().error.message : res.json().message;
        assert.match(message, new RegExp(`\\(500 tokens\\) is used up; it resets at ${midnight}`));
        const retry = Number(res.headers.get("retry-after"));
        const left = (Math.floor(now() / 86400) + 1) * 86400 - now();
        assert.ok(Math.abs(retry - left) <= 2, `Retry-After ${retry}, ${left} s to midnight`);
      }
      assert.equal(stub.seen.length, before, "refused requests never reach the upstream");
      // Another student has their own budget (the flag's 1000).
      assert.equal((await budgetOf(r, b)).remaining, 1000);
      assert.equal((await call(r, OPENAI, { token: b, body: openai() })).status, 200);
    });

    test("GET /budget: the tighter budget, after the same checks as the API paths", async () => {
      const relayOnly = await relay({ dailyTokenBudget: 400, perClientDailyTokens: 5000 });
      const st = await budgetOf(relayOnly);
      assert.equal(st.scope, "relay");
      assert.equal(st.limit, 400);
      assert.equal((await call(relayOnly, "/budget", { method: "GET", origin: "http://evil.example" })).status, 403);
      assert.equal((await call(relayOnly, "/budget", { method: "GET", origin: null })).status, 403);
      const pre = await call(relayOnly, "/budget", {
        method: "OPTIONS",
        headers: { "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      });
      assert.ok(pre.status < 300, `preflight: ${pre.status}`);
      assert.equal(pre.headers.get("access-control-allow-origin"), ORIGIN);
      const withTokens = await relay({ tokenSecrets: [NEW_SECRET], dailyTokenBudget: 400 });
      const res = await call(withTokens, "/budget", { method: "GET" });
      assert.equal(res.status, 401);
      assert.equal(codeOf(res), "client_token_missing");
      const none = await relay({});
      const nothing = await call(none, "/budget", { method: "GET" });
      assert.equal(nothing.status, 204, "no budget applies");
      assert.equal(nothing.text, "");
      // A page served by the relay's own origin sends no Origin on a GET,
      // only Sec-Fetch-Site: same-origin.
      const dir = mkdtempSync(path.join(tmpdir(), "vr-same-origin-"));
      try {
        const own = await relay({ dailyTokenBudget: 400, staticDir: dir, allowSameOrigin: true });
        const sameOrigin = await call(own, "/budget", { method: "GET", origin: null, headers: { "sec-fetch-site": "same-origin" } });
        assert.equal(sameOrigin.status, 200, sameOrigin.text);
        const crossSite = await call(own, "/budget", { method: "GET", origin: null, headers: { "sec-fetch-site": "cross-site" } });
        assert.equal(crossSite.status, 403);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("an OpenAI caller that did not ask for usage: the relay asks and forwards the usage chunk", async () => {
      const r = await relay({ dailyTokenBudget: 100_000 });
      for (const stream_options of [undefined, { include_usage: false }]) {
        const body = openai({ stream_options });
        if (stream_options === undefined) delete body.stream_options;
        stub.seen.length = 0;
        const res = await call(r, OPENAI, { body });
        assert.equal(res.status, 200);
        assert.equal(stub.seen[0].body.stream_options.include_usage, true);
        assert.equal(usageOf(res.text)?.total_tokens, USAGE_TOTAL, "the usage chunk reaches the caller");
      }
      stub.seen.length = 0;
      await call(r, DASHSCOPE, { body: dashscope() });
      assert.equal(stub.seen[0].body.stream_options, undefined, "nothing added to a dashscope request");
    });

    test("usage is counted alike for both protocols and, by the documented rule, for a stream the caller abandons", async () => {
      const r = await relay({ tokenSecrets: [NEW_SECRET], perClientDailyTokens: 10_000 });
      const tok = async (sub) => signToken({ sub, exp: now() + 600 }, NEW_SECRET);
      const [o, d] = [await tok("proto-openai"), await tok("proto-dashscope")];
      await call(r, OPENAI, { token: o, body: openai() });
      await call(r, DASHSCOPE, { token: d, body: dashscope() });
      await settled(r, o, 10_000 - USAGE_TOTAL);
      await settled(r, d, 10_000 - USAGE_TOTAL);
      // Abandoned after the text: openai has no usage yet (one token per 3
      // bytes of text forwarded); dashscope's cumulative usage is charged.
      const reasoning = ["x".repeat(30)];
      const answer = ["é".repeat(10)]; // 20 bytes
      stub.set({ stall: true, reasoning, answer, usage: { input: 100, output: 23, reasoning: 10 } });
      for (const [p, body, sub, charge] of [
        [OPENAI, openai(), "left-openai", Math.ceil(50 / 3)],
        [DASHSCOPE, dashscope(), "left-dashscope", 123],
      ]) {
        const token = await tok(sub);
        const abort = new AbortController();
        const res = await call(r, p, { token, body, keep: false, signal: abort.signal });
        assert.equal(res.status, 200);
        const reader = res.body.getReader();
        let text = "";
        const dec = new TextDecoder();
        while ((text.match(/\n\n/g) ?? []).length < 2) {
          const { value, done } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
        }
        abort.abort();
        await reader.cancel().catch(() => {});
        if (target.lacks.silentCancel) {
          // lacks.silentCancel: the relay learns of it at its next write.
          await sleep(300);
          stub.poke();
        }
        await settled(r, token, 10_000 - charge);
      }
    });

    test("windows are aligned to the epoch; a spent budget comes back when its window ends", async () => {
      const r = await relay({ dailyTokenBudget: 200, budgetWindowSeconds: 5 });
      // Start at the beginning of a window, so all of the below happens in one.
      await sleep(5000 - (Date.now() % 5000) + 100);
      assert.equal((await call(r, OPENAI, { body: openai() })).status, 200);
      await settled(r, undefined, 0);
      const refused = await call(r, OPENAI, { body: openai() });
      assert.equal(refused.status, 429);
      assert.equal(codeOf(refused), "relay_budget_exhausted");
      const retry = Number(refused.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 5, `Retry-After ${retry}`);
      const { resetAt } = await budgetOf(r);
      const reset = Date.parse(resetAt);
      assert.equal((reset / 1000) % 5, 0, `${resetAt} is a multiple of the window`);
      await sleep(Math.max(0, reset - Date.now()) + 300);
      assert.equal((await call(r, OPENAI, { body: openai() })).status, 200, "a new window");
    });

    test("200 parallel requests against a budget that fits 10 overshoot it by no more than the documented bound", async (t) => {
      const estimate = 250; // each request's max_tokens
      const budget = 10 * USAGE_TOTAL;
      const r = await relay({ dailyTokenBudget: budget, maxConnectionsPerIp: 0 });
      const results = await Promise.all(
        Array.from({ length: 200 }, () => call(r, OPENAI, { body: openai() }).catch((e) => ({ status: 0, text: String(e), json: () => ({}) }))),
      );
      const admitted = results.filter((x) => x.status === 200);
      const refused = results.filter((x) => x.status === 429);
      assert.equal(admitted.length + refused.length, 200, `other statuses: ${results.filter((x) => x.status !== 200 && x.status !== 429).map((x) => x.status + x.text.slice(0, 80))}`);
      for (const x of refused) assert.equal(codeOf(x), "relay_budget_exhausted");
      const spent = admitted.reduce((n, x) => n + usageOf(x.text).total_tokens, 0);
      // README "Overshoot": less than one estimate, plus what each stream
      // spent beyond its own estimate (here its 50 extra input tokens).
      const bound = estimate + admitted.length * Math.max(0, USAGE_TOTAL - estimate);
      t.diagnostic(`${target.name}: ${admitted.length} admitted, spent ${spent} of ${budget}: overshoot ${spent - budget} (bound ${bound})`);
      assert.ok(admitted.length >= 1);
      assert.ok(spent - budget < bound, `overshoot ${spent - budget} >= ${bound}`);
      await settled(r, undefined, Math.max(0, budget - spent));
    });
  });
}

/** The launchers' `token` subcommand (needs a spawnWith(args, env) as launcherConformance's). */
export function tokenCommand(target, spawnWith) {
  describe(`relay token command: ${target.name}`, () => {
    test("`token --sub S --ttl SECS --daily-tokens N` prints a token signed with RELAY_TOKEN_SECRET's first secret", async () => {
      const r = await spawnWith(["token", "--sub", "student-9", "--ttl", "120", "--daily-tokens", "700"], { RELAY_TOKEN_SECRET: `${NEW_SECRET},${OLD_SECRET}` });
      assert.equal(r.code, 0, r.output);
      const token = r.output.trim();
      const [, payload, sig] = token.split(".");
      assert.equal(sig, createHmac("sha256", NEW_SECRET).update(`v1.${payload}`).digest("base64url"));
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      assert.deepEqual([claims.sub, claims.exp - claims.nbf, claims.dailyTokens], ["student-9", 120, 700]);
      const missing = await spawnWith(["token", "--sub", "a", "--ttl", "60"], { RELAY_TOKEN_SECRET: "" });
      assert.notEqual(missing.code, 0);
      assert.match(missing.output, /RELAY_TOKEN_SECRET/);
      const refused = await spawnWith(["--token-secret", "short"], {});
      assert.notEqual(refused.code, 0);
      assert.match(refused.output, /at least 16 characters/);
      assert.ok(!refused.output.includes(KEY));
    });
  });
}
