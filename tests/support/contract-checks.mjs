// What the contract round trips (contract.mjs) must give, wherever they ran.
// Each check fails when one side of its format changes alone: the kind
// index picks another class, a marker is read as another field (or not at
// all), a part's length prefix cuts the text elsewhere, a transport key is
// not where the transport reads it, the fit tuple's order is swapped.
import assert from "node:assert/strict";
import { NAMES, TEXTS } from "./contract.mjs";

function assertKind(d, name, label = name) {
  assert.equal(d.name, name, `${label}: ${JSON.stringify(d)}`);
  assert.ok(d.isError && d.isBase && d.isClass, `${label}: an Error, a VisualReasoningError and a ${name}: ${JSON.stringify(d)}`);
  assert.deepEqual(d.isInstance, [name], `${label}: isInstance of its own class only`);
  assert.equal(typeof d.retryable, "boolean", label);
}

export function checkKinds(r) {
  for (const name of NAMES) assertKind(r[name], name);
  // The record's fields, from the core.
  assert.equal(r.ApiError.status, 429);
  assert.equal(r.ApiError.code, "Throttling.RateQuota");
  assert.equal(typeof r.ApiError.requestId, "string");
  assert.ok(r.ApiError.requestId.length > 0);
  // The retry rule, from the core: before any body byte a 429, a network
  // failure and the headers timeout may be retried; nothing else is.
  assert.equal(r.ApiError.retryable, true);
  assert.equal(r.NetworkError.retryable, true);
  assert.equal(r.TimeoutError.retryable, true);
  assert.equal(r.AbortError.retryable, false);
  assert.equal(r.StreamError.retryable, false);
  assert.equal(r.InvalidRequestError.retryable, false);
  assertKind(r.idle, "TimeoutError", "idle timeout");
  assert.equal(r.idle.retryable, false, "inside the body: not retryable");
  assert.ok(r.idle.partial && r.idle.partial.reasoning.length > 0, "the idle timeout keeps the text");
  assert.ok(r.AbortError.partial && r.AbortError.partial.reasoning.length > 0, "abort keeps the text");
  assert.match(r.InvalidRequestError.message, /qvq-max/);
}

export function checkMarkers(r) {
  assert.equal(r.finishReason, "stop");
  const body = r.body;
  assert.ok(body, "the mock recorded the request");
  // Numbers (the `n` marker): exact, each in its field.
  assert.equal(body.temperature, 0.25);
  assert.equal(body.seed, 2147483647);
  assert.equal(body.max_tokens, 1000);
  // `extra` (the `x` marker): merged as the engine serialised it.
  assert.equal(body.top_k, 20);
  assert.deepEqual(body.nested, { big: 1e21, small: 5e-7 });
  // The Blob (the `b` marker with its type): a data: URL in its place.
  const content = body.messages.at(-1).content;
  assert.equal(content[0].type, "image_url");
  assert.equal(content[0].image_url.url, "data:image/png;base64,AQID+vs=");
  assert.equal(content[1].text, "what?");
  // The signal (`s`): the core knew of it, and it aborts.
  assertKind(r.signal, "AbortError", "an aborted signal");
  // Markers where a field does not take them: the field is named.
  for (const [k, re] of [
    ["notASignal", /signal must be an AbortSignal/],
    ["unsupported", /temperature must be a number/],
    ["extraBad", /extra must be JSON-serialisable/],
    ["extraNotObject", /extra must be an object/],
    ["blobNotImage", /video must be/],
  ]) {
    assertKind(r[k], "InvalidRequestError", k);
    assert.match(r[k].message, re, k);
  }
}

export function checkParts(r) {
  const text = (t) => r.parts.filter((p) => p.type === t).map((p) => p.text).join("");
  assert.equal(text("reasoning"), TEXTS.reasoning, "reasoning parts, exactly");
  assert.equal(text("answer"), TEXTS.answer, "answer parts, exactly");
  assert.equal(r.reasoning, TEXTS.reasoning);
  assert.equal(r.answer, TEXTS.answer);
  assert.equal(r.result.reasoning, TEXTS.reasoning);
  assert.ok(r.parts.every((p) => p.type === "usage" || p.text.length > 0), "no empty parts");
  assert.deepEqual(r.parts.at(-1), { type: "usage", total: 7 });
  assert.equal(r.parts.filter((p) => p.type === "usage").length, 1);
}

export function checkTransport(r) {
  assert.equal(r.streamed, "ok");
  assert.equal(r.json, "ok");
  assert.equal(r.records.length, 2, JSON.stringify(r.records));
  const [s, j] = r.records;
  // url: the baseUrl's prefix kept, the protocol's path after it.
  assert.equal(s.path, "/prefix/compatible-mode/v1/chat/completions");
  assert.equal(j.path, "/prefix/api/v1/services/aigc/multimodal-generation/generation");
  // headers: the library's for each transport, the key's, the caller's.
  assert.match(s.headers.accept, /text\/event-stream/);
  assert.equal(s.headers["content-type"], "application/json");
  assert.equal(s.headers.authorization, `Bearer ${r.key}`);
  assert.equal(s.headers["x-caller"], "yes");
  assert.match(j.headers.accept, /application\/json/);
  assert.equal(j.headers.authorization, undefined);
  assert.equal(j.headers["x-dashscope-sse"], undefined);
  // maxRetries: one retry of a 503, then the answer; none with 0.
  assert.deepEqual(r.retried, { finishReason: "stop", requests: 2 });
  assert.equal(r.noRetry.requests, 1);
  assert.equal(r.noRetry.error.status, 503);
  assert.equal(r.noRetry.error.retryable, true);
}

export function checkFit(r) {
  for (const [label, f] of Object.entries(r)) {
    assert.ok(f.width * f.height <= f.maxPixels, `${label}: ${f.width}×${f.height} fits ${f.maxPixels}`);
    assert.ok(f.width * f.height > f.maxPixels / 2, `${label}: not shrunk more than needed`);
    assert.ok(Math.abs(f.width / f.height - 4 / 3) < 0.05, `${label}: width and height in their order (${f.width}×${f.height})`);
    assert.equal(f.tokens, f.estimate, `${label}: the tokens are the image's as sent`);
  }
}
