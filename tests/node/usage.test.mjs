// Issue 16, bug 2: a usage object that is not valid JSON. The scanner only
// bracket-matches what it skips, so `{"x":tru,…}` used to be kept as
// usage.raw and then fail JSON.parse in the binding, surfacing as a
// NetworkError. The core now checks a usage object before it keeps it:
// one that is not valid JSON is ignored, with the stream intact
// (docs/usage.md, "Streaming").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { PROTOCOLS, assertStreamInvariants, assertUsageShape, consume, loadPkg, mockOptions, thinkingRequest, uid } from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(() => mock?.stop());

for (const protocol of PROTOCOLS) {
  describe(`a usage object that is not valid JSON (${protocol})`, () => {
    const client = (fault) =>
      new Client(mockOptions(mock, protocol, { id: uid("bu"), fault, reasoningTokens: 20, answerTokens: 10, maxRetries: 0 }));

    test("is ignored: every text part, the finish, and only a valid usage (if any) arrive", async () => {
      const good = client();
      const ref = good.stream(thinkingRequest());
      await consume(ref);
      const stream = client("bad-usage").stream(thinkingRequest());
      const { parts, snapshots } = await consume(stream);
      assertStreamInvariants(stream, parts, snapshots);
      assert.equal(stream.reasoning, ref.reasoning);
      assert.equal(stream.answer, ref.answer);
      assert.equal(stream.finishReason, "stop");
      const result = await stream.result();
      assert.equal(result.answer, ref.answer);
      // openai: the broken object was the only one, so there is none;
      // dashscope: the last valid one (an earlier event's), if one came in
      // an earlier read, never the broken final bill.
      for (const u of [stream.usage, result.usage, ...parts.filter((p) => p.type === "usage").map((p) => p.usage)]) {
        if (u === undefined) continue;
        assertUsageShape(u);
        assert.ok(!("x" in u.raw), "the broken object is never passed on");
        assert.ok(u.outputTokens < ref.usage.outputTokens, "an earlier event's usage, not the broken final one");
      }
      if (protocol === "openai") assert.equal(stream.usage, undefined);
    });

    test("complete() resolves with the texts", async () => {
      const result = await client("bad-usage").complete(thinkingRequest());
      assert.equal(result.finishReason, "stop");
      assert.ok(result.answer.length > 0);
      if (result.usage !== undefined) assert.ok(!("x" in result.usage.raw));
    });
  });
}
