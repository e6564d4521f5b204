// @ts-check
// One question and its reply in the thread: the question, the thinking
// panel, the answer, an error box and the meta line. Parts are collected as
// they arrive and applied once a frame (Turn.flush):
// - thinking is only ever appended (text nodes in blocks of ~4 KB, never
//   re-parsed), so a 50k-token stream costs the same per frame at its end
//   as at its start;
// - the answer is Markdown: AnswerView renders each finished block once
//   and patches only the open end; Pacer decides how much of the answer
//   received to show in a frame, and when, from the measured cost of the
//   renders (style, layout and paint included). A render is prepared in a
//   task of its own (Turn.prepare: Markdown, sanitising, math) and shown by
//   the next frame (Turn.flush: the DOM patch, style, layout, paint), so
//   neither task carries the whole of it.
import { AnswerView } from "./answer.js";
import { Pacer } from "./pacer.js";
import { estimateTokens, fmtInt, fmtSecs } from "./format.js";
import { errorDetail, plainWords } from "./errors.js";

/** @typedef {import("visual-reasoning").Part} Part */
/** @typedef {import("visual-reasoning").Result} Result */
/** @typedef {import("visual-reasoning").Usage} Usage */
/** @typedef {import("visual-reasoning").ReasoningStream} ReasoningStream */
/** @typedef {(key: string) => string} Strings */
/** @typedef {import("./answer.js").Typeset} Typeset */

// Thinking blocks: cut after a newline past SOFT characters, anywhere past HARD.
const SOFT = 4096;
const HARD = 16384;

const TURN_HTML = `
  <div class="user" part="user-message"><div class="thumbs"></div><span class="utext"></span></div>
  <p class="note" part="note"></p>
  <details class="thinking" part="thinking" open hidden>
    <summary part="thinking-summary"><span class="tphase" role="status" aria-live="polite"></span> <span class="tcount"></span></summary>
    <div class="thinking-body" part="thinking-body" tabindex="0"></div>
  </details>
  <div class="answer" part="answer" aria-live="polite" aria-busy="true"></div>
  <div class="error" part="error" role="alert" hidden></div>
  <p class="meta" part="meta"></p>`;

export class Turn {
  /**
   * @param {{ t: Strings, question: string, images: string[], typeset: Typeset }} init
   *   `images`: data URLs of the images sent with the question
   */
  constructor({ t, question, images, typeset }) {
    this.t = t;
    this.question = question;
    const el = document.createElement("article");
    el.className = "turn streaming";
    el.setAttribute("part", "turn");
    el.setAttribute("aria-label", t("you") + ": " + question.slice(0, 80));
    el.innerHTML = TURN_HTML;
    this.el = el;
    const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (el.querySelector(s));
    const thumbs = q(".thumbs");
    images.forEach((src, i) => {
      const im = document.createElement("img");
      im.src = src;
      im.alt = t("images") + " " + (i + 1);
      thumbs.append(im);
    });
    if (!images.length) thumbs.remove();
    q(".utext").textContent = question;
    this.note = q(".note");
    this.details = /** @type {HTMLDetailsElement} */ (q("details"));
    this.phase = q(".tphase");
    this.count = q(".tcount");
    this.body = q(".thinking-body");
    this.answerEl = q(".answer");
    this.errorEl = q(".error");
    this.meta = q(".meta");
    this.answerView = new AnswerView(this.answerEl, typeset);
    /** @type {HTMLDivElement | null} the thinking block being filled */
    this.chunk = null;
    this.chunkLen = 0;
    this.pending = ""; // thinking not shown yet
    this.reasoningEst = 0;
    this.countKey = ""; // what the thinking count shows, to skip formatting it again
    this.hasReasoning = false;
    this.answer = "";
    this.shown = 0; // characters of the answer rendered
    this.pacer = new Pacer();
    this.lastRender = 0; // characters the last render added
    this.preparedUpto = 0; // end of the answer prepared for the next frame (0: none)
    this.preparing = 0; // end of the answer being prepared in slices (0: none)
    this.prepareCost = 0; // ms the last prepare took, its slices together
    this.prepareLongest = 0; // ms of its longest slice
    /** The stream has ended (the answer may still be catching up). */
    this.ended = false;
    /** Ended and everything shown. */
    this.done = false;
    this.started = performance.now();
    this.thinkingEnded = 0;
    this.endedAt = 0;
    this.userToggled = false;
    /** @type {ReasoningStream | null} */
    this.stream = null;
    /** @type {Usage | undefined} */
    this.usage = undefined;
    // Only a person opening or closing the panel stops the automatic
    // collapse (the toggle event also fires for the initial `open`).
    q("summary").addEventListener("click", () => (this.userToggled = true));
  }

  /** @param {Part} part */
  onPart(part) {
    if (part.type === "reasoning") {
      this.pending += part.text;
      this.reasoningEst += estimateTokens(part.text);
      this.hasReasoning = true;
    } else if (part.type === "answer") {
      if (!this.answer && this.hasReasoning) this.thinkingEnded = performance.now();
      this.answer += part.text;
    } else if (part.type === "usage") {
      this.usage = part.usage;
    }
  }

  /**
   * Applies what arrived since the last frame.
   * @param {number} now  the frame's start (performance.now())
   * @returns {"idle" | "rendered" | "waiting"} rendered: the answer was
   *   rendered (call measured() with the frame's cost); waiting: some of
   *   the answer is still to be shown in a later frame
   */
  flush(now) {
    const t = this.t;
    let stick = false;
    if (this.pending) {
      const text = this.pending;
      this.pending = "";
      if (this.details.hidden) this.details.hidden = false;
      const body = this.body;
      // Read before writing anything: a read after a write forces layout.
      stick = body.scrollHeight - body.scrollTop - body.clientHeight < 24;
      this.#appendThinking(text);
    }
    if (this.hasReasoning) {
      const end = this.thinkingEnded || this.endedAt;
      const secs = fmtSecs((end || now) - this.started);
      const phase = end ? t("thoughtFor") + " " + secs + " " + t("seconds") : t("thinkingLive") + "…";
      if (this.phase.textContent !== phase) this.phase.textContent = phase;
      let tokens = this.reasoningEst;
      let exact = false;
      try {
        const u = this.usage || (this.stream && this.stream.usage);
        if (u && typeof u.reasoningTokens === "number") {
          tokens = u.reasoningTokens;
          exact = true;
        }
      } catch {
        // the stream may already be freed; the estimate stands
      }
      // Formatted only when it changes (every frame otherwise, for the
      // whole answer after thinking ended).
      const key = `${exact}|${Math.round(tokens)}|${end ? "" : secs}`;
      if (key !== this.countKey) {
        this.countKey = key;
        this.count.textContent = `· ${exact ? "" : "~"}${fmtInt(tokens)} ${t("tokens")}` + (end ? "" : ` · ${secs} ${t("seconds")}`);
      }
      if (this.thinkingEnded && !this.userToggled && this.details.open && this.answer) {
        this.details.open = false;
      }
    }
    /** @type {"idle" | "rendered" | "waiting"} */
    let state = "idle";
    if (this.preparedUpto) {
      this.answerView.apply();
      this.lastRender = this.preparedUpto - this.shown;
      this.shown = this.preparedUpto;
      this.preparedUpto = 0;
      state = "rendered";
    } else if (this.answer.length > this.shown) {
      state = "waiting";
    }
    if (this.ended && this.shown === this.answer.length && !this.done) this.#settle();
    // Last, so the layout this forces is the frame's only one.
    if (stick) this.body.scrollTop = this.body.scrollHeight;
    return state;
  }

  /**
   * Whether prepare(now) may do something: answer text not shown nor
   * prepared, and the pacer's wait over (checked before posting a task for
   * it: not a task per part of a fast stream, nor in the thinking phase).
   * @param {number} now
   */
  wantsPrepare(now) {
    if (this.done) return false;
    if (this.preparing) return true;
    if (this.preparedUpto) return this.ended && this.preparedUpto < this.answer.length;
    return this.answer.length > this.shown && (this.ended || now >= this.pacer.nextAt);
  }

  /**
   * Prepares the next render of the answer if the pacer allows one now
   * (call it in a task of its own, not in the frame); the next flush shows
   * it. A render with many formulas is prepared in slices, each ending at
   * `deadline` (at least one formula a slice): while `preparing`, call
   * again in a later task.
   * @param {number} now
   * @param {number} [deadline]  performance.now() time
   * @returns {boolean} whether a render was prepared (or is still to show)
   */
  prepare(now, deadline = Infinity) {
    if (this.preparing) {
      // Another caller in the same task took the slice already.
      if (now >= deadline) return false;
      if (this.answerView.resume(deadline)) {
        this.preparedUpto = this.preparing;
        this.preparing = 0;
      }
      this.#slice(now);
      return this.preparedUpto > 0;
    }
    // Prepared already; again only when the stream has ended with more
    // text than that render holds (so the last render shows it all, one
    // frame sooner).
    if (this.preparedUpto && !(this.ended && this.preparedUpto < this.answer.length)) return true;
    if (this.done) return false;
    const take = this.pacer.take(now, this.answer.length - this.shown, this.ended);
    if (take <= 0 || this.shown + take <= this.preparedUpto) return this.preparedUpto > 0;
    let upto = this.shown + take;
    // Never between the halves of a surrogate pair.
    if (upto < this.answer.length && /[\uD800-\uDBFF]/.test(this.answer[upto - 1])) upto--;
    this.prepareCost = 0;
    this.prepareLongest = 0;
    if (this.answerView.prepare(this.answer.slice(0, upto), deadline)) {
      this.preparedUpto = upto;
    } else {
      this.preparedUpto = 0; // replaced by the render being prepared
      this.preparing = upto;
    }
    this.#slice(now);
    return this.preparedUpto > 0;
  }

  /** @param {number} start  when the slice of prepare that just ended began */
  #slice(start) {
    const ms = performance.now() - start;
    this.prepareCost += ms;
    this.prepareLongest = Math.max(this.prepareLongest, ms);
  }

  /**
   * The cost of the frame that showed the answer, from its start until
   * after style, layout and paint. The pacer spaces renders by their whole
   * cost (prepare and frame) and steers the longer of the two tasks.
   * @param {number} start
   * @param {number} cost
   */
  measured(start, cost) {
    this.pacer.measured(start, this.lastRender, this.answer.length - this.shown, cost + this.prepareCost, Math.max(cost, this.prepareLongest));
  }

  /** Everything is shown: the answer is no longer busy. */
  #settle() {
    this.done = true;
    this.el.classList.remove("streaming");
    this.answerEl.setAttribute("aria-busy", "false");
  }

  /** @param {string} text */
  #appendThinking(text) {
    const fresh = () => {
      this.chunk = document.createElement("div");
      this.chunkLen = 0;
      this.body.append(this.chunk);
      return this.chunk;
    };
    let chunk = this.chunk || fresh();
    // One frame may bring a lot (a fast relay, a background tab): split it,
    // so one append lays out one small block, not the whole transcript.
    while (text) {
      const room = SOFT - this.chunkLen;
      if (text.length <= room) {
        chunk.append(text);
        this.chunkLen += text.length;
        return;
      }
      // Past the soft size, cut after a newline; past the hard size, anywhere.
      const hard = HARD - this.chunkLen;
      let cut = text.indexOf("\n", Math.max(room, 0));
      if (cut < 0 || cut >= hard) cut = hard - 1;
      if (cut >= 0) {
        chunk.append(text.slice(0, cut + 1));
        text = text.slice(cut + 1);
      }
      chunk = fresh();
    }
  }

  /**
   * Ends the turn: the meta line, or the error. The rest of the answer is
   * shown in the next frames (flush), in steps, as while streaming; then
   * the answer's aria-busy turns false.
   * @param {Result | null} result
   * @param {unknown} error  what the stream threw (when result is null)
   * @param {string} relay  the base URL, for the error's plain words
   */
  finish(result, error, relay) {
    const t = this.t;
    this.ended = true;
    this.endedAt = performance.now();
    if (this.hasReasoning && !this.thinkingEnded) this.thinkingEnded = this.endedAt;
    const total = fmtSecs(this.endedAt - this.started) + " " + t("seconds");
    if (result) {
      const u = result.usage;
      const bits = [t("finish") + ": " + (result.finishReason || "?")];
      if (u) {
        let input = fmtInt(u.inputTokens) + " " + t("inputTokens");
        if (typeof u.imageTokens === "number") input += " (" + fmtInt(u.imageTokens) + " " + t("imageTokens") + ")";
        let output = fmtInt(u.outputTokens) + " " + t("outputTokens");
        if (typeof u.reasoningTokens === "number") output += " (" + fmtInt(u.reasoningTokens) + " " + t("reasoningTokens") + ")";
        bits.push(input, output);
      }
      bits.push(total);
      if (result.model) bits.push(result.model);
      if (result.requestId) bits.push(t("requestId") + " " + result.requestId);
      this.meta.textContent = bits.join(" · ");
      if (result.finishReason === "length") this.note.textContent = t("finishLength");
      return;
    }
    const d = errorDetail(error);
    if (!d.requestId && this.stream) {
      try {
        d.requestId = this.stream.requestId || undefined;
      } catch {
        // a freed stream has no fields left to read
      }
    }
    if (d.name === "AbortError") {
      this.meta.textContent = t("stopped") + " · " + total;
      return;
    }
    const box = this.errorEl;
    box.hidden = false;
    box.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = plainWords(d, relay);
    const detail = document.createElement("div");
    detail.className = "detail";
    detail.textContent = [d.name, d.status && "HTTP " + d.status, d.code, d.message].filter(Boolean).join(" · ");
    box.append(title, detail);
    if (d.requestId) {
      const rid = document.createElement("div");
      rid.className = "rid";
      const code = document.createElement("code");
      code.textContent = d.requestId;
      rid.append(t("requestId") + ": ", code);
      box.append(rid);
    }
    this.meta.textContent = total;
  }
}
