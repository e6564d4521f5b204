// Shared plumbing for the e2e tests: the browser VR_ENGINE names (Chromium
// through playwright-core by default; Firefox or WebKit through WebDriver,
// tests/support/engine.mjs), console capture, screenshots under
// test-results/<engine>/.
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ENGINE, ENGINE_NAME, launchEngine } from "../../support/engine.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const RESULTS = path.join(ROOT, "test-results", ENGINE);
export { ENGINE, ENGINE_NAME };

export function launch() {
  return launchEngine();
}

/** A page whose console errors and uncaught exceptions are collected. */
export async function openPage(browser, url, { width = 1280, height = 900, colorScheme = "light", resizable = false } = {}) {
  const options = { viewport: { width, height }, colorScheme, deviceScaleFactor: 1 };
  // resizable: the test narrows the viewport later, below what a Firefox or
  // WebKit window can be, so there the page runs in a frame (wdpage.mjs).
  const context = await browser.newContext(ENGINE === "chromium" ? options : { ...options, resizable });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push({ kind: "console", text: m.text(), at: Date.now() });
  });
  page.on("pageerror", (e) => problems.push({ kind: "pageerror", text: String(e && e.stack || e), at: Date.now() }));
  await page.goto(url);
  await page.waitForFunction(() => customElements.get("visual-reasoning-tutor") !== undefined);
  return { page, context, problems };
}

/**
 * What the page loads from now on: foreign() lists the URLs outside
 * `origin` (data: and blob: aside), bodies() the text bodies it received.
 * Chromium: Playwright's request and response events. WebDriver has no such
 * events: there the Resource Timing entries name what was loaded (from the
 * page's start), and each text resource but the API's POSTed streams is
 * fetched again from Node to read the bytes the server sends.
 */
export async function watchNetwork(page, origin) {
  if (page.networkEvents !== false) {
    const foreign = [];
    const bodies = [];
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")) foreign.push(u);
    });
    page.on("response", async (r) => {
      try {
        const type = r.headers()["content-type"] || "";
        if (/text|json|javascript|event-stream/.test(type)) bodies.push({ url: r.url(), text: await r.text() });
      } catch {
        // bodies of aborted streams cannot be read; nothing of ours to check
      }
    });
    return { foreign: async () => foreign, bodies: async () => bodies };
  }
  await page.evaluate(() => performance.setResourceTimingBufferSize(100_000));
  const loaded = () =>
    page.evaluate(() => [location.href, ...performance.getEntriesByType("resource").map((e) => e.name)]);
  const API = /\/(compatible-mode|api)\/v1\//;
  return {
    foreign: async () => (await loaded()).filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")),
    bodies: async () => {
      const out = [];
      for (const url of new Set(await loaded())) {
        if (!url.startsWith(origin) || API.test(new URL(url).pathname)) continue;
        const res = await fetch(url);
        const type = res.headers.get("content-type") || "";
        if (/text|json|javascript|event-stream/.test(type)) out.push({ url, text: await res.text() });
        else await res.arrayBuffer();
      }
      return out;
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * A directory the mock relay serves (`staticDir`): fixtures/element.html as
 * index.html next to a copy of pkg/. Remove it with
 * `rmSync(dir, { recursive: true, force: true })`.
 */
export function elementSite(prefix) {
  const pkg = path.join(ROOT, "pkg");
  requireBuilt(path.join(pkg, "element.js"), "run `bash scripts/build.sh` first");
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cpSync(pkg, path.join(dir, "pkg"), { recursive: true });
  cpSync(path.join(ROOT, "tests", "e2e", "fixtures", "element.html"), path.join(dir, "index.html"));
  return dir;
}

export function requireBuilt(file, how) {
  if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: ${how}`);
}

/** Polls fn until it returns a truthy value (or throws the last failure). */
export async function eventually(fn, { timeout = 10_000, interval = 50, message = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message}` + (last ? `: ${last.message}` : ""));
}

/**
 * Installs an in-page recorder of the vr-* events of each tutor element:
 * window.__events[id] = [{type, detail, t}].
 */
export async function recordEvents(page) {
  await page.evaluate(() => {
    window.__events = {};
    for (const el of document.querySelectorAll("visual-reasoning-tutor")) {
      const log = (window.__events[el.id] = []);
      for (const type of ["vr-start", "vr-part", "vr-done", "vr-error"]) {
        el.addEventListener(type, (e) => {
          // Keep a plain copy: details are checked after the fact. An
          // error's message (and, on a class, its name) is not enumerable,
          // so JSON of the error itself is {}. Not `instanceof Error`:
          // Firefox's WebDriver runs this function in a sandbox whose Error
          // is not the page's (false for every page error); vr-error's
          // detail is the error itself (API.md), whatever its realm.
          const d = e.detail;
          const plain = type === "vr-error" && d !== null && typeof d === "object"
            ? { error: true, name: d.name, message: d.message, status: d.status, code: d.code, requestId: d.requestId, retryable: d.retryable, partial: d.partial }
            : d;
          log.push({ type, detail: JSON.parse(JSON.stringify(plain ?? null)), t: performance.now() });
        });
      }
    }
  });
}

export const events = (page, id) => page.evaluate((id) => window.__events[id], id);

export async function waitForEnd(page, id, count = 1, timeout = 20_000) {
  await page.waitForFunction(
    ([id, count]) => (window.__events[id] || []).filter((e) => e.type === "vr-done" || e.type === "vr-error").length >= count,
    [id, count],
    { timeout },
  );
  return events(page, id);
}
