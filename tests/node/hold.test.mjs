// The transport's hold-back of small reads (src/web/js/transport.js
// `endsEvent`): a read is handed to the core only when it may end an SSE
// event, so it must answer true for every read in which a blank line
// completes, whatever the line endings (LF, CR LF, CR) and wherever the
// reads split the stream. Checked against a reference line splitter over
// random streams and random splits (seeded: a failure replays).
import assert from "node:assert/strict";
import { test } from "node:test";
import { endsEvent } from "../../src/web/js/transport.js";

/** Offsets (exclusive ends) at which a blank line completes, per the SSE spec's line rules. */
function blankLineEnds(bytes) {
  const ends = [];
  let lineEmpty = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 10 && i > 0 && bytes[i - 1] === 13) continue; // CR LF: the LF belongs to the CR
    if (b === 10 || b === 13) {
      if (lineEmpty) ends.push(i + 1);
      lineEmpty = true;
    } else lineEmpty = false;
  }
  return ends;
}

test("endsEvent is true for every read in which a blank line completes, over random streams and splits", () => {
  let seed = 0x2545f491;
  const rand = (n) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n);
  const alphabet = [10, 13, 97, 58, 100];
  for (let round = 0; round < 3000; round++) {
    const bytes = Uint8Array.from({ length: 1 + rand(60) }, () => alphabet[rand(alphabet.length)]);
    const ends = blankLineEnds(bytes);
    let prev = 10; // the transport starts as if after a line break
    for (let at = 0; at < bytes.length; ) {
      const to = Math.min(bytes.length, at + 1 + rand(12));
      const read = bytes.subarray(at, to);
      const expected = ends.some((e) => e > at && e <= to);
      const got = endsEvent(read, prev);
      if (expected) assert.ok(got, `round ${round}: read [${at}, ${to}) of ${JSON.stringify([...bytes])} completes a blank line`);
      // Not a loose "maybe": a read that completes none says so, or the
      // hold would save nothing.
      else assert.ok(!got, `round ${round}: read [${at}, ${to}) of ${JSON.stringify([...bytes])} completes no blank line`);
      prev = read[read.length - 1];
      at = to;
    }
  }
});

test("LF-only streams, the Model Studio case: a blank line split across two reads is seen", () => {
  const enc = new TextEncoder();
  assert.equal(endsEvent(enc.encode("data: {}\n"), 0), false);
  assert.equal(endsEvent(enc.encode("\nid:2"), 10), true);
  assert.equal(endsEvent(enc.encode("data: {}\n\n"), 0), true);
  assert.equal(endsEvent(enc.encode("event:result\n"), 10), false);
});
