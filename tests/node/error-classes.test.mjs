// API.md "Additions": errors as classes. Every error the package throws or
// rejects with (sync throws, next(), result(), complete(), prepareImage,
// ReadableStream errors) is an instance of its class and of Error, keeps
// its name and fields, carries `cause` when there is one, and never holds
// the API key. (Each kind's fields are tested in errors.test.mjs and
// abort-timeout.test.mjs, whose assertLibError also checks the class.)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  assertLibError, assertPartial, closedPort, everyRendering, loadPkg, mockOptions, rejection, sleep, thinkingRequest, thrown,
} from "./helpers.mjs";

const vr = await loadPkg();
const { Client } = vr;

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
});

const NAMES = ["ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError"];
const KEY = "sk-class-test-never-leak-4242";

/** Not a string, not a plain object: an Error made by one of the classes. */
function assertClass(e, name) {
  assert.equal(typeof e, "object");
  assert.notEqual(Object.getPrototypeOf(e), Object.prototype, "not a plain object");
  assertLibError(e, name);
  for (const other of NAMES.filter((n) => n !== name)) assert.ok(!(e instanceof vr[other]), `not also a ${other}`);
  assert.ok(String(e).startsWith(name + ": "), String(e));
  assert.ok(typeof e.stack === "string" && e.stack.includes(name), "a stack naming the class");
}

describe("the classes", () => {
  test("each extends VisualReasoningError, which extends Error; names on the prototypes", () => {
    assert.equal(Object.getPrototypeOf(vr.VisualReasoningError.prototype), Error.prototype);
    for (const name of NAMES) {
      assert.equal(Object.getPrototypeOf(vr[name].prototype), vr.VisualReasoningError.prototype, name);
      const e = new vr[name]("boom", { status: 503, code: "C", requestId: "r-1", retryable: true, cause: "why" });
      assert.equal(e.name, name);
      assert.equal(e.message, "boom");
      assert.deepEqual({ ...e }, { status: 503, code: "C", requestId: "r-1", retryable: true });
      assert.equal(e.cause, "why");
      assert.equal(new vr[name]("m").retryable, false, "retryable defaults to false");
      assert.ok(!("cause" in new vr[name]("m")), "no cause unless given");
    }
  });
});

describe("every way an error reaches the caller is a class instance", () => {
  test("sync throws: the constructor and stream()", () => {
    assertClass(thrown(() => new Client({ region: "eu" }), "new Client"), "InvalidRequestError");
    assertClass(thrown(() => new Client({ timeoutMs: () => 1 }), "new Client"), "InvalidRequestError");
    const c = new Client(mockOptions(mock, "openai"));
    assertClass(thrown(() => c.stream({ model: "qvq-max", enableThinking: false, messages: [{ role: "user", content: "x" }] })), "InvalidRequestError");
    assertClass(thrown(() => c.stream(null)), "InvalidRequestError");
    const cyclic = { model: "qwen3-vl-plus", messages: [] };
    cyclic.self = cyclic;
    assertClass(thrown(() => c.stream(cyclic)), "InvalidRequestError");
    assertClass(thrown(() => c.conversation(7)), "InvalidRequestError");
    assertClass(thrown(() => c.conversation({ model: "m", system: 3 })), "InvalidRequestError");
    assertClass(thrown(() => vr.estimateImageTokens(-1, 5, "qvq-max")), "InvalidRequestError");
  });

  test("rejections: complete(), next(), result(), prepareImage", async () => {
    const c = new Client(mockOptions(mock, "dashscope", { fault: "status:400" }));
    assertClass(await rejection(c.complete({ model: "qvq-max", transport: "json", messages: [{ role: "user", content: "x" }] })), "InvalidRequestError");
    assertClass(await rejection(c.complete(thinkingRequest())), "ApiError");
    const it = c.stream(thinkingRequest())[Symbol.asyncIterator]();
    assertClass(await rejection(it.next()), "ApiError");
    assertClass(await rejection(c.stream(thinkingRequest()).result()), "ApiError");
    // Node has no OffscreenCanvas: prepareImage says so, as a class.
    assertClass(await rejection(vr.prepareImage(new Blob([new Uint8Array([1])], { type: "image/png" }))), "InvalidRequestError");
    assertClass(await rejection(vr.prepareImage("not a blob")), "InvalidRequestError");
  });

  test("ReadableStream errors: read() rejects with the same class instance", async () => {
    const c = new Client(mockOptions(mock, "openai", { fault: "html" }));
    const stream = c.stream(thinkingRequest());
    const reader = stream.toReadableStream().getReader();
    const e = await rejection(reader.read());
    assertClass(e, "StreamError");
    assert.equal(await rejection(stream.result()), e, "result() rejects with that same error");
    const [a, b] = new Client(mockOptions(mock, "openai", { fault: "html" })).stream(thinkingRequest()).tee();
    assertClass(await rejection(a.getReader().read()), "StreamError");
    assertClass(await rejection(b.getReader().read()), "StreamError");
  });
});

describe("cause", () => {
  test("a NetworkError's cause is the engine's error; the key is in none of it", async () => {
    const port = await closedPort();
    const c = new Client({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, maxRetries: 0 });
    const e = await rejection(c.stream(thinkingRequest()).result());
    assertClass(e, "NetworkError");
    assert.equal(e.retryable, true, "before any response: the core's rule retries it");
    assert.ok(e.cause instanceof TypeError, `cause: ${e.cause}`);
    assert.ok(!everyRendering(e).includes(KEY));
  });

  test("the caller's signal: its reason is the cause", async () => {
    const c = new Client(mockOptions(mock, "openai", { fault: "stall:5000", reasoningTokens: 50 }));
    const controller = new AbortController();
    const reason = new Error("the user left");
    const stream = c.stream(thinkingRequest({ signal: controller.signal }));
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    controller.abort(reason);
    const e = await rejection(it.next());
    assertClass(e, "AbortError");
    assert.equal(e.cause, reason);
    assert.equal(e.retryable, false);
    assertPartial(e, stream);
    // Already aborted: no request, the same error shape.
    const pre = await rejection(c.stream(thinkingRequest({ signal: controller.signal })).result());
    assertClass(pre, "AbortError");
    assert.equal(pre.cause, reason);
  });

  test("AbortSignal.timeout() becomes a TimeoutError (the caller's deadline: not retryable), its reason the cause", async () => {
    const c = new Client(mockOptions(mock, "dashscope", { fault: "stall:5000", reasoningTokens: 50, maxRetries: 2 }));
    const stream = c.stream(thinkingRequest({ signal: AbortSignal.timeout(300) }));
    const e = await rejection(stream.result());
    assertClass(e, "TimeoutError");
    assert.equal(e.retryable, false);
    assert.equal(e.cause?.name, "TimeoutError", "the signal's DOMException");
    assert.ok(e.cause instanceof DOMException);
    assertPartial(e, stream);
    // Expired before the call: no request, the same.
    const signal = AbortSignal.timeout(1);
    await sleep(20);
    assertClass(await rejection(c.stream(thinkingRequest({ signal })).result()), "TimeoutError");
  });

  test("errors the core decides carry no cause", async () => {
    const c = new Client(mockOptions(mock, "openai", { fault: "status:401" }));
    const e = await rejection(c.stream(thinkingRequest()).result());
    assertClass(e, "ApiError");
    assert.ok(!("cause" in e));
  });
});
