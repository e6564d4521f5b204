// API.md "Endpoints": URLs built from baseUrl, the headers sent, the
// Authorization rule, and the API key never leaking into anything thrown or
// logged.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  PATHS, PROTOCOLS, closedPort, consume, everyRendering, iterationError, loadPkg, mockOptions,
  rejection, requestsFor, startCaptureServer, thinkingRequest, thrown, uid,
} from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
let capture;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
  capture = await startCaptureServer();
});
after(async () => {
  await mock?.stop();
  await capture?.stop();
});

// Headers a user agent adds on its own (Node's undici here); everything else
// must come from the library's allowlist or the caller.
const AGENT_HEADERS = new Set([
  "host", "connection", "content-length", "transfer-encoding", "user-agent",
  "accept-language", "accept-encoding", "sec-fetch-mode",
]);
const LIBRARY_HEADERS = new Set(["content-type", "accept", "authorization", "x-dashscope-sse"]);

for (const protocol of PROTOCOLS) {
  describe(`endpoints (${protocol})`, () => {
    const roots = protocol === "openai" ? ["/compatible-mode/v1", "/compatible-mode/v1/"] : ["/api/v1", "/api/v1/"];
    const variants = [
      ["the bare origin", ""],
      ["a trailing slash", "/"],
      ...roots.map((r) => [`the protocol root ${r}`, r]),
    ];
    for (const [label, suffix] of variants) {
      test(`baseUrl with ${label} posts to ${PATHS[protocol]}`, async () => {
        const id = uid("ep");
        const client = new Client(mockOptions(mock, protocol, { id, baseUrl: mock.url + suffix }));
        const result = await client.stream(thinkingRequest()).result();
        assert.equal(result.finishReason, "stop");
        const [rec, ...more] = await requestsFor(mock, id);
        assert.equal(more.length, 0, "one request");
        assert.equal(rec.method, "POST");
        assert.equal(rec.path, PATHS[protocol]);
      });
    }

    test("a path prefix in baseUrl is kept (with and without trailing slash)", async () => {
      for (const base of [`${capture.url}/qwen`, `${capture.url}/qwen/`, `${capture.url}/a/b`]) {
        capture.seen.length = 0;
        const client = new Client({ baseUrl: base, protocol, maxRetries: 0 });
        const r = await client.stream(thinkingRequest()).result();
        assert.equal(r.answer, "ok");
        const prefix = new URL(base).pathname.replace(/\/$/, "");
        assert.deepEqual(capture.seen.map((s) => s.path), [prefix + PATHS[protocol]], `baseUrl ${base}`);
      }
    });

    test("a prefixed protocol root is taken as the root", async () => {
      capture.seen.length = 0;
      const root = protocol === "openai" ? "/qwen/compatible-mode/v1" : "/qwen/api/v1";
      const client = new Client({ baseUrl: capture.url + root, protocol, maxRetries: 0 });
      await client.stream(thinkingRequest()).result();
      assert.deepEqual(capture.seen.map((s) => s.path), ["/qwen" + PATHS[protocol]]);
    });

    for (const transport of ["stream", "json"]) {
      test(`only allowed headers are sent (${transport})`, async () => {
        const id = uid("hdr");
        const client = new Client(
          mockOptions(mock, protocol, { id, apiKey: "sk-header-test", headers: { "X-Caller-Header": "yes" } }),
        );
        const r = await client.complete({ ...thinkingRequest(), transport });
        assert.equal(r.finishReason, "stop");
        const [rec] = await requestsFor(mock, id);
        const callerHeaders = new Set(["x-caller-header", "x-mock-id"]);
        for (const name of Object.keys(rec.headers)) {
          assert.ok(
            LIBRARY_HEADERS.has(name) || callerHeaders.has(name) || AGENT_HEADERS.has(name),
            `unexpected header ${name}: ${rec.headers[name]} (API.md allows only Content-Type, Accept, Authorization, X-DashScope-SSE and the caller's)`,
          );
        }
        assert.equal(rec.headers["x-caller-header"], "yes", "the caller's headers are sent");
        assert.match(rec.headers["content-type"] ?? "", /^application\/json/);
        assert.ok("authorization" in rec.headers, "Authorization sent when apiKey is set");
        if (transport === "stream") {
          assert.match(rec.headers.accept ?? "", /text\/event-stream/);
        }
        if (protocol === "dashscope" && transport === "stream") {
          assert.equal(rec.headers["x-dashscope-sse"], "enable");
        } else {
          assert.ok(!("x-dashscope-sse" in rec.headers), "X-DashScope-SSE only on dashscope streaming requests");
        }
      });
    }

    test("Authorization: Bearer KEY exactly when apiKey is set, absent otherwise", async () => {
      capture.seen.length = 0;
      await new Client({ baseUrl: capture.url, protocol, apiKey: "sk-abc123" }).stream(thinkingRequest()).result();
      await new Client({ baseUrl: capture.url, protocol }).stream(thinkingRequest()).result();
      assert.equal(capture.seen.length, 2);
      assert.equal(capture.seen[0].headers.authorization, "Bearer sk-abc123");
      assert.ok(!("authorization" in capture.seen[1].headers), "no Authorization header without apiKey");
    });

    test("a client without apiKey sends no Authorization to the mock either", async () => {
      const id = uid("noauth");
      await new Client(mockOptions(mock, protocol, { id })).stream(thinkingRequest()).result();
      const [rec] = await requestsFor(mock, id);
      assert.ok(!("authorization" in rec.headers));
    });

    test("requestId falls back to the response header when the body has none", async () => {
      const stream = new Client({ baseUrl: `${capture.url}/noid`, protocol, maxRetries: 0 }).stream(thinkingRequest());
      const r = await stream.result();
      assert.equal(r.answer, "ok");
      assert.equal(stream.requestId, "hdr-req-1");
      assert.equal(r.requestId, "hdr-req-1");
    });

    test("in Node, apiKey needs no dangerouslyAllowBrowser", () => {
      assert.doesNotThrow(() => new Client({ apiKey: "sk-node", protocol }));
    });
  });

  describe(`the API key never leaks (${protocol})`, () => {
    const KEY = "sk-LEAKCHECK-7f3e9a0b1c2d";
    const logged = [];
    let saved;
    before(() => {
      // Capture console output: API.md says the key is in no log line either.
      saved = {};
      for (const m of ["log", "info", "warn", "error", "debug", "trace"]) {
        saved[m] = console[m];
        console[m] = (...args) => {
          logged.push(args.map((a) => (typeof a === "string" ? a : everyRendering(a))).join(" "));
        };
      }
    });
    after(() => Object.assign(console, saved));

    const check = (err, label) => {
      assert.ok(err instanceof Error, `${label}: an Error`);
      const text = everyRendering(err);
      assert.ok(!text.includes(KEY), `${label}: the API key appears in the thrown ${err.name}`);
      assert.ok(!text.includes(KEY.slice(3)), `${label}: part of the API key appears in the thrown ${err.name}`);
    };

    test("in HTTP errors, stream errors, in-stream errors, timeouts, aborts, network and validation errors", async () => {
      const opts = (fault, more = {}) => mockOptions(mock, protocol, { id: uid("leak"), fault, apiKey: KEY, maxRetries: 0, ...more });
      const cases = [
        ["401", opts("status:401")],
        ["400", opts("status:400")],
        ["html", opts("html")],
        ["error-event", opts("error-event:2")],
        ["bad-json", opts("bad-json:2")],
        ["drop", opts("drop:2")],
        ["idle timeout", opts("stall:1500", { idleTimeoutMs: 200 })],
        ["header timeout", opts("stall-headers:1500", { timeoutMs: 200 })],
      ];
      for (const [label, o] of cases) {
        const { error } = await iterationError(new Client(o).stream(thinkingRequest()));
        check(error, label);
        const err2 = await rejection(new Client(o).complete(thinkingRequest()), `complete (${label})`);
        check(err2, `${label} via complete()`);
      }
      // abort
      const s = new Client(opts("stall:1500")).stream(thinkingRequest());
      setTimeout(() => s.abort(), 100);
      check((await iterationError(s)).error, "abort");
      // network failure
      const port = await closedPort();
      const net = new Client({ baseUrl: `http://127.0.0.1:${port}`, protocol, apiKey: KEY, maxRetries: 0 });
      check((await iterationError(net.stream(thinkingRequest()))).error, "network");
      // validation
      const bad = new Client({ baseUrl: mock.url, protocol, apiKey: KEY });
      check(thrown(() => bad.stream({ model: "qvq-max", enableThinking: false, messages: [{ role: "user", content: "x" }] })), "validation");
      check(await rejection(bad.complete({ model: "qvq-max", transport: "json", messages: [{ role: "user", content: "x" }] })), "validation json");
      // the constructor's own errors (a bad option) must not echo the key either
      for (const o of [{ apiKey: KEY, region: "mars" }, { apiKey: KEY, protocol: "grpc" }]) {
        try {
          new Client(o);
        } catch (e) {
          check(e, `constructor ${JSON.stringify({ ...o, apiKey: undefined })}`);
        }
      }
      // a successful stream's observable state carries no key either
      const ok = new Client(opts(undefined)).stream(thinkingRequest());
      const { parts } = await consume(ok);
      const r = await ok.result();
      assert.ok(!JSON.stringify({ parts, r }).includes(KEY));
      for (const line of logged) assert.ok(!line.includes(KEY), `the key was logged: ${line.slice(0, 200)}`);
    });
  });
}
