// Draining a backlog of parts: `n` one-event reads (each event its own
// part), `await stream.result()`, then iterating every part. The
// iteration's time is what the parts queue costs (issue 16, bug 1: with
// Array.shift it was quadratic, 17 s for 200 000 parts). This package
// only: the peers keep no queue to drain.

const enc = new TextEncoder();

/** The reads: `n` reasoning events, then the finish and [DONE]. */
export function eventReads(n) {
  const one = enc.encode('data: {"choices":[{"index":0,"delta":{"content":null,"reasoning_content":"x"},"finish_reason":null}]}\n\n');
  const reads = Array.from({ length: n }, () => one);
  reads.push(enc.encode('data: {"choices":[{"index":0,"delta":{"content":"y"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'));
  return reads;
}

/**
 * One drain: ms for the iteration after result(), by `now` (performance.now
 * by default). `reads` from eventReads.
 */
export async function drain(Client, reads, now = () => performance.now()) {
  let i = 0;
  const fetchImpl = async () =>
    new Response(
      new ReadableStream({
        pull(c) {
          if (i < reads.length) c.enqueue(reads[i++]);
          else c.close();
        },
      }, { highWaterMark: 0 }),
      { headers: { "content-type": "text/event-stream" } },
    );
  const saved = globalThis.fetch;
  globalThis.fetch = fetchImpl;
  try {
    const stream = new Client({ baseUrl: "http://bench.invalid", maxRetries: 0 })
      .stream({ model: "qwen3-vl-plus", enableThinking: true, messages: [{ role: "user", content: "x" }] });
    await stream.result();
    const t0 = now();
    let n = 0;
    for await (const _ of stream) n++;
    const t = now() - t0;
    // Each read is one event, one part (the reads are not coalesced: one
    // read, one feed), plus the answer's.
    if (n !== reads.length) throw new Error(`drained ${n} parts of ${reads.length}`);
    return t;
  } finally {
    globalThis.fetch = saved;
  }
}
