// Shared by the Node contract tests (tests/node/*.test.mjs). Not a test file
// itself: `node --test tests/node/` only picks up *.test.mjs.
//
// The tests load the real built package (pkg/) and talk to the real mock
// upstream (the relay in --mock mode) over 127.0.0.1; fetch is never mocked,
// so what the mock records in /__mock/requests is what went over the wire.
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PKG_DIR = path.join(ROOT, "pkg");

export const PROTOCOLS = ["openai", "dashscope"];
export const PATHS = {
  openai: "/compatible-mode/v1/chat/completions",
  dashscope: "/api/v1/services/aigc/multimodal-generation/generation",
};

let pkgPromise;
/** The loaded package, once loadPkg() has run (assertLibError checks its classes). */
let loaded;
/** The built package, initialised as docs/usage.md says for Node: `await init()`, which reads the .wasm from disk. */
export function loadPkg() {
  pkgPromise ??= (async () => {
    const mod = await import(pathToFileURL(path.join(PKG_DIR, "visual_reasoning.js")).href);
    await mod.default();
    loaded = mod;
    return mod;
  })();
  return pkgPromise;
}

let counter = 0;
/** A tag unique to one test request; sent as X-Mock-Id so the mock's log can be filtered per test. */
export function uid(label = "t") {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}

/** Client options pointing at the mock with the given fault and id headers. */
export function mockOptions(mock, protocol, { id, fault, reasoningTokens, answerTokens, headers, ...rest } = {}) {
  const h = { ...(headers ?? {}) };
  if (id) h["X-Mock-Id"] = id;
  if (fault) h["X-Mock-Fault"] = fault;
  if (reasoningTokens !== undefined) h["X-Mock-Reasoning-Tokens"] = String(reasoningTokens);
  if (answerTokens !== undefined) h["X-Mock-Answer-Tokens"] = String(answerTokens);
  return { baseUrl: mock.url, protocol, headers: h, ...rest };
}

/** A plain thinking request on a hybrid model. */
export function thinkingRequest(extra = {}) {
  return {
    model: "qwen3-vl-plus",
    enableThinking: true,
    messages: [{ role: "user", content: "What is 2 + 2?" }],
    ...extra,
  };
}

export function lowerKeys(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** The mock's records for one X-Mock-Id, oldest first. */
export async function requestsFor(mock, id) {
  const all = await mock.requests();
  return all.filter((r) => r.mockId === id).map((r) => ({ ...r, headers: lowerKeys(r.headers) }));
}

/**
 * Waits until every record of `id` has left "pending" (the server noticed the
 * end of the exchange) and at least `count` records exist; returns them.
 */
export async function settledRequests(mock, id, { count = 1, timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let recs = [];
  for (;;) {
    recs = await requestsFor(mock, id);
    if (recs.length >= count && recs.every((r) => r.outcome !== "pending")) return recs;
    if (Date.now() > deadline) return recs;
    await sleep(50);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Iterates a stream to its end, recording each part and the live properties
 * seen right after it arrived.
 */
export async function consume(stream, onPart) {
  const parts = [];
  const snapshots = [];
  for await (const p of stream) {
    parts.push(p.type === "usage" ? { type: p.type, usage: { ...p.usage } } : { type: p.type, text: p.text });
    snapshots.push({
      reasoning: stream.reasoning,
      answer: stream.answer,
      usage: stream.usage === undefined ? undefined : { ...stream.usage },
    });
    if (onPart) await onPart(p, parts.length - 1);
  }
  return { parts, snapshots };
}

/** API.md "Streaming": the invariants every finished stream must satisfy. */
export function assertStreamInvariants(stream, parts, snapshots) {
  let reasoning = "";
  let answer = "";
  let usageSeen = 0;
  let lastText = -1;
  let usageIndex = -1;
  let sawAnswer = false;
  parts.forEach((p, i) => {
    assert.ok(["reasoning", "answer", "usage"].includes(p.type), `part ${i} has type ${p.type}`);
    if (p.type === "usage") {
      usageSeen += 1;
      usageIndex = i;
      assertUsageShape(p.usage);
      return;
    }
    assert.equal(typeof p.text, "string", `part ${i} text is a string`);
    assert.ok(p.text.length > 0, `part ${i} (${p.type}) is empty: API.md says parts are never empty`);
    lastText = i;
    if (p.type === "reasoning") {
      // The mock (like the service) sends all thinking before the answer, so
      // arrival order means no reasoning part after an answer part.
      assert.ok(!sawAnswer, `reasoning part ${i} came after an answer part: parts must keep arrival order`);
      reasoning += p.text;
    } else {
      sawAnswer = true;
      answer += p.text;
    }
    // "all reasoning text received so far": the live property holds at least
    // everything delivered as parts up to now.
    assert.ok(snapshots[i].reasoning.startsWith(reasoning), `stream.reasoning after part ${i} lacks delivered text`);
    assert.ok(snapshots[i].answer.startsWith(answer), `stream.answer after part ${i} lacks delivered text`);
  });
  assert.ok(usageSeen <= 1, `usage part came ${usageSeen} times; at most once`);
  if (usageSeen === 1) assert.ok(usageIndex > lastText, "the usage part must come after the last text part");
  assert.equal(reasoning, stream.reasoning, "concatenated reasoning parts == stream.reasoning");
  assert.equal(answer, stream.answer, "concatenated answer parts == stream.answer");
  return { reasoning, answer, usageSeen };
}

export function assertUsageShape(u) {
  assert.ok(u && typeof u === "object", "usage is an object");
  for (const k of ["inputTokens", "outputTokens", "totalTokens"]) {
    assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `usage.${k} is a non-negative integer (got ${u[k]})`);
  }
  for (const k of ["reasoningTokens", "imageTokens", "videoTokens"]) {
    if (u[k] !== undefined) assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `usage.${k} is an integer when present`);
  }
  if (u.raw !== undefined) assert.ok(u.raw && typeof u.raw === "object" && !Array.isArray(u.raw), "usage.raw is an object");
}

/** Awaits a promise that must reject; returns the rejection. */
export async function rejection(promise, what = "promise") {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail(`${what} resolved; expected a rejection`);
}

/** Runs fn, which must throw synchronously; returns the thrown value. */
export function thrown(fn, what = "call") {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail(`${what} did not throw synchronously`);
}

/** Iterates to the end and returns what the iteration threw (it must throw). */
export async function iterationError(stream) {
  const seen = [];
  try {
    for await (const p of stream) seen.push(p);
  } catch (e) {
    return { error: e, parts: seen };
  }
  assert.fail(`iteration finished normally after ${seen.length} parts; expected an error`);
}

/**
 * API.md "Errors": an Error object with the library's fields, an instance
 * of its class (API.md "Additions": ApiError… extending VisualReasoningError).
 */
export function assertLibError(err, name, { status, code, retryable } = {}) {
  assert.ok(err instanceof Error, `expected an Error, got ${Object.prototype.toString.call(err)}: ${String(err)}`);
  assert.equal(err.name, name, `error name (message: ${err.message})`);
  if (loaded) {
    assert.ok(err instanceof loaded[name], `an instance of ${name} (message: ${err.message})`);
    assert.ok(err instanceof loaded.VisualReasoningError, "an instance of VisualReasoningError");
    assert.ok(loaded[name].isInstance(err) && loaded.VisualReasoningError.isInstance(err), "isInstance");
  }
  assert.equal(typeof err.message, "string");
  assert.ok(err.message.length > 0, "error message is not empty");
  assert.equal(typeof err.retryable, "boolean", "retryable is a boolean");
  if (status !== undefined) assert.equal(err.status, status, `status (message: ${err.message})`);
  if (code !== undefined) assert.equal(err.code, code, `code (message: ${err.message})`);
  if (retryable !== undefined) assert.equal(err.retryable, retryable, `retryable (message: ${err.message})`);
  if (err.status !== undefined) assert.ok(Number.isInteger(err.status), "status is an integer when present");
  if (err.code !== undefined) assert.equal(typeof err.code, "string", "code is a string when present");
  if (err.requestId !== undefined) assert.equal(typeof err.requestId, "string", "requestId is a string when present");
}

/** `partial` is a Result of what came; it must hold the text delivered before the error. */
export function assertPartial(err, stream) {
  assert.ok(err.partial && typeof err.partial === "object", `${err.name} after text arrived must carry partial`);
  const p = err.partial;
  assert.equal(typeof p.reasoning, "string");
  assert.equal(typeof p.answer, "string");
  assert.equal(typeof p.model, "string");
  assert.ok(p.reasoning.length + p.answer.length > 0, "partial keeps the text that arrived");
  if (stream) {
    assert.equal(p.reasoning, stream.reasoning, "partial.reasoning == stream.reasoning");
    assert.equal(p.answer, stream.answer, "partial.answer == stream.answer");
  }
}

// Provider codes the mock answers per status (mock-contract.md, PROTOCOL.md §5).
export const CODES = {
  dashscope: { 400: "InvalidParameter", 401: "InvalidApiKey", 403: "AccessDenied", 404: "ModelNotFound", 429: "Throttling.RateQuota", 500: "InternalError", 503: "ModelUnavailable" },
  openai: { 400: "invalid_parameter_error", 401: "invalid_api_key", 403: "access_denied", 404: "model_not_found" },
};

/**
 * A tiny recording HTTP server for what the mock cannot show: exact
 * Authorization values (the mock redacts them) and paths under a prefix
 * (the mock only answers its own paths). It answers every POST with a short,
 * well-formed stream of the protocol the path names.
 */
export async function startCaptureServer() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method, path: req.url, headers: { ...req.headers }, body });
      const dashscope = req.url.includes("/api/v1/");
      if (req.url.startsWith("/noid/")) {
        // No id in the body: the request id is only in a response header.
        const header = dashscope ? "x-dashscope-request-id" : "x-request-id";
        res.writeHead(200, { "content-type": "text/event-stream", [header]: "hdr-req-1" });
        res.end(
          dashscope
            ? 'data:{"output":{"choices":[{"message":{"content":[{"text":"ok"}],"role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}\n\n'
            : 'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
        );
        return;
      }
      if (req.headers.accept && !req.headers.accept.includes("text/event-stream")) {
        res.writeHead(200, { "content-type": "application/json", "x-request-id": "cap-1" });
        res.end(
          dashscope
            ? JSON.stringify({ output: { choices: [{ message: { role: "assistant", content: [{ text: "ok" }] }, finish_reason: "stop" }] }, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 }, request_id: "cap-1" })
            : JSON.stringify({ id: "chatcmpl-cap-1", object: "chat.completion", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "cap-1" });
      if (dashscope) {
        res.end(
          'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":{"content":[{"text":"ok"}],"role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2},"request_id":"cap-1"}\n\n',
        );
      } else {
        res.end(
          'data: {"id":"chatcmpl-cap-1","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}\n\n' +
            'data: {"id":"chatcmpl-cap-1","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}\n\n' +
            'data: {"id":"chatcmpl-cap-1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n' +
            "data: [DONE]\n\n",
        );
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    seen,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** A port on which nothing listens (bound, then released). */
export async function closedPort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Every string reachable from a thrown value, to look for a leaked key. */
export function everyRendering(err) {
  const out = [String(err)];
  try {
    out.push(JSON.stringify(err));
  } catch (e) {
    out.push(`unserialisable: ${e}`);
  }
  if (err && typeof err === "object") {
    out.push(String(err.stack ?? ""), String(err.message ?? ""));
    for (const k of Object.getOwnPropertyNames(err)) {
      try {
        const v = err[k];
        out.push(k, typeof v === "object" ? JSON.stringify(v) : String(v));
      } catch {
        /* a getter that throws has nothing to leak */
      }
    }
    if (err.cause !== undefined) out.push(...everyRendering(err.cause));
  }
  return out.join("\n");
}
