// @ts-check
// The public classes of API.md: Client, Conversation, ReasoningStream.
// Each carries only its documented members; what it runs on is in private
// fields: a Client's resolved options (wire.rs `client`: a record, no wasm
// object) and a stream's Run (transport.js: the request, its StreamCore
// and its parts).

import * as wire from "./wire.js";
import { makeError } from "./errors.js";
import { encode } from "./options.js";
import { Parts, readable } from "./parts.js";
import { Run } from "./transport.js";

/** @typedef {import("./public").ClientOptions} ClientOptions */
/** @typedef {import("./public").RequestOptions} RequestOptions */
/** @typedef {import("./public").ContentItem} ContentItem */
/** @typedef {import("./public").Message} Message */
/** @typedef {import("./public").Part} Part */
/** @typedef {import("./public").Result} Result */
/** @typedef {import("./public").Usage} Usage */

/** @param {string} message */
const invalid = (message) => makeError("InvalidRequestError", message, { retryable: false });

/**
 * Options encoded for the core; throws InvalidRequestError if the engine
 * cannot serialise them.
 * @param {unknown} value
 * @param {string} what
 */
function encoded(value, what) {
  const e = encode(value);
  if (typeof e === "string") throw invalid(what + " could not be read as plain data: " + e);
  return e;
}

/**
 * Whether this is a page or a browser's Worker, where an API key is
 * readable by anyone who opens the developer tools. Node, Deno and Bun have
 * neither global; Cloudflare's workerd has WorkerGlobalScope but is a
 * server: only a browser's Worker has a WorkerLocation (its script's URL).
 */
const browserScope = () => "window" in globalThis || ("WorkerGlobalScope" in globalThis && "WorkerLocation" in globalThis);

/** A Model Studio client. */
export class Client {
  /** @type {import("./wire.js").ClientRecord} */
  #options;

  /**
   * Throws InvalidRequestError for a bad option, or for an `apiKey` in a
   * page or Worker without `dangerouslyAllowBrowser: true`.
   * @param {ClientOptions} [options]
   */
  constructor(options) {
    wire.assertReady();
    const e = encoded(options, "the client options");
    this.#options = wire.client(e.json, e.nums, browserScope());
  }

  /**
   * Converts and validates a request, then starts it. Synchronous up to
   * the first `fetch`, so `stream()` can throw validation errors.
   * @param {unknown} request
   * @param {boolean} complete  read `transport` too
   * @param {Message[]} [history]  a Conversation's committed turns
   * @param {Message} [user]  the turn's user message
   */
  #start(request, complete, history, user) {
    const e = encoded(request, "the request");
    const options = this.#options;
    const core = wire.start(options.target, e.json, e.nums, complete);
    const json = complete && wire.isJson(core);
    // The Blobs the content uses, in the order the core places them.
    const blobs = e.blobs.length ? Array.from(wire.blobOrder(core), (i) => e.blobs[i]) : e.blobs;
    return new Run(core, json ? options.json : options.stream, json, e.signal, blobs, history, user);
  }

  /**
   * Starts a streaming request and returns at once. Throws
   * InvalidRequestError synchronously.
   * @param {RequestOptions} request
   * @returns {ReasoningStream}
   */
  stream(request) {
    return new ReasoningStream(this.#start(request, false));
  }

  /**
   * The whole Result: streamed and collected (default), or one JSON
   * response with `transport: "json"`.
   * @param {RequestOptions & { transport?: "stream" | "json" }} request
   * @returns {Promise<Result>}
   */
  complete(request) {
    try {
      return this.#start(request, true).result();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A multi-turn conversation with these defaults.
   * @param {Omit<RequestOptions, "messages"> & { system?: string }} defaults
   * @returns {Conversation}
   */
  conversation(defaults) {
    if (defaults === null || typeof defaults !== "object") {
      throw invalid("conversation() needs an object with at least model");
    }
    const system = defaults.system;
    if (system != null && typeof system !== "string") throw invalid("system must be a string");
    // A copy: later changes to the caller's object do not leak in.
    const copy = { ...defaults };
    return new Conversation(TOKEN, (request, history, user) => this.#start(request, false, history, user), copy, system ?? undefined);
  }
}

/** Lets the package (and nobody else) construct its classes. */
const TOKEN = Symbol();

/**
 * Starts one turn (Client `#start`).
 * @callback Start
 * @param {object} request
 * @param {Message[]} history  where the turn is committed if it finishes
 * @param {Message} user
 * @returns {Run}
 */

/** History plus defaults; each `send()` streams one turn. */
export class Conversation {
  #start;
  #defaults;
  #system;
  /** @type {Message[]} committed user/assistant messages, in order */
  #history = [];

  /**
   * @param {symbol} token
   * @param {Start} start
   * @param {object} defaults
   * @param {string | undefined} system
   */
  constructor(token, start, defaults, system) {
    if (token !== TOKEN) throw new TypeError("Conversation has no public constructor: use client.conversation()");
    this.#start = start;
    this.#defaults = defaults;
    this.#system = system;
  }

  /**
   * The committed history, system message first if given. While a send
   * runs this is still the history before it.
   * @returns {Message[]}
   */
  get messages() {
    /** @type {Message[]} */
    const out = this.#system === undefined ? [] : [{ role: "system", content: this.#system }];
    for (const m of this.#history) out.push(m);
    return out;
  }

  /**
   * Streams the history plus this user message. The user message and the
   * answer join the history only if the reply finishes.
   * @param {string | ContentItem[]} content
   * @returns {ReasoningStream}
   */
  send(content) {
    /** @type {Message} */
    const user = { role: "user", content };
    const messages = this.messages;
    messages.push(user);
    return new ReasoningStream(this.#start({ ...this.#defaults, messages }, this.#history, user));
  }
}

/**
 * The reply as it streams: an async iterable of parts, with the texts so
 * far, the usage and the request id as live properties.
 * @implements {AsyncIterable<Part>}
 */
export class ReasoningStream {
  #run;

  /** @param {Run} run */
  constructor(run) {
    if (!(run instanceof Run)) {
      throw new TypeError("ReasoningStream has no public constructor: use client.stream() or conversation.send()");
    }
    this.#run = run;
  }

  /**
   * Iterates the parts; leaving the loop early aborts the request.
   * @returns {AsyncIterableIterator<Part>}
   */
  [Symbol.asyncIterator]() {
    return new Parts(this.#run);
  }

  /** All reasoning text received so far. */
  get reasoning() {
    return this.#run.reasoning;
  }

  /** All answer text received so far. */
  get answer() {
    return this.#run.answer;
  }

  /**
   * Token usage: with dashscope updated by every event, with openai set at
   * the end.
   * @returns {Usage | undefined}
   */
  get usage() {
    return this.#run.usage;
  }

  /** @returns {string | undefined} */
  get requestId() {
    return this.#run.requestId;
  }

  /** @returns {string | undefined} */
  get finishReason() {
    return this.#run.finishReason;
  }

  /**
   * Reads the rest (if not iterated) and resolves the whole Result.
   * @returns {Promise<Result>}
   */
  result() {
    return this.#run.result();
  }

  /**
   * Cancels the request: the server sees the connection close, and
   * `next()` / `result()` reject with AbortError.
   */
  abort() {
    this.#run.abort();
  }

  /**
   * The parts as a `ReadableStream`, e.g. to `postMessage` from a Worker to
   * its page (streams are transferable). Reading it consumes the parts as
   * iterating would (use one or the other); cancelling it stops the
   * request; a failure errors it with the error iteration would throw.
   * @returns {ReadableStream<Part>}
   */
  toReadableStream() {
    return readable(this.#run);
  }

  /**
   * Two `ReadableStream`s that each get every part (the same objects),
   * e.g. one to render and one to log. The request stops only when both
   * are cancelled.
   * @returns {[ReadableStream<Part>, ReadableStream<Part>]}
   */
  tee() {
    return readable(this.#run).tee();
  }
}
