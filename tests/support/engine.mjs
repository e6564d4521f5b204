// Which browser engine the browser and e2e tests run in, from VR_ENGINE:
//   chromium (default)  Debian's Chromium through playwright-core
//   firefox             Firefox ESR (headless) through geckodriver
//   webkit              WebKitGTK's MiniBrowser through WebKitWebDriver, in an Xvfb
// The same test files run in each (scripts/test.sh runs them once per
// engine); Firefox and WebKit get the Playwright-shaped pages of wdpage.mjs.
//   CHROMIUM  Chromium binary (default /usr/bin/chromium); see webdriver.mjs for the others
import { chromium } from "playwright-core";
import { launchWebDriverBrowser } from "./wdpage.mjs";

export const ENGINES = ["chromium", "firefox", "webkit"];
export const ENGINE = (process.env.VR_ENGINE || "chromium").toLowerCase();
if (!ENGINES.includes(ENGINE)) {
  throw new Error(`VR_ENGINE=${process.env.VR_ENGINE}: one of ${ENGINES.join(", ")}`);
}
/** For test names and messages. */
export const ENGINE_NAME = { chromium: "Chromium", firefox: "Firefox", webkit: "WebKit" }[ENGINE];

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** A browser of the selected engine (Playwright's Browser, or its WebDriver look-alike). */
export async function launchEngine() {
  if (ENGINE !== "chromium") return launchWebDriverBrowser(ENGINE);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
