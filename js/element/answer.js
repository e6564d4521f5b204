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
import { lex, toHtml, sanitizeToFragment } from "./markdown.js";
import { finalBlocks } from "./blocks.js";

/** @typedef {(root: DocumentFragment | Element) => void} Typeset */

/** A formula placeholder of markdown.js, typeset or not, and its TeX. */
const formulaTex = new WeakMap();
const PLACEHOLDER = ".vr-math[data-tex]";

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
    text = text.replace(/\r\n?/g, "\n"); // as marked does; cuts stay on line ends
    if (!text.startsWith(this.#text)) this.#clear();
    this.#text = text;
    let tail = text.slice(this.#kept);
    let tokens = lex(tail);
    let keep = { count: 0, length: 0 };
    if (!this.#whole) {
      const found = finalBlocks(tail, tokens);
      if (found.global) {
        // A link definition can change any block: from now on the whole
        // text is the open part.
        this.#whole = true;
        if (this.#kept) {
          this.#open = [...this.#el.childNodes];
          this.#kept = 0;
          tail = text;
          tokens = lex(tail);
        }
      } else {
        keep = found;
      }
    }
    const kept = keep.count ? [...sanitizeToFragment(toHtml(tokens.slice(0, keep.count))).childNodes] : [];
    const open = [...sanitizeToFragment(toHtml(tokens.slice(keep.count))).childNodes];
    /** @type {Node[]} */
    const inserted = [];
    const nodes = morphList(this.#el, this.#open, [...kept, ...open], inserted);
    this.#open = nodes.slice(kept.length);
    this.#kept += keep.length;
    for (const node of inserted) {
      if (node instanceof Element && (node.matches(PLACEHOLDER) || node.querySelector(PLACEHOLDER))) this.#typeset(node);
    }
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
    remember(news[i]);
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
  if (next instanceof Element && next.matches(PLACEHOLDER)) {
    // The same formula, typeset or still waiting for KaTeX: keep it.
    if (old instanceof Element && formulaTex.get(old) === next.getAttribute("data-tex") && old.tagName === next.tagName && old.className === next.className) {
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
  remember(next);
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

/**
 * Notes the TeX of the formula placeholders in `node`: typesetting drops
 * the attribute but keeps the element.
 * @param {Node} node
 */
function remember(node) {
  if (!(node instanceof Element)) return;
  if (node.matches(PLACEHOLDER)) formulaTex.set(node, node.getAttribute("data-tex"));
  for (const el of node.querySelectorAll(PLACEHOLDER)) formulaTex.set(el, el.getAttribute("data-tex"));
}
