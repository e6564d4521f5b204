// @ts-check
// A streaming answer's DOM, updated block by block: a block that is final
// (blocks.js) is rendered, sanitised and typeset once and kept; only the
// open blocks at the end are rendered again on the next update. After every
// update the container holds exactly what rendering the whole text at once
// gives (tests/e2e/element-markdown.test.mjs), so a long answer costs about
// the same per update at its end as at its start.
import { lex, toHtml, sanitizeToFragment } from "./markdown.js";
import { finalBlocks } from "./blocks.js";

/** @typedef {(root: DocumentFragment | Element) => void} Typeset */

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
   * @param {Typeset} typeset  turns math placeholders into formulas (or
   *   starts loading the math renderer and leaves them for later)
   */
  constructor(el, typeset) {
    this.#el = el;
    this.#typeset = typeset;
  }

  /** The text shown. */
  get text() {
    return this.#text;
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
        this.#whole = true;
        if (this.#kept) {
          this.#clear();
          this.#text = text;
          tail = text;
          tokens = lex(tail);
        }
      } else {
        keep = found;
      }
    }
    const open = this.#render(tokens.slice(keep.count));
    for (const node of this.#open) node.remove();
    if (keep.count) {
      this.#el.append(this.#render(tokens.slice(0, keep.count)));
      this.#kept += keep.length;
    }
    this.#open = [...open.childNodes];
    this.#el.append(open);
  }

  /** Forgets the text and empties the container. */
  #clear() {
    this.#el.replaceChildren();
    this.#text = "";
    this.#kept = 0;
    this.#whole = false;
    this.#open = [];
  }

  /**
   * @param {import("marked").Token[]} tokens
   * @returns {DocumentFragment}
   */
  #render(tokens) {
    const fragment = sanitizeToFragment(toHtml(tokens));
    if (fragment.querySelector(".vr-math[data-tex]")) this.#typeset(fragment);
    return fragment;
  }
}
