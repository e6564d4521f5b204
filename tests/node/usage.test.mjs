// Issue 16, bug 2: a usage object that is not valid JSON. The scanner only
// bracket-matches what it skips, so `{"prompt_tokens":1,"x":tru}` used to
// be kept as usage.raw and then fail JSON.parse in the binding, surfacing
// as a NetworkError. The core now reads a usage object as strictly as
// JSON.parse: one that is not valid JSON makes its event "not valid JSON",
// a StreamError with the text kept (docs/usage.md, "A broken usage object").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { PROTOCOLS, assertLibError, assertPartial, assertUsageShape, iterationError, loadPkg, mockOptions, rejection, thinkingRequest, uid } from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(() => mock?.stop());

for (const protocol of PROTOCOLS) {
  describe(`a usage object that is not valid JSON (${protocol})`, () => {
    const client = () =>
      new Client(mockOptions(mock, protocol, { id: uid("bu"), fault: "bad-usage", reasoningTokens: 20, answerTokens: 10, maxRetries: 2 }));

    test("iteration: StreamError naming the event, every text part delivered first", async () => {
      const stream = client().stream(thinkingRequest());
      const { error, parts } = await iterationError(stream);
      assertLibError(error, "StreamError", { retryable: false });
      assert.match(error.message, /^event \d+ is not valid JSON: /);
      assertPartial(error, stream);
      assert.equal(error.partial.finishReason, "stop", "the finish reason had arrived");
      const texts = parts.filter((p) => p.type !== "usage");
      assert.equal(texts.map((p) => p.text).join(""), stream.reasoning + stream.answer);
      assert.ok(!parts.some((p) => p.type === "usage"), "no usage part from a broken usage object");
      // Whatever usage survives is an earlier event's (dashscope), parsed.
      if (stream.usage !== undefined) assertUsageShape(stream.usage);
    });

    test("result() and complete() reject with the same StreamError", async () => {
      const viaResult = await rejection(client().stream(thinkingRequest()).result(), "result()");
      const viaComplete = await rejection(client().complete(thinkingRequest()), "complete()");
      for (const err of [viaResult, viaComplete]) {
        assertLibError(err, "StreamError", { retryable: false });
        assert.match(err.message, /is not valid JSON/);
        assertPartial(err);
      }
    });
  });
}
