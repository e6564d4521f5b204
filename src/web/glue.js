// The transport of the binding layer, in JavaScript: fetch, retries,
// timeouts, the body reader and the async-iterator queue.
//
// Why JS: the same logic as Rust async code cost ~40 KB gzipped of wasm
// (wasm-bindgen-futures, one state machine per async fn, a glue shim and a
// closure type per callback), against a 36 KB budget for the whole
// package; here it is ~3 KB. Everything that decides something (wire
// format, parsing, validation, error fields, retry delays) stays in the
// Rust core: this file calls it through `core`, the ReasoningStream's
// hidden `__*` methods (src/web/iter.rs), and only moves bytes, timers and
// promises around. Errors are made by the core (`core.__error`), so each
// has API.md's fields and, once text arrived, `partial`.
//
// `fetch`, `setTimeout`, `clearTimeout` are looked up as globals at call
// time, so the same code runs in a page, a Worker and Node, and a test may
// replace `globalThis.fetch` (gloo #201).

// Error kinds: the order of `ErrorKind` in src/error.rs (see iter.rs `kind`).
const NETWORK = 1;
const TIMEOUT = 2;
const ABORT = 3;
const STREAM = 4;
const INVALID = 5;

// Timer phases: before headers a timeout is retried; inside the body it
// ends the stream; after the reply's last event it only closes the body.
const HEADERS = 0;
const BODY = 1;
const DRAIN = 2;

/** Reads shorter than this that end no line are held back (see `feed`). */
const HOLD = 1024;

/** How long the server may take to close the body after the last event. */
const DRAIN_MS = 5000;

/** `setTimeout` fires at once for delays past 2^31-1 ms (say Infinity). */
const delayOk = (ms) => Number.isFinite(ms) && ms <= 2147483647;

const done = () => ({ value: undefined, done: true });

/** A thrown JS value's message, for wrapping in our own errors. */
const message = (e) => (typeof e === "string" ? e : typeof e?.message === "string" ? e.message : "");

/** The request id headers Model Studio sends, in order of preference. */
const requestId = (resp) => resp.headers.get("x-request-id") ?? resp.headers.get("x-dashscope-request-id") ?? undefined;

const ignore = () => {};

// The markers of src/options.rs, as JSON text: `{"\u0000":"<kind>"…}`.
const MARK = '{"\\u0000":"';
const ANY = MARK + '?"}';
const SIGNAL = MARK + 's"}';
const EXTRA_BAD = MARK + 'x!"}';

/**
 * Options as the core reads them (src/options.rs): one JSON text, with
 * what JSON cannot carry as markers — every number (exact, Infinity and
 * NaN included) an index into `nums`, each Blob an index into `blobs`
 * with its type, the AbortSignal, and `extra` serialised on its own (its
 * numbers as written, for the wire). Functions and symbols, which JSON
 * would drop, become a marker no field accepts, so a wrong type is named
 * rather than ignored. One string crosses into wasm instead of a property
 * read per field. Returns [json, nums, blobs, signal], or [undefined,
 * message] when the engine cannot serialise the value (a cycle).
 */
export function encode(value) {
  const nums = [];
  const blobs = [];
  let signal;
  // The objects being written, to refuse a cycle as JSON.stringify does.
  const stack = [];
  // JSON.stringify's rules, written out: a replacer function made the
  // engine call back into JS for every key, most of encode's time.
  const write = (holder, key, v) => {
    if (v !== null && typeof v === "object" && typeof v.toJSON === "function") v = v.toJSON(key);
    const type = typeof v;
    if (type === "number") return MARK + "n" + (nums.push(v) - 1) + '"}';
    // A string where a number belongs: the core names the field.
    if (type === "bigint") return JSON.stringify(String(v));
    if (type === "function" || type === "symbol") return ANY;
    if (holder === value && v != null) {
      if (key === "signal") return v instanceof AbortSignal ? ((signal = v), SIGNAL) : ANY;
      if (key === "extra" && type === "object") {
        try {
          return MARK + 'x","j":' + JSON.stringify(JSON.stringify(v)) + "}";
        } catch {
          return EXTRA_BAD;
        }
      }
    }
    if (type === "string") return JSON.stringify(v);
    if (type === "boolean") return v ? "true" : "false";
    if (v === undefined) return undefined;
    if (v === null) return "null";
    if (v instanceof Blob) return MARK + "b" + (blobs.push(v) - 1) + '","t":' + JSON.stringify(v.type) + "}";
    if (v instanceof Number || v instanceof String || v instanceof Boolean) return JSON.stringify(v);
    if (stack.includes(v)) throw new TypeError("Converting circular structure to JSON");
    stack.push(v);
    let out;
    if (Array.isArray(v)) {
      out = "[";
      for (let i = 0; i < v.length; i++) out += (i ? "," : "") + (write(v, String(i), v[i]) ?? "null");
      out += "]";
    } else {
      out = "{";
      for (const k of Object.keys(v)) {
        const item = write(v, k, v[k]);
        if (item !== undefined) out += (out.length > 1 ? "," : "") + JSON.stringify(k) + ":" + item;
      }
      out += "}";
    }
    stack.pop();
    return out;
  };
  try {
    return [write({ "": value }, "", value ?? null) ?? "null", new Float64Array(nums), blobs, signal];
  } catch (e) {
    return [undefined, message(e)];
  }
}

/** A client's transport settings (src/options.rs `transport_json`). */
export function config(json, timeoutMs, idleTimeoutMs, maxRetries) {
  const cfg = JSON.parse(json);
  cfg.timeoutMs = timeoutMs;
  cfg.idleTimeoutMs = idleTimeoutMs;
  cfg.maxRetries = maxRetries;
  return cfg;
}

/**
 * Starts one request. `core`: the stream's core handle; `cfg`: the client's
 * resolved options (iter.rs `config_js`); `blobs`: Blob images to read into
 * data: URLs first; `history`/`user`: a Conversation's turn, committed on
 * success. Returns the run that the ReasoningStream forwards to.
 */
export function run(core, cfg, json, signal, blobs, history, user) {
  return new Run(core, cfg, json, signal, blobs, history, user);
}

class Run {
  constructor(core, cfg, json, signal, blobs, history, user) {
    this.core = core;
    this.cfg = cfg;
    this.reasoning = "";
    this.answer = "";
    this.json = undefined;
    this.parts = [];
    // undefined while running, true once finished, else { error, delivered }
    // (delivered: the iterator has thrown it once; later next() says done).
    this.end = undefined;
    this.waiters = [];
    this.results = [];
    this.controller = undefined;
    this.timer = undefined;
    this.phase = HEADERS;
    this.timedOut = false;
    this.wake = undefined;
    this.signal = undefined;
    this.history = history;
    this.user = user;
    this.lastData = 0;
    this.usageObj = undefined;
    // Small reads that end no line, held back from the core (see feed).
    this.held = [];
    this.heldBytes = 0;
    this.onTimer = () => this.timerFired();
    this.onSignal = () => this.fail(core.__error(ABORT, "the request was aborted by its signal", false));
    if (signal) {
      if (signal.aborted) {
        this.onSignal();
        return;
      }
      signal.addEventListener("abort", this.onSignal);
      this.signal = signal;
    }
    // An error after the stream already ended (aborted, stopped, idle
    // timeout) is the echo of that ending: `fail` ignores it.
    this.drive(json, blobs).then(
      () => this.succeed(),
      (e) => this.fail(e?.retryable === undefined ? core.__error(NETWORK, message(e), false) : e),
    );
  }

  running() {
    return this.end === undefined;
  }

  // ------------------------------------------------------------ transport

  async drive(json, blobs) {
    const core = this.core;
    for (let i = 0; i < blobs.length; i++) {
      let bytes;
      try {
        bytes = new Uint8Array(await blobs[i].arrayBuffer());
      } catch {
        throw core.__error(INVALID, "could not read an image Blob", false);
      }
      core.__blob(i, blobs[i].type, bytes);
    }
    if (!this.running()) return;
    const resp = await this.open(core.__body());
    await (json ? this.readJson(resp) : this.readStream(resp));
  }

  /** A JS failure's message, without the API key should an engine quote it. */
  scrub(e) {
    const key = this.cfg.apiKey;
    const msg = message(e);
    return key ? msg.split(key).join("[redacted]") : msg;
  }

  aborted() {
    return this.core.__error(ABORT, "the request was aborted", false);
  }

  /**
   * Sends the request until response headers with a status below 400
   * arrive, retrying what API.md allows before any body byte.
   */
  async open(body) {
    const core = this.core;
    const cfg = this.cfg;
    const headers = new Headers();
    // Only the library's few headers and the caller's (which come last and
    // win): every extra one is a thing a relay's CORS preflight must allow.
    for (const [name, value, bad] of cfg.headers) {
      try {
        headers.set(name, value);
      } catch {
        throw core.__error(INVALID, bad ?? "a header name or value is not valid HTTP", false);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      this.beginAttempt(controller, cfg.timeoutMs);
      let resp, failure;
      try {
        resp = await fetch(cfg.url, { method: "POST", headers, body, signal: controller.signal });
      } catch (e) {
        failure = { e };
      }
      if (!this.running()) throw this.aborted();
      let error, retryAfter;
      if (resp) {
        const status = resp.status;
        // The headers timer stays armed: enterBody turns it into the
        // idle timer when it can.
        if (status < 400) return resp;
        // Still under timeoutMs: an error body that never ends is a
        // timeout like missing headers. A body that cannot be read still
        // has its status to report.
        let bytes = new Uint8Array(0);
        try {
          bytes = new Uint8Array(await resp.arrayBuffer());
        } catch {}
        if (!this.running()) throw this.aborted();
        error = core.__httpError(status, bytes, requestId(resp));
        retryAfter = resp.headers.get("retry-after") ?? undefined;
      } else if (this.timedOut) {
        error = core.__error(TIMEOUT, "no response headers arrived within timeoutMs", true);
      } else {
        const msg = "the request failed before a response (network error, CORS refusal or unreachable host): ";
        error = core.__error(NETWORK, msg + this.scrub(failure.e), true);
      }
      this.disarm();
      if (!error.retryable || attempt >= cfg.maxRetries) throw error;
      await this.sleep(core.__backoff(attempt, Math.random(), retryAfter, Date.now()));
      if (!this.running()) throw this.aborted();
    }
  }

  async readStream(resp) {
    const core = this.core;
    core.__headers(resp.headers.get("content-type") ?? undefined, requestId(resp));
    if (!resp.body) throw core.__error(STREAM, "the response has no body", false);
    const reader = resp.body.getReader();
    const controller = this.controller;
    // Leaving the loop any way but the end of the body (an error, the
    // reply's last event, the stream ending elsewhere) cancels the read and
    // aborts the fetch, so the server sees the connection close
    // (wasm-streams #7); the cancel's rejection is nobody's business.
    let atEnd = false;
    try {
      this.enterBody();
      for (;;) {
        let r;
        try {
          r = await reader.read();
        } catch (e) {
          if (!this.running()) return;
          throw core.__error(NETWORK, "the connection broke during the reply: " + this.scrub(e), false);
        }
        if (!this.running()) return;
        if (r.done !== false) {
          atEnd = true;
          break;
        }
        if (this.feed(r.value)) {
          // The core may have ended on an error after this read's last
          // part (the parts are already handed out); __end reports it.
          core.__end();
          this.succeed();
          atEnd = await this.drain(reader);
          return;
        }
      }
      this.flush();
      this.disarm();
      core.__end();
    } finally {
      if (!atEnd) {
        reader.cancel().catch(ignore);
        controller?.abort();
      }
    }
  }

  /**
   * After the reply's last event: let the server close the body itself (so
   * it logs a completed reply), but not for longer than DRAIN_MS.
   */
  async drain(reader) {
    try {
      // Usually the end of the body came with the last event: then it is
      // read within a few microtasks and no timer is needed.
      let pending = reader.read();
      let settled = false;
      pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (let i = 0; i < 4 && !settled; i++) await undefined;
      if (!settled) this.arm(DRAIN, DRAIN_MS);
      for (;;) {
        if ((await pending).done !== false) return true;
        pending = reader.read();
      }
    } catch {
      return false;
    } finally {
      this.disarm();
    }
  }

  async readJson(resp) {
    this.enterBody();
    let buf, failure;
    try {
      buf = await resp.arrayBuffer();
    } catch (e) {
      failure = { e };
    }
    this.disarm();
    if (!this.running()) return;
    if (failure) throw this.core.__error(NETWORK, "the connection broke during the reply: " + this.scrub(failure.e), false);
    const result = this.core.__json(new Uint8Array(buf), requestId(resp));
    this.json = result;
    this.reasoning = result.reasoning;
    this.answer = result.answer;
  }

  /**
   * One body read into the core: its coalesced parts are queued and handed
   * to parked next() calls. Returns whether the reply has ended.
   */
  feed(bytes, last = false) {
    // A small read that holds no line break cannot complete an event: keep
    // it here and hand it over with the read that ends the line, one
    // crossing into wasm instead of one per read (a server or proxy that
    // flushes every few bytes). Bounded: past HOLD bytes it goes in anyway
    // and the core's line cap applies.
    if (!last && bytes.length < HOLD && bytes.indexOf(10) < 0 && bytes.indexOf(13) < 0) {
      if (this.heldBytes + bytes.length < HOLD) {
        this.held.push(bytes);
        this.heldBytes += bytes.length;
        return 0;
      }
    }
    if (this.held.length) {
      const all = new Uint8Array(this.heldBytes + bytes.length);
      let at = 0;
      for (const b of this.held) {
        all.set(b, at);
        at += b.length;
      }
      all.set(bytes, at);
      this.held = [];
      this.heldBytes = 0;
      bytes = all;
    }
    const out = this.core.__feed(bytes);
    // The core's encoding (iter.rs `feed`): a flags digit, then per part
    // `r`/`a` + UTF-16 length + `:` + text, or `u`.
    for (let i = 1; i < out.length; ) {
      const tag = out[i];
      let part;
      if (tag === "u") {
        part = { type: "usage", usage: this.usage };
        i++;
      } else {
        const colon = out.indexOf(":", i + 1);
        const end = colon + 1 + Number(out.slice(i + 1, colon));
        const text = out.slice(colon + 1, end);
        i = end;
        // Running texts as JS strings: appending is a rope concat in the
        // engine, so reading `.reasoning` after every part stays linear.
        if (tag === "r") {
          this.reasoning += text;
          part = { type: "reasoning", text };
        } else {
          this.answer += text;
          part = { type: "answer", text };
        }
      }
      this.parts.push(part);
    }
    while (this.parts.length && this.waiters.length) {
      this.waiters.shift()[0]({ value: this.parts.shift(), done: false });
    }
    const flags = out.charCodeAt(0) - 48;
    // The idle timer is armed once and re-armed from lastData when it
    // fires, rather than reset on every read (setTimeout is not free).
    if (flags & 2) this.lastData = Date.now();
    return flags & 1;
  }

  /** Hands held-back bytes to the core at the end of the body. */
  flush() {
    if (this.held.length) this.feed(new Uint8Array(0), true);
  }

  /** The usage, one object per change (the usage part is the same object). */
  get usage() {
    const json = this.core.__usage();
    if (json !== undefined) this.usageObj = JSON.parse(json);
    return this.usageObj;
  }

  // ------------------------------------------------------------ timers

  /** Replaces the armed timer (if any) with one of `phase` after `ms`. */
  arm(phase, ms) {
    this.disarm();
    this.phase = phase;
    if (delayOk(ms)) this.timer = setTimeout(this.onTimer, ms);
  }

  disarm() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  timerFired() {
    this.timer = undefined;
    if (this.phase === BODY) {
      // Data came since the timer was set: wait out the remainder.
      const rest = this.lastData + this.cfg.idleTimeoutMs - Date.now();
      if (rest >= 1) this.arm(BODY, rest);
      else this.fail(this.core.__error(TIMEOUT, "no data arrived for idleTimeoutMs: the stream stalled", false));
      return;
    }
    // The attempt's fetch (or the drain's read) rejects; open() sees timedOut.
    if (this.phase === HEADERS) this.timedOut = true;
    this.controller?.abort();
  }

  /** A new attempt: its own AbortController and the headers timer. */
  beginAttempt(controller, ms) {
    this.controller = controller;
    this.timedOut = false;
    this.arm(HEADERS, ms);
  }

  enterBody() {
    this.lastData = Date.now();
    // A headers timer due no later than the idle deadline becomes the idle
    // timer (timerFired re-arms it for the rest): one setTimeout and one
    // clearTimeout less per request.
    const cfg = this.cfg;
    if (this.timer !== undefined && this.phase === HEADERS && cfg.timeoutMs <= cfg.idleTimeoutMs) this.phase = BODY;
    else this.arm(BODY, cfg.idleTimeoutMs);
  }

  /** Waits `ms` (a retry's backoff), or less if the stream ends meanwhile. */
  sleep(ms) {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, delayOk(ms) ? ms : 60000);
      this.wake = resolve;
    }).then(() => {
      this.wake = undefined;
    });
  }

  // ------------------------------------------------------------ ending

  /** The reply finished: resolve everything waiting, commit the turn. */
  succeed() {
    if (!this.running()) return;
    this.finalize(true, false);
    if (this.history) this.history.push(this.user, { role: "assistant", content: this.answer });
  }

  /** Ends the stream with `error` (no-op once ended). */
  fail(error, delivered = false) {
    if (!this.running()) return;
    // An abort means "stop now": parts already queued are dropped.
    this.finalize({ error, delivered }, error.name === "AbortError");
  }

  /**
   * `return()` from the iterator: stop quietly. Pending and later next()
   * calls say done; a later result() rejects with AbortError.
   */
  stop() {
    if (!this.running()) return;
    const msg = "the stream was stopped before it finished (the for await loop was left)";
    this.fail(this.core.__error(ABORT, msg, false), true);
  }

  abort() {
    if (!this.running()) return;
    this.fail(this.core.__error(ABORT, "the stream was aborted (stream.abort())", false));
  }

  finalize(end, dropQueue) {
    this.end = end;
    if (dropQueue) this.parts.length = 0;
    const { waiters, results, wake, signal } = this;
    this.waiters = [];
    this.results = [];
    this.wake = undefined;
    this.signal = undefined;
    this.disarm();
    this.core.__release();
    wake?.();
    signal?.removeEventListener("abort", this.onSignal);
    // Closes the connection: the pending fetch or read rejects and the
    // reader exits through its finally.
    if (end !== true) this.controller?.abort();
    for (const [resolve, reject] of waiters) this.settleNext(resolve, reject);
    for (const [resolve, reject] of results) this.settleResult(resolve, reject);
  }

  settleNext(resolve, reject) {
    const end = this.end;
    if (end !== true && !end.delivered) {
      end.delivered = true;
      reject(end.error);
    } else resolve(done());
  }

  settleResult(resolve, reject) {
    if (this.end === true) resolve(this.resultJs());
    else reject(this.end.error);
  }

  resultJs() {
    return this.json ?? this.core.__result(this.reasoning, this.answer, this.usage);
  }

  // ------------------------------------------------------------ JS side

  /** The next part; safe to call again before the last call settles. */
  next() {
    if (this.parts.length) return Promise.resolve({ value: this.parts.shift(), done: false });
    if (this.running()) return new Promise((resolve, reject) => this.waiters.push([resolve, reject]));
    return new Promise((resolve, reject) => this.settleNext(resolve, reject));
  }

  result() {
    if (this.running()) return new Promise((resolve, reject) => this.results.push([resolve, reject]));
    return new Promise((resolve, reject) => this.settleResult(resolve, reject));
  }

  return() {
    this.stop();
    return Promise.resolve(done());
  }
}

/**
 * What `stream[Symbol.asyncIterator]()` returns: plain JS, so the `next()`
 * of every part stays in JS instead of crossing into wasm and back. `next()`
 * is safe to call again before the last call settles; `return()` (a `for
 * await` left early) stops the request and resolves done.
 */
class Parts {
  #run;
  constructor(run) {
    this.#run = run;
  }
  next() {
    return this.#run.next();
  }
  return() {
    return this.#run.return();
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

export function parts(run) {
  return new Parts(run);
}

/**
 * The parts of `run` as a ReadableStream: pulled one part at a time from
 * the same queue as the iterator; cancelling it stops the request (as
 * leaving a for await loop does); an error of the request errors it.
 * Transferable (postMessage), so a Worker can hand a reply to its page.
 */
export function readable(run) {
  return new ReadableStream({
    async pull(controller) {
      const r = await run.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel() {
      run.stop();
    },
  });
}

export function tee(run) {
  return readable(run).tee();
}

/**
 * prepareImage's browser work: decode (honouring EXIF orientation), draw
 * at the size the core picks, re-encode. `core` is a PartIterator whose
 * hidden methods run the core's resize rules and base64 encoding.
 */
export async function prepare(core, image, model, maxPixels, mimeType, quality) {
  const fail = (msg) => core.__error(INVALID, msg, false);
  if (!(image instanceof Blob)) throw fail("prepareImage needs a Blob or File");
  const noCanvas =
    "prepareImage needs createImageBitmap and OffscreenCanvas (a browser page or Worker); elsewhere, resize the image before sending it";
  if (typeof createImageBitmap !== "function" || typeof OffscreenCanvas !== "function") throw fail(noCanvas);
  // A bad maxPixels comes as the core's error, reported in the old order.
  if (maxPixels instanceof Error) throw maxPixels;
  const undecodable = () =>
    fail(
      "this browser cannot decode the image (type " +
        (image.type || "application/octet-stream") +
        "); convert it to JPEG, PNG or WebP first (HEIC photos are not decodable in Chromium or Firefox)",
    );
  let bitmap;
  try {
    // Phone photos carry their rotation in EXIF; without this they arrive sideways.
    bitmap = await createImageBitmap(image, { imageOrientation: "from-image" });
  } catch {
    throw undecodable();
  }
  const [w, h, tokens] = core.__fit(bitmap.width, bitmap.height, model, maxPixels);
  let canvas, ctx;
  try {
    canvas = new OffscreenCanvas(w, h);
    ctx = canvas.getContext("2d");
  } catch {}
  if (!ctx) {
    bitmap.close();
    throw fail(noCanvas);
  }
  try {
    ctx.drawImage(bitmap, 0, 0, w, h);
  } catch {
    throw undecodable();
  } finally {
    bitmap.close();
  }
  // JPEG is much smaller for photos, but would turn a PNG's transparency
  // black and blur a diagram's text: keep PNG and WebP as they came.
  const type = mimeType ?? (image.type === "image/png" || image.type === "image/webp" ? image.type : "image/jpeg");
  let out;
  try {
    out = await canvas.convertToBlob(quality === undefined ? { type } : { type, quality });
  } catch {
    throw fail("the browser could not encode the image");
  }
  let bytes;
  try {
    bytes = new Uint8Array(await out.arrayBuffer());
  } catch {
    throw fail("could not read an image Blob");
  }
  return { dataUrl: core.__dataUrl(out.type, bytes), width: w, height: h, bytes: out.size, tokens };
}
