// @ts-check
// Which blocks of a streaming Markdown answer are final.
//
// An answer grows at its end. Rendering it whole on every update costs more
// and more as it grows (marked, DOMPurify, KaTeX, style and layout of every
// block), so answer.js renders a block once it can no longer change and
// re-renders only the rest. "Can no longer change" must be exact: the
// DOM shown after every update has to equal what rendering the whole text
// at once gives (tests/e2e/element-markdown.test.mjs checks that property
// on random answers split at random points).
//
// A block is final once blank lines follow it and the first line after
// them is complete: marked decides from that line whether a list goes on
// (another item, which also makes the whole list loose: <li><p>…) or
// indented code does (an indented line); a setext underline cannot follow a
// blank line; paragraphs, headings, tables and block quotes end at one;
// fenced code and HTML blocks of kinds 1–5 run to their closing line, and
// while open they are the last token. Three things reach further:
// - `$$ … $$` and `\[ … \]` display math may span blank lines: an opener
//   whose formula is not closed yet lexes as a paragraph for now, and
//   becomes a formula over the blocks after it once its closer arrives;
// - a link reference definition changes links anywhere in the text, before
//   it too (then nothing is final: the whole answer is rendered each time);
// - raw HTML in one block can change the DOM of the blocks after it (an
//   unclosed <b> is reopened in the next paragraph by the HTML parser).
import { DOLLAR_BODY, BRACKET_BODY } from "./markdown.js";

/** @typedef {import("marked").Token} Token */

/**
 * How many leading top-level tokens of `src` are final: they render the
 * same whatever text is appended to `src` later. `src` is lexed from a cut
 * made earlier by this function (or from the start of the answer).
 * `global` is true when the text holds a link reference definition, which
 * can change any block, so nothing may be kept.
 * @param {string} src
 * @param {Token[]} tokens  marked's top-level tokens of src
 * @returns {{ count: number, length: number, global: boolean }}
 */
export function finalBlocks(src, tokens) {
  if (tokens.some(hasDefinition)) return { count: 0, length: 0, global: true };
  let best = { count: 0, length: 0, global: false };
  let offset = 0;
  let content = false; // a token that is not blank lines came before
  for (let j = 0; j < tokens.length; j++) {
    const token = tokens[j];
    // A cut at `offset`, before token j: after blank lines, with content
    // before them, and with token j's first line complete.
    if (tokens[j - 1]?.type === "space" && content) {
      if (src.indexOf("\n", offset) < 0) break; // no later token has a complete first line either
      best = { count: j, length: offset, global: false };
    }
    // Nothing after this token can be final if it may still grow past its
    // end or changes the DOM after it.
    if (hasRawHtml(token) || opensDisplayMath(src, offset, token)) break;
    if (token.type !== "space") content = true;
    offset += token.raw.length;
  }
  return best;
}

/**
 * Whether `token` (at `offset` in `src`) holds a line that starts a display
 * formula whose closing delimiter has not arrived: marked tries the math
 * block at such a line (a block start, or where a paragraph may be cut), and
 * once its closing delimiter arrives, the formula takes in everything up to
 * it, blank lines and blocks included. An opener whose first closing
 * delimiter is there is decided for good: a formula, or text forever.
 * @param {string} src
 * @param {number} offset
 * @param {Token} token
 */
function opensDisplayMath(src, offset, token) {
  if (token.type === "code" || token.type === "vrMathBlock" || token.type === "space") return false;
  const raw = token.raw;
  for (let at = 0; at < raw.length; at = raw.indexOf("\n", at) + 1) {
    const m = /^ {0,3}(\$\$|\\\[)/.exec(raw.slice(at, at + 6));
    if (m && !closed(src, offset + at + m[0].length, m[1] === "$$")) return true;
    if (raw.indexOf("\n", at) < 0) break;
  }
  return false;
}

// The body scans of markdown.js's display-math patterns.
const DOLLAR_SCAN = new RegExp(`${DOLLAR_BODY}*`, "y");
const BRACKET_SCAN = new RegExp(`${BRACKET_BODY}*`, "y");

/**
 * Whether the formula whose body starts at `from` has its closing delimiter
 * in `src`: where the body scan of markdown.js's pattern stops.
 * @param {string} src
 * @param {number} from
 * @param {boolean} dollar
 */
function closed(src, from, dollar) {
  const body = dollar ? DOLLAR_SCAN : BRACKET_SCAN;
  body.lastIndex = from;
  body.exec(src);
  return src.startsWith(dollar ? "$$" : "\\]", body.lastIndex);
}

/** @param {Token} token @returns {boolean} */
function hasDefinition(token) {
  return token.type === "def" || children(token).some(hasDefinition);
}

// Inline HTML that keeps to its own block: void tags, and phrasing tags
// opened and closed in the same block.
const VOID = new Set(["br", "wbr"]);
const PHRASING = new Set(["b", "i", "em", "strong", "u", "s", "del", "ins", "mark", "small", "sub", "sup", "kbd", "code", "span", "abbr"]);

/**
 * Whether `token` holds HTML that can change the DOM after its block: an
 * HTML block, or inline HTML other than balanced phrasing tags.
 * @param {Token} token
 */
function hasRawHtml(token) {
  /** @type {string[]} */
  const open = [];
  let ok = true;
  /** @param {Token} t */
  const walk = (t) => {
    if (!ok) return;
    if (t.type === "html") {
      if (t.block) {
        ok = false;
        return;
      }
      const m = /^<(\/?)([a-zA-Z][\w-]*)\b[^>]*?(\/?)>$/.exec(t.raw.trim());
      const name = m ? m[2].toLowerCase() : "";
      if (m && VOID.has(name)) return;
      if (!m || !PHRASING.has(name) || m[3]) ok = false;
      else if (!m[1]) open.push(name);
      else if (open.pop() !== name) ok = false;
      return;
    }
    for (const c of children(t)) walk(c);
  };
  walk(token);
  return !ok || open.length > 0;
}

/**
 * The tokens nested in a token (inline tokens, list items, table cells).
 * @param {Token} t
 * @returns {Token[]}
 */
function children(t) {
  /** @type {Token[]} */
  const out = [];
  const any = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (t));
  for (const key of ["tokens", "items"]) {
    const v = any[key];
    if (Array.isArray(v)) out.push(...v);
  }
  if (t.type === "table") {
    for (const cell of t.header) out.push(...cell.tokens);
    for (const row of t.rows) for (const cell of row) out.push(...cell.tokens);
  }
  return out;
}
