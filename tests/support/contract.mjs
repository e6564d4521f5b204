// Round trips of the boundary formats (docs/boundary.md) through the built
// package: each scenario sends one format across the Rust <-> JavaScript
// boundary and back through the public API, and returns plain data for the
// test to check. The same code runs in Node (tests/node/contract.test.mjs)
// and in Chromium (tests/browser/browser.test.mjs), so no Node modules here.
// `env`: { mock, sse, closed } — the mock upstream's URL, the contract
// server's (tests/support/contract-server.mjs) and a URL nothing answers.

export const NAMES = ["ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError"];

// Texts that stress the per-read part string: digits and `:` where its
// length prefix and separator go, characters outside the BMP (two UTF-16
// units, four UTF-8 bytes), CJK, newlines; each code point in its own
// event, every other one \u-escaped in the JSON.
export const TEXTS = {
  reasoning: "12:34 a😀b 𝑥 = ∠A + 40° → 中文\n: 0:",
  answer: ":9 😀😀 👩‍👩‍👧 \u00e9\u0301 x\n",
};

/** The OpenAI SSE body that carries TEXTS. */
export function partsBody() {
  const events = [];
  const escape = (ch) => [...ch].map((c) => {
    let out = "";
    for (let i = 0; i < c.length; i++) out += "\\u" + c.charCodeAt(i).toString(16).padStart(4, "0");
    return out;
  }).join("");
  let n = 0;
  for (const [field, text] of [["reasoning_content", TEXTS.reasoning], ["content", TEXTS.answer]]) {
    for (const ch of text) {
      const json = n++ % 2 ? escape(ch) : JSON.stringify(ch).slice(1, -1);
      events.push(`data: {"id":"chatcmpl-contract","choices":[{"index":0,"delta":{"${field}":"${json}"},"finish_reason":null}]}\n\n`);
    }
  }
  events.push('data: {"id":"chatcmpl-contract","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n');
  events.push('data: {"id":"chatcmpl-contract","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n');
  events.push("data: [DONE]\n\n");
  return events.join("");
}

let seq = 0;
const tag = (label) => `contract-${label}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
const REQUEST = { model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "What is 2 + 2?" }] };

async function caught(promiseOrFn) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Records of the contract server for one tag. */
async function serverRecords(url, id) {
  const all = await (await fetch(`${url}/__records`)).json();
  return all.filter((r) => r.headers["x-contract-id"] === id);
}

async function mockRecords(url, id) {
  const all = await (await fetch(`${url}/__mock/requests`)).json();
  return all.filter((r) => r.mockId === id);
}

/** What the test checks of an error: class, brand, fields. */
function describeError(vr, e) {
  if (!e || typeof e !== "object") return { thrown: typeof e, value: String(e) };
  return {
    name: e.name,
    message: e.message,
    isError: e instanceof Error,
    isBase: e instanceof vr.VisualReasoningError,
    isClass: NAMES.includes(e.name) && e instanceof vr[e.name],
    isInstance: NAMES.filter((n) => vr[n].isInstance(e)),
    retryable: e.retryable,
    status: e.status,
    code: e.code,
    requestId: e.requestId,
    partial: e.partial ? { reasoning: e.partial.reasoning, answer: e.partial.answer } : undefined,
    cause: e.cause === undefined ? undefined : String(e.cause?.name ?? typeof e.cause),
  };
}

/**
 * Error kinds and the error record: one error of each kind, made by the
 * core (record) or the transport (kind index, retry rule).
 */
export async function kinds(vr, env) {
  const out = {};
  const stalledHeaders = { "X-Mock-Fault": "stall-headers:5000" };
  out.ApiError = await caught(
    new vr.Client({ baseUrl: env.mock, protocol: "dashscope", maxRetries: 0, headers: { "X-Mock-Fault": "status:429" } }).complete(REQUEST),
  );
  out.NetworkError = await caught(new vr.Client({ baseUrl: env.closed, maxRetries: 0 }).complete(REQUEST));
  out.TimeoutError = await caught(
    new vr.Client({ baseUrl: env.mock, maxRetries: 0, timeoutMs: 150, headers: stalledHeaders }).complete(REQUEST),
  );
  const aborted = new vr.Client({ baseUrl: env.mock, maxRetries: 0, headers: { "X-Mock-Fault": "stall:5000" } }).stream(REQUEST);
  const it = aborted[Symbol.asyncIterator]();
  await it.next();
  aborted.abort();
  out.AbortError = await caught(aborted.result());
  out.StreamError = await caught(new vr.Client({ baseUrl: env.mock, maxRetries: 0, headers: { "X-Mock-Fault": "html" } }).complete(REQUEST));
  out.InvalidRequestError = await caught(() => new vr.Client({ baseUrl: env.mock }).stream({ ...REQUEST, model: "qvq-max", enableThinking: false }));
  const idle = await caught(
    new vr.Client({ baseUrl: env.mock, maxRetries: 0, idleTimeoutMs: 200, headers: { "X-Mock-Fault": "stall:5000" } }).complete(REQUEST),
  );
  return {
    ...Object.fromEntries(Object.entries(out).map(([k, e]) => [k, describeError(vr, e)])),
    idle: describeError(vr, idle),
  };
}

/** Option markers: every tag, read by the core into the wire body or an error naming the field. */
export async function markers(vr, env) {
  const id = tag("markers");
  const client = new vr.Client({ baseUrl: env.mock, maxRetries: 0, headers: { "X-Mock-Id": id } });
  const blob = new Blob([new Uint8Array([1, 2, 3, 250, 251])], { type: "image/png" });
  const controller = new AbortController();
  const result = await client
    .stream({
      model: "qwen3-vl-plus",
      temperature: 0.25,
      seed: 2147483647,
      maxTokens: 1e3,
      signal: controller.signal,
      extra: { top_k: 20, nested: { big: 1e21, small: 5e-7 } },
      messages: [{ role: "user", content: [{ image: blob }, { text: "what?" }] }],
    })
    .result();
  const [rec] = await mockRecords(env.mock, id);
  const invalid = async (request) => describeError(vr, await caught(() => client.stream({ ...REQUEST, ...request })));
  return {
    finishReason: result.finishReason,
    body: rec?.body,
    // The signal marker: the signal the core was told of aborts the request.
    signal: describeError(vr, await caught(() => client.stream({ ...REQUEST, signal: AbortSignal.abort() }).result())),
    notASignal: await invalid({ signal: {} }),
    unsupported: await invalid({ temperature: () => 1 }),
    extraBad: await invalid({ extra: { n: 10n } }),
    extraNotObject: await invalid({ extra: "x" }),
    blobNotImage: await invalid({ messages: [{ role: "user", content: [{ video: blob }] }] }),
  };
}

/** The per-read part string: texts that stress it, whole and in order. */
export async function parts(vr, env) {
  const client = new vr.Client({ baseUrl: `${env.sse}/parts`, maxRetries: 0 });
  const stream = client.stream(REQUEST);
  const seen = [];
  for await (const p of stream) seen.push(p.type === "usage" ? { type: "usage", total: p.usage.totalTokens } : p);
  return { parts: seen, reasoning: stream.reasoning, answer: stream.answer, result: await stream.result() };
}

/** The transport config: url, headers, key, timeouts and retries as the transport applies them. */
export async function transport(vr, env) {
  const id = tag("transport");
  const key = "sk-contract-key";
  const headers = { "X-Contract-Id": id, "X-Caller": "yes" };
  const stream = new vr.Client({ baseUrl: `${env.sse}/prefix/`, apiKey: key, dangerouslyAllowBrowser: true, headers, timeoutMs: Infinity, idleTimeoutMs: Infinity });
  const streamed = await stream.complete(REQUEST);
  const json = await new vr.Client({ baseUrl: `${env.sse}/prefix`, protocol: "dashscope", headers, maxRetries: 0 }).complete({ ...REQUEST, transport: "json" });
  const records = (await serverRecords(env.sse, id)).map((r) => ({ method: r.method, path: r.path, headers: r.headers }));
  const retryId = tag("retry");
  const retried = await new vr.Client({
    baseUrl: env.mock,
    maxRetries: 1,
    headers: { "X-Mock-Id": retryId, "X-Mock-Fault": `503-once:${retryId}` },
  }).complete(REQUEST);
  const noRetryId = tag("noretry");
  const noRetry = await caught(
    new vr.Client({ baseUrl: env.mock, maxRetries: 0, headers: { "X-Mock-Id": noRetryId, "X-Mock-Fault": `503-once:${noRetryId}` } }).complete(REQUEST),
  );
  return {
    streamed: streamed.answer,
    json: json.answer,
    records,
    key,
    retried: { finishReason: retried.finishReason, requests: (await mockRecords(env.mock, retryId)).length },
    noRetry: { error: describeError(vr, noRetry), requests: (await mockRecords(env.mock, noRetryId)).length },
  };
}

/** The image fit tuple (browser only: prepareImage needs OffscreenCanvas). */
export async function fit(vr) {
  const canvas = new OffscreenCanvas(400, 300);
  canvas.getContext("2d").fillRect(10, 10, 100, 100);
  const png = await canvas.convertToBlob({ type: "image/png" });
  const out = {};
  for (const [label, options] of [["limited", { model: "qwen3-vl-plus", maxPixels: 60_000 }], ["qvq", { model: "qvq-max", maxPixels: 20_000 }]]) {
    const r = await vr.prepareImage(png, options);
    out[label] = { width: r.width, height: r.height, tokens: r.tokens, estimate: vr.estimateImageTokens(r.width, r.height, options.model), maxPixels: options.maxPixels };
  }
  return out;
}
