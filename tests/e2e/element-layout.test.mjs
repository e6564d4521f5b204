// <visual-reasoning-tutor> at 390 px with long unbroken text everywhere it
// can come from: ids and URLs, long display formulas, long code lines,
// wide tables, a long model id, a long question. Nothing may reach past the
// element's border, and the page may not scroll sideways; text wraps, or
// scrolls inside its own box (code, display formulas, tables). Measured
// with DOM geometry in the page (getBoundingClientRect, Range rects), so the
// same checks run in any engine. Needs pkg/ and the relay binary.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startMock } from "../support/mock.mjs";
import { elementSite, launch, openPage, screenshot, requireBuilt, recordEvents, waitForEnd } from "./lib/browser.mjs";

let site, mock, browser;

before(async () => {
  site = elementSite("vr-element-layout-");
  mock = await startMock({ staticDir: site, tokensPerSecond: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await mock?.stop();
  if (site) rmSync(site, { recursive: true, force: true });
});

const ID = "chatcmpl-36cfb393-8339-4c5e-9f1a-0123456789ab0123456789ab0123456789ab";
const LONG_ANSWER = [
  `Request ${ID} and the id without hyphens ${"f".repeat(90)}.`,
  "",
  `See https://example.com/${"a".repeat(40)}/${"b".repeat(60)}?q=${"c".repeat(50)} for the proof, or [this link](https://example.com/${"d".repeat(120)}).`,
  "",
  "Inline code `" + "averyveryverylongidentifierwithoutanybreakopportunity".repeat(3) + "` and inline math $" + "x_{1}".repeat(40) + "$ and $\\text{" + "w".repeat(80) + "}$.",
  "",
  "$$" + Array.from({ length: 60 }, (_, i) => `a_{${i}}`).join(" + ") + " = \\sum_{i=0}^{59} a_i$$",
  "",
  "A display formula in a paragraph: $$\\frac{" + "y".repeat(70) + "}{2}$$ ends here.",
  "",
  "```",
  "const line = \"" + "z".repeat(200) + "\";",
  "```",
  "",
  "| " + Array.from({ length: 14 }, (_, i) => `column${i}`).join(" | ") + " |",
  "|" + "---|".repeat(14),
  "| " + Array.from({ length: 14 }, (_, i) => `value${i}value${i}`).join(" | ") + " |",
  "",
  "> " + "q".repeat(150),
  "",
  "- " + "l".repeat(150),
].join("\n");

/**
 * Element "a" asks `question` and the mock answers `answer` (its
 * X-Mock-Answer header); resolves with the event log once the stream ends.
 */
async function answerWith(page, answer, question) {
  await recordEvents(page);
  await page.evaluate((answer) => (document.getElementById("a").headers = { "X-Mock-Answer": encodeURIComponent(answer) }), answer);
  await page.evaluate((q) => document.getElementById("a").ask(q), question);
  return waitForEnd(page, "a");
}

/**
 * Everything in the element's shadow tree that reaches past the element's
 * right edge, skipping what sits inside a box that scrolls or clips (that
 * box itself is checked).
 */
function overflowReport(id) {
  const host = document.getElementById(id);
  const right = host.getBoundingClientRect().right + 0.5;
  // (overflow does not apply to inline boxes, whatever their computed style)
  const clips = (el) => {
    const s = getComputedStyle(el);
    return ["auto", "scroll", "hidden", "clip"].includes(s.overflowX) && s.display !== "inline";
  };
  const insideScroller = (node) => {
    for (let el = node.parentElement; el; el = el.parentElement) if (clips(el)) return true;
    return false;
  };
  const describe = (node) => {
    const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    return (el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "")) +
      (node.nodeType === Node.TEXT_NODE ? ` text "${node.data.slice(0, 40)}"` : "");
  };
  const bad = [];
  const reported = new Set(); // report the outermost node only
  const walker = document.createTreeWalker(host.shadowRoot, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (reported.has(n.parentElement)) {
      reported.add(n);
      continue;
    }
    if (n.nodeType === Node.ELEMENT_NODE && (n.tagName === "STYLE" || n.closest("[hidden]"))) continue;
    if (n.nodeType === Node.TEXT_NODE && (!n.data.trim() || n.parentElement.closest("[hidden], style, option"))) continue;
    if (insideScroller(n)) continue;
    let rects;
    if (n.nodeType === Node.TEXT_NODE) {
      const range = document.createRange();
      range.selectNodeContents(n);
      rects = [...range.getClientRects()];
    } else {
      rects = [n.getBoundingClientRect()];
    }
    const worst = Math.max(...rects.filter((r) => r.width > 0).map((r) => r.right), -Infinity);
    if (worst > right) {
      bad.push(`${describe(n)} reaches ${Math.round(worst - right)} px past the border`);
      reported.add(n);
    }
  }
  return { bad, pageOverflow: document.documentElement.scrollWidth - window.innerWidth };
}

test("at 390 px no long id, URL, formula, code line, table or model id reaches past the border", async () => {
  const { page, context, problems } = await openPage(browser, mock.url + "/index.html", { width: 390, height: 844 });
  try {
    const log = await answerWith(page, LONG_ANSWER, `Why is ${"x".repeat(120)} so long? ${ID}`);
    assert.equal(log.at(-1).type, "vr-done", JSON.stringify(log.at(-1)));
    await page.waitForFunction(() => document.getElementById("a").shadowRoot.querySelector(".answer").getAttribute("aria-busy") === "false");
    await page.waitForFunction(() => document.getElementById("a").shadowRoot.querySelectorAll(".answer .katex").length >= 4);
    // An error box with a long request id too, and a long model id in the select.
    await page.evaluate(() => {
      const b = document.getElementById("b");
      b.headers = { "X-Mock-Fault": "error-event:2" };
      b.model = "qwen3-vl-plus-" + "0123456789".repeat(8);
    });
    await page.evaluate(() => document.getElementById("b").ask("An error, please"));
    await waitForEnd(page, "b");
    const shown = await page.evaluate(() => document.getElementById("a").shadowRoot.querySelector(".answer").textContent);
    assert.ok(shown.includes("f".repeat(90)) && shown.includes("z".repeat(200)), "the long answer is shown");
    const report = await Promise.all(["a", "b"].map(async (id) => ({ id, ...(await page.evaluate(overflowReport, id)) })));
    const bad = report.flatMap((r) => r.bad.map((b) => `element ${r.id}: ${b}`));
    assert.deepEqual(bad, [], "at 390 px:\n" + bad.join("\n"));
    assert.ok(report[0].pageOverflow <= 0, `the page scrolls sideways by ${report[0].pageOverflow} px`);
    await screenshot(page, "element-390-long.png");
    assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p.text)), []);
  } finally {
    await context.close();
  }
});

test("every text in the element may wrap anywhere or sits in a box that scrolls", async () => {
  // Chromium breaks ids like chatcmpl-36cfb393-8339-… at their hyphens;
  // Firefox does not where a digit follows, and then only overflow-wrap
  // stops the overflow. So check the rule itself on every text, in any
  // engine: an id that happens to break here would overflow there.
  const { page, context } = await openPage(browser, mock.url + "/index.html", { width: 390, height: 844 });
  try {
    await answerWith(page, LONG_ANSWER, "Find the angle x.");
    await page.evaluate(() => {
      const b = document.getElementById("b");
      b.headers = { "X-Mock-Fault": "status:401" };
    });
    await page.evaluate(() => document.getElementById("b").ask("Unauthorised?"));
    await waitForEnd(page, "b");
    const rigid = await page.evaluate(() => {
      const out = [];
      for (const id of ["a", "b"]) {
        const root = document.getElementById(id).shadowRoot;
        for (const el of root.querySelectorAll("*")) {
          if (["STYLE", "OPTION", "SELECT", "TEXTAREA", "INPUT"].includes(el.tagName)) continue;
          if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim())) continue;
          let scrolls = false;
          for (let p = el; p && !scrolls; p = p.parentElement) {
            const ps = getComputedStyle(p);
            scrolls = ["auto", "scroll", "hidden", "clip"].includes(ps.overflowX) && ps.display !== "inline";
          }
          const s = getComputedStyle(el);
          if (!scrolls && s.overflowWrap !== "anywhere" && s.wordBreak !== "break-all") {
            out.push(`${id}: ${el.tagName.toLowerCase()}.${el.className} (overflow-wrap: ${s.overflowWrap})`);
          }
        }
      }
      return out;
    });
    assert.deepEqual(rigid, []);
  } finally {
    await context.close();
  }
});

test("lists and quotes in an answer are contained (skipped off screen) and spaced as they would be without it", async () => {
  // content-visibility: auto contains a block's layout, so the margins of
  // a loose list's paragraphs no longer collapse through the list: the
  // element's CSS gives them to the list's own. The reference is the same
  // nodes with containment off and the UA's margins back.
  const answer = [
    "Before the list.",
    "",
    "1. first, loose $x$",
    "",
    "2. second",
    "",
    "Between.",
    "",
    "- tight $y$",
    "- tight too",
    "",
    "> quoted $z$",
    ">",
    "> more",
    "",
    "After.",
  ].join("\n");
  const { page, context } = await openPage(browser, mock.url + "/index.html", { width: 800, height: 2000 });
  try {
    await answerWith(page, answer, "Lists, please.");
    await page.waitForFunction(() => document.getElementById("a").shadowRoot.querySelector(".answer").getAttribute("aria-busy") === "false");
    const r = await page.evaluate(() => {
      const root = document.getElementById("a").shadowRoot;
      const shown = root.querySelector(".answer");
      const ref = shown.cloneNode(true);
      ref.classList.add("vr-test-ref");
      const style = document.createElement("style");
      style.textContent = `.vr-test-ref > * { content-visibility: visible !important; contain: none !important; }
        .vr-test-ref * { margin-top: revert !important; margin-bottom: revert !important; }
        .vr-test-ref > :first-child { margin-top: 0 !important; } .vr-test-ref > :last-child { margin-bottom: 0 !important; }`;
      root.append(style);
      shown.after(ref);
      const tops = (box) => [...box.querySelectorAll("*")].filter((el) => !el.closest(".katex")).map((el) => [el.tagName, el.getBoundingClientRect().top - box.getBoundingClientRect().top]);
      const supports = CSS.supports("content-visibility", "auto");
      return {
        supports,
        contained: [...shown.children].filter((el) => ["OL", "UL", "BLOCKQUOTE"].includes(el.tagName)).map((el) => getComputedStyle(el).contentVisibility),
        shown: tops(shown),
        ref: tops(ref),
        heights: [shown.getBoundingClientRect().height, ref.getBoundingClientRect().height],
      };
    });
    if (r.supports) assert.deepEqual(r.contained, ["auto", "auto", "auto"], "the answer's lists and quote are content-visibility: auto");
    const show = (tops) => tops.map(([tag, y]) => `${tag} ${y.toFixed(1)}`).join(", ");
    assert.ok(r.shown.length >= 10, `the answer's blocks: ${show(r.shown)}`);
    // Within a pixel: Firefox rounds a contained block's inner positions
    // differently (184.5 against 184); a lost margin is 16 px.
    const same = r.shown.length === r.ref.length && r.shown.every(([tag, y], i) => tag === r.ref[i][0] && Math.abs(y - r.ref[i][1]) <= 1);
    assert.ok(same, `every block and item where it would be without containment:\n shown ${show(r.shown)}\n ref   ${show(r.ref)}`);
    assert.ok(Math.abs(r.heights[0] - r.heights[1]) <= 1, `the answer as tall as without containment: ${r.heights.join(" against ")}`);
  } finally {
    await context.close();
  }
});
