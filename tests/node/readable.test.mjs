// Beyond API.md: stream.toReadableStream() and stream.tee() — the parts as
// web ReadableStreams (for a Worker to transfer to its page, or two
// consumers), with the same parts, errors and cancellation as iteration.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  PROTOCOLS, assertLibError, consume, loadPkg, mockOptions, settledRequests, thinkingRequest, uid,
} from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
});

async function readAll(readable) {
  const parts = [];
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return parts;
    parts.push(value);
  }
}

const texts = (parts, type) => parts.filter((p) => p.type === type).map((p) => p.text).join("");
const opts = { reasoningTokens: 20, answerTokens: 10 };

for (const protocol of PROTOCOLS) {
  describe(`ReadableStream (${protocol})`, () => {
    test("toReadableStream() yields the parts iteration would, then closes", async () => {
      const ref = new Client(mockOptions(mock, protocol, { id: uid("ref"), ...opts })).stream(thinkingRequest());
      const { parts: want } = await consume(ref);
      const stream = new Client(mockOptions(mock, protocol, { id: uid("rs"), ...opts })).stream(thinkingRequest());
      const readable = stream.toReadableStream();
      assert.ok(readable instanceof ReadableStream);
      const parts = await readAll(readable);
      assert.equal(texts(parts, "reasoning"), ref.reasoning);
      assert.equal(texts(parts, "answer"), ref.answer);
      assert.ok(ref.reasoning && ref.answer);
      assert.deepEqual(parts.map((p) => p.type).filter((t) => t === "usage"), want.map((p) => p.type).filter((t) => t === "usage"));
      assert.equal(parts.at(-1).usage, stream.usage, "the usage part is stream.usage");
      assert.equal((await stream.result()).answer, ref.answer);
    });

    test("tee(): both branches get every part", async () => {
      const stream = new Client(mockOptions(mock, protocol, { id: uid("tee"), ...opts })).stream(thinkingRequest());
      const [a, b] = stream.tee();
      const [pa, pb] = await Promise.all([readAll(a), readAll(b)]);
      assert.deepEqual(pa, pb);
      assert.equal(texts(pa, "answer"), stream.answer);
      assert.ok(stream.answer.length > 0);
    });

    test("cancel() stops the request: the server sees the connection close", async () => {
      const id = uid("cancel");
      const stream = new Client(mockOptions(mock, protocol, { id, fault: "stall:1500" })).stream(thinkingRequest());
      const reader = stream.toReadableStream().getReader();
      assert.equal((await reader.read()).done, false);
      await reader.cancel();
      assertLibError(await stream.result().then(() => assert.fail("result() resolved"), (e) => e), "AbortError");
      const recs = await settledRequests(mock, id, { timeoutMs: 4000 });
      assert.equal(recs[0]?.outcome, "disconnected");
    });

    test("a failed request errors the ReadableStream with the library's error", async () => {
      const stream = new Client(mockOptions(mock, protocol, { id: uid("err"), fault: "error-event:2" })).stream(thinkingRequest());
      const error = await readAll(stream.toReadableStream()).then(() => assert.fail("read to the end"), (e) => e);
      assertLibError(error, "ApiError");
      assert.ok(error.partial, "partial kept");
    });
  });
}
