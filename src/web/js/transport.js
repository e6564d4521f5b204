// @ts-check
// The transport: fetch, retries, timeouts, the body reader, and the state
// of one reply (its parts queue, running texts, pending reads). It moves
// bytes, timers and promises; everything that decides something (wire
// body, parsing, errors and their fields, the retry rule and delays) is the
// core's, reached through wire.js.
//
// Why JS: the same logic as Rust async code cost ~40 KB gzipped of wasm
// (wasm-bindgen-futures, one state machine per async fn, a glue shim and a
// closure type per callback); here it is ~3 KB.
//
// `fetch`, `setTimeout`, `clearTimeout` are looked up as globals at call
// time, so the same code runs in a page, a Worker and Node, and a test may
// replace `globalThis.fetch` (gloo #201).

import * as wire from "./wire.js";
import { VisualReasoningError, makeError } from "./errors.js";
import { message } from "./options.js";
import { Queue } from "./parts.js";

/** @typedef {import("./public").Part} Part */
/** @typedef {import("./public").Usage} Usage */
/** @typedef {import("./public").Result} Result */
/** @typedef {import("./public").Message} Message */
/** @typedef {import("./wire.js").TransportConfig} TransportConfig */
/** @typedef {import("./errors.js").ErrorName} ErrorName */
/** @typedef {[resolve: (r: IteratorResult<Part, undefined>) => void, reject: (e: unknown) => void]} Waiter */
/** @typedef {[resolve: (r: Result) => void, reject: (e: unknown) => void]} ResultWaiter */
/** @typedef {{ error: VisualReasoningError, delivered: boolean }} Failure */

// Timer phases: before headers a timeout is retried; inside the body it
// ends the stream; after the reply's last event it only closes the body.
const HEADERS = 0;
const BODY = 1;
const DRAIN = 2;

/**
 * Reads shorter than SCAN that end no event are held back, up to HOLD
 * bytes (see `feed`). Longer reads go straight in: looking for a blank
 * line in JS (TypedArray indexOf, a byte at a time) costs more than the
 * crossing it saves once a read is a few dozen bytes.
 */
const SCAN = 64;
const HOLD = 1024;

/** How long the server may take to close the body after the last event. */
const DRAIN_MS = 5000;

/**
 * `setTimeout` fires at once for delays past 2^31-1 ms (say Infinity).
 * @param {number} ms
 */
const delayOk = (ms) => Number.isFinite(ms) && ms <= 2147483647;

/** @returns {IteratorResult<Part, undefined>} */
const done = () => ({ value: undefined, done: true });

/**
 * The request id headers Model Studio sends, in order of preference.
 * @param {Response} resp
 */
const requestId = (resp) => resp.headers.get("x-request-id") ?? resp.headers.get("x-dashscope-request-id") ?? undefined;

const ignore = () => {};

/**
 * Whether `bytes`, read after a byte `prev`, may end an SSE event: it holds
 * a line break right after a line break (a blank line; CR LF is one
 * break). The core dispatches events only there, so a read without one
 * gives it nothing to do yet. Model Studio sends LF only: one native scan
 * for CR, then only the LFs are looked at.
 * @param {Uint8Array} bytes
 * @param {number} prev
 */
export function endsEvent(bytes, prev) {
  if (bytes.indexOf(13) < 0) {
    let i = bytes.indexOf(10);
    if (i === 0 && prev === 10) return true;
    for (; i >= 0; i = bytes.indexOf(10, i + 1)) if (bytes[i + 1] === 10) return true;
    return false;
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b === 10 || b === 13) && (prev === 10 || prev === 13) && !(prev === 13 && b === 10)) return true;
    prev = b;
  }
  return false;
}

/**
 * An error the transport makes, its retryability the core's rule.
 * @param {ErrorName} kind
 * @param {string} msg
 * @param {boolean} bodyStarted
 * @param {unknown} [cause]
 */
const failure = (kind, msg, bodyStarted, cause) =>
  makeError(kind, msg, { retryable: wire.retryable(kind, bodyStarted), cause });

/**
 * `cause` unless the API key appears in it (an engine may quote a header):
 * then an Error with the key scrubbed from its message.
 * @param {unknown} e
 * @param {string | undefined} key
 * @returns {unknown}
 */
function safeCause(e, key) {
  if (!key) return e;
  /** @type {unknown} */
  let x = e;
  for (let depth = 0; depth < 4 && x !== null && typeof x === "object"; depth++) {
    const o = /** @type {{ message?: unknown, stack?: unknown, cause?: unknown }} */ (x);
    if (String(o.message).includes(key) || String(o.stack).includes(key)) {
      return new Error(message(e).split(key).join("[redacted]"));
    }
    x = o.cause;
  }
  return typeof e === "string" && e.includes(key) ? e.split(key).join("[redacted]") : e;
}

/**
 * One request under way. `core`: its StreamCore; `cfg`: the client's
 * transport config; `blobs`: Blob images to read into data: URLs first
 * (in the core's order); `history`/`user`: a Conversation's turn,
 * committed on success.
 */
export class Run {
  /**
   * @param {import("./wire.js").StreamCore} core
   * @param {TransportConfig} cfg
   * @param {boolean} json
   * @param {AbortSignal | undefined} signal
   * @param {Blob[]} blobs
   * @param {Message[]} [history]
   * @param {Message} [user]
   */
  constructor(core, cfg, json, signal, blobs, history, user) {
    this.core = core;
    this.cfg = cfg;
    this.reasoning = "";
    this.answer = "";
    /** @type {Result | undefined} the Result of a `transport: "json"` request */
    this.json = undefined;
    /** @type {Queue<Part>} */
    this.parts = new Queue();
    // undefined while running, true once finished, else the failure
    // (delivered: the iterator has thrown it once; later next() says done).
    /** @type {true | Failure | undefined} */
    this.end = undefined;
    /** @type {Queue<Waiter>} */
    this.waiters = new Queue();
    /** @type {ResultWaiter[]} */
    this.results = [];
    /** @type {AbortController | undefined} */
    this.controller = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.phase = HEADERS;
    this.timedOut = false;
    /** @type {(() => void) | undefined} */
    this.wake = undefined;
    /** @type {AbortSignal | undefined} */
    this.signal = undefined;
    this.history = history;
    this.user = user;
    this.lastData = 0;
    /** @type {Usage | undefined} */
    this.usageObj = undefined;
    // What a page reads after the end, kept when the core is freed.
    /** @type {{ model: string, finishReason?: string, requestId?: string } | undefined} */
    this.kept = undefined;
    // Small reads that end no event, held back from the core (see feed),
    // and the last byte read (a blank line may straddle two reads; the
    // body starts as if after a line break).
    /** @type {Uint8Array[]} */
    this.held = [];
    this.heldBytes = 0;
    this.lastByte = 10;
    this.onTimer = () => this.timerFired();
    this.onSignal = () => this.fail(this.signalled(), false, true);
    if (signal) {
      if (signal.aborted) {
        this.signal = signal;
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
      (e) => this.fail(this.unexpected(e)),
    );
  }

  running() {
    return this.end === undefined;
  }

  /**
   * A failure that is not yet one of ours (a JS exception where none was
   * expected) as a NetworkError, as before: it ends the stream all the same.
   * @param {unknown} e
   * @returns {VisualReasoningError}
   */
  unexpected(e) {
    if (e instanceof VisualReasoningError) return e;
    return failure("NetworkError", this.scrub(e), true, safeCause(e, this.cfg.apiKey));
  }

  /** The error for the caller's signal: its reason is the cause. */
  signalled() {
    const reason = this.signal?.reason;
    // AbortSignal.timeout(): the caller's own deadline, a TimeoutError,
    // not retried (as an abort is not). Its reason is a DOMException.
    const timeout = /** @type {{ name?: unknown } | null | undefined} */ (reason)?.name === "TimeoutError";
    const msg = timeout ? "the request's signal timed out (AbortSignal.timeout)" : "the request was aborted by its signal";
    return makeError(timeout ? "TimeoutError" : "AbortError", msg, {
      retryable: wire.retryable("AbortError", false),
      cause: reason,
    });
  }

  // ------------------------------------------------------------ transport

  /**
   * @param {boolean} json
   * @param {Blob[]} blobs
   */
  async drive(json, blobs) {
    const core = this.core;
    for (let i = 0; i < blobs.length; i++) {
      let bytes;
      try {
        bytes = new Uint8Array(await blobs[i].arrayBuffer());
      } catch (e) {
        throw failure("InvalidRequestError", "could not read an image Blob", false, e);
      }
      if (!this.running()) return;
      wire.blob(core, i, blobs[i].type, bytes);
    }
    if (!this.running()) return;
    const resp = await this.open(wire.body(core));
    await (json ? this.readJson(resp) : this.readStream(resp));
  }

  /**
   * A JS failure's message, without the API key should an engine quote it.
   * @param {unknown} e
   */
  scrub(e) {
    const key = this.cfg.apiKey;
    const msg = message(e);
    return key ? msg.split(key).join("[redacted]") : msg;
  }

  aborted() {
    return failure("AbortError", "the request was aborted", false);
  }

  /**
   * Sends the request until response headers with a status below 400
   * arrive, retrying what the core's rule allows before any body byte.
   * @param {string} body
   * @returns {Promise<Response>}
   */
  async open(body) {
    const core = this.core;
    const cfg = this.cfg;
    const headers = new Headers();
    // Only the library's few headers and the caller's (which come last and
    // win): every extra one is a thing a relay's CORS preflight must allow.
    // An engine's message here could quote the key: none is kept.
    for (const [name, value, bad] of cfg.headers) {
      try {
        headers.set(name, value);
      } catch {
        throw failure("InvalidRequestError", bad ?? "a header name or value is not valid HTTP", false);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      this.beginAttempt(controller, cfg.timeoutMs);
      /** @type {Response | undefined} */
      let resp;
      /** @type {unknown} */
      let failed;
      try {
        resp = await fetch(cfg.url, { method: "POST", headers, body, signal: controller.signal });
      } catch (e) {
        failed = e;
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
        error = wire.httpError(core, status, bytes, requestId(resp));
        retryAfter = resp.headers.get("retry-after") ?? undefined;
      } else if (this.timedOut) {
        error = failure("TimeoutError", "no response headers arrived within timeoutMs", false);
      } else {
        const msg = "the request failed before a response (network error, CORS refusal or unreachable host): ";
        error = failure("NetworkError", msg + this.scrub(failed), false, safeCause(failed, cfg.apiKey));
      }
      this.disarm();
      if (!error.retryable || attempt >= cfg.maxRetries) throw error;
      await this.sleep(wire.backoff(attempt, retryAfter));
      if (!this.running()) throw this.aborted();
    }
  }

  /** @param {Response} resp */
  async readStream(resp) {
    // Ended while the headers came (aborted, say): the core is freed.
    if (!this.running()) return;
    const core = this.core;
    wire.headers(core, resp.headers.get("content-type") ?? undefined, requestId(resp));
    if (!resp.body) throw failure("StreamError", "the response has no body", true);
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
          const msg = "the connection broke during the reply: " + this.scrub(e);
          throw failure("NetworkError", msg, true, safeCause(e, this.cfg.apiKey));
        }
        if (!this.running()) return;
        if (r.done !== false) {
          atEnd = true;
          break;
        }
        if (this.feed(r.value)) {
          // The core may have ended on an error after this read's last
          // part (the parts are already handed out); end() reports it.
          wire.end(core);
          this.succeed();
          atEnd = await this.drain(reader);
          return;
        }
      }
      this.flush();
      this.disarm();
      wire.end(core);
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
   * @param {ReadableStreamDefaultReader<Uint8Array>} reader
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

  /** @param {Response} resp */
  async readJson(resp) {
    if (!this.running()) return;
    this.enterBody();
    let buf;
    /** @type {unknown} */
    let failed;
    try {
      buf = await resp.arrayBuffer();
    } catch (e) {
      failed = e;
    }
    this.disarm();
    if (!this.running()) return;
    if (!buf) {
      const msg = "the connection broke during the reply: " + this.scrub(failed);
      throw failure("NetworkError", msg, true, safeCause(failed, this.cfg.apiKey));
    }
    const result = wire.jsonResult(this.core, new Uint8Array(buf), requestId(resp));
    this.json = result;
    this.reasoning = result.reasoning;
    this.answer = result.answer;
  }

  /**
   * One body read into the core: its coalesced parts are queued and handed
   * to parked next() calls. Returns whether the reply has ended.
   * @param {Uint8Array} bytes
   * @param {boolean} [last]
   */
  feed(bytes, last = false) {
    // A small read that holds no blank line cannot complete an event: keep
    // it here and hand it over with the read that ends the event, one
    // crossing into wasm instead of one per read or per line (a server or
    // proxy that flushes every few bytes; a DashScope event is five lines).
    // Bounded: past HOLD bytes it goes in anyway and the core's caps apply.
    if (!last && bytes.length < SCAN && this.heldBytes + bytes.length < HOLD) {
      const prev = this.lastByte;
      if (bytes.length) this.lastByte = bytes[bytes.length - 1];
      if (!endsEvent(bytes, prev)) {
        this.held.push(bytes);
        this.heldBytes += bytes.length;
        return 0;
      }
    } else if (bytes.length) this.lastByte = bytes[bytes.length - 1];
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
    const flags = wire.feed(this.core, bytes, this);
    // The idle timer is armed once and re-armed from lastData when it
    // fires, rather than reset on every read (setTimeout is not free).
    if (flags & wire.DATA) this.lastData = Date.now();
    return flags & wire.DONE;
  }

  // The part sink of wire.feed. Running texts as JS strings: appending is
  // a rope concat in the engine, so reading `.reasoning` after every part
  // stays linear.

  /** @param {string} text */
  reasoningPart(text) {
    this.reasoning += text;
    this.push({ type: "reasoning", text });
  }

  /** @param {string} text */
  answerPart(text) {
    this.answer += text;
    this.push({ type: "answer", text });
  }

  usagePart() {
    const usage = this.usage;
    if (usage) this.push({ type: "usage", usage });
  }

  /** @param {Part} part */
  push(part) {
    const waiter = this.waiters.shift();
    if (waiter) waiter[0]({ value: part, done: false });
    else this.parts.push(part);
  }

  /** Hands held-back bytes to the core at the end of the body. */
  flush() {
    if (this.held.length) this.feed(new Uint8Array(0), true);
  }

  /** The usage, one object per change (the usage part is the same object). */
  get usage() {
    if (!this.kept) {
      const update = wire.usageUpdate(this.core);
      if (update !== undefined) this.usageObj = update;
    }
    return this.usageObj;
  }

  get requestId() {
    return this.json ? this.json.requestId : (this.kept ?? this.meta()).requestId;
  }

  get finishReason() {
    return this.json ? this.json.finishReason : (this.kept ?? this.meta()).finishReason;
  }

  /** What the core knows of the reply besides its texts. */
  meta() {
    return wire.meta(this.core);
  }

  // ------------------------------------------------------------ timers

  /**
   * Replaces the armed timer (if any) with one of `phase` after `ms`.
   * @param {number} phase
   * @param {number} ms
   */
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
      else this.fail(failure("TimeoutError", "no data arrived for idleTimeoutMs: the stream stalled", true));
      return;
    }
    // The attempt's fetch (or the drain's read) rejects; open() sees timedOut.
    if (this.phase === HEADERS) this.timedOut = true;
    this.controller?.abort();
  }

  /**
   * A new attempt: its own AbortController and the headers timer.
   * @param {AbortController} controller
   * @param {number} ms
   */
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

  /**
   * Waits `ms` (a retry's backoff), or less if the stream ends meanwhile.
   * @param {number} ms
   * @returns {Promise<void>}
   */
  sleep(ms) {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, delayOk(ms) ? ms : 60000);
      this.wake = () => resolve(undefined);
    }).then(() => {
      this.wake = undefined;
    });
  }

  // ------------------------------------------------------------ ending

  /** The reply finished: resolve everything waiting, commit the turn. */
  succeed() {
    if (!this.running()) return;
    this.finalize(true, false);
    if (this.history && this.user) this.history.push(this.user, { role: "assistant", content: this.answer });
  }

  /**
   * Ends the stream with `error` (no-op once ended); the text that had
   * arrived goes with it as `partial`.
   * @param {VisualReasoningError} error
   * @param {boolean} [delivered]  the iterator is not to throw it (stop())
   * @param {boolean} [drop]  the caller said stop now (an abort, its
   *   signal, leaving the loop): parts already queued are dropped
   */
  fail(error, delivered = false, drop = false) {
    if (!this.running()) return;
    if (error.partial === undefined && (this.reasoning || this.answer)) error.partial = this.resultJs();
    this.finalize({ error, delivered }, drop);
  }

  /**
   * A reader gave up (`return()` from the iterator, a cancelled
   * ReadableStream): stop quietly. Pending and later next() calls say
   * done; a later result() rejects with AbortError.
   */
  stop() {
    if (!this.running()) return;
    const msg = "the stream was stopped before it finished (the for await loop was left)";
    this.fail(failure("AbortError", msg, false), true, true);
  }

  abort() {
    if (!this.running()) return;
    this.fail(failure("AbortError", "the stream was aborted (stream.abort())", false), false, true);
  }

  /**
   * @param {true | Failure} end
   * @param {boolean} dropQueue  nobody can read the queued parts any more
   */
  finalize(end, dropQueue) {
    this.end = end;
    if (dropQueue) this.parts.clear();
    const { waiters, results, wake, signal } = this;
    this.waiters = new Queue();
    this.results = [];
    this.wake = undefined;
    this.signal = undefined;
    this.disarm();
    // The core's memory goes now, not when the garbage collector gets to
    // it (which cannot see wasm memory, and for which an object to
    // finalize is work); what a page reads afterwards is kept.
    this.usage;
    this.kept = this.meta();
    wire.free(this.core);
    wake?.();
    signal?.removeEventListener("abort", this.onSignal);
    // Closes the connection: the pending fetch or read rejects and the
    // reader exits through its finally.
    if (end !== true) this.controller?.abort();
    for (let w = waiters.shift(); w; w = waiters.shift()) this.settleNext(w[0], w[1]);
    for (const [resolve, reject] of results) this.settleResult(resolve, reject);
  }

  /**
   * @param {Waiter[0]} resolve
   * @param {Waiter[1]} reject
   */
  settleNext(resolve, reject) {
    const end = this.end;
    if (end !== true && end !== undefined && !end.delivered) {
      end.delivered = true;
      reject(end.error);
    } else resolve(done());
  }

  /**
   * @param {ResultWaiter[0]} resolve
   * @param {ResultWaiter[1]} reject
   */
  settleResult(resolve, reject) {
    const end = this.end;
    if (end === true) resolve(this.resultJs());
    else if (end !== undefined) reject(end.error);
  }

  /** @returns {Result} */
  resultJs() {
    if (this.json) return this.json;
    const meta = this.kept ?? this.meta();
    /** @type {Result} */
    const r = { model: meta.model, reasoning: this.reasoning, answer: this.answer, finishReason: meta.finishReason ?? "" };
    const usage = this.usage;
    if (usage) r.usage = usage;
    if (meta.requestId !== undefined) r.requestId = meta.requestId;
    return r;
  }

  // ------------------------------------------------------------ readers

  /**
   * The next part; safe to call again before the last call settles.
   * @returns {Promise<IteratorResult<Part, undefined>>}
   */
  next() {
    const part = this.parts.shift();
    if (part) return Promise.resolve({ value: part, done: false });
    if (this.running()) return new Promise((resolve, reject) => this.waiters.push([resolve, reject]));
    return new Promise((resolve, reject) => this.settleNext(resolve, reject));
  }

  /** @returns {Promise<Result>} */
  result() {
    if (this.running()) return new Promise((resolve, reject) => this.results.push([resolve, reject]));
    return new Promise((resolve, reject) => this.settleResult(resolve, reject));
  }
}
