// The parts queue (src/web/js/parts.js): O(1) work per part, however long
// the backlog (issue 16, bug 1: `Array.prototype.shift` moved every queued
// part on each dequeue; draining 200 000 parts after `result()` took 17 s).
// Linearity is shown by counting the work (element moves), as the SSE
// parser's linear-work test does, not by timing; bench/focus.mjs has the
// time for 200 000 parts.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { Queue } from "../../src/web/js/parts.js";
import { loadPkg } from "./helpers.mjs";

test("draining a backlog of 200 000 costs O(n) moves, in FIFO order", () => {
  const n = 200_000;
  const work = { moves: 0 };
  const q = new Queue(work);
  for (let i = 0; i < n; i++) q.push(i);
  assert.equal(q.size, n);
  for (let i = 0; i < n; i++) assert.equal(q.shift(), i);
  assert.equal(q.size, 0);
  assert.equal(q.shift(), undefined);
  // Array.prototype.shift moves every remaining element: n²/2 = 2·10¹⁰ here.
  assert.ok(work.moves <= n, `moves ${work.moves} for ${n} parts`);
});

test("any interleaving of pushes and shifts: FIFO as an array, at most one move per element", () => {
  // A seeded generator: a failure replays.
  let seed = 0x9e3779b9;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let round = 0; round < 40; round++) {
    const work = { moves: 0 };
    const q = new Queue(work);
    // The model: values are pushed in order 0, 1, 2…, so FIFO means each
    // shift gives the next number not yet shifted (or undefined).
    let pushed = 0;
    let next = 0;
    let shifts = 0;
    const burst = 1 + Math.floor(rand() * 3000);
    for (let step = 0; step < 600; step++) {
      if (rand() < 0.55) {
        for (let k = Math.floor(rand() * burst); k > 0; k--) q.push(pushed++);
      } else {
        for (let k = Math.floor(rand() * burst); k > 0; k--) {
          shifts++;
          const v = q.shift();
          if (next < pushed) assert.equal(v, next++, `round ${round}`);
          else assert.equal(v, undefined, `round ${round}`);
        }
      }
      assert.equal(q.size, pushed - next);
    }
    assert.ok(work.moves <= shifts, `round ${round}: ${work.moves} moves for ${shifts} shifts`);
  }
});

test("clear() drops everything queued", () => {
  const q = new Queue();
  for (let i = 0; i < 5000; i++) q.push({ i });
  q.shift();
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.shift(), undefined);
  q.push(1);
  assert.equal(q.shift(), 1);
});

// Through the package: every part is still there after result().
let server;
const EVENTS = 30_000;
before(async () => {
  // Reasoning and answer events alternate, so no two parts coalesce,
  // whatever the reads: one part per event.
  const body = [];
  for (let i = 0; i < EVENTS; i++) {
    const delta = i % 2 ? `"content":"a${i} "` : `"reasoning_content":"r${i} "`;
    body.push(`data: {"choices":[{"index":0,"delta":{${delta}},"finish_reason":null}]}\n\n`);
  }
  body.push('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
  const text = body.join("");
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(text);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
});
after(() => new Promise((r) => server.close(r)));

test(`iterating after result() yields every part (${EVENTS} of them), in order`, async () => {
  const { Client } = await loadPkg();
  const client = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, maxRetries: 0 });
  const stream = client.stream({ model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "x" }] });
  const result = await stream.result();
  let n = 0;
  let reasoning = "";
  let answer = "";
  for await (const part of stream) {
    const want = n % 2 ? "answer" : "reasoning";
    assert.equal(part.type, want, `part ${n}`);
    assert.equal(part.text, `${want[0]}${n} `);
    if (part.type === "reasoning") reasoning += part.text;
    else answer += part.text;
    n++;
  }
  assert.equal(n, EVENTS);
  assert.equal(reasoning, result.reasoning);
  assert.equal(answer, result.answer);
});
