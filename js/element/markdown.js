// Markdown → sanitised HTML, with math left as placeholders. KaTeX is big
// (≈70 KB gz), so the markdown pass only marks math; math.js (a lazy chunk)
// typesets the placeholders when an answer really contains some.
import { Marked } from "marked";
import DOMPurify from "dompurify";

function escapeAttr(s) {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function mathHtml(tex, display) {
  const t = escapeAttr(tex);
  // The TeX source doubles as the fallback text until KaTeX arrives.
  return display
    ? `<div class="vr-math vr-math-display" data-tex="${t}" data-display="1">${t}</div>`
    : `<span class="vr-math" data-tex="${t}">${t}</span>`;
}

// Inline `$…$` follows Pandoc's rule (no space just inside the dollars, no
// digit right after the closing one) so "costs $5 and $6" stays text.
const inlineDollar = /^\$(?!\s)((?:\\.|[^\\$\n])*?[^\s\\$])\$(?!\d)/;
const inlineParen = /^\\\(([\s\S]+?)\\\)/;
const blockDollar = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n|$)/;
const blockBracket = /^\\\[([\s\S]+?)\\\][^\S\n]*(?:\n|$)/;

const mathExtensions = [
  {
    name: "vrMathBlock",
    level: "block",
    start(src) {
      const m = /\$\$|\\\[/.exec(src);
      return m ? m.index : undefined;
    },
    tokenizer(src) {
      const m = blockDollar.exec(src) || blockBracket.exec(src);
      if (m) return { type: "vrMathBlock", raw: m[0], text: m[1].trim() };
      return undefined;
    },
    renderer(token) {
      return mathHtml(token.text, true);
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
      let m = /^\$\$([\s\S]+?)\$\$/.exec(src);
      if (m) return { type: "vrMathInline", raw: m[0], text: m[1].trim(), display: true };
      m = inlineDollar.exec(src) || inlineParen.exec(src);
      if (m) return { type: "vrMathInline", raw: m[0], text: m[1].trim(), display: false };
      return undefined;
    },
    renderer(token) {
      return mathHtml(token.text, token.display);
    },
  },
];

const marked = new Marked({ gfm: true, breaks: false, async: false });
marked.use({ extensions: mathExtensions });

const PURIFY = {
  // Model output is untrusted (an image can carry a prompt injection): no
  // forms, frames, styles or event handlers; links open safely (see hook).
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
  ALLOW_DATA_ATTR: true,
};

let hooked = false;
function installHooks() {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
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
}

/** @returns {{ html: string, hasMath: boolean }} */
export function renderMarkdown(text) {
  installHooks();
  const raw = marked.parse(text);
  const html = DOMPurify.sanitize(raw, PURIFY);
  return { html, hasMath: html.includes('class="vr-math') };
}
