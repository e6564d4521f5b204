// @ts-check
// A streaming answer's DOM, updated block by block. A block that is final
// (blocks.js) is rendered, sanitised and typeset once and kept. The open
// blocks at the end are rendered again on each update and patched into the
// nodes shown (a morph): unchanged nodes stay — their style and layout are
// reused — text nodes that grew get their new text, and a formula whose TeX
// did not change keeps its typeset output. After every update the container
// holds exactly what rendering the whole text at once gives
// (tests/e2e/element-markdown.test.mjs), so a long answer costs about the
// same per update at its end as at its start.
// An update is two steps that may run in different tasks: prepare (marked,
// DOMPurify and KaTeX into detached nodes: the script) and apply (the
// morph; then the frame's style, layout and paint). Together in one frame
// they made a 55–70 ms long task at 4× CPU; apart, each stays well short.
// Prepare itself may be cut into slices at a deadline (resume): the
// formulas are typeset one by one, and a render with many new formulas (the
// answer's first, or a burst after a wait) spreads over several tasks
// instead of making one long one. Apply shows only a finished prepare.
import { lex, toHtml, sanitizeToFragment } from "./markdown.js";
import { finalBlocks } from "./blocks.js";

/** @typedef {(root: DocumentFragment | Element) => void} Typeset */
/** @typedef {import("marked").Token} Token */

/** A formula placeholder of markdown.js, typeset or not, and its TeX (noted before typesetting). */
const formulaTex = new WeakMap();
const PLACEHOLDER = ".vr-math[data-tex]";

/**
 * A render made ready off the frame (AnswerView.prepare, resume), applied
 * by AnswerView.apply. `formulas`: placeholders still to typeset, in order.
 * @typedef {{ text: string, restart: boolean, reopen: boolean, whole: boolean, kept: number,
 *   keptNodes: ChildNode[], openNodes: ChildNode[], formulas: Element[] }} Prepared
 */

export class AnswerView {
  #el;
  #typeset;
  #text = "";
  /** Characters of #text rendered into kept blocks. */
  #kept = 0;
  /** A link definition was seen: every update renders the whole text. */
  #whole = false;
  /** @type {ChildNode[]} nodes of the open blocks, last in #el */
  #open = [];
  /** @type {Prepared | null} */
  #next = null;

  /**
   * @param {Element} el  the container; the view owns its children
   * @param {Typeset} typeset  turns the math placeholders under a node into
   *   formulas (or starts loading the math renderer, which then typesets
   *   every answer)
   */
  constructor(el, typeset) {
    this.#el = el;
    this.#typeset = typeset;
  }

  /** The text shown. */
  get text() {
    return this.#text;
  }

  /** Characters at the end of the text rendered again on each update. */
  get openLength() {
    return this.#text.length - this.#kept;
  }

  /**
   * Shows `text`. It usually extends the text shown; anything else starts
   * over.
   * @param {string} text
   */
  update(text) {
    this.prepare(text);
    this.apply();
  }

  /**
   * Renders `text` into detached nodes — Markdown, sanitising and math, the
   * script part of an update — without touching the container, so that it
   * can run in a task of its own and the frame that shows it (apply) only
   * patches the DOM, then styles, lays out and paints. A later prepare
   * replaces an earlier one not yet applied. Formulas are typeset until
   * `deadline` (performance.now() time; at least one), the rest by resume.
   * @param {string} text
   * @param {number} [deadline]
   * @returns {boolean} whether the render is ready to apply
   */
  prepare(text, deadline = Infinity) {
    text = text.replace(/\r\n?/g, "\n"); // as marked does; cuts stay on line ends
    const restart = !text.startsWith(this.#text);
    let base = restart ? 0 : this.#kept;
    let whole = restart ? false : this.#whole;
    let reopen = false;
    let tail = text.slice(base);
    let tokens = lex(tail);
    let keep = { count: 0, length: 0 };
    if (!whole) {
      const found = finalBlocks(tail, tokens);
      if (found.global) {
        // A link definition can change any block: from now on the whole
        // text is the open part.
        whole = true;
        if (base) {
          reopen = true;
          base = 0;
          tail = text;
          tokens = lex(tail);
        }
      } else {
        keep = found;
      }
    }
    /** @type {Element[]} */
    const formulas = [];
    const render = (/** @type {Token[]} */ list) => {
      if (!list.length) return [];
      const fragment = sanitizeToFragment(toHtml(list));
      // Noted before typesetting drops the attribute: apply keeps a formula
      // shown whose TeX did not change.
      for (const el of fragment.querySelectorAll(PLACEHOLDER)) {
        formulaTex.set(el, el.getAttribute("data-tex"));
        formulas.push(el);
      }
      return [...fragment.childNodes];
    };
    this.#next = {
      text,
      restart,
      reopen,
      whole,
      kept: base + keep.length,
      keptNodes: render(tokens.slice(0, keep.count)),
      openNodes: render(tokens.slice(keep.count)),
      formulas,
    };
    return this.resume(deadline);
  }

  /**
   * Typesets more formulas of the render being prepared, until `deadline`
   * (performance.now() time; at least one formula a call).
   * @param {number} [deadline]
   * @returns {boolean} whether the render is ready to apply (or there is none)
   */
  resume(deadline = Infinity) {
    const formulas = this.#next?.formulas;
    if (!formulas) return true;
    let i = 0;
    // A formula's typesetting is a few ms at 4× CPU; its first use of a
    // KaTeX code path more. At least one a call, so a render always moves on.
    while (i < formulas.length && (i === 0 || performance.now() < deadline)) this.#typeset(formulas[i++]);
    formulas.splice(0, i);
    return formulas.length === 0;
  }

  /** A prepared render is waiting for apply and has all its formulas typeset. */
  get ready() {
    return this.#next !== null && this.#next.formulas.length === 0;
  }

  /**
   * Shows the text of the last prepare: patches the prepared nodes into the
   * container, keeping the nodes shown where they are the same. Formulas a
   * sliced prepare has not typeset yet are typeset first.
   * @returns {boolean} whether there was something to apply
   */
  apply() {
    const next = this.#next;
    if (!next) return false;
    this.resume();
    this.#next = null;
    if (next.restart) this.#clear();
    if (next.reopen) this.#open = [...this.#el.childNodes];
    this.#text = next.text;
    this.#whole = next.whole;
    /** @type {Node[]} */
    const inserted = [];
    const nodes = morphList(this.#el, this.#open, [...next.keptNodes, ...next.openNodes], inserted);
    this.#open = nodes.slice(next.keptNodes.length);
    this.#kept = next.kept;
    // Formulas not typeset yet (the math renderer was still loading when
    // they were prepared).
    for (const node of inserted) {
      if (node instanceof Element && (node.matches(PLACEHOLDER) || node.querySelector(PLACEHOLDER))) this.#typeset(node);
    }
    return true;
  }

  /** Forgets the text and empties the container. */
  #clear() {
    this.#el.replaceChildren();
    this.#text = "";
    this.#kept = 0;
    this.#whole = false;
    this.#open = [];
  }
}

/**
 * Makes `olds` (the last children of `parent`, in order) into `news`;
 * returns the resulting children. Nodes of `news` that end up in the
 * document are pushed to `inserted`.
 * @param {ParentNode} parent
 * @param {ChildNode[]} olds
 * @param {ChildNode[]} news
 * @param {Node[]} inserted
 * @returns {ChildNode[]}
 */
function morphList(parent, olds, news, inserted) {
  const out = [];
  const common = Math.min(olds.length, news.length);
  for (let i = 0; i < common; i++) out.push(morph(olds[i], news[i], inserted));
  for (let i = common; i < olds.length; i++) olds[i].remove();
  for (let i = common; i < news.length; i++) {
    parent.append(news[i]);
    inserted.push(news[i]);
    out.push(news[i]);
  }
  return out;
}

/**
 * Makes `old` equal to `next` (in place where it can), returning the node
 * in the document.
 * @param {ChildNode} old
 * @param {ChildNode} next
 * @param {Node[]} inserted
 * @returns {ChildNode}
 */
function morph(old, next, inserted) {
  if (next instanceof Element && formulaTex.has(next)) {
    // The same formula, typeset or still waiting for KaTeX: keep it.
    if (old instanceof Element && formulaTex.get(old) === formulaTex.get(next) && old.tagName === next.tagName && old.className === next.className) {
      return old;
    }
  } else if (old.nodeType === next.nodeType && old.nodeName === next.nodeName) {
    if (old instanceof CharacterData && next instanceof CharacterData) {
      if (old.data !== next.data) old.data = next.data;
      return old;
    }
    if (old instanceof Element && next instanceof Element && sameAttributes(old, next)) {
      morphList(old, [...old.childNodes], [...next.childNodes], inserted);
      return old;
    }
  }
  old.replaceWith(next);
  inserted.push(next);
  return next;
}

/**
 * @param {Element} a
 * @param {Element} b
 */
function sameAttributes(a, b) {
  if (a.attributes.length !== b.attributes.length) return false;
  for (const { name, value } of a.attributes) if (b.getAttribute(name) !== value) return false;
  return true;
}
