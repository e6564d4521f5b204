// @ts-check
// How much of a streaming answer to render in a frame, and how often.
//
// A render of the answer costs a fixed part (the open block rendered again,
// style, layout and paint of the frame) plus a part that grows with the new
// text it shows (its formulas, above all). Costs are measured per render,
// from the frame's start until after its paint, so style and layout count,
// not only JavaScript, plus the task that prepared it (turn.js renders in
// two tasks). The wait between renders follows the whole cost; the step
// follows the longest task, which is what a long task is made of.
// - Caught up, the next render waits `share` times the fixed part (the
//   cheapest recent small render): a slow model's tokens are batched, and
//   rendering takes a small share of the main thread. The wait never
//   follows a render's whole cost: a wait that grew with the cost would
//   batch more text, which would cost more, and so on (a spiral seen on a
//   throttled CPU: renders of 0.2, 0.5, 0.8 s).
// - Behind (more text than one render may take), a render shows at most
//   `step` more characters and the next one comes at the next frame;
//   `step` is steered so a render costs about `target` ms (short of a
//   50 ms long task), also while catching up after the stream has ended.
//   Where the fixed part alone passes the target less ROOM, the target
//   becomes the fixed part plus ROOM (at most twice the fixed part), so each
//   render still moves the display on without passing the long-task line
//   for it: doubling the fixed part, as before, made every render of a
//   throttled phone (fixed part ≈ 30 ms at 4× CPU) a 55–70 ms long task.
// - Steered down, the step starts from what the render really added: a
//   render after a wait adds what arrived meanwhile, which may be far less
//   than `step`, and scaling `step` would take many renders to bite.

const MIN_STEP = 256;
const SMALL = 2 * MIN_STEP; // a render this small costs about the fixed part
const MAX_STEP = 1 << 20;
const FIRST_STEP = 4096;
const MAX_WAIT = 500; // ms: a slower display would look stuck
const KEEP = 8; // small renders remembered for the fixed part
const ROOM = 12; // ms a render may spend on new text beyond the fixed part, at least

export class Pacer {
  #target;
  #share;
  /** Characters a render may add. */
  step = FIRST_STEP;
  /** When the next render may come (performance.now() time). */
  nextAt = 0;
  /** @type {number[]} costs of recent small renders, ms */
  #small = [];
  /** @type {number[]} their longest tasks, ms */
  #smallTask = [];

  /** @param {{ target?: number, share?: number }} [options] */
  constructor({ target = 32, share = 4 } = {}) {
    this.#target = target;
    this.#share = share;
  }

  /** The fixed part of a render's cost, ms (0 until a small render was measured). */
  get overhead() {
    return this.#small.length ? Math.min(...this.#small) : 0;
  }

  /**
   * How many of `pending` characters to render now (0: not now).
   * @param {number} now
   * @param {number} pending
   * @param {boolean} ended  no more text will come: no waiting
   */
  take(now, pending, ended) {
    if (pending <= 0 || (!ended && now < this.nextAt)) return 0;
    this.nextAt = Infinity; // until measured()
    return Math.min(pending, this.step);
  }

  /**
   * The cost of a render that added `chars` characters and left
   * `behind` characters still to show.
   * @param {number} start  the frame's start
   * @param {number} chars
   * @param {number} behind
   * @param {number} cost  ms: the main thread's time for the render (its
   *   frame from start until after paint, and any task that prepared it)
   * @param {number} [longest]  ms: the longest single task of the render
   *   (the cost when it is one task). The wait follows the whole cost (so
   *   rendering keeps its share of the main thread however it is split);
   *   the step keeps the longest task near the target.
   */
  measured(start, chars, behind, cost, longest = cost) {
    if (chars <= SMALL) {
      this.#small.push(cost);
      this.#smallTask.push(longest);
      if (this.#small.length > KEEP) this.#small.shift();
      if (this.#smallTask.length > KEEP) this.#smallTask.shift();
    }
    const fixed = this.#smallTask.length ? Math.min(...this.#smallTask) : 0;
    const target = Math.max(this.#target, fixed + Math.min(fixed, ROOM));
    if (behind > 0 || longest > target) {
      const factor = Math.min(2, Math.max(0.5, target / Math.max(longest, 1)));
      const base = longest > target ? Math.min(this.step, Math.max(chars, MIN_STEP)) : this.step;
      this.step = Math.round(Math.min(MAX_STEP, Math.max(MIN_STEP, base * factor)));
    }
    this.nextAt = behind > 0 ? 0 : start + Math.min(MAX_WAIT, this.#share * this.overhead);
  }
}
