// Long unbroken text at phone width, in every engine (VR_ENGINE): ids,
// URLs and long words must wrap inside <visual-reasoning-tutor>, never widen
// it past the viewport. Engines break lines differently: Firefox follows
// UAX #14 and will not break "-8339" (a hyphen before a digit), which
// Chromium and WebKit do, so a request id whose every group starts with a
// digit (about one random id in ten) overflows there unless the text may
// break anywhere. Needs: pkg/ (scripts/build.sh) and the relay binary.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startMock } from "../support/mock.mjs";
import { elementSite, ENGINE_NAME, launch, openPage, screenshot, requireBuilt, recordEvents, waitForEnd } from "./lib/browser.mjs";

let site, mock, browser;

// An id of the shape the relay sends (chatcmpl- + UUID) with every group
// after a hyphen starting with a digit.
const STUBBORN_ID = "chatcmpl-36cfb393-8339-4111-8222-123456789012";

before(async () => {
  site = elementSite("vr-layout-");
  mock = await startMock({ staticDir: site, tokensPerSecond: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await mock?.stop();
  if (site) rmSync(site, { recursive: true, force: true });
});

/** How far anything sticks out: the page sideways, each turn and part of element `id`. */
function overflow(page, id) {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    const out = { page: document.documentElement.scrollWidth - window.innerWidth, element: Math.round(el.getBoundingClientRect().right - window.innerWidth), parts: [] };
    for (const node of el.shadowRoot.querySelectorAll(".turn, .turn *")) {
      // KaTeX's MathML copy is for screen readers: clipped to nothing.
      if (node.closest(".katex-mathml")) continue;
      const over = node.scrollWidth - node.clientWidth;
      // Only boxes that clip or scroll report a scrollWidth larger than their own.
      if (over > 0 && node.clientWidth > 0 && getComputedStyle(node).overflowX === "visible") {
        out.parts.push(`${node.getAttribute("class") || node.tagName.toLowerCase()}: ${over}px`);
      }
      const r = node.getBoundingClientRect();
      const host = el.getBoundingClientRect();
      if (r.width > 0 && r.right > host.right + 0.5) out.parts.push(`${node.getAttribute("class") || node.tagName.toLowerCase()} ends ${Math.round(r.right - host.right)}px past the element`);
    }
    return out;
  }, id);
}

async function ask(page, id, question, headers = {}) {
  await page.evaluate(([id, headers]) => (document.getElementById(id).headers = headers), [id, headers]);
  const tutor = page.locator(`#${id}`);
  await tutor.locator("textarea").fill(question);
  await tutor.locator("button.ask").click();
}

test(`${ENGINE_NAME} at 390 px: a request id in the meta line wraps inside the element`, async () => {
  const { page, context } = await openPage(browser, mock.url + "/index.html", { width: 390, height: 844 });
  try {
    await recordEvents(page);
    await ask(page, "a", "Find the angle x.");
    const log = await waitForEnd(page, "a");
    assert.equal(log.at(-1).type, "vr-done");
    // The line the element writes for a finished turn, with an id the
    // relay may send (its own id is random; this one is the stubborn kind).
    const meta = await page.evaluate((id) => {
      const node = document.getElementById("a").shadowRoot.querySelector(".meta");
      node.textContent = node.textContent.replace(/chatcmpl-[0-9a-f-]+|[0-9a-f]{8}-[0-9a-f-]{27}/, id);
      return node.textContent;
    }, STUBBORN_ID);
    assert.ok(meta.includes(STUBBORN_ID), `the meta line names the request id: ${meta}`);
    const o = await overflow(page, "a");
    await screenshot(page, "layout-meta-390.png");
    assert.deepEqual(o.parts, [], `${ENGINE_NAME}: ${JSON.stringify(o)}`);
    assert.ok(o.element <= 0 && o.page <= 0, `${ENGINE_NAME}: ${JSON.stringify(o)}`);
  } finally {
    await context.close();
  }
});

test(`${ENGINE_NAME} at 390 px: a long URL and word in the question and an error's request id wrap`, async () => {
  const { page, context } = await openPage(browser, mock.url + "/index.html", { width: 390, height: 844 });
  try {
    await recordEvents(page);
    const url = "https://tutor.example/worksheets/" + "geometry-angles-".repeat(6) + "0123456789abcdef0123456789abcdef.png";
    const word = "Supercalifragilistic".repeat(6);
    await ask(page, "a", `Is ${url} the same as ${word}?`);
    assert.equal((await waitForEnd(page, "a")).at(-1).type, "vr-done");
    await ask(page, "b", "Is the service up?", { "X-Mock-Fault": "status:503,retry-after:0" });
    const err = (await waitForEnd(page, "b", 1, 30_000)).at(-1);
    assert.equal(err.type, "vr-error");
    await page.locator("#b").locator(".error").waitFor();
    for (const id of ["a", "b"]) {
      const o = await overflow(page, id);
      assert.deepEqual(o.parts, [], `${ENGINE_NAME}, element ${id}: ${JSON.stringify(o)}`);
      assert.ok(o.element <= 0 && o.page <= 0, `${ENGINE_NAME}, element ${id}: ${JSON.stringify(o)}`);
    }
  } finally {
    await context.close();
  }
});
