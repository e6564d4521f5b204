// API.md "Streaming": part order and invariants, live properties, usage,
// requestId, result(), for both protocols.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  PROTOCOLS, assertStreamInvariants, assertUsageShape, consume, loadPkg, mockOptions, requestsFor,
  settledRequests, thinkingRequest, uid,
} from "./helpers.mjs";

const { Client, ReasoningStream } = await loadPkg();

let mock;
let pacedMock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
  // Paced so that events arrive in separate reads: what the live properties
  // show mid-stream is then observable.
  pacedMock = await startMock({ allowNoOrigin: true, tokensPerSecond: 300 });
});
after(async () => {
  await mock?.stop();
  await pacedMock?.stop();
});

const REQUEST_ID_FORMAT = {
  // openai: the body's `id` as sent; dashscope: the body's `request_id` (no prefix).
  openai: /^chatcmpl-.+/,
  dashscope: /^(?!chatcmpl-).+/,
};

const cases = [
  { label: "hybrid model thinking", model: "qwen3-vl-plus", enableThinking: true, thinks: true },
  { label: "hybrid model not thinking", model: "qwen3-vl-flash", enableThinking: false, thinks: false },
  { label: "QVQ", model: "qvq-max", thinks: true },
  { label: "thinking-only Qwen3-VL", model: "qwen3-vl-235b-a22b-thinking", thinks: true },
];

for (const protocol of PROTOCOLS) {
  describe(`streaming (${protocol})`, () => {
    for (const c of cases) {
      test(`${c.label}: invariants, finish reason, usage, requestId, result()`, async () => {
        const id = uid("inv");
        const client = new Client(mockOptions(mock, protocol, { id, reasoningTokens: 24, answerTokens: 12 }));
        const request = { model: c.model, messages: [{ role: "user", content: "Find x." }] };
        if (c.enableThinking !== undefined) request.enableThinking = c.enableThinking;
        const stream = client.stream(request);
        assert.ok(stream instanceof ReasoningStream, "stream() returns a ReasoningStream");
        assert.equal(typeof stream[Symbol.asyncIterator], "function", "a real async iterable");
        const { parts, snapshots } = await consume(stream);
        const { usageSeen } = assertStreamInvariants(stream, parts, snapshots);
        assert.ok(stream.answer.length > 0, "an answer arrived");
        if (c.thinks) assert.ok(stream.reasoning.length > 0, "reasoning arrived");
        else assert.equal(stream.reasoning, "", "no reasoning without thinking");
        assert.equal(stream.finishReason, "stop");
        assertUsageShape(stream.usage);
        if (usageSeen) assert.deepEqual(parts.at(-1).usage, stream.usage, "the usage part is stream.usage");
        assert.match(stream.requestId ?? "", REQUEST_ID_FORMAT[protocol], `requestId ${stream.requestId}`);
        const r = await stream.result();
        assert.equal(r.model, c.model);
        assert.equal(r.reasoning, stream.reasoning);
        assert.equal(r.answer, stream.answer);
        assert.equal(r.finishReason, "stop");
        assert.deepEqual(r.usage, stream.usage);
        assert.equal(r.requestId, stream.requestId);
        const [rec] = await settledRequests(mock, id);
        assert.equal(rec.outcome, "completed", "the server finished normally");
      });
    }

    test("stream() returns at once and starts the request without being iterated", async () => {
      const id = uid("start");
      const client = new Client(mockOptions(mock, protocol, { id }));
      const t0 = performance.now();
      const stream = client.stream(thinkingRequest());
      assert.ok(performance.now() - t0 < 50, "stream() did not wait for the network");
      const recs = await settledRequests(mock, id, { timeoutMs: 3000 });
      assert.equal(recs.length, 1, "the request was sent before any next() call");
      await stream.result();
    });

    test("result() without iterating reads the rest and resolves the Result", async () => {
      const id = uid("res");
      const stream = new Client(mockOptions(mock, protocol, { id, reasoningTokens: 10, answerTokens: 5 })).stream(thinkingRequest());
      const r = await stream.result();
      assert.ok(r.reasoning.length > 0 && r.answer.length > 0);
      assert.equal(r.reasoning, stream.reasoning);
      assert.equal(r.answer, stream.answer);
      assert.equal(r.finishReason, "stop");
      assertUsageShape(r.usage);
      assert.match(r.requestId ?? "", REQUEST_ID_FORMAT[protocol]);
      // result() is idempotent
      assert.deepEqual(await stream.result(), r);
    });

    test("result() after partial iteration returns everything, including what was not iterated", async () => {
      const stream = new Client(mockOptions(mock, protocol, { reasoningTokens: 20, answerTokens: 10 })).stream(thinkingRequest());
      const it = stream[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.done, false);
      const r = await stream.result();
      assert.ok(r.reasoning.startsWith(first.value.type === "reasoning" ? first.value.text : ""));
      assert.ok(r.answer.length > 0);
      assert.equal(r.finishReason, "stop");
    });

    test("the iterator protocol: next() after the end keeps returning done", async () => {
      const stream = new Client(mockOptions(mock, protocol, {})).stream(thinkingRequest());
      const it = stream[Symbol.asyncIterator]();
      let n = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        n += 1;
      }
      assert.ok(n > 0);
      assert.equal((await it.next()).done, true);
      assert.equal((await it.next()).done, true);
    });

    test("concurrent next() calls settle in order without losing or repeating parts", async () => {
      const stream = new Client(mockOptions(mock, protocol, { reasoningTokens: 16, answerTokens: 8 })).stream(thinkingRequest());
      const it = stream[Symbol.asyncIterator]();
      const results = await Promise.all(Array.from({ length: 64 }, () => it.next()));
      const seen = [];
      let done = false;
      for (const r of results) {
        if (r.done) done = true;
        else {
          assert.ok(!done, "a part came after done");
          seen.push(r.value);
        }
      }
      assert.ok(done, "64 next() calls reach the end of a short reply");
      const text = (t) => seen.filter((p) => p.type === t).map((p) => p.text).join("");
      assert.equal(text("reasoning"), stream.reasoning);
      assert.equal(text("answer"), stream.answer);
    });

    test("usage, reasoningTokens and outputTokens match the reply (cumulative usage is not summed)", async () => {
      const client = new Client(mockOptions(pacedMock, protocol, { reasoningTokens: 30, answerTokens: 12 }));
      const stream = client.stream(thinkingRequest());
      const { snapshots } = await consume(stream);
      const u = stream.usage;
      assert.equal(u.reasoningTokens, 30, "reasoningTokens as the server reported");
      assert.equal(u.outputTokens, 42, "outputTokens = reasoning + answer as the server reported (not a sum of cumulative events)");
      assert.equal(u.totalTokens, u.inputTokens + u.outputTokens);
      assert.ok(u.raw && typeof u.raw === "object", "usage.raw is the provider's usage object");
      if (protocol === "openai") {
        assert.equal(u.raw.completion_tokens, 42);
        // openai sends usage after all text: while text was still to come,
        // stream.usage cannot have been set.
        snapshots.forEach((snap, i) => {
          if (snap.reasoning !== stream.reasoning || snap.answer !== stream.answer) {
            assert.equal(snap.usage, undefined, `openai usage set while text was still arriving (part ${i})`);
          }
        });
        assert.ok(snapshots.some((snap) => snap.answer !== stream.answer), "the paced stream was observed mid-way (else this proves nothing)");
      } else {
        assert.equal(u.raw.output_tokens, 42);
      }
    });

    test('maxTokens reached: finishReason "length", the iterator still finishes normally', async () => {
      const stream = new Client(mockOptions(mock, protocol, { reasoningTokens: 10, answerTokens: 40 })).stream(thinkingRequest({ maxTokens: 5 }));
      const { parts, snapshots } = await consume(stream);
      assertStreamInvariants(stream, parts, snapshots);
      assert.equal(stream.finishReason, "length");
      assert.equal((await stream.result()).finishReason, "length");
    });

    test("QVQ usage has no reasoningTokens", async () => {
      const stream = new Client(mockOptions(mock, protocol, { reasoningTokens: 20, answerTokens: 5 })).stream({
        model: "qvq-max",
        messages: [{ role: "user", content: "Find x." }],
      });
      await stream.result();
      assertUsageShape(stream.usage);
      assert.ok(stream.usage.outputTokens > 0);
      assert.equal(stream.usage.reasoningTokens, undefined, "QVQ does not split out its thinking");
      assert.ok(stream.reasoning.length > 0, "QVQ still streams its reasoning text");
    });
  });
}

describe("streaming (dashscope only)", () => {
  test("stream.usage is set while streaming and updates with every event (cumulative)", async () => {
    const stream = new Client(mockOptions(pacedMock, "dashscope", { reasoningTokens: 40, answerTokens: 20 })).stream(thinkingRequest());
    const { parts, snapshots } = await consume(stream);
    const firstText = parts.findIndex((p) => p.type !== "usage");
    assert.ok(snapshots[firstText].usage, "usage already set when the first text part arrives");
    const outs = snapshots.filter((s) => s.usage).map((s) => s.usage.outputTokens);
    for (let i = 1; i < outs.length; i++) assert.ok(outs[i] >= outs[i - 1], "cumulative usage never decreases");
    assert.ok(outs[0] < stream.usage.outputTokens, "usage grew during the stream (it is live, not only the final bill)");
    assert.equal(stream.usage.outputTokens, 60);
  });
});

describe("requestId", () => {
  test("openai requestId is the body id as sent (chatcmpl-…); dashscope the body request_id", async () => {
    for (const protocol of PROTOCOLS) {
      const id = uid("rid");
      const stream = new Client(mockOptions(mock, protocol, { id })).stream(thinkingRequest());
      await stream.result();
      const rid = stream.requestId;
      assert.ok(rid, `${protocol}: requestId set`);
      if (protocol === "openai") {
        assert.ok(rid.startsWith("chatcmpl-") && rid.length > "chatcmpl-".length);
      } else {
        assert.ok(!rid.startsWith("chatcmpl-"));
      }
    }
  });

  test("two requests get different request ids", async () => {
    for (const protocol of PROTOCOLS) {
      const client = new Client(mockOptions(mock, protocol, {}));
      const a = await client.stream(thinkingRequest()).result();
      const b = await client.stream(thinkingRequest()).result();
      assert.notEqual(a.requestId, b.requestId);
    }
  });
});

describe("many streams", () => {
  test("eight concurrent streams on one client each finish intact", async () => {
    const client = new Client(mockOptions(mock, "dashscope", { reasoningTokens: 30, answerTokens: 30 }));
    const streams = Array.from({ length: 8 }, (_, i) => (i % 2 ? client : new Client(mockOptions(mock, "openai", { reasoningTokens: 30, answerTokens: 30 }))).stream(thinkingRequest()));
    const all = await Promise.all(streams.map(async (s) => {
      const { parts, snapshots } = await consume(s);
      assertStreamInvariants(s, parts, snapshots);
      return s.result();
    }));
    for (const r of all) {
      assert.equal(r.finishReason, "stop");
      assert.equal(r.usage.outputTokens, 60);
    }
  });

  test("a long reply (4000 tokens) streams intact", async () => {
    for (const protocol of PROTOCOLS) {
      const id = uid("long");
      const stream = new Client(mockOptions(mock, protocol, { id, reasoningTokens: 3000, answerTokens: 1000 })).stream(thinkingRequest());
      const { parts, snapshots } = await consume(stream);
      assertStreamInvariants(stream, parts, snapshots);
      assert.equal(stream.usage.outputTokens, 4000);
      const [rec] = await requestsFor(mock, id);
      assert.ok(rec.events > 10, "the mock sent many events");
    }
  });
});

// A proxy that flushes every few bytes: reads end mid-line, so the client
// holds them back until a line ends (glue.js `feed`). The parts must come
// out the same as from whole events.
for (const protocol of PROTOCOLS) {
  test(`${protocol}: a body trickled in 7-byte writes gives the same reply`, async () => {
    const request = thinkingRequest();
    const opts = { reasoningTokens: 30, answerTokens: 15 };
    const whole = new Client(mockOptions(mock, protocol, { id: uid("whole"), ...opts })).stream(request);
    const ref = await consume(whole);
    const trickled = new Client(
      mockOptions(mock, protocol, { id: uid("trickle"), fault: "trickle:7", ...opts }),
    ).stream(request);
    const got = await consume(trickled);
    assertStreamInvariants(trickled, got.parts, got.snapshots);
    assert.equal(trickled.reasoning, whole.reasoning);
    assert.equal(trickled.answer, whole.answer);
    assert.ok(trickled.reasoning.length > 0 && trickled.answer.length > 0);
    assert.deepEqual(trickled.usage, whole.usage);
    assert.deepEqual(
      got.parts.filter((p) => p.type === "usage").length,
      ref.parts.filter((p) => p.type === "usage").length,
      "the usage part comes as often",
    );
    const r = await trickled.result();
    assert.equal(r.finishReason, "stop");
  });
}
