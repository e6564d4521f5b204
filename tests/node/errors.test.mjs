// API.md "Errors": each error kind with its fields, where it surfaces, and
// the retry rules (what is retried, how often, Retry-After, quota).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  CODES, PROTOCOLS, assertLibError, assertPartial, closedPort, iterationError, loadPkg, mockOptions,
  rejection, requestsFor, settledRequests, thinkingRequest, uid,
} from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(() => mock?.stop());

/** Runs a faulty request through stream iteration, result() and complete(); returns the three errors. */
async function threeWays(protocol, fault, more = {}) {
  const ids = [uid("e1"), uid("e2"), uid("e3")];
  const mk = (id) => new Client(mockOptions(mock, protocol, { id, fault, reasoningTokens: 20, answerTokens: 10, ...more }));
  const s1 = mk(ids[0]).stream(thinkingRequest());
  const { error: viaNext } = await iterationError(s1);
  const viaResultAfter = await rejection(s1.result(), "result() after the iterator failed");
  const s2 = mk(ids[1]).stream(thinkingRequest());
  const viaResult = await rejection(s2.result(), "result()");
  const viaComplete = await rejection(mk(ids[2]).complete(thinkingRequest()), "complete()");
  return { ids, streams: [s1, s2], errors: [viaNext, viaResult, viaComplete], viaResultAfter };
}

for (const protocol of PROTOCOLS) {
  describe(`HTTP errors (${protocol})`, () => {
    for (const status of [400, 401, 403, 404]) {
      test(`${status}: ApiError with the provider's code, not retried`, async () => {
        const { ids, errors } = await threeWays(protocol, `status:${status}`, { maxRetries: 2 });
        for (const err of errors) {
          assertLibError(err, "ApiError", { status, retryable: false });
          const want = CODES[protocol][status];
          assert.equal(err.code, want, `code for ${status}`);
          assert.equal(err.partial, undefined, "no text arrived: no partial");
          assert.ok(typeof err.requestId === "string" && err.requestId.length > 0, "requestId from the error body or header");
        }
        for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1, `${status} is never retried`);
      });
    }

    for (const status of [500, 502, 503, 504]) {
      test(`${status}: retried maxRetries times, then ApiError retryable`, async () => {
        const id = uid(`r${status}`);
        const p = new Client(mockOptions(mock, protocol, { id, fault: `status:${status},retry-after:0`, maxRetries: 1 })).complete(thinkingRequest());
        const err = await rejection(p);
        assertLibError(err, "ApiError", { status, retryable: true });
        if (CODES[protocol][status]) assert.equal(err.code, CODES[protocol][status]);
        assert.equal((await requestsFor(mock, id)).length, 2, "one try plus maxRetries: 1");
      });
    }

    test("503 then 200: two requests, the stream succeeds", async () => {
      const id = uid("once");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `503-once:${id}`, maxRetries: 2 })).stream(thinkingRequest());
      const r = await stream.result();
      assert.equal(r.finishReason, "stop");
      assert.ok(r.answer.length > 0);
      const recs = await settledRequests(mock, id, { count: 2 });
      assert.equal(recs.length, 2, "exactly two requests");
      assert.equal(recs[1].outcome, "completed");
      // A retry repeats the same request.
      assert.deepEqual(recs[1].body, recs[0].body);
    });

    test("maxRetries: 0 means one attempt", async () => {
      const id = uid("r0");
      const err = await rejection(new Client(mockOptions(mock, protocol, { id, fault: "status:503,retry-after:0", maxRetries: 0 })).complete(thinkingRequest()));
      assertLibError(err, "ApiError", { status: 503 });
      assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("default maxRetries is 2: three attempts", async () => {
      const id = uid("rdef");
      const err = await rejection(new Client(mockOptions(mock, protocol, { id, fault: "status:503,retry-after:0" })).complete(thinkingRequest()));
      assertLibError(err, "ApiError", { status: 503, retryable: true });
      assert.equal((await requestsFor(mock, id)).length, 3);
    });

    test("429 honours Retry-After (1 s) before retrying", async () => {
      const id = uid("429");
      const t0 = performance.now();
      const err = await rejection(new Client(mockOptions(mock, protocol, { id, fault: "status:429,retry-after:1", maxRetries: 1 })).complete(thinkingRequest()));
      const elapsed = performance.now() - t0;
      assertLibError(err, "ApiError", { status: 429, retryable: true });
      if (protocol === "dashscope") assert.equal(err.code, CODES.dashscope[429]);
      assert.equal((await requestsFor(mock, id)).length, 2);
      assert.ok(elapsed >= 950, `waited ${Math.round(elapsed)} ms; Retry-After asked for 1000`);
      assert.ok(elapsed < 5000, `waited ${Math.round(elapsed)} ms`);
    });

    test("429 free quota used up: not retried, retryable false", async () => {
      const id = uid("quota");
      const err = await rejection(new Client(mockOptions(mock, protocol, { id, fault: "quota", maxRetries: 2 })).complete(thinkingRequest()));
      assertLibError(err, "ApiError", { status: 429, retryable: false });
      assert.match(err.message, /quota/i);
      assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("an HTTP 400 whose body is one SSE data: event is an ApiError with the event's code", async () => {
      const { ids, errors } = await threeWays(protocol, "sse-error-400", { maxRetries: 2 });
      for (const err of errors) {
        assertLibError(err, "ApiError", { status: 400, retryable: false });
        assert.ok(typeof err.code === "string" && err.code.length > 0, `code parsed from the data: event (got ${err.code})`);
        assert.ok(!err.message.startsWith("data:"), `the message is the provider's, not the raw event: ${err.message}`);
      }
      for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1);
    });
  });

  describe(`errors inside the body (${protocol})`, () => {
    test("an in-stream error event: ApiError, code, status per protocol, partial, not retried", async () => {
      const { ids, streams, errors, viaResultAfter } = await threeWays(protocol, "error-event:3", { maxRetries: 2 });
      for (const err of [...errors, viaResultAfter]) {
        assertLibError(err, "ApiError", { retryable: false });
        assert.equal(err.code, protocol === "dashscope" ? "DataInspectionFailed" : "data_inspection_failed");
        if (protocol === "dashscope") assert.equal(err.status, 400, "status from the :HTTP_STATUS/400 line");
        else assert.equal(err.status, undefined, "an openai error event carries no status");
        assertPartial(err);
        assert.ok(typeof err.requestId === "string" && err.requestId.length > 0, "requestId known from the stream");
      }
      assertPartial(errors[0], streams[0]);
      assertPartial(errors[1], streams[1]);
      assert.equal(viaResultAfter.name, errors[0].name, "result() reports the iterator's error");
      for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1, "nothing is retried once the body started");
    });

    test("the connection dropped mid-stream: StreamError or NetworkError, partial, not retried", async () => {
      const { ids, streams, errors } = await threeWays(protocol, "drop:4", { maxRetries: 2 });
      for (const err of errors) {
        assert.ok(["StreamError", "NetworkError"].includes(err.name), `got ${err.name}: ${err.message}`);
        assertLibError(err, err.name);
        assertPartial(err);
      }
      assertPartial(errors[0], streams[0]);
      assert.equal(streams[0].finishReason, undefined, "no finish reason was seen");
      for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("malformed JSON in an event: StreamError, not retried", async () => {
      const { ids, errors } = await threeWays(protocol, "bad-json:3", { maxRetries: 2 });
      for (const err of errors) {
        assertLibError(err, "StreamError", { retryable: false });
        assertPartial(err);
      }
      for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("malformed JSON in the first event: StreamError without partial", async () => {
      const { errors } = await threeWays(protocol, "bad-json:1", { maxRetries: 0 });
      for (const err of errors) {
        assertLibError(err, "StreamError");
        assert.equal(err.partial, undefined, "no text arrived: no partial");
      }
    });

    test("an HTML page instead of an event stream: StreamError naming text/html, not retried", async () => {
      const { ids, errors } = await threeWays(protocol, "html", { maxRetries: 2 });
      for (const err of errors) {
        assertLibError(err, "StreamError", { retryable: false });
        assert.match(err.message, /text\/html/);
        assert.equal(err.partial, undefined);
      }
      for (const id of ids) assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("a line past the size cap: StreamError (memory stays bounded)", async () => {
      const id = uid("long");
      const before = process.memoryUsage().rss;
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `long-line:${40 * 1024 * 1024}`, maxRetries: 2 })).stream(thinkingRequest());
      const { error } = await iterationError(stream);
      assertLibError(error, "StreamError", { retryable: false });
      // The mock ends the body after the line, so a reader without a cap
      // would also fail ("ended without a finish reason"); the message tells
      // the two apart.
      assert.match(error.message, /size|cap|limit|too long|too large|bytes|MiB|MB/i, `the error says the line was too long: ${error.message}`);
      assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, "reading a 40 MiB line must not buffer it whole several times");
      assert.equal((await requestsFor(mock, id)).length, 1);
    });

    test("the body ended without a finish reason: StreamError", async () => {
      // drop:1 closes after the first event; cleanly or not, no finish reason came.
      const stream = new Client(mockOptions(mock, protocol, { fault: "drop:1", maxRetries: 0 })).stream(thinkingRequest());
      const { error } = await iterationError(stream);
      assert.ok(["StreamError", "NetworkError"].includes(error.name), error.name);
      assert.equal(stream.finishReason, undefined);
    });
  });

  describe(`network errors (${protocol})`, () => {
    test("nothing listening: NetworkError, retryable", async () => {
      const port = await closedPort();
      const client = new Client({ baseUrl: `http://127.0.0.1:${port}`, protocol, maxRetries: 0 });
      const { error } = await iterationError(client.stream(thinkingRequest()));
      assertLibError(error, "NetworkError", { retryable: true });
      assert.equal(error.status, undefined);
      assertLibError(await rejection(client.complete(thinkingRequest())), "NetworkError");
    });

    test("a connection reset before the response is retried maxRetries times", async () => {
      let connections = 0;
      const server = http.createServer();
      server.on("connection", (socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise((r) => server.listen(0, "127.0.0.1", r));
      try {
        const client = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, protocol, maxRetries: 1 });
        const err = await rejection(client.complete(thinkingRequest()));
        assertLibError(err, "NetworkError");
        assert.equal(connections, 2, "one try plus one retry");
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });
}

describe("errors are real Errors", () => {
  test("instanceof Error, with a stack and the name in String(err)", async () => {
    const err = await rejection(new Client(mockOptions(mock, "dashscope", { fault: "status:404", maxRetries: 0 })).complete(thinkingRequest()));
    assert.ok(err instanceof Error);
    assert.equal(typeof err.stack, "string");
    assert.equal(Object.prototype.toString.call(err), "[object Error]");
    assert.ok(String(err).startsWith("ApiError"), `String(err) starts with the name: ${String(err)}`);
    assertLibError(err, "ApiError", { status: 404, code: CODES.dashscope[404], retryable: false });
  });
});
