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

export function ensureStyles(root) {
  injectFonts();
  if (root.querySelector("style[data-vr-katex]")) return;
  const style = document.createElement("style");
  style.setAttribute("data-vr-katex", "");
  style.textContent = katexCss;
  root.appendChild(style);
}

// Answers are re-rendered once per frame while they stream, so the same
// formula is typeset many times: keep the HTML per (mode, TeX).
const cache = new Map();
const CACHE_MAX = 500;

function typeset(tex, display) {
  const key = (display ? "D" : "I") + tex;
  let html = cache.get(key);
  if (html === undefined) {
    // trust: false (the default) keeps \href, \url, \includegraphics and
    // friends inert: the TeX comes from the model and is untrusted.
    html = katex.renderToString(tex, { displayMode: display, throwOnError: false, output: "htmlAndMathml", trust: false, maxExpand: 500, maxSize: 20 });
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
    cache.set(key, html);
  }
  return html;
}

export function renderMath(container) {
  for (const el of container.querySelectorAll(".vr-math[data-tex]")) {
    const tex = el.getAttribute("data-tex");
    el.innerHTML = typeset(tex, el.hasAttribute("data-display"));
    el.removeAttribute("data-tex");
  }
}
