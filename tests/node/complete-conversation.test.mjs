// API.md "complete()" and "Conversation".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import {
  PROTOCOLS, assertUsageShape, consume, iterationError, loadPkg, mockOptions, rejection, requestsFor, uid,
} from "./helpers.mjs";

const { Client, Conversation } = await loadPkg();

let mock;
let pacedMock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
  // Paced, so that a send can be observed while it runs.
  pacedMock = await startMock({ allowNoOrigin: true, tokensPerSecond: 300 });
});
after(async () => {
  await mock?.stop();
  await pacedMock?.stop();
});

/** The text of a Message's content, string or items of either style. */
function text(content) {
  if (typeof content === "string") return content;
  return content.map((c) => c.text ?? "").join("");
}

/** Messages of a recorded wire body, as [role, text] pairs. */
function wireTurns(protocol, body) {
  const msgs = protocol === "openai" ? body.messages : body.input.messages;
  return msgs.map((m) => [m.role, text(m.content)]);
}

for (const protocol of PROTOCOLS) {
  describe(`complete() (${protocol})`, () => {
    test('transport "stream" (the default) streams and collects', async () => {
      const id = uid("cs");
      const r = await new Client(mockOptions(mock, protocol, { id })).complete({
        model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "x" }],
      });
      assert.equal(r.model, "qwen3-vl-plus");
      assert.ok(r.reasoning.length > 0 && r.answer.length > 0);
      assert.equal(r.finishReason, "stop");
      assertUsageShape(r.usage);
      assert.ok(r.requestId);
      const [rec] = await requestsFor(mock, id);
      assert.match(rec.headers.accept ?? "", /text\/event-stream/);
      if (protocol === "openai") assert.equal(rec.body.stream, true);
      else assert.equal(rec.headers["x-dashscope-sse"], "enable");
    });

    test('transport "json" sends a non-streaming request and resolves the same Result shape', async () => {
      const id = uid("cj");
      const r = await new Client(mockOptions(mock, protocol, { id })).complete({
        model: "qwen3-vl-plus", enableThinking: true, transport: "json", messages: [{ role: "user", content: "x" }],
      });
      assert.equal(r.model, "qwen3-vl-plus");
      assert.ok(r.answer.length > 0, "answer");
      assert.equal(typeof r.reasoning, "string");
      assert.ok(r.reasoning.length > 0, "reasoning of a thinking request");
      assert.equal(r.finishReason, "stop");
      assertUsageShape(r.usage);
      assert.ok(r.requestId, "requestId");
      const [rec] = await requestsFor(mock, id);
      if (protocol === "openai") assert.ok(rec.body.stream !== true);
      else assert.ok(!("x-dashscope-sse" in rec.headers));
      assert.ok(!(rec.headers.accept ?? "").includes("text/event-stream"), `Accept of a json request: ${rec.headers.accept}`);
    });

    test('transport "json" errors: ApiError from the JSON body', async () => {
      const err = await rejection(new Client(mockOptions(mock, protocol, { fault: "status:401", maxRetries: 0 })).complete({
        model: "qwen3-vl-plus", transport: "json", messages: [{ role: "user", content: "x" }],
      }));
      assert.equal(err.name, "ApiError");
      assert.equal(err.status, 401);
    });
  });

  describe(`Conversation (${protocol})`, () => {
    test("system first; history commits user + answer (never reasoning) on success; the wire carries it", async () => {
      const id = uid("conv");
      const client = new Client(mockOptions(pacedMock, protocol, { id, reasoningTokens: 12, answerTokens: 6 }));
      const conv = client.conversation({ model: "qwen3-vl-plus", enableThinking: true, system: "Be brief." });
      assert.ok(conv instanceof Conversation);
      assert.deepEqual(conv.messages.map((m) => [m.role, text(m.content)]), [["system", "Be brief."]]);

      const s1 = conv.send("First question?");
      const r1 = await s1.result();
      assert.ok(r1.reasoning.length > 0, "the model thought");
      assert.deepEqual(conv.messages.map((m) => [m.role, text(m.content)]), [
        ["system", "Be brief."],
        ["user", "First question?"],
        ["assistant", r1.answer],
      ]);

      const s2 = conv.send([{ text: "Second?" }]);
      // While a send runs, messages shows the committed history only.
      assert.equal(conv.messages.length, 3);
      let observedRunning = 0;
      const { parts } = await consume(s2, () => {
        // Until the finish reason has arrived the send is running.
        if (s2.finishReason === undefined) {
          observedRunning += 1;
          assert.equal(conv.messages.length, 3, "messages changed while the send was running");
        }
      });
      assert.ok(parts.length > 0);
      assert.ok(observedRunning > 0, "the paced send was observed while running (else this proves nothing)");
      assert.equal(conv.messages.length, 5);
      assert.deepEqual(conv.messages.slice(3).map((m) => [m.role, text(m.content)]), [["user", "Second?"], ["assistant", s2.answer]]);
      for (const m of conv.messages) assert.ok(!JSON.stringify(m).includes(r1.reasoning), "reasoning never enters the history");

      const recs = await requestsFor(pacedMock, id);
      assert.equal(recs.length, 2);
      assert.deepEqual(wireTurns(protocol, recs[0].body), [["system", "Be brief."], ["user", "First question?"]]);
      assert.deepEqual(wireTurns(protocol, recs[1].body), [
        ["system", "Be brief."], ["user", "First question?"], ["assistant", r1.answer], ["user", "Second?"],
      ]);
      const wire = JSON.stringify(recs[1].body);
      assert.ok(!wire.includes(r1.reasoning), "the first turn's reasoning is not sent back");
      assert.ok(!wire.includes("reasoning_content"), "no reasoning_content field in the history sent");
      // The defaults reach every request.
      if (protocol === "openai") assert.equal(recs[1].body.enable_thinking, true);
      else assert.equal(recs[1].body.parameters.enable_thinking, true);
    });

    test("no system: the history starts with the user; messages is empty before the first send", async () => {
      const conv = new Client(mockOptions(mock, protocol, {})).conversation({ model: "qvq-max" });
      assert.deepEqual(conv.messages, []);
      await conv.send("Hi").result();
      assert.deepEqual(conv.messages.map((m) => m.role), ["user", "assistant"]);
    });

    test("an error leaves messages as it was, and the failed turn is not sent later", async () => {
      const id = uid("cerr");
      // 503-once with no retries: the first send fails, the next succeeds.
      const client = new Client(mockOptions(mock, protocol, { id, fault: `503-once:${id}`, maxRetries: 0 }));
      const conv = client.conversation({ model: "qwen3-vl-plus", system: "S" });
      const { error } = await iterationError(conv.send("lost question"));
      assert.equal(error.name, "ApiError");
      assert.deepEqual(conv.messages.map((m) => [m.role, text(m.content)]), [["system", "S"]]);
      await conv.send("kept question").result();
      const recs = await requestsFor(mock, id);
      assert.deepEqual(wireTurns(protocol, recs.at(-1).body), [["system", "S"], ["user", "kept question"]]);
      assert.equal(conv.messages.length, 3);
    });

    test("an error after text arrived (in-stream error) leaves messages unchanged", async () => {
      const conv = new Client(mockOptions(mock, protocol, { fault: "error-event:3", maxRetries: 0, reasoningTokens: 20 })).conversation({ model: "qvq-max" });
      const s = conv.send("q");
      const { error } = await iterationError(s);
      assert.equal(error.name, "ApiError");
      assert.ok(s.reasoning.length > 0, "text had arrived");
      assert.deepEqual(conv.messages, []);
    });

    test("stream.abort() and breaking out of the loop leave messages unchanged", async () => {
      const id = uid("cab");
      const client = new Client(mockOptions(mock, protocol, { id, fault: "stall:400", reasoningTokens: 10, answerTokens: 5 }));
      const conv = client.conversation({ model: "qwen3-vl-plus", enableThinking: true });
      const r1 = await conv.send("one").result();
      assert.equal(conv.messages.length, 2);

      const s2 = conv.send("two");
      const it = s2[Symbol.asyncIterator]();
      await it.next();
      s2.abort();
      assert.equal((await rejection(s2.result())).name, "AbortError");
      assert.equal(conv.messages.length, 2, "abort() left the history unchanged");

      const s3 = conv.send("three");
      for await (const p of s3) {
        assert.ok(p);
        break;
      }
      assert.equal(conv.messages.length, 2, "break (Stop) left the history unchanged");

      const ac = new AbortController();
      const conv2 = client.conversation({ model: "qwen3-vl-plus", signal: ac.signal });
      const s4 = conv2.send("four");
      setTimeout(() => ac.abort(), 100);
      assert.equal((await iterationError(s4)).error.name, "AbortError");
      assert.deepEqual(conv2.messages, []);

      await conv.send("five").result();
      const recs = await requestsFor(mock, id);
      assert.deepEqual(wireTurns(protocol, recs.at(-1).body), [
        ["user", "one"], ["assistant", r1.answer], ["user", "five"],
      ]);
    });

    test('a reply cut at maxTokens (finish reason "length") is committed too', async () => {
      const conv = new Client(mockOptions(mock, protocol, { answerTokens: 40 })).conversation({ model: "qwen3-vl-plus", maxTokens: 5 });
      const r = await conv.send("long answer please").result();
      assert.equal(r.finishReason, "length");
      assert.deepEqual(conv.messages.map((m) => [m.role, text(m.content)]), [["user", "long answer please"], ["assistant", r.answer]]);
    });

    test("send() validates synchronously", async () => {
      const client = new Client(mockOptions(mock, protocol, {}));
      assert.throws(() => client.conversation({ model: "qvq-max", enableThinking: false }).send("x"), { name: "InvalidRequestError" });
      const conv = client.conversation({ model: "qwen3-vl-plus" });
      assert.throws(() => conv.send([]), { name: "InvalidRequestError" });
      assert.throws(() => conv.send(""), { name: "InvalidRequestError" });
      assert.deepEqual(conv.messages, []);
    });

    test("images in a turn are kept in the history and sent again", async () => {
      const id = uid("cimg");
      const conv = new Client(mockOptions(mock, protocol, { id })).conversation({ model: "qwen3-vl-plus" });
      await conv.send([{ image: "https://example.com/t.png" }, { text: "Angle?" }]).result();
      await conv.send("And the other one?").result();
      const recs = await requestsFor(mock, id);
      const wire = JSON.stringify(recs[1].body);
      assert.ok(wire.includes("https://example.com/t.png"), "the earlier image is part of the history sent");
    });
  });
}
