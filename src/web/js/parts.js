// @ts-check
// The queue of parts and what reads it: the async iterator and the
// ReadableStream views. No wasm here: a `next()` per part never crosses
// into the core.

/** @typedef {import("./public").Part} Part */

/**
 * Where the queue moves what remains to the front: the array is compacted
 * once at least this many slots and at least half of it are read.
 */
const COMPACT = 1024;

/**
 * A FIFO queue with O(1) work per element: a read index into an array,
 * compacted (the unread rest moved to the front) only once the read part
 * is at least half the array, so each element is moved at most once on
 * average. `Array.prototype.shift` moves every remaining element on each
 * call: draining 200 000 parts after `result()` took 17 s that way.
 * @template T
 */
export class Queue {
  /** @type {(T | undefined)[]} */
  #items = [];
  #head = 0;
  /** @type {{ moves: number } | undefined} */
  #work;

  /**
   * @param {{ moves: number }} [work]  counts the elements compaction moves (tests)
   */
  constructor(work) {
    this.#work = work;
  }

  get size() {
    return this.#items.length - this.#head;
  }

  /** @param {T} value */
  push(value) {
    this.#items.push(value);
  }

  /** The oldest element, removed; undefined when empty. */
  shift() {
    const items = this.#items;
    const head = this.#head;
    if (head === items.length) return undefined;
    const value = items[head];
    // Read slots are cleared, so what was handed out can be collected.
    items[head] = undefined;
    if (head + 1 === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (head + 1 >= COMPACT && 2 * (head + 1) >= items.length) {
      const rest = items.length - head - 1;
      items.copyWithin(0, head + 1);
      items.length = rest;
      this.#head = 0;
      if (this.#work) this.#work.moves += rest;
    } else {
      this.#head = head + 1;
    }
    return value;
  }

  /** Drops everything: nobody will read it. */
  clear() {
    this.#items = [];
    this.#head = 0;
  }
}

/**
 * What the iterator and the ReadableStreams read from: transport.js `Run`.
 * @typedef {object} PartSource
 * @property {() => Promise<IteratorResult<Part, undefined>>} next
 *   the next part; safe to call again before the last call settles
 * @property {() => void} stop  a reader gave up: stop the request quietly
 */

/**
 * What `stream[Symbol.asyncIterator]()` returns. `return()` (a `for await`
 * left early) stops the request and resolves done.
 * @implements {AsyncIterableIterator<Part>}
 */
export class Parts {
  #run;
  /** @param {PartSource} run */
  constructor(run) {
    this.#run = run;
  }
  next() {
    return this.#run.next();
  }
  /** @returns {Promise<IteratorResult<Part, undefined>>} */
  return() {
    this.#run.stop();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * The parts of `run` as a ReadableStream: pulled one part at a time from
 * the same queue as the iterator; cancelling it stops the request (as
 * leaving a for await loop does); an error of the request errors it.
 * Transferable (postMessage), so a Worker can hand a reply to its page.
 * @param {PartSource} run
 * @returns {ReadableStream<Part>}
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
