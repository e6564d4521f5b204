// @ts-check
// The lazy chunk: loaded (dynamic import) only once an answer contains math.
// It carries KaTeX, KaTeX's stylesheet for the shadow roots, and the font
// URLs. @font-face rules are ignored inside a shadow root, so the fonts get
// one stylesheet in the document, added once, pointing next to this file.
import katex from "katex";
import katexCss from "vr:katex-css";
import { fontFaceCss } from "vr:katex-fonts";

let fontsInjected = false;
function injectFonts() {
  if (fontsInjected) return;
  fontsInjected = true;
  if (document.querySelector("style[data-vr-katex-fonts]")) return;
  const style = document.createElement("style");
  style.setAttribute("data-vr-katex-fonts", "");
  style.textContent = fontFaceCss();
  document.head.appendChild(style);
}

/** @type {WeakSet<ShadowRoot>} roots given the stylesheet (asked per formula: no search of a long answer each time) */
const styled = new WeakSet();

/** @param {ShadowRoot} root */
export function ensureStyles(root) {
  if (styled.has(root)) return;
  styled.add(root);
  injectFonts();
  if (root.querySelector("style[data-vr-katex]")) return;
  const style = document.createElement("style");
  style.setAttribute("data-vr-katex", "");
  style.textContent = katexCss;
  root.appendChild(style);
}

// The open end of a streaming answer is rendered again on every update, so
// the same formula is typeset many times: keep KaTeX's output per (mode,
// TeX), parsed once, and clone it.
/** @type {Map<string, HTMLTemplateElement>} */
const cache = new Map();
const CACHE_MAX = 500;

/**
 * @param {string} tex
 * @param {boolean} display
 * @returns {DocumentFragment}
 */
function typeset(tex, display) {
  const key = (display ? "D" : "I") + tex;
  let template = cache.get(key);
  if (template === undefined) {
    template = document.createElement("template");
    // trust: false (the default) keeps \href, \url, \includegraphics and
    // friends inert: the TeX comes from the model and is untrusted.
    template.innerHTML = katex.renderToString(tex, { displayMode: display, throwOnError: false, output: "htmlAndMathml", trust: false, maxExpand: 500, maxSize: 20 });
    if (cache.size >= CACHE_MAX) cache.delete(/** @type {string} */ (cache.keys().next().value));
  } else {
    cache.delete(key); // most recently used last
  }
  cache.set(key, template);
  return /** @type {DocumentFragment} */ (template.content.cloneNode(true));
}

/**
 * Replaces every math placeholder in `root` (itself included) with its
 * formula.
 * @param {ParentNode} root
 */
export function renderMath(root) {
  const sel = ".vr-math[data-tex]";
  const list = root instanceof Element && root.matches(sel) ? [root] : root.querySelectorAll(sel);
  for (const el of list) {
    const tex = /** @type {string} */ (el.getAttribute("data-tex"));
    el.replaceChildren(typeset(tex, el.hasAttribute("data-display")));
    el.removeAttribute("data-tex");
  }
}

/**
 * Gets KaTeX ready while the model thinks, in idle moments: its stylesheet
 * in the shadow root (a style recalculation of the element), its code run
 * on the formulas of `sample` (markdown.js warm: display and inline,
 * fractions, sums, integrals, roots, angles, delimiters, text — at 4× CPU a
 * formula of a shape typeset for the first time costs many ms, its code
 * compiled on first use, the later ones a few), and the faces of common
 * formulas fetched (a formula shown before its font arrives is laid out
 * again when it does: a 30–45 ms layout in the answer's first frames).
 * @param {ShadowRoot} root
 * @param {ParentNode} sample  placeholders to typeset (detached)
 */
export function warm(root, sample) {
  ensureStyles(root);
  renderMath(sample);
  const fonts = document.fonts;
  if (!fonts || typeof fonts.load !== "function") return;
  for (const font of ["1em KaTeX_Main", "italic 1em KaTeX_Math", "1em KaTeX_Size1", "1em KaTeX_Size2", "bold 1em KaTeX_Main"]) {
    fonts.load(font).catch(() => {}); // a face that fails loads again, and shows, when a formula needs it
  }
}
