// @ts-check
// Markdown → sanitised DOM, with math left as placeholders. KaTeX is big
// (≈80 KB gz), so the Markdown pass only marks math; math.js (a lazy chunk)
// typesets the placeholders when an answer really contains some.
//
// The pipeline is split in steps (lex, tokens → HTML, sanitise) so that
// answer.js can render a streaming answer block by block (blocks.js decides
// which blocks are final); renderMarkdown() is the same pipeline in one go.
import { Marked } from "marked";
import DOMPurify from "dompurify";

/** @typedef {import("marked").Token} Token */
/** @typedef {import("marked").TokensList} TokensList */

/** @param {string} s */
function escapeAttr(s) {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A placeholder math.js replaces with KaTeX's output; the TeX source doubles
 * as the fallback text until KaTeX arrives. A display formula inside a
 * paragraph is a span (a div there would end the paragraph).
 * @param {string} tex
 * @param {boolean} display
 * @param {boolean} inline  inside a paragraph
 */
function mathHtml(tex, display, inline) {
  const t = escapeAttr(tex);
  if (!display) return `<span class="vr-math" data-tex="${t}">${t}</span>`;
  const tag = inline ? "span" : "div";
  return `<${tag} class="vr-math vr-math-display" data-tex="${t}" data-display="1">${t}</${tag}>`;
}

// Inline `$…$` follows Pandoc's rule (no space just inside the dollars, no
// digit right after the closing one) so "costs $5 and $6" stays text.
const inlineDollar = /^\$(?!\s)((?:\\.|[^\\$\n])*?[^\s\\$])\$(?!\d)/;
const inlineParen = /^\\\(([\s\S]+?)\\\)/;
// One character of a formula's body: an escape pair, or anything but the
// closing delimiter. So `$$…$$` ends at the first unescaped `$$` after its
// opener, and blocks.js can tell whether a formula may still grow.
export const DOLLAR_BODY = String.raw`(?:\\[\s\S]|[^\\$]|\$(?!\$))`;
export const BRACKET_BODY = String.raw`(?:[^\\]|\\(?!\]))`;
const inlineDisplay = new RegExp(String.raw`^\$\$(${DOLLAR_BODY}+?)\$\$`);
// Display blocks open at the start of a line (up to three spaces in) and
// close at the end of one; they may span blank lines.
const blockDollar = new RegExp(String.raw`^ {0,3}\$\$(${DOLLAR_BODY}+?)\$\$[^\S\n]*(?:\n|$)`);
const blockBracket = new RegExp(String.raw`^ {0,3}\\\[(${BRACKET_BODY}+?)\\\][^\S\n]*(?:\n|$)`);
// Where a display block may interrupt a paragraph: a line starting with an
// opener. (marked passes the paragraph's text minus its first character.)
const blockStart = /\n {0,3}(?:\$\$|\\\[)/;

/** @type {import("marked").TokenizerAndRendererExtension[]} */
const mathExtensions = [
  {
    name: "vrMathBlock",
    level: "block",
    start(src) {
      const m = blockStart.exec(src);
      return m ? m.index + 1 : undefined;
    },
    tokenizer(src) {
      const m = blockDollar.exec(src) || blockBracket.exec(src);
      if (m) return { type: "vrMathBlock", raw: m[0], text: m[1].trim() };
      return undefined;
    },
    renderer(token) {
      return mathHtml(token.text, true, false);
    },
  },
  {
    name: "vrMathInline",
    level: "inline",
    start(src) {
      const m = /\$|\\\(/.exec(src);
      return m ? m.index : undefined;
    },
    tokenizer(src) {
      let m = inlineDisplay.exec(src);
      if (m) return { type: "vrMathInline", raw: m[0], text: m[1].trim(), display: true };
      m = inlineDollar.exec(src) || inlineParen.exec(src);
      if (m) return { type: "vrMathInline", raw: m[0], text: m[1].trim(), display: false };
      return undefined;
    },
    renderer(token) {
      return mathHtml(token.text, token.display, true);
    },
  },
];

const marked = new Marked({ gfm: true, breaks: false, async: false });
marked.use({ extensions: mathExtensions });

/**
 * marked's top-level tokens of `text`, inline tokens included.
 * @param {string} text
 * @returns {TokensList}
 */
export function lex(text) {
  return marked.lexer(text);
}

/**
 * HTML of top-level tokens (unsanitised). The HTML of a token list is the
 * concatenation of its tokens' HTML: marked renders them one by one.
 * @param {Token[]} tokens
 * @returns {string}
 */
export function toHtml(tokens) {
  return /** @type {string} */ (marked.parser(tokens));
}

/** @type {import("dompurify").Config} */
const PURIFY = {
  // Model output is untrusted (an image can carry a prompt injection): no
  // forms, frames, styles or event handlers; links open safely (see hook).
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
  ALLOW_DATA_ATTR: true,
  // Parse in the body from the first character: the open end of an answer
  // is sanitised alone, and must parse as it does after the blocks before
  // it (a stray end tag followed by a space must not drop the space).
  FORCE_BODY: true,
};

/** @type {import("dompurify").DOMPurify | null} the element's own instance: its config and hook are set once */
let purifier = null;
function purify() {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  purifier.setConfig({ ...PURIFY, RETURN_DOM_FRAGMENT: true });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
    // Remote images in an answer would let injected text phone home.
    if (node.tagName === "IMG") {
      const src = node.getAttribute("src") || "";
      if (!src.startsWith("data:image/")) node.removeAttribute("src");
    }
  });
  return purifier;
}

/**
 * Sanitised nodes of `html`, ready to insert (no second parse of a string).
 * @param {string} html
 * @returns {DocumentFragment}
 */
export function sanitizeToFragment(html) {
  return /** @type {DocumentFragment} */ (/** @type {unknown} */ (purify().sanitize(html)));
}

/**
 * The whole text in one go, as a sanitised HTML string.
 * @param {string} text
 * @returns {{ html: string, hasMath: boolean }}
 */
export function renderMarkdown(text) {
  const box = document.createElement("div");
  box.append(sanitizeToFragment(toHtml(lex(text))));
  const html = box.innerHTML;
  return { html, hasMath: html.includes('class="vr-math') };
}

// A short answer of the usual kinds of block and inline (headings, lists,
// emphasis, code, a table, inline and display formulas of the common
// shapes), rendered once while the model thinks (warm): the first use of
// marked's rules and DOMPurify's parser compiles their code and regular
// expressions — at 4× CPU a 60–80 ms task in the answer's first frame.
const WARM_TEXT = String.raw`### Step 1

**Given.** In triangle $ABC$, $\angle A = 40^\circ$ and $AB = AC$, so _the base angles_ are equal:

$$\angle B = \frac{180^\circ - 40^\circ}{2} = 70^\circ$$

1. First, $x_{1} + x_{2} = -\frac{b}{a}$ and \(\sqrt{x^{2} + y^{2}} \le r\).
2. Then $\sum_{i=1}^{n} i = \frac{n(n+1)}{2}$, see ${"`f(x)`"}.

- $\int_0^{1} x\,dx = \frac{1}{2}$
- $\left( \pi r^2 \right) \times 3 \cdot \alpha \neq \beta$

| $x$ | $f(x)$ |
|---|---|
| 1 | 2 |

\[ a^2 + b^2 = c^2, \quad \text{so} \quad c = \sqrt{a^2 + b^2} \]
`;

/**
 * The whole pipeline once on a sample answer, in detached nodes: call it
 * in an idle moment before the first answer. Returns the rendered box (its
 * formulas still placeholders), for math.js to typeset.
 * @returns {HTMLElement}
 */
export function warm() {
  const box = document.createElement("div");
  box.append(sanitizeToFragment(toHtml(lex(WARM_TEXT))));
  return box;
}
