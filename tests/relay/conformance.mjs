// The relay's behaviour over HTTP (relay/README.md "Relay mode"), one suite
// for every relay: the Rust binary and the JavaScript handler in Node,
// Deno, Bun, workerd and a Next.js route. Each test starts the relay it
// needs in front of the Rust mock (or a recording stub), on 127.0.0.1.
// Where a runtime cannot do something, its target names it in `lacks` and
// the test asserts what happens instead; nothing is skipped silently.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  DASHSCOPE,
  KEY,
  OPENAI,
  ORIGIN,
  dashscopeBody,
  events,
  openaiBody,
  postFrom,
  raw,
  recordingUpstream,
  sleep,
  until,
} from "./support.mjs";

/**
 * @param {{ name: string, lacks: Record<string, string>, start(o: object): Promise<{ url: string, output(): string, stop(): Promise<void> }>, prefix?: string }} target
 */
export function conformance(target) {
  const prefix = target.prefix ?? "";
  describe(`relay conformance: ${target.name}`, () => {
    let fast; // the mock at full speed
    let paced; // the mock at 150 tokens/s
    let stub; // the recording upstream
    const running = [];
    const logs = [];
    const responses = [];

    before(async () => {
      [fast, paced, stub] = await Promise.all([
        startMock({ allowNoOrigin: true }),
        startMock({ allowNoOrigin: true, tokensPerSecond: 150 }),
        recordingUpstream(),
      ]);
    });
    // Each test's relays end with it (a suite would otherwise hold 20 processes).
    afterEach(async () => {
      await Promise.all(running.splice(0).map((r) => r.stop()));
    });
    after(async () => {
      await Promise.all([fast?.stop(), paced?.stop(), stub?.stop()]);
    });

    /** A relay with the tests' defaults (one allowed origin, no per-client limits). */
    async function relay(options) {
      const r = await target.start({ allowOrigins: [ORIGIN], ...options });
      running.push(r);
      r.base = r.url + prefix;
      r.upstream = options.upstream;
      return r;
    }

    /** fetch() against a relay, keeping every response's headers and text for the key check. */
    async function call(r, path, { method = "POST", origin = ORIGIN, headers = {}, body, keep = true, signal } = {}) {
      const h = { ...headers };
      if (origin) h.origin = origin;
      if (body !== undefined && typeof body !== "string" && !(body instanceof ReadableStream)) {
        h["content-type"] ??= "application/json";
        body = JSON.stringify(body);
      }
      const res = await fetch(r.base + path, {
        method,
        headers: h,
        body,
        signal,
        redirect: "manual",
        ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
      });
      if (!keep) return res;
      const text = await res.text();
      responses.push(JSON.stringify([...res.headers]) + text);
      return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
    }

    test("events pass through unbuffered: the first arrives while the paced mock is still sending", async () => {
      const r = await relay({ upstream: paced.url });
      const t0 = performance.now();
      const res = await call(r, OPENAI, {
        body: openaiBody("qwen3-vl-plus", { enable_thinking: true }),
        headers: { "accept-encoding": "gzip, deflate, br" },
        keep: false,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-accel-buffering"), "no");
      assert.equal(res.headers.get("cache-control"), "no-cache");
      assert.equal(res.headers.get("content-encoding"), null, "nothing is compressed");
      assert.match(res.headers.get("content-type"), /^text\/event-stream/);
      let text = "";
      let first;
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        if (first === undefined && text.includes("\n\n")) first = performance.now() - t0;
      }
      const total = performance.now() - t0;
      assert.ok(total > 1200, `the paced reply took ${total} ms`);
      // The paced mock takes about 1.5 s to send the reply: buffered, the
      // first event would come with the last. (Measured from the first
      // event, not the request: a cold start is not buffering.)
      assert.ok(total - first > 700, `first event at ${first} ms, last at ${total} ms`);
      assert.ok(text.endsWith("data: [DONE]\n\n"));
    });

    test("a client that goes away cancels the upstream request (the mock sees `disconnected`)", async () => {
      const mock = await startMock({ allowNoOrigin: true, tokensPerSecond: 40 });
      try {
        const r = await relay({ upstream: mock.url });
        const abort = new AbortController();
        const res = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus", { enable_thinking: true }), keep: false, signal: abort.signal });
        const reader = res.body.getReader();
        await reader.read();
        abort.abort();
        const req = await until(async () => {
          const [q] = await mock.requests();
          return q?.outcome === "disconnected" ? q : undefined;
        }, 10_000);
        const seen = await mock.requests();
        assert.ok(req, `the mock never saw the disconnect: ${JSON.stringify(seen.map((q) => q.outcome))}`);
        assert.ok(req.events < 20, `it stopped early (${req.events} events)`);
      } finally {
        await mock.stop();
      }
    });

    test("a client that leaves before the upstream answers closes the upstream connection", async (t) => {
      const silent = await silentUpstream();
      try {
        const late = target.lacks.earlyCancel;
        const r = await relay({ upstream: silent.url, upstreamTimeoutMs: late ? 2000 : 20_000 });
        const abort = new AbortController();
        const pending = call(r, OPENAI, { body: openaiBody("qwen3-vl-plus"), keep: false, signal: abort.signal }).catch((e) => e);
        // Wait until the request is upstream (its head and body arrived).
        assert.ok(await until(() => silent.received() > 100, 10_000), "the request reached the upstream");
        const left = performance.now();
        abort.abort();
        await pending;
        const closed = await until(() => silent.firstClosed(), late ? 8000 : 5000);
        assert.ok(closed !== undefined, `the upstream connection was closed; relay log:\n${r.output()}`);
        if (late) {
          // lacks.earlyCancel: closed by upstreamTimeoutMs, not by the client leaving.
          assert.ok(closed - left > 1000, `${target.name} now closes it at once: drop lacks.earlyCancel`);
          t.diagnostic(`${target.name} ${late}: closed ${Math.round(closed - left)} ms after the client left`);
        } else {
          t.diagnostic(`closed ${Math.round(closed - left)} ms after the client left`);
        }
      } finally {
        silent.close();
      }
    });

    test("Authorization is replaced by the key; only the allow-listed headers go upstream or come back", async () => {
      const r = await relay({ upstream: stub.url });
      stub.seen.length = 0;
      const res = await call(r, `${DASHSCOPE}?target=http://evil.example`, {
        headers: {
          authorization: "Bearer sk-from-the-browser",
          cookie: "session=1",
          "x-forwarded-host": "evil.example",
          "x-dashscope-sse": "enable",
          "x-dashscope-workspace": "ws-1",
          accept: "text/event-stream",
          "user-agent": "test-agent/1.0",
          referer: "http://page.example:8080/secret-page",
          "x-custom": "nope",
        },
        body: dashscopeBody("qwen3-vl-plus"),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-request-id"), "stub-rid");
      assert.equal(res.headers.get("x-dashscope-request-id"), "stub-ds-rid");
      assert.equal(res.headers.get("retry-after"), "7");
      assert.equal(res.headers.get("set-cookie"), null);
      assert.equal(res.headers.get("x-upstream-private"), null);
      assert.notEqual(res.headers.get("server"), "stub");
      assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN, "the upstream's `*` does not come back");
      assert.ok(!res.text.includes(KEY));
      assert.equal(stub.seen.length, 1);
      const { target: path, headers, body, method } = stub.seen[0];
      assert.equal(method, "POST");
      assert.equal(path, DASHSCOPE, "no query, the fixed path");
      assert.equal(headers.authorization, `Bearer ${KEY}`);
      assert.equal(headers["x-dashscope-sse"], "enable");
      assert.equal(headers["x-dashscope-workspace"], "ws-1");
      assert.equal(headers.accept, "text/event-stream");
      assert.equal(headers["content-type"], "application/json");
      assert.equal(headers.host, new URL(stub.url).host);
      for (const name of ["cookie", "origin", "x-forwarded-host", "referer", "x-custom"]) {
        assert.equal(headers[name], undefined, `${name} was forwarded`);
      }
      assert.notEqual(headers["user-agent"], "test-agent/1.0", "the browser's User-Agent is not forwarded");
      assert.equal(JSON.parse(body).model, "qwen3-vl-plus");
    });

    test("the body reaches the upstream byte for byte (streamed, not re-encoded)", async () => {
      const r = await relay({ upstream: stub.url });
      stub.seen.length = 0;
      const text = JSON.stringify(openaiBody("qwen3-vl-plus", { note: "∠A = 40° 三角形 \u{1F600}", image: "data:image/png;base64," + "A".repeat(50_000) }), null, 1);
      const res = await call(r, OPENAI, { body: text, headers: { "content-type": "application/json" } });
      assert.equal(res.status, 200);
      assert.equal(stub.seen[0].body, text);
    });

    test("redirects from the upstream are not followed and their Location does not come back", async () => {
      const r = await relay({ upstream: stub.url });
      stub.seen.length = 0;
      stub.redirectNext(true);
      try {
        const res = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus") });
        assert.equal(res.status, 302);
        assert.equal(res.headers.get("location"), null);
        assert.deepEqual(stub.seen.map((s) => s.target), [OPENAI], "the relay never went to /followed");
      } finally {
        stub.redirectNext(false);
      }
    });

    test("an upstream that breaks off mid-stream gives the client a broken body, not a clean end", async () => {
      const r = await relay({ upstream: stub.url });
      stub.breakNext(true);
      try {
        const res = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus"), keep: false });
        assert.equal(res.status, 200);
        let text = "";
        const decoder = new TextDecoder();
        const error = await (async () => {
          for await (const chunk of res.body) text += decoder.decode(chunk, { stream: true });
        })().then(
          () => undefined,
          (e) => e,
        );
        assert.ok(error, `the body ended cleanly after ${JSON.stringify(text)}`);
        assert.match(text, /"content":"a"/, "the events before the break arrived");
        // (The Rust binary before issue 18 logs such a stream `aborted`.)
        assert.ok(await until(() => /upstream[ -]error| 200 .* aborted$/m.test(r.output()), 5000), r.output());
      } finally {
        stub.breakNext(false);
      }
    });

    test("host-selection tricks in the request target are refused before anything reaches the upstream", async (ctx) => {
      const r = await relay({ upstream: stub.url });
      stub.seen.length = 0;
      const body = '{"model":"qwen3-vl-plus","messages":[]}';
      const send = (t, host = "evil.example") =>
        raw(
          r.url,
          `POST ${t} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
      // Tricks every server passes to the handler as they are.
      for (const t of [`${prefix}/compatible-mode%2Fv1/chat/completions`, `${prefix}/x/..%5c..%5ccompatible-mode/v1/chat/completions`]) {
        const res = await send(t);
        assert.match(res, /^HTTP\/1\.1 400/, `${t}: ${res.slice(0, 200)}`);
        assert.match(res, /Bad request target/);
      }
      // Tricks a URL parser resolves before a fetch handler sees them.
      const parsed = [
        `http://evil.example${prefix}/compatible-mode/v1/chat/completions`,
        `//evil.example${prefix}/compatible-mode/v1/chat/completions`,
        `${prefix}/compatible-mode/v1/../v1/chat/completions`,
        `${prefix}/compatible-mode/v1/chat/completions/..`,
        `${prefix}/compatible-mode/v1/chat/completions/%2e%2e/%2e%2e`,
        `${prefix}/./compatible-mode/v1/chat/completions`,
      ];
      for (const t of parsed) {
        const res = await send(t);
        if (!target.lacks.rawTarget) {
          assert.match(res, /^HTTP\/1\.1 400/, `${t}: ${res.slice(0, 200)}`);
        } else {
          // lacks.rawTarget: the runtime resolved the target first. What
          // must still hold: whatever it did, the upstream saw only one of
          // the two constant paths on the configured host.
          assert.match(res, /^HTTP\/1\.1 \d{3}/, `${t}: ${res.slice(0, 200)}`);
          ctx.diagnostic(`${target.name} answered ${res.slice(9, 12)} to ${JSON.stringify(t)} (lacks.rawTarget)`);
        }
      }
      for (const s of stub.seen) {
        assert.ok([OPENAI, DASHSCOPE].includes(s.target), `the upstream saw ${s.target}`);
        assert.equal(s.headers.host, new URL(stub.url).host);
      }
      if (!target.lacks.rawTarget) assert.equal(stub.seen.length, 0, "nothing reached the upstream");
      // A Host header naming another server changes nothing.
      stub.seen.length = 0;
      const res = await send(`${prefix}${OPENAI}`);
      assert.match(res, /^HTTP\/1\.1 200/, res.slice(0, 300));
      assert.equal(stub.seen.length, 1);
      assert.equal(stub.seen[0].headers.host, new URL(stub.url).host);
    });

    test("only the two API paths exist; /healthz and /config answer; errors have the provider's shape", async () => {
      const r = await relay({ upstream: stub.url, allowNoOrigin: true });
      stub.seen.length = 0;
      for (const [method, path] of [
        ["GET", OPENAI],
        ["PUT", DASHSCOPE],
        ["DELETE", OPENAI],
        ["POST", "/compatible-mode/v1/embeddings"],
        ["POST", "/api/v1/services/aigc/text-generation/generation"],
        ["GET", "/v1/models"],
        ["GET", "/__mock/requests"],
        // (Next.js redirects `/api/relay/` to `/api/relay` before any route.)
        ["GET", prefix ? "/index.html" : "/"],
      ]) {
        const res = await call(r, path, { method, body: method === "GET" ? undefined : "{}" });
        assert.equal(res.status, 404, `${method} ${path}`);
        const err = res.json();
        assert.equal(err.code, "NotFound");
        assert.match(err.message, /compatible-mode\/v1\/chat\/completions/);
        assert.equal(res.headers.get("x-request-id"), err.request_id);
        assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
      }
      assert.equal(stub.seen.length, 0);
      const health = await call(r, "/healthz", { method: "GET", origin: null });
      assert.equal(health.status, 200);
      assert.equal(health.text, "ok\n");
      const notGet = await call(r, "/healthz", { method: "POST", body: "" });
      assert.equal(notGet.status, 405);
      assert.equal(notGet.headers.get("allow"), "GET,HEAD");
      const config = await call(r, "/config", { method: "GET" });
      assert.equal(config.status, 200);
      assert.match(config.headers.get("content-type"), /^application\/json/);
      const c = config.json();
      assert.equal(c.region, "intl");
      assert.deepEqual(c.protocols, ["openai", "dashscope"]);
      assert.equal(c.mock, false);
      assert.ok(c.models.includes("qvq-max") && !c.models.includes("qwen3-vl-flash-us"), JSON.stringify(c.models));

      // Relay-made errors in each protocol's shape.
      const r2 = await relay({ upstream: stub.url });
      const oa = await call(r2, OPENAI, { origin: null, body: openaiBody("qwen3-vl-plus") });
      assert.equal(oa.status, 403);
      const e1 = oa.json();
      assert.deepEqual(Object.keys(e1), ["error", "id", "request_id"]);
      assert.deepEqual(Object.keys(e1.error), ["message", "type", "param", "code"]);
      assert.equal(e1.error.param, null);
      assert.equal(e1.error.code, "access_denied");
      assert.equal(e1.id, `chatcmpl-${e1.request_id}`);
      assert.equal(oa.headers.get("x-request-id"), e1.request_id);
      assert.match(oa.headers.get("content-type"), /^application\/json/);
      const ds = await call(r2, DASHSCOPE, { origin: null, body: dashscopeBody("qwen3-vl-plus") });
      const e2 = ds.json();
      assert.deepEqual(Object.keys(e2), ["code", "message", "request_id"]);
      assert.equal(e2.code, "AccessDenied");
    });

    test("/config lists the region's models, or the allow-list", async () => {
      const us = await relay({ upstream: stub.url, region: "us" });
      const c = (await call(us, "/config", { method: "GET" })).json();
      assert.equal(c.region, "us");
      assert.ok(c.models.includes("qwen3-vl-flash-us"));
      assert.ok(!c.models.includes("qvq-max"), "QVQ is not served in us");
      assert.ok(!c.models.includes("qwen3-vl-plus-2025-12-19"));
    });

    test("CORS: listed origins only, preflights included; exposed headers; refusals never reach the upstream", async () => {
      const r = await relay({ upstream: fast.url });
      await fast.clear();
      const preflight = (origin) =>
        fetch(r.base + OPENAI, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,authorization,x-dashscope-sse,accept",
          },
        });
      const ok = await preflight(ORIGIN);
      assert.ok(ok.status >= 200 && ok.status < 300, `preflight ${ok.status}`);
      assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
      const allowed = ok.headers.get("access-control-allow-headers").toLowerCase();
      for (const name of ["content-type", "authorization", "x-dashscope-sse", "accept", "x-dashscope-workspace", "x-dashscope-datainspection"]) {
        assert.ok(allowed.includes(name), `${name} not in ${allowed}`);
      }
      assert.ok(!allowed.includes("x-mock-fault"), "mock headers only in mock mode");
      assert.ok(ok.headers.get("access-control-allow-methods").includes("POST"));
      assert.equal(ok.headers.get("access-control-max-age"), "600");
      assert.match(ok.headers.get("vary") ?? "", /origin/i);
      // The origin is compared case-insensitively and without a trailing slash.
      const loose = await preflight(ORIGIN.toUpperCase().replace("HTTP://", "http://") + "/");
      assert.equal(loose.status, 200);

      const denied = await preflight("https://other.example");
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.get("access-control-allow-origin"), null);

      const post = await call(r, OPENAI, { origin: "https://other.example", body: openaiBody("qwen3-vl-plus") });
      assert.equal(post.status, 403);
      assert.equal(post.headers.get("access-control-allow-origin"), null);
      assert.equal(post.json().error.code, "access_denied");
      const nul = await call(r, OPENAI, { origin: "null", body: openaiBody("qwen3-vl-plus") });
      assert.equal(nul.status, 403, "a sandboxed page's `null` origin is refused");

      const good = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus") });
      assert.equal(good.status, 200);
      assert.equal(good.headers.get("access-control-allow-origin"), ORIGIN);
      const exposed = good.headers.get("access-control-expose-headers").toLowerCase();
      for (const name of ["x-request-id", "x-dashscope-request-id", "retry-after"]) assert.ok(exposed.includes(name), exposed);
      assert.equal((await fast.requests()).length, 1, "refused requests never reach the upstream");
    });

    test("requests without an Origin are refused unless allowNoOrigin", async () => {
      const r = await relay({ upstream: fast.url });
      const res = await call(r, OPENAI, { origin: null, body: openaiBody("qwen3-vl-plus") });
      assert.equal(res.status, 403);
      assert.match(res.json().error.message, /allow-no-origin/);
      const open = await relay({ upstream: fast.url, allowNoOrigin: true });
      const ok = await call(open, OPENAI, { origin: null, body: openaiBody("qwen3-vl-plus") });
      assert.equal(ok.status, 200);
      assert.ok(events(ok.text).length > 3);
    });

    test("bodies over maxBodyBytes get 413, with and without Content-Length, and reach nothing", async () => {
      await fast.clear();
      const r = await relay({ upstream: fast.url, maxBodyBytes: 4096 });
      const big = openaiBody("qwen3-vl-plus", { messages: [{ role: "user", content: "x".repeat(10_000) }] });
      const refused = (path, body, headers) => call(r, path, { body, headers });
      const res = await refused(OPENAI, big);
      assert.equal(res.status, 413);
      assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
      assert.equal(res.json().error.code, "request_too_large");
      const chunks = Array.from({ length: 10 }, () => new TextEncoder().encode(" ".repeat(1000)));
      const stream = new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      });
      const chunked = await refused(DASHSCOPE, stream, { "content-type": "application/json" });
      assert.equal(chunked.status, 413);
      assert.equal(chunked.json().code, "RequestTooLarge");
      // The same cap when the JSON must be read (allowModels / maxTokens).
      const reading = await relay({ upstream: fast.url, maxBodyBytes: 4096, maxTokens: 100 });
      assert.equal((await call(reading, OPENAI, { body: big })).status, 413);
      const fits = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus") });
      assert.equal(fits.status, 200);
      const reqs = await fast.requests();
      assert.equal(reqs.length, 1, `only the small request reached the mock: ${reqs.length}`);
    });

    test("the client token is checked, compared exactly, then replaced by the key", async () => {
      const r = await relay({ upstream: stub.url, clientToken: "page-token-1" });
      stub.seen.length = 0;
      for (const auth of [undefined, "Bearer wrong", "page-token-1", "Bearer page-token-12", "Bearer page-token-", "bearer page-token-1"]) {
        const res = await call(r, OPENAI, { headers: auth ? { authorization: auth } : {}, body: openaiBody("qwen3-vl-plus") });
        assert.equal(res.status, 401, String(auth));
        assert.equal(res.json().error.code, "invalid_api_key");
        assert.ok(!res.text.includes("page-token-1"), "the token is not echoed");
      }
      assert.equal(stub.seen.length, 0);
      const ok = await call(r, OPENAI, { headers: { authorization: "Bearer page-token-1" }, body: openaiBody("qwen3-vl-plus") });
      assert.equal(ok.status, 200);
      assert.equal(stub.seen[0].headers.authorization, `Bearer ${KEY}`);
      const ds = await call(r, DASHSCOPE, { body: dashscopeBody("qwen3-vl-plus") });
      assert.equal(ds.status, 401);
      assert.equal(ds.json().code, "InvalidApiKey");
    });

    test("allowModels refuses other models in both protocols and is what /config offers", async () => {
      await fast.clear();
      const r = await relay({ upstream: fast.url, allowModels: ["qwen3-vl-flash"] });
      const res = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus") });
      assert.equal(res.status, 403);
      assert.match(res.json().error.message, /qwen3-vl-flash/);
      const ds = await call(r, DASHSCOPE, { body: dashscopeBody("qvq-max") });
      assert.equal(ds.status, 403);
      assert.equal(ds.json().code, "Model.AccessDenied");
      const bad = await call(r, OPENAI, { body: "{not json" });
      assert.equal(bad.status, 400);
      assert.equal(bad.json().error.code, "invalid_parameter_error");
      assert.equal((await fast.requests()).length, 0);
      const ok = await call(r, OPENAI, { body: openaiBody("qwen3-vl-flash") });
      assert.equal(ok.status, 200);
      const config = (await call(r, "/config", { method: "GET" })).json();
      assert.deepEqual(config.models, ["qwen3-vl-flash"]);
      assert.equal(config.region, "intl");
    });

    test("maxTokens caps max_tokens and thinking_budget in both protocols, and adds them", async () => {
      await fast.clear();
      const r = await relay({ upstream: fast.url, maxTokens: 64 });
      const res = await call(r, OPENAI, {
        body: openaiBody("qwen3-vl-plus", { enable_thinking: true, max_tokens: 100000, thinking_budget: 30 }),
      });
      assert.equal(res.status, 200);
      const usage = events(res.text).at(-1).usage;
      assert.equal(usage.completion_tokens_details.reasoning_tokens, 30);
      const ds = await call(r, DASHSCOPE, { headers: { "x-dashscope-sse": "enable" }, body: dashscopeBody("qwen3-vl-8b-thinking") });
      const last = events(ds.text).at(-1);
      assert.equal(last.usage.output_tokens_details.reasoning_tokens, 64);
      assert.ok(last.usage.output_tokens_details.text_tokens <= 64);
      assert.equal(last.output.choices[0].finish_reason, "length");
      const qvq = await call(r, DASHSCOPE, { headers: { "x-dashscope-sse": "enable" }, body: dashscopeBody("qvq-max") });
      assert.equal(qvq.status, 200, "QVQ never gets a thinking_budget it would refuse");
      const plain = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus", { max_completion_tokens: 5000, max_tokens: -1 }) });
      assert.equal(plain.status, 200);
      const reqs = await fast.requests();
      assert.equal(reqs[0].body.max_tokens, 64);
      assert.equal(reqs[0].body.thinking_budget, 30);
      assert.equal(reqs[1].body.parameters.max_tokens, 64);
      assert.equal(reqs[1].body.parameters.thinking_budget, 64);
      assert.equal(reqs[2].body.parameters.max_tokens, 64);
      assert.equal(reqs[2].body.parameters.thinking_budget, undefined);
      assert.equal(reqs[3].body.max_completion_tokens, 64);
      assert.equal(reqs[3].body.max_tokens, 64);
      assert.equal(reqs[3].body.thinking_budget, undefined, "no budget for a hybrid model not thinking");
    });

    test("per-client rate and stream limits answer 429 with Retry-After", async () => {
      const mock = await startMock({ allowNoOrigin: true, tokensPerSecond: 20 });
      try {
        const r = await relay({ upstream: mock.url, rateLimit: 2 });
        const send = () => call(r, OPENAI, { body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) });
        assert.equal((await send()).status, 200);
        assert.equal((await send()).status, 200);
        const res = await send();
        assert.equal(res.status, 429);
        // 2 per minute: the next token in (just under) 30 s.
        const wait = Number(res.headers.get("retry-after"));
        assert.ok(wait >= 25 && wait <= 30, String(wait));
        assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
        assert.equal(res.json().error.code, "limit_requests");

        const s = await relay({ upstream: mock.url, maxStreamsPerClient: 1 });
        const abort = new AbortController();
        const open = await call(s, OPENAI, { body: openaiBody("qwen3-vl-plus", { enable_thinking: true }), keep: false, signal: abort.signal });
        assert.equal(open.status, 200);
        const second = await call(s, OPENAI, { body: openaiBody("qwen3-vl-plus") });
        assert.equal(second.status, 429);
        assert.equal(second.headers.get("retry-after"), "2");
        assert.match(second.json().error.message, /concurrent streams/);
        abort.abort();
        // The slot frees once the first stream's body is gone.
        const freed = await until(async () => (await call(s, OPENAI, { body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) })).status === 200, 10_000, 100);
        assert.ok(freed, "slot never freed");
        // A finished stream frees its slot too.
        const again = await call(s, OPENAI, { body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) });
        assert.equal(again.status, 200);
      } finally {
        await mock.stop();
      }
    });

    test("X-Forwarded-For decides the client only when trusted (its right-most entry)", async () => {
      const r = await relay({ upstream: fast.url, rateLimit: 1, trustForwardedFor: true });
      for (const [xff, status] of [
        ["1.1.1.1", 200],
        ["2.2.2.2", 200],
        ["9.9.9.9, 1.1.1.1", 429],
        ["1.1.1.1, 3.3.3.3", 200],
      ]) {
        const res = await call(r, OPENAI, { headers: { "x-forwarded-for": xff }, body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) });
        assert.equal(res.status, status, xff);
      }
      const untrusted = await relay({ upstream: fast.url, rateLimit: 1 });
      assert.equal((await call(untrusted, OPENAI, { headers: { "x-forwarded-for": "4.4.4.4" }, body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) })).status, 200);
      const spoof = await call(untrusted, OPENAI, { headers: { "x-forwarded-for": "5.5.5.5" }, body: openaiBody("qwen3-vl-plus", { max_tokens: 1 }) });
      assert.equal(spoof.status, 429, "an untrusted X-Forwarded-For does not buy a new limit");
    });

    test("limits are per client address (peer address)", async () => {
      const r = await relay({ upstream: fast.url, rateLimit: 1 });
      const url = r.base + OPENAI;
      const headers = { origin: ORIGIN, "content-type": "application/json" };
      const body = JSON.stringify(openaiBody("qwen3-vl-plus", { max_tokens: 1 }));
      const a1 = await postFrom("127.0.0.2", url, headers, body);
      const a2 = await postFrom("127.0.0.2", url, headers, body);
      const b1 = await postFrom("127.0.0.3", url, headers, body);
      assert.equal(a1.status, 200);
      assert.equal(a2.status, 429);
      if (target.lacks.peerAddress) {
        // lacks.peerAddress: no peer address, so one limit for everyone.
        assert.equal(b1.status, 429, `${target.name} ${target.lacks.peerAddress}`);
      } else {
        assert.equal(b1.status, 200, "another address has its own limit");
      }
    });

    test("an upstream slower than upstreamTimeoutMs gives 504; an unreachable one 502 with a log line", async () => {
      const silent = await silentUpstream();
      try {
        const r = await relay({ upstream: silent.url, upstreamTimeoutMs: 1000 });
        const t0 = performance.now();
        const res = await call(r, OPENAI, { body: openaiBody("qwen3-vl-plus") });
        assert.equal(res.status, 504);
        assert.equal(res.json().error.code, "gateway_timeout");
        assert.ok(performance.now() - t0 >= 900);
      } finally {
        silent.close();
      }
      const dead = await relay({ upstream: `http://127.0.0.1:${await closedPort()}` });
      const res = await call(dead, DASHSCOPE, { body: dashscopeBody("qwen3-vl-plus") });
      assert.equal(res.status, 502);
      assert.equal(res.json().code, "BadGateway");
      const logged = await until(() => /upstream[ -]error/.test(dead.output()), 5000);
      assert.ok(logged, `an 'upstream error' line names the failure: ${dead.output()}`);
      assert.match(dead.output(), new RegExp(`upstream[ -]error.*${new URL(dead.upstream).host}`));
    });

    test("upstream errors pass through with their status and body", async () => {
      // The relay forwards no X-Mock-* header, so the mock's errors come
      // from what the request itself asks: an unknown model, a bad parameter.
      const mr = await relay({ upstream: fast.url });
      const res = await call(mr, OPENAI, { body: openaiBody("no-such-model") });
      assert.equal(res.status, 404);
      assert.equal(res.json().error.code, "model_not_found");
      assert.equal(res.headers.get("cache-control"), "no-cache");
      const ds = await call(mr, DASHSCOPE, { headers: { "x-dashscope-sse": "enable" }, body: dashscopeBody("qvq-max", { incremental_output: false }) });
      assert.equal(ds.status, 400);
      assert.match(ds.json().message, /incremental_output/);
    });

    test("the key appears in no response and no log line; bodies are never logged", async () => {
      await fast.clear();
      const r = await relay({ upstream: fast.url, allowModels: ["qwen3-vl-plus"] });
      for (const [path, body] of [
        [OPENAI, openaiBody("qwen3-vl-plus", { enable_thinking: true })],
        [OPENAI, openaiBody("qvq-max")],
        [DASHSCOPE, dashscopeBody("nope")],
        ["/nowhere", {}],
      ]) {
        await call(r, path, { headers: { authorization: "Bearer whatever" }, body });
      }
      await call(r, "/config", { method: "GET" });
      const dead = await relay({ upstream: `http://127.0.0.1:${await closedPort()}` });
      assert.equal((await call(dead, OPENAI, { body: openaiBody("qwen3-vl-plus") })).status, 502);
      await sleep(200);
      const out = r.output() + dead.output();
      const lines = out.split("\n").filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
      assert.ok(lines.length >= 6, out);
      assert.ok(lines.some((l) => l.includes(` POST ${prefix}/compatible-mode/v1/chat/completions 200 `)), out);
      assert.ok(/upstream[ -]error/.test(out), out);
      for (const text of [out, responses.join("\n")]) {
        assert.ok(!text.includes(KEY), "the key leaked");
        assert.ok(!text.includes(KEY.slice(3, 20)), "part of the key leaked");
        assert.ok(!text.includes("Find angle"), "a body was logged or echoed");
      }
      const reqs = await fast.requests();
      assert.equal(reqs[0].headers.authorization, "[redacted]");
      logs.push(out);
    });

    test("one log line per request with method, path (no query), status, duration, bytes, request id", async () => {
      const r = await relay({ upstream: fast.url });
      await call(r, `${OPENAI}?secret=query-text`, { body: openaiBody("qwen3-vl-plus") });
      await call(r, "/healthz", { method: "GET" });
      const out = await until(() => (r.output().match(/^\d{4}-.*$/gm) ?? []).length >= 2 && r.output(), 5000);
      const lines = out.match(/^\d{4}-.*$/gm);
      const api = lines.find((l) => l.includes(" POST "));
      const path = `${prefix}/compatible-mode/v1/chat/completions`.replaceAll("/", "\\/");
      assert.match(api, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z POST ${path} 200 \\d+ms \\d+B rid=[\\w-]+ `));
      assert.ok(!out.includes("query-text"), "the query is never logged");
      assert.ok(lines.some((l) => l.includes(` GET ${prefix}/healthz 200 `)));
    });
  });
}

/** A loopback port nothing listens on (connections are refused). */
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** An upstream that accepts connections and never answers; counts them. */
function silentUpstream() {
  const sockets = new Set();
  let opened = 0;
  let closed = 0;
  let firstClosed;
  let received = 0;
  let busy; // the first connection that carried a request
  const server = net.createServer((c) => {
    opened += 1;
    sockets.add(c);
    c.on("error", () => {});
    c.on("data", (d) => {
      received += d.length;
      busy ??= c;
    });
    c.on("close", () => {
      closed += 1;
      if (c === busy) firstClosed = performance.now();
      sockets.delete(c);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        opened: () => opened,
        closed: () => closed,
        firstClosed: () => firstClosed,
        received: () => received,
        close() {
          for (const c of sockets) c.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** The launchers' own behaviour (Rust binary and the JS CLI): the listening line, flags, SIGTERM. */
export function launcherConformance(target, { spawnWith }) {
  describe(`relay launcher: ${target.name}`, () => {
    test("SIGTERM stops new connections and lets an open stream finish", async () => {
      const mock = await startMock({ allowNoOrigin: true, tokensPerSecond: 200 });
      const r = await target.start({ upstream: mock.url, allowOrigins: [ORIGIN], shutdownGraceSeconds: 10 });
      try {
        const res = await fetch(r.url + OPENAI, {
          method: "POST",
          headers: { origin: ORIGIN, "content-type": "application/json" },
          body: JSON.stringify(openaiBody("qwen3-vl-plus", { enable_thinking: true })),
        });
        assert.equal(res.status, 200);
        r.process.kill("SIGTERM");
        const text = await res.text();
        assert.ok(text.endsWith("data: [DONE]\n\n"), "the stream finished");
        const { code } = await r.exited;
        assert.equal(code, 0);
        assert.match(r.output(), /shutting down/);
        await assert.rejects(fetch(r.url + "/healthz"), "no new connections after the drain");
      } finally {
        await r.stop();
        await mock.stop();
      }
    });

    test("--static serves a folder whose pages call the relay same-origin", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "vr-static-"));
      writeFileSync(path.join(dir, "index.html"), "<h1>demo</h1>");
      const mock = await startMock({ allowNoOrigin: true });
      const r = await target.start({ upstream: mock.url, staticDir: dir });
      try {
        const page = await fetch(`${r.url}/`);
        assert.equal(page.status, 200);
        assert.equal(await page.text(), "<h1>demo</h1>");
        assert.match(page.headers.get("content-type"), /^text\/html/);
        assert.equal((await fetch(`${r.url}/missing.js`)).status, 404);
        const traversal = await raw(r.url, "GET /../package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert.match(traversal, /^HTTP\/1\.1 400/);
        const post = (origin) =>
          fetch(r.url + OPENAI, { method: "POST", headers: { origin, "content-type": "application/json" }, body: JSON.stringify(openaiBody("qwen3-vl-plus")) });
        const same = await post(r.url);
        assert.equal(same.status, 200, "the page's own origin may call");
        await same.text();
        assert.equal((await post("http://elsewhere.example")).status, 403);
      } finally {
        await r.stop();
        await mock.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("a missing key, a '*' origin and an unknown flag are refused at start", async () => {
      for (const [args, env, why] of [
        [["--listen", "127.0.0.1:0"], { DASHSCOPE_API_KEY: "" }, /DASHSCOPE_API_KEY/],
        [["--listen", "127.0.0.1:0", "--allow-origin", "*"], {}, /\*/],
        [["--listen", "127.0.0.1:0", "--no-such-flag"], {}, /no-such-flag|unexpected|unknown/i],
      ]) {
        const { code, output } = await spawnWith(args, env);
        assert.notEqual(code, 0, args.join(" "));
        assert.match(output, why);
        assert.ok(!output.includes(KEY));
      }
    });
  });
}
