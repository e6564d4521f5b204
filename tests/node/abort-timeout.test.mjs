// API.md "Streaming" / "Errors": abort three ways, idleTimeoutMs vs stalls
// and keep-alives, timeoutMs before headers; each one closes the connection
// (the mock records "disconnected").
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  PROTOCOLS, assertLibError, assertPartial, assertStreamInvariants, consume, iterationError, loadPkg,
  mockOptions, rejection, requestsFor, settledRequests, thinkingRequest, uid,
} from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
let slowMock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
  // Paced at 40 tokens/s: a 40-token reply takes about a second, with a
  // data event every ~25 ms.
  slowMock = await startMock({ allowNoOrigin: true, tokensPerSecond: 40 });
});
after(async () => {
  await mock?.stop();
  await slowMock?.stop();
});

const STALL = 1500; // long enough that finishing early proves the client cut it short

async function assertDisconnected(id, count = 1) {
  const recs = await settledRequests(mock, id, { count, timeoutMs: STALL + 3000 });
  assert.equal(recs.length, count, `${count} request(s) reached the mock`);
  for (const r of recs) assert.equal(r.outcome, "disconnected", `the server saw the connection close (outcome ${r.outcome})`);
}

for (const protocol of PROTOCOLS) {
  describe(`abort (${protocol})`, () => {
    test("the caller's signal: AbortError from next() and result(), partial kept, connection closed", async () => {
      const id = uid("sig");
      const ac = new AbortController();
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall:${STALL}`, reasoningTokens: 20 })).stream(thinkingRequest({ signal: ac.signal }));
      const t0 = performance.now();
      let error;
      try {
        for await (const p of stream) {
          assert.ok(p);
          ac.abort();
        }
      } catch (e) {
        error = e;
      }
      assert.ok(error, "iteration threw after the signal aborted");
      assert.ok(performance.now() - t0 < STALL - 300, "the abort did not wait for the stalled server");
      assertLibError(error, "AbortError");
      if (stream.reasoning || stream.answer) assertPartial(error, stream);
      assertLibError(await rejection(stream.result(), "result()"), "AbortError");
      await assertDisconnected(id);
    });

    test("stream.abort(): AbortError, connection closed", async () => {
      const id = uid("abort");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall:${STALL}` })).stream(thinkingRequest());
      const it = stream[Symbol.asyncIterator]();
      assert.equal((await it.next()).done, false);
      const pending = it.next();
      stream.abort();
      assertLibError(await rejection(pending, "next() pending during abort()"), "AbortError");
      assertLibError(await rejection(stream.result(), "result()"), "AbortError");
      await assertDisconnected(id);
    });

    test("breaking out of for await aborts the request and throws nothing", async () => {
      const id = uid("break");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall:${STALL}` })).stream(thinkingRequest());
      const t0 = performance.now();
      let n = 0;
      for await (const p of stream) {
        assert.ok(p);
        n += 1;
        break;
      }
      assert.equal(n, 1);
      assert.ok(performance.now() - t0 < STALL - 300, "break returned without waiting for the server");
      await assertDisconnected(id);
    });

    test("abort while waiting for response headers: AbortError at once, not retried", async () => {
      const id = uid("hdrabort");
      const ac = new AbortController();
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall-headers:${STALL}`, maxRetries: 2 })).stream(thinkingRequest({ signal: ac.signal }));
      setTimeout(() => ac.abort(), 150);
      const t0 = performance.now();
      const { error } = await iterationError(stream);
      assertLibError(error, "AbortError");
      assert.ok(performance.now() - t0 < STALL - 300);
      assert.equal(error.partial, undefined, "no text arrived: no partial");
      await assertDisconnected(id);
    });

    test("a signal aborted before stream() surfaces as AbortError from the iterator; no request completes", async () => {
      const id = uid("pre");
      const stream = new Client(mockOptions(mock, protocol, { id })).stream(thinkingRequest({ signal: AbortSignal.abort() }));
      const { error } = await iterationError(stream);
      assertLibError(error, "AbortError");
      const recs = await requestsFor(mock, id);
      assert.ok(recs.every((r) => r.outcome !== "completed"), "an aborted request must not complete");
    });

    test("complete() with an aborted signal rejects with AbortError", async () => {
      const ac = new AbortController();
      const p = new Client(mockOptions(mock, protocol, { fault: `stall:${STALL}` })).complete(thinkingRequest({ signal: ac.signal }));
      setTimeout(() => ac.abort(), 150);
      assertLibError(await rejection(p, "complete()"), "AbortError");
    });

    test("abort() after the stream finished changes nothing", async () => {
      const stream = new Client(mockOptions(mock, protocol, {})).stream(thinkingRequest());
      const r = await stream.result();
      stream.abort();
      assert.deepEqual(await stream.result(), r);
      assert.equal(stream.finishReason, "stop");
    });
  });

  describe(`timeouts (${protocol})`, () => {
    test("idleTimeoutMs passes during a stalled body: TimeoutError, partial, not retried, connection closed", async () => {
      const id = uid("idle");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall:${STALL}`, idleTimeoutMs: 300, maxRetries: 2 })).stream(thinkingRequest());
      const t0 = performance.now();
      const { error } = await iterationError(stream);
      const elapsed = performance.now() - t0;
      assertLibError(error, "TimeoutError");
      assert.ok(elapsed >= 250 && elapsed < STALL - 200, `timed out after ${Math.round(elapsed)} ms (idle 300, stall ${STALL})`);
      if (stream.reasoning || stream.answer) assertPartial(error, stream);
      await assertDisconnected(id, 1);
    });

    test("keep-alive comments do not reset the idle timer", async () => {
      const id = uid("ka");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `keepalive:${STALL}`, idleTimeoutMs: 400, maxRetries: 0 })).stream(thinkingRequest());
      const t0 = performance.now();
      const { error } = await iterationError(stream);
      assertLibError(error, "TimeoutError");
      assert.ok(performance.now() - t0 < STALL - 200, "timed out while the server sent only keep-alives");
      await assertDisconnected(id);
    });

    test("a stall shorter than idleTimeoutMs is waited out", async () => {
      const stream = new Client(mockOptions(mock, protocol, { fault: "stall:300", idleTimeoutMs: 2000 })).stream(thinkingRequest());
      const { parts, snapshots } = await consume(stream);
      assertStreamInvariants(stream, parts, snapshots);
      assert.equal(stream.finishReason, "stop");
    });

    test("idleTimeoutMs is reset by each data event: a reply longer than it, with short gaps, completes", async () => {
      const stream = new Client({ ...mockOptions(slowMock, protocol, { reasoningTokens: 20, answerTokens: 20 }), idleTimeoutMs: 350 }).stream(thinkingRequest());
      const t0 = performance.now();
      const r = await stream.result();
      assert.equal(r.finishReason, "stop");
      assert.ok(performance.now() - t0 > 350, "the reply outlasted idleTimeoutMs (else this proves nothing)");
    });

    test("timeoutMs covers only the wait for headers, not the body", async () => {
      const stream = new Client(mockOptions(mock, protocol, { fault: "stall:700", timeoutMs: 300, idleTimeoutMs: 5000 })).stream(thinkingRequest());
      const r = await stream.result();
      assert.equal(r.finishReason, "stop");
    });

    test("with timeoutMs below idleTimeoutMs, the idle timeout still counts from the last data", async () => {
      const id = uid("idle2");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall:${STALL}`, timeoutMs: 200, idleTimeoutMs: 500, maxRetries: 0 })).stream(thinkingRequest());
      const t0 = performance.now();
      const { error } = await iterationError(stream);
      const elapsed = performance.now() - t0;
      assertLibError(error, "TimeoutError");
      assert.match(error.message, /idleTimeoutMs/);
      assert.ok(elapsed >= 450 && elapsed < STALL - 200, `timed out after ${Math.round(elapsed)} ms (headers 200, idle 500, stall ${STALL})`);
      await assertDisconnected(id);
    });

    test("timeoutMs before headers is retried, then TimeoutError; every attempt's connection is closed", async () => {
      const id = uid("hdrto");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: `stall-headers:${STALL}`, timeoutMs: 250, maxRetries: 1 })).stream(thinkingRequest());
      const t0 = performance.now();
      const { error } = await iterationError(stream);
      const elapsed = performance.now() - t0;
      assertLibError(error, "TimeoutError");
      assert.ok(elapsed >= 450, `two attempts of 250 ms took only ${Math.round(elapsed)} ms`);
      assert.equal(error.partial, undefined);
      await assertDisconnected(id, 2);
    });

    test("timeoutMs and abort before headers close the connection (seen by a server that never answers)", async () => {
      // Independent of the mock's bookkeeping: a server that holds every
      // request and records when the client's socket closes.
      const requests = [];
      const server = http.createServer((req) => {
        const rec = { t0: performance.now(), closedAfter: undefined };
        requests.push(rec);
        req.socket.on("close", () => (rec.closedAfter = performance.now() - rec.t0));
      });
      await new Promise((r) => server.listen(0, "127.0.0.1", r));
      try {
        const baseUrl = `http://127.0.0.1:${server.address().port}`;
        const err = await rejection(new Client({ baseUrl, protocol, timeoutMs: 500, maxRetries: 0 }).complete(thinkingRequest()));
        assertLibError(err, "TimeoutError");
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 500);
        assertLibError(await rejection(new Client({ baseUrl, protocol, maxRetries: 0 }).complete(thinkingRequest({ signal: ac.signal }))), "AbortError");
        const deadline = Date.now() + 2000;
        while (requests.some((r) => r.closedAfter === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(requests.length, 2, "both requests reached the server");
        for (const r of requests) {
          assert.ok(r.closedAfter !== undefined, "the client closed the connection");
          assert.ok(r.closedAfter < 1500, `closed after ${Math.round(r.closedAfter)} ms`);
        }
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    test("timeoutMs with maxRetries 0: one attempt", async () => {
      const id = uid("hdrto0");
      const p = new Client(mockOptions(mock, protocol, { id, fault: `stall-headers:${STALL}`, timeoutMs: 200, maxRetries: 0 })).complete(thinkingRequest());
      assertLibError(await rejection(p), "TimeoutError");
      await assertDisconnected(id, 1);
    });
  });
}

// After the reply's last event the client lets the server end the body
// (so it logs a completed reply), but holds the connection at most 5 s
// (glue.js DRAIN_MS) for a server that does not.
for (const protocol of PROTOCOLS) {
  test(`${protocol}: a body that ends soon after the last event is read to its end`, async () => {
    const id = uid("linger");
    const stream = new Client(mockOptions(mock, protocol, { id, fault: "linger:300", reasoningTokens: 10 })).stream(thinkingRequest());
    const t0 = performance.now();
    const result = await stream.result();
    assert.ok(performance.now() - t0 < 250, "the result did not wait for the body to end");
    assert.equal(result.finishReason, "stop");
    const [rec] = await settledRequests(mock, id, { timeoutMs: 3000 });
    assert.equal(rec?.outcome, "completed", "the server ended the body itself");
  });
}

test("a body left open after the last event is closed by the client after 5 s", async () => {
  const id = uid("linger-long");
  const stream = new Client(mockOptions(mock, "openai", { id, fault: "linger:30000", reasoningTokens: 10 })).stream(thinkingRequest());
  const t0 = performance.now();
  assert.equal((await stream.result()).finishReason, "stop");
  const [rec] = await settledRequests(mock, id, { timeoutMs: 9000 });
  const waited = performance.now() - t0;
  assert.equal(rec?.outcome, "disconnected", "the client closed the lingering body");
  assert.ok(waited > 4500 && waited < 9000, `closed after ${Math.round(waited)} ms`);
});
