// In-page side of element-markdown.test.mjs (bundled by esbuild with the
// element's real modules): the split-invariance property of AnswerView.
import { AnswerView } from "../../js/element/answer.js";
import { lex, toHtml, sanitizeToFragment } from "../../js/element/markdown.js";
import { renderMath } from "../../js/element/math.js";
import katex from "katex";
import { prng } from "../support/prng.mjs";


// Lines and blocks an answer is made of, the awkward ones on purpose:
// formulas (inline, display, over blank lines, unclosed), lists (tight,
// loose, nested, ordered, continued by indentation), fences, indented
// code, setext headings, tables, quotes, raw HTML, link definitions.
const PIECES = [
  "Some text with $x^2$ inline.", "A line", "another line", "**Step 1.** Since $AB = AC$, the angles are equal.",
  "$$\na + b\n$$", "$$ x $$", "$$\na\n\nb\n$$", "$$", "\\[ y \\]", "\\[\nz\n\n\\]", "$$ open", "close $$", "\\[ a", "b \\]",
  "$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$", "  $$ y $$", "$$x\\$$", "\\$\\$", "x\\", "$$a$$ b", "text $$\\sum$$ more",
  "- item", "- item $a$", "  continued", "1. first", "2. second", "10) ten", "* star", "+ plus", "- a\n  - nested", "  - indented item",
  "   3. three", "- [ ] task", "1. a\n\n2. b\n\n3. c", "- a\n\n- b", "- a\n\n  b\n\n- c", "   continued lazily",
  "  ```\n  code in item\n  ```", "    indented code", "    code\n\n    more", "\t\ttab", "```", "```js", "~~~", "``` $x$ ```",
  "# Heading $h$", "Title\n===", "Sub\n---", "---", "***", "___", "> quote", "> more $q$", "> > deep", ">",
  "| a | b |\n|---|---|\n| 1 | $2$ |", "| x |", "|---|", "Term  \nhard break", "Costs $5 and $6.", "`code $x$`", "**bold** _em_",
  "[ref]: https://example.com", "see [ref] and [x](https://e.com)", "[^1]", "https://example.com/a/very/long/path",
  "<b>bold", "</b>", "<br>", "<span>x</span>", "<sup>2</sup>", "<div>", "</div>", "<details>", "</details>", "<pre>", "</pre>",
  "<!-- c", "-->", "中文 $\\angle A = 40^\\circ$。", "   ", "", "", "",
];
const GLUE = ["\n", "\n", "\n\n", "\n\n", "\n\n\n", "\n \n", " "];

function answer(rnd) {
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const n = 2 + Math.floor(rnd() * 24);
  let out = pick(PIECES);
  for (let i = 1; i < n; i++) out += pick(GLUE) + pick(PIECES);
  return out + (rnd() < 0.5 ? "\n" : "");
}

// The reference: the whole text rendered at once — marked, DOMPurify, and
// KaTeX's HTML string into each placeholder (not math.js's cached nodes).
// (Not through an HTML string: the element never re-parses the sanitised
// HTML, which would drop a newline after a <pre> tag each time.)
const katexCache = new Map();
function oneShot(text, typeset) {
  const box = document.createElement("div");
  box.append(sanitizeToFragment(toHtml(lex(text))));
  if (typeset) {
    for (const el of box.querySelectorAll(".vr-math[data-tex]")) {
      const tex = el.getAttribute("data-tex");
      const display = el.hasAttribute("data-display");
      const key = (display ? "D" : "I") + tex;
      if (!katexCache.has(key)) {
        katexCache.set(key, katex.renderToString(tex, { displayMode: display, throwOnError: false, output: "htmlAndMathml", trust: false, maxExpand: 500, maxSize: 20 }));
      }
      el.innerHTML = katexCache.get(key);
      el.removeAttribute("data-tex");
    }
  }
  return box.innerHTML;
}

/**
 * Streams `cases` random answers into an AnswerView, cut at random points,
 * and compares the container with the one-shot render after every update.
 * Half the cases typeset as they go; the other half leave the formulas to a
 * late pass (KaTeX still loading), checked untypeset on the way and
 * typeset at the end. Of the updates that typeset, half are prepared in
 * slices of one formula (prepare and resume with a deadline already past,
 * as in a task that used its budget), the container unchanged until apply,
 * and now and then a prepare is dropped half-done for a longer text (the
 * stream moved on). Returns the first failure (with its seed) or stats.
 */
export function run(seed, cases) {
  let updates = 0;
  let slices = 0;
  let dropped = 0;
  for (let c = 0; c < cases; c++) {
    const caseSeed = seed + c;
    const rnd = prng(caseSeed);
    const text = answer(rnd);
    const late = rnd() < 0.5;
    const box = document.createElement("div");
    document.body.append(box);
    const view = new AnswerView(box, late ? () => {} : (root) => renderMath(root));
    const cuts = [];
    let at = 0;
    while (at < text.length) {
      // Mostly small steps, as tokens arrive; sometimes a burst.
      at = Math.min(text.length, at + 1 + Math.floor(rnd() ** 3 * 40));
      cuts.push(at);
      const prefix = text.slice(0, at);
      if (!late && rnd() < 0.5) {
        const shown = box.innerHTML;
        if (cuts.length > 1 && rnd() < 0.2) {
          // A render of less, dropped before it was ready.
          const less = cuts.at(-2) + Math.floor(rnd() * (at - cuts.at(-2)));
          if (!view.prepare(text.slice(0, less), -Infinity)) dropped++;
        }
        let ready = view.prepare(prefix, -Infinity);
        while (!ready) {
          slices++;
          if (box.innerHTML !== shown) return { ok: false, seed: caseSeed, text, cuts, prefix, got: box.innerHTML, want: shown, sliced: true };
          ready = view.resume(-Infinity);
        }
        view.apply();
      } else {
        view.update(prefix);
      }
      updates++;
      const want = oneShot(prefix, !late);
      if (box.innerHTML !== want) {
        return { ok: false, seed: caseSeed, text, cuts, prefix, got: box.innerHTML, want };
      }
    }
    if (late) {
      renderMath(box);
      const want = oneShot(text, true);
      if (box.innerHTML !== want) return { ok: false, seed: caseSeed, text, cuts, prefix: text, got: box.innerHTML, want, late: true };
    }
    box.remove();
  }
  return { ok: true, updates, slices, dropped };
}

/**
 * The work of streaming `text` in steps of `step` characters: nodes added,
 * removed or changed per update (a MutationObserver's count, not a clock),
 * the most text rendered again in one update (the open blocks), and
 * whether the first block and its first formula are still the nodes first
 * rendered.
 */
export async function work(text, step) {
  const box = document.createElement("div");
  document.body.append(box);
  const view = new AnswerView(box, (root) => renderMath(root));
  let touched = 0;
  const observer = new MutationObserver((records) => {
    for (const r of records) touched += r.addedNodes.length + r.removedNodes.length + (r.type === "characterData" ? 1 : 0);
  });
  observer.observe(box, { childList: true, subtree: true, characterData: true });
  const perUpdate = [];
  let maxOpen = 0;
  let first = null;
  let firstFormula = null;
  for (let at = step; at < text.length + step; at += step) {
    view.update(text.slice(0, at));
    for (const r of observer.takeRecords()) touched += r.addedNodes.length + r.removedNodes.length + (r.type === "characterData" ? 1 : 0);
    perUpdate.push(touched);
    touched = 0;
    maxOpen = Math.max(maxOpen, view.openLength);
    if (!first && box.childElementCount > 2) {
      first = box.firstElementChild;
      firstFormula = first.querySelector(".katex");
    }
  }
  observer.disconnect();
  const same = first === box.firstElementChild && firstFormula !== null && firstFormula === box.firstElementChild.querySelector(".katex");
  const equal = box.innerHTML === oneShot(text, true);
  box.remove();
  return { perUpdate, maxOpen, same, equal };
}
