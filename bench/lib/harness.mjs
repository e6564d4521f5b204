// Runtime-neutral benchmark loop (Node 20 and Chromium run this same code).
// Delivery: the bytes of a transcript, served by a substituted
// `globalThis.fetch` as a ReadableStream of views of one buffer — so every
// contender sees a real Response and reader, and no time goes to sockets.

const OPTS = { baseUrl: "http://bench.invalid", headers: {} };

/**
 * A fetch that answers every request with `bytes` in `chunk`-byte reads.
 * `onRead` (optional) runs every 64th read; the memory sampler uses it.
 */
export function memFetch(bytes, chunk, protocol, onRead) {
  const contentType = protocol === "openai" ? "text/event-stream" : "text/event-stream;charset=UTF-8";
  return async (_input, init) => {
    let off = 0;
    let reads = 0;
    const signal = init && init.signal;
    const body = new ReadableStream({
      pull(controller) {
        if (off >= bytes.length) { controller.close(); return; }
        const end = Math.min(off + chunk, bytes.length);
        // A view, not a copy: the producer side should cost the same for all.
        controller.enqueue(bytes.subarray(off, end));
        off = end;
        if (onRead && (++reads & 63) === 0) onRead();
      },
    }, { highWaterMark: 0 });
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    return new Response(body, {
      status: 200,
      headers: { "content-type": contentType, "x-request-id": "a1b2c3d4-0000-4000-8000-000000000001" },
    });
  };
}

// FNV-1a over UTF-16 code units: enough to tell texts apart without
// shipping megabytes of text out of a page.
export function digest(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16) + ":" + s.length;
}

export function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

async function withFetch(fetchImpl, fn) {
  const saved = globalThis.fetch;
  globalThis.fetch = fetchImpl;
  try { return await fn(); } finally { globalThis.fetch = saved; }
}

/**
 * Runs every contender once on `bytes` and returns their digests, so the
 * caller can refuse to time contenders that disagree.
 */
export async function check(contenders, bytes, protocol, chunk) {
  const out = {};
  for (const c of contenders) {
    try {
      const r = await withFetch(memFetch(bytes, chunk, protocol), () => c.run({ ...OPTS, protocol }));
      out[c.name] = { reasoning: digest(r.reasoning), answer: digest(r.answer) };
    } catch (e) {
      out[c.name] = { error: String(e && e.stack || e) };
    }
  }
  return out;
}

/**
 * Times the contenders round-robin (run r of every contender, then run r+1),
 * starting each round at the next contender, so drift in machine load and
 * the garbage one run leaves for the next hit all of them alike. No forced
 * GC between runs: in Chromium a run right after `gc()` is 0.3–1 ms slower
 * (cold caches), which is not how a page meets a reply. Returns ms per run.
 */
export async function time(contenders, bytes, protocol, chunk, { warmups, runs, prewarm = false }) {
  if (prewarm) await warmPlatform(protocol);
  const times = Object.fromEntries(contenders.map((c) => [c.name, []]));
  const n = contenders.length;
  for (let r = 0; r < warmups + runs; r++) {
    for (let i = 0; i < n; i++) {
      const c = contenders[(r + i) % n];
      const fetchImpl = memFetch(bytes, chunk, protocol);
      const t0 = performance.now();
      await withFetch(fetchImpl, () => c.run({ ...OPTS, protocol }));
      const t = performance.now() - t0;
      if (r >= warmups) times[c.name].push(t);
    }
  }
  return times;
}

/**
 * Uses what every contender shares — a Response over a ReadableStream, its
 * reader, a TextDecoder — once, through no contender: in Node these are
 * JavaScript (undici, web streams) loaded on first use, which would
 * otherwise land in whichever contender's cold run comes first.
 */
async function warmPlatform(protocol) {
  const res = await memFetch(new Uint8Array(64), 16, protocol)("http://bench.invalid", {});
  const reader = res.body.getReader();
  while (!(await reader.read()).done);
  new TextDecoder().decode(new Uint8Array(4), { stream: true });
}

/**
 * The scaling curve: every input of `inputs` ({name, bytes}) and every
 * contender in each round, inputs interleaved, so a burst of load on the
 * shared machine lands on all sizes alike instead of on whichever size ran
 * at the time. Returns {inputName: {contender: ms[]}}.
 */
export async function scale(contenders, inputs, protocol, chunk, { warmups, runs }) {
  const times = Object.fromEntries(inputs.map((i) => [i.name, Object.fromEntries(contenders.map((c) => [c.name, []]))]));
  const n = contenders.length;
  for (let r = 0; r < warmups + runs; r++) {
    for (const inp of inputs) {
      for (let i = 0; i < n; i++) {
        const c = contenders[(r + i) % n];
        const fetchImpl = memFetch(inp.bytes, chunk, protocol);
        const t0 = performance.now();
        await withFetch(fetchImpl, () => c.run({ ...OPTS, protocol }));
        const t = performance.now() - t0;
        if (r >= warmups) times[inp.name][c.name].push(t);
      }
    }
  }
  return times;
}

/**
 * One run with a heap sampler. Returns the peak of `sample()` during the
 * run and what stays after a GC with the texts still held (`retained`),
 * both minus the value after a GC just before, plus the texts' length and
 * `extra()` growth (the package's wasm linear memory, which `sample()`
 * may not see).
 */
export async function memory(contender, bytes, protocol, chunk, { gc, sample, extra = () => 0 }) {
  if (gc) { gc(); gc(); }
  const base = sample();
  const extra0 = extra();
  let peak = base;
  const onRead = () => { const v = sample(); if (v > peak) peak = v; };
  const r = await withFetch(memFetch(bytes, chunk, protocol, onRead), () =>
    contender.run({ ...OPTS, protocol }));
  onRead();
  if (gc) { gc(); gc(); }
  const retained = sample() - base;
  const textChars = r.reasoning.length + r.answer.length;
  // Latin-1-only strings take a byte a char in V8, others two.
  // eslint-disable-next-line no-control-regex
  const wide = (s) => /[^\u0000-\u00ff]/.test(s);
  const textBytes = r.reasoning.length * (wide(r.reasoning) ? 2 : 1) + r.answer.length * (wide(r.answer) ? 2 : 1);
  return { peak: peak - base, retained, textChars, textBytes, extraGrowth: extra() - extra0 };
}

/**
 * End to end: the real fetch against a live server (the mock). `once`
 * names contenders run a single time, without warm-up (openai-node takes
 * over a minute a run on the long reply in Chromium).
 */
export async function timeLive(contenders, protocol, baseUrl, headers, { warmups, runs, once = [] }) {
  const times = Object.fromEntries(contenders.map((c) => [c.name, []]));
  const digests = {};
  const n = contenders.length;
  for (let r = 0; r < warmups + runs; r++) {
    for (let i = 0; i < n; i++) {
      const c = contenders[(r + i) % n];
      if (once.includes(c.name) && r !== warmups) continue;
      const t0 = performance.now();
      const res = await c.run({ baseUrl, protocol, headers });
      const t = performance.now() - t0;
      if (!digests[c.name]) digests[c.name] = { reasoning: digest(res.reasoning), answer: digest(res.answer) };
      if (r >= warmups) times[c.name].push(t);
    }
  }
  return { times, digests };
}
