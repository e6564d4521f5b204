// Shared plumbing for the e2e tests: Chromium via playwright-core, console
// capture, screenshots under test-results/.
import { chromium } from "playwright-core";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const RESULTS = path.join(ROOT, "test-results");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
}

/** A page whose console errors and uncaught exceptions are collected. */
export async function openPage(browser, url, { width = 1280, height = 900, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
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

export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
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
          // error's message (and, on a class, its name) is not enumerable.
          const d = e.detail;
          const plain = d instanceof Error
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
