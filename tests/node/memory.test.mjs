// Wasm memory never shrinks, and the garbage collector, which frees a
// stream's core only when it collects the JS object, cannot see how much
// wasm memory that object holds. So a stream must let go of its request
// (images, history) once the body is built, and of its texts once it ends,
// even while the page keeps the stream object.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startMock } from "../support/mock.mjs";
import { PROTOCOLS, loadPkg, mockOptions } from "./helpers.mjs";

const pkg = await loadPkg();
const { Client } = pkg;
// Already initialised: initSync hands back the same instance's exports.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wasm = pkg.initSync({ module: readFileSync(path.join(ROOT, "pkg/visual_reasoning_bg.wasm")) });

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
});

const MIB = 1 << 20;
// Every stream stays referenced to the end of the file, so no test's
// streams can be collected and make room for the next test's.
const kept = [];

for (const protocol of PROTOCOLS) {
  test(`${protocol}: finished streams the page still holds keep no request or text in wasm memory`, async () => {
    const client = new Client(mockOptions(mock, protocol, { reasoningTokens: 3000, answerTokens: 500 }));
    // A 1 MiB question: a photo's data: URL weighs about that.
    const question = "Why? ".repeat(MIB / 5);
    const ask = () =>
      client.stream({ model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: question }] });
    // One first, so the allocator's working set is in place.
    const first = ask();
    const done = await first.result();
    assert.ok(done.reasoning.length > 1000 && done.answer.length > 100, "the mock replied in full");
    const start = wasm.memory.buffer.byteLength;
    const held = [first];
    for (let i = 0; i < 16; i++) {
      const stream = ask();
      for await (const part of stream) assert.ok(part.type);
      held.push(stream);
    }
    kept.push(...held);
    const grown = wasm.memory.buffer.byteLength - start;
    // Holding on to each request would take 16 MiB or more (and its texts
    // more again); what one request needs while it is sent is ~3 MiB.
    assert.ok(grown < 6 * MIB, `wasm memory grew by ${(grown / MIB).toFixed(1)} MiB over 16 held streams`);
    // The streams still answer what a page reads after the end.
    for (const stream of held) {
      assert.ok(stream.reasoning.length > 1000);
      assert.equal(typeof stream.requestId, "string");
      assert.equal(stream.finishReason, "stop");
      assert.ok(stream.usage.totalTokens > 0);
      assert.equal((await stream.result()).answer, stream.answer);
    }
  });
}
