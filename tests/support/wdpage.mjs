// The slice of Playwright's Browser / BrowserContext / Page / Locator API the
// browser and e2e tests use, over W3C WebDriver (webdriver.mjs), so the same
// test files run in Firefox and WebKitGTK as in Chromium (where they use
// playwright-core itself). What it maps to:
//   - browser.newPage(): a top-level tab. browser.newContext({ viewport,
//     colorScheme, resizable }).newPage(): a top-level page in a window
//     sized so the viewport is exactly that, when the engine's window can
//     be that narrow; otherwise (Firefox's window stops at 500 px,
//     MiniBrowser's at 447), or when the test will narrow it later
//     (`resizable`, our own option), the page runs in an iframe of the
//     viewport's size on a blank top document, which can be 390 px like a
//     phone and resized mid-test. Not for everything: WebKitGTK runs
//     requestAnimationFrame in a frame irregularly (13-72 callbacks in 2 s
//     idle, against 110 top-level). Dark contexts: a frame's
//     `color-scheme` gives it prefers-color-scheme in Firefox (CSS Color
//     Adjust), so Firefox frames them; WebKitGTK ignores that, so a dark
//     context there is a second MiniBrowser started with --dark-mode.
//   - screenshots: the window's (cut to the frame for a framed page;
//     fullPage: the page or frame grown to the content's height, up to
//     2600 px). WebKitGTK's element screenshot of a frame comes out black.
//   - evaluate / waitForFunction: WebDriver's Execute Async Script, values
//     passed as JSON (undefined kept).
//   - locators: CSS through open shadow roots (as Playwright's), hasText,
//     nth/first, getByRole(button); click / fill / setInputFiles / keyboard
//     as WebDriver element commands and actions (real input events).
//   - "console" / "pageerror": a recorder installed in the page when it has
//     loaded, drained with every command. Unlike Playwright it sees nothing
//     logged before the load event, and nothing from Workers.
//   - no "request" / "response" events (WebDriver classic has none):
//     page.networkEvents is false; tests read the Resource Timing entries.
import { readFileSync } from "node:fs";
import { cropPng } from "./png.mjs";
import { KEYS, elementId, launchWebDriver } from "./webdriver.mjs";

const DEFAULT_TIMEOUT = 30_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `engine` ("firefox" | "webkit") and returns a Playwright-shaped browser. */
export async function launchWebDriverBrowser(engine) {
  const session = await launchWebDriver(engine);
  return new WdBrowser(engine, session);
}

// ------------------------------------------------------------ in-page code

// Installed in each loaded page: console calls and uncaught errors, queued
// for the next command to collect.
const RECORDER = `
  if (!window.__vrRec) {
    const q = (window.__vrRec = []);
    // Errors by shape, not instanceof: Firefox runs WebDriver scripts in a
    // sandbox whose Error is not the page's.
    const isErr = (a) => a !== null && typeof a === "object" && typeof a.name === "string" && typeof a.message === "string";
    const fmt = (a) => { try { return typeof a === "string" ? a : isErr(a) ? String(a) : JSON.stringify(a) ?? String(a); } catch { return String(a); } };
    for (const type of ["log", "info", "warn", "error", "debug"]) {
      const orig = console[type];
      console[type] = function (...args) {
        q.push({ kind: "console", type: type === "warn" ? "warning" : type, text: args.map(fmt).join(" ") });
        return orig.apply(this, args);
      };
    }
  }
  // Apart: document.open() (setContent) removes the window's listeners but
  // keeps the window, its console and our queue.
  if (!window.__vrErrListening) {
    window.__vrErrListening = true;
    const q = window.__vrRec;
    addEventListener("error", (e) => q.push({ kind: "pageerror", text: e.error ? String(e.error.stack || e.error) : String(e.message) }));
    addEventListener("unhandledrejection", (e) => q.push({ kind: "pageerror", text: String((e.reason && e.reason.stack) || e.reason) }));
  }
`;

// Every command's script starts with these: JSON with undefined kept, the
// recorder's queue drained, locator resolution through shadow roots.
const PRELUDE = `
  const __enc = (v) => JSON.stringify(v === undefined ? { __u: 1 } : v, (k, x) => (x === undefined ? { __u: 1 } : x));
  const __drain = () => (window.__vrRec ? window.__vrRec.splice(0) : []);
  const __deep = (scope, css) => {
    const out = [];
    const visit = (root) => {
      for (const el of root.querySelectorAll(css)) out.push(el);
      for (const el of root.querySelectorAll("*")) if (el.shadowRoot) visit(el.shadowRoot);
    };
    if (scope.shadowRoot) visit(scope.shadowRoot);
    visit(scope);
    return [...new Set(out)];
  };
  const __norm = (s) => String(s).replace(/\\s+/g, " ").trim();
  const __name = (el) => __norm(el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent || el.value || "");
  const __ROLES = { button: "button, [role=button], input[type=button], input[type=submit], input[type=reset]" };
  const __resolve = (steps) => {
    let set = [document];
    for (const s of steps) {
      if (s.css !== undefined) set = [...new Set(set.flatMap((e) => __deep(e, s.css)))];
      if (s.role !== undefined) set = [...new Set(set.flatMap((e) => __deep(e, __ROLES[s.role] || "[role=" + s.role + "]")))].filter((el) => !s.name || new RegExp(s.name.source, s.name.flags).test(__name(el)));
      if (s.hasText !== undefined) set = set.filter((el) => __norm(el.textContent).toLowerCase().includes(__norm(s.hasText).toLowerCase()));
      if (s.nth !== undefined) set = s.nth < 0 ? set.slice(s.nth).slice(0, 1) : set.slice(s.nth, s.nth + 1);
    }
    return set;
  };
  const __visible = (el) => {
    if (!el.isConnected) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
`;

function decode(json) {
  if (json === null || json === undefined) return undefined;
  const walk = (v) => {
    if (v && typeof v === "object") {
      if (!Array.isArray(v) && v.__u === 1 && Object.keys(v).length === 1) return undefined;
      if (Array.isArray(v)) return v.map(walk);
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return walk(JSON.parse(json));
}

// ------------------------------------------------------------ browser

class WdBrowser {
  constructor(engine, session) {
    this.engine = engine;
    this.session = session;
    this.sessions = [session];
    this.dark = null; // WebKit's --dark-mode session, started when first needed
    this.mainHandle = null;
    this.mainInUse = false;
    this.framedOpen = null;
  }

  version() {
    return this.session.browserVersion;
  }

  /** A top-level page (a tab); the first one uses the session's own window. */
  async newPage() {
    const s = this.session;
    this.mainHandle ??= await s.windowHandle();
    let handle;
    if (!this.mainInUse) {
      this.mainInUse = true;
      handle = this.mainHandle;
    } else {
      handle = (await s.newWindow()).handle;
    }
    return new WdPage(this, s, handle, { framed: false });
  }

  /** One context at a time: its page is framed at the viewport's size. */
  async newContext({ viewport = { width: 1280, height: 720 }, colorScheme = "light", resizable = false } = {}) {
    if (this.framedOpen) throw new Error("wdpage: one framed context at a time (close the last one first)");
    let s = this.session;
    if (colorScheme === "dark" && this.engine === "webkit") {
      if (!this.dark) {
        this.dark = await launchWebDriver("webkit", { args: ["--dark-mode"] });
        this.sessions.push(this.dark);
      }
      s = this.dark;
    }
    const framed = resizable || viewport.width < (await minWidth(s)) || (colorScheme === "dark" && this.engine === "firefox");
    const context = new WdContext(this, s, viewport, colorScheme, framed);
    this.framedOpen = context;
    return context;
  }

  async close() {
    for (const s of this.sessions) await s.close();
  }
}

/** The narrowest viewport a window of this session can have (cached). */
async function minWidth(s) {
  if (s.minWidth === undefined) {
    await s.setWindowRect({ width: 100, height: 900 });
    let last = -1;
    for (let i = 0; i < 40; i++) {
      const w = await s.execute("return innerWidth;");
      if (w === last) break;
      last = w;
      await sleep(50);
    }
    s.minWidth = last;
  }
  return s.minWidth;
}

class WdContext {
  constructor(browser, session, viewport, colorScheme, framed) {
    this.browser = browser;
    this.session = session;
    this.viewport = { ...viewport };
    this.colorScheme = colorScheme;
    this.framed = framed;
    this.page = null;
  }

  async newPage() {
    if (this.page) throw new Error("wdpage: one page per context");
    const s = this.session;
    const handle = s === this.browser.session ? (this.browser.mainHandle ??= await s.windowHandle()) : await s.windowHandle();
    if (s === this.browser.session) this.browser.mainInUse = true;
    const page = new WdPage(this.browser, s, handle, { framed: this.framed, viewport: this.viewport, colorScheme: this.colorScheme });
    if (this.framed) await page.setUpFrame();
    else await page.setUpWindow();
    this.page = page;
    return page;
  }

  async close() {
    try {
      // Leaving the page closes its connections, as closing a context does.
      if (this.page) await this.page.leave();
    } finally {
      if (this.session === this.browser.session) this.browser.mainInUse = false;
      this.browser.framedOpen = null;
    }
  }
}

// ------------------------------------------------------------ page

class WdPage {
  constructor(browser, session, handle, { framed, viewport, colorScheme }) {
    this.browser = browser;
    this.session = session;
    this.handle = handle;
    this.framed = framed;
    this.viewport = viewport ? { ...viewport } : null;
    this.colorScheme = colorScheme;
    this.listeners = { console: [], pageerror: [] };
    this.networkEvents = false;
    this.keyboard = new WdKeyboard(this);
    this.closed = false;
  }

  on(event, fn) {
    if (!(event in this.listeners)) throw new Error(`wdpage: no "${event}" events over WebDriver classic`);
    this.listeners[event].push(fn);
  }

  /** Makes this page's window (and frame) the one WebDriver commands go to. */
  async activate() {
    const s = this.session;
    if (s.activePage === this) return;
    if (s.currentHandle !== this.handle) {
      await s.switchToWindow(this.handle);
      s.currentHandle = this.handle;
    }
    await s.switchToFrame(null);
    if (this.framed) await s.switchToFrame(0);
    s.activePage = this;
  }

  async top() {
    await this.activate();
    await this.session.switchToFrame(null);
    this.session.activePage = null;
  }

  /** The blank top document holding the frame. */
  async setUpFrame() {
    const s = this.session;
    await s.switchToWindow(this.handle);
    s.currentHandle = this.handle;
    s.activePage = null;
    await s.navigate("about:blank");
    await s.execute(
      `document.documentElement.style.cssText = "margin:0;padding:0;background:#808080";
       document.body.style.cssText = "margin:0;padding:0";
       const f = document.createElement("iframe");
       f.id = "vr-viewport";
       f.style.cssText = "display:block;border:0;margin:0;padding:0;background:white";
       document.body.append(f);`,
    );
    await this.applyViewport();
  }

  /** A top-level page: the window sized so the viewport is exactly the context's. */
  async setUpWindow() {
    const s = this.session;
    await s.switchToWindow(this.handle);
    s.currentHandle = this.handle;
    s.activePage = null;
    await s.navigate("about:blank");
    await this.sizeWindow(this.viewport.width, this.viewport.height);
  }

  /** Resizes the window until its viewport is width × height (the chrome's size is measured). */
  async sizeWindow(width, height) {
    const s = this.session;
    let rect = { width, height };
    for (let attempt = 0; attempt < 3; attempt++) {
      await s.setWindowRect(rect);
      // MiniBrowser resizes asynchronously: wait for the size to settle.
      let inner = null;
      for (let i = 0; i < 40; i++) {
        const now = await s.execute("return [innerWidth, innerHeight];");
        if (inner && now[0] === inner[0] && now[1] === inner[1]) break;
        inner = now;
        await sleep(50);
      }
      if (inner[0] === width && inner[1] === height) return;
      rect = { width: rect.width + width - inner[0], height: rect.height + height - inner[1] };
    }
    throw new Error(`wdpage: the ${this.browser.engine} window cannot have a ${width}×${height} viewport`);
  }

  async applyViewport() {
    const s = this.session;
    const { width, height } = this.viewport;
    await s.execute(
      `const f = document.getElementById("vr-viewport");
       f.style.width = arguments[0] + "px"; f.style.height = arguments[1] + "px";
       f.style.colorScheme = arguments[2];`,
      [width, height, this.colorScheme === "dark" ? "dark" : "light"],
    );
    await this.fitWindow(width, height);
  }

  /**
   * A window that shows the whole frame (screenshots are the window's),
   * kept at least 1400 × 2780 so a full-page screenshot needs no resize.
   */
  async fitWindow(width, height) {
    const s = this.session;
    const want = { width: Math.max(width + 40, 1400), height: Math.max(height + 160, 2780) };
    const r = await s.windowRect();
    if (r.width < want.width || r.height < want.height || r.width > want.width + 200 || r.height > want.height + 400) {
      await s.setWindowRect(want);
    }
    // MiniBrowser resizes asynchronously: wait until the frame fits, and for
    // two frames to be painted at that size.
    const end = Date.now() + 5_000;
    while ((await s.execute(`return innerWidth >= arguments[0] && innerHeight >= arguments[1];`, [width, height])) !== true) {
      if (Date.now() > end) throw new Error(`wdpage: the ${this.browser.engine} window cannot show ${width}×${height}`);
      await sleep(50);
    }
    await s.executeAsync(`const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(null)));`);
  }

  async goto(url) {
    if (this.framed && url.startsWith("file:")) {
      // A blank page may not frame a file: URL; open it as the tab's page
      // (the window is as close to the viewport as the engine allows).
      this.framed = false;
      this.session.activePage = null;
    }
    if (!this.framed) {
      await this.activate();
      await this.session.navigate(url);
      await this.afterLoad();
      return;
    }
    await this.top();
    const s = this.session;
    const loaded = await s.executeAsync(
      `const done = arguments[arguments.length - 1];
       const f = document.getElementById("vr-viewport");
       const t = setTimeout(() => done("timeout"), 60000);
       f.addEventListener("load", () => { clearTimeout(t); done("load"); }, { once: true });
       f.src = arguments[0];`,
      [url],
    );
    if (loaded !== "load") throw new Error(`wdpage: ${url} did not load in the frame within 60 s`);
    // Focus goes to the frame, as it would to a freshly opened tab's page.
    await s.execute(`document.getElementById("vr-viewport").focus(); document.getElementById("vr-viewport").contentWindow.focus();`);
    await this.activate();
    await this.afterLoad();
  }

  /**
   * Like Playwright's: the page becomes `html`, written into a blank
   * document (document.open/write/close, as Playwright does), so its
   * scripts run and its origin is about:blank's.
   */
  async setContent(html) {
    await this.goto("about:blank");
    await this.run(`document.open(); document.write(ARG); document.close(); window.__vrErrListening = false;`, html);
    await this.afterLoad();
  }

  async afterLoad() {
    const end = Date.now() + DEFAULT_TIMEOUT;
    while ((await this.session.execute("return document.readyState")) !== "complete") {
      if (Date.now() > end) throw new Error("wdpage: the page did not finish loading");
      await sleep(50);
    }
    await this.session.execute(RECORDER);
  }

  /** Leaves the page (about:blank), ending its streams. */
  async leave() {
    if (this.framed) {
      await this.top();
      await this.session.navigate("about:blank");
    } else {
      await this.activate();
      await this.session.navigate("about:blank");
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    const s = this.session;
    if (this.handle === this.browser.mainHandle) {
      await this.leave();
      this.browser.mainInUse = false;
      return;
    }
    await this.activate();
    await s.closeWindow();
    s.activePage = null;
    s.currentHandle = this.browser.mainHandle;
    await s.switchToWindow(this.browser.mainHandle);
  }

  dispatch(records) {
    for (const r of records) {
      if (r.kind === "console") {
        const msg = { type: () => r.type, text: () => r.text };
        for (const fn of this.listeners.console) fn(msg);
      } else {
        const err = new Error(r.text);
        err.stack = r.text;
        for (const fn of this.listeners.pageerror) fn(err);
      }
    }
  }

  /**
   * Runs `body` (script text; `ARG` is the argument, `ELEMENTS(steps)` resolves a
   * locator) in the page; `return`s a value.
   */
  async run(body, arg) {
    await this.activate();
    const out = await this.session.executeAsync(
      `${PRELUDE}
       const __done = arguments[arguments.length - 1];
       const ARG = arguments[0];
       Promise.resolve()
         .then(async () => { ${body} })
         .then((v) => __done({ v: __enc(v), rec: __drain() }),
               (e) => __done({ thrown: String((e && e.message) || e), stack: String((e && e.stack) || ""), rec: __drain() }));`,
      [arg === undefined ? null : arg],
    );
    if (out?.rec?.length) this.dispatch(out.rec);
    if (!out) throw new Error("wdpage: the page went away during the script");
    if ("thrown" in out) {
      const e = new Error(out.thrown);
      e.pageStack = out.stack;
      throw e;
    }
    return decode(out.v);
  }

  async evaluate(fn, arg) {
    const src = typeof fn === "function" ? fn.toString() : `() => (${fn})`;
    return this.run(`return (${src})(ARG);`, arg);
  }

  async waitForFunction(fn, arg, { timeout = DEFAULT_TIMEOUT, polling = 50 } = {}) {
    const src = typeof fn === "function" ? fn.toString() : `() => (${fn})`;
    const end = Date.now() + timeout;
    for (;;) {
      // Truthiness is judged in the page (a class or a node is truthy but
      // does not survive JSON).
      const v = await this.run(`const v = await (${src})(ARG); return v ? { v: typeof v === "object" || typeof v === "function" ? true : v } : null;`, arg);
      if (v) return v.v;
      if (Date.now() > end) throw new Error(`page.waitForFunction: Timeout ${timeout}ms exceeded`);
      await sleep(polling);
    }
  }

  locator(css, options = {}) {
    return new WdLocator(this, []).locator(css, options);
  }

  getByRole(role, { name } = {}) {
    const n = name instanceof RegExp ? { source: name.source, flags: name.flags } : name ? { source: escapeRe(name), flags: "i" } : null;
    return new WdLocator(this, [{ role, name: n }]);
  }

  async addScriptTag({ path, content }) {
    const text = content ?? readFileSync(path, "utf8");
    await this.run(`const s = document.createElement("script"); s.textContent = ARG; document.head.append(s);`, text);
  }

  async addStyleTag({ content }) {
    await this.run(`const s = document.createElement("style"); s.textContent = ARG; document.head.append(s);`, content);
  }

  async setViewportSize({ width, height }) {
    if (!this.viewport) throw new Error("wdpage: setViewportSize needs a page from a context");
    if (!this.framed) {
      if (width < (await minWidth(this.session))) {
        throw new Error(`wdpage: a ${this.browser.engine} window cannot be ${width} px wide; open the page with { resizable: true } to get a frame`);
      }
      this.viewport = { width, height };
      await this.activate();
      await this.sizeWindow(width, height);
      return;
    }
    this.viewport = { width, height };
    await this.top();
    await this.applyViewport();
    await this.activate();
  }

  viewportSize() {
    return this.viewport;
  }

  /** PNG of the viewport (the frame), or of the whole page with fullPage. */
  async screenshot({ path, fullPage = false } = {}) {
    let png;
    if (this.framed) {
      const { width, height } = this.viewport;
      let full = height;
      let scrolled = null;
      if (fullPage) {
        // The whole page from its top, up to what the window (and Xvfb's
        // screen) can show.
        const page = await this.run(`const at = [scrollX, scrollY]; scrollTo(0, 0); return { at, height: Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0) };`);
        scrolled = page.at;
        full = Math.max(height, Math.min(page.height, 2600));
      }
      await this.top();
      const s = this.session;
      if (full !== height) {
        await s.execute(`document.getElementById("vr-viewport").style.height = arguments[0] + "px";`, [full]);
        await this.fitWindow(width, full);
      }
      await s.execute(`document.documentElement.style.overflow = "hidden"; window.scrollTo(0, 0);`);
      // Let the frame paint at its new size and scroll position first.
      await this.activate();
      await this.run(`await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); await new Promise((r) => setTimeout(r, 50));`);
      await this.top();
      try {
        // The window's screenshot, cut to the frame: WebKitGTK's element
        // screenshot of a frame comes out black where the frame was scrolled.
        const rect = await s.execute(`const r = document.getElementById("vr-viewport").getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height, dpr: devicePixelRatio };`);
        const d = rect.dpr;
        png = cropPng(await s.screenshot(), {
          x: Math.round(rect.x * d),
          y: Math.round(rect.y * d),
          width: Math.round(rect.width * d),
          height: Math.round(rect.height * d),
        });
      } finally {
        if (full !== height) {
          await s.execute(`document.getElementById("vr-viewport").style.height = arguments[0] + "px";`, [height]);
          await this.fitWindow(width, height);
        }
        await this.activate();
        if (scrolled) await this.run(`scrollTo(ARG[0], ARG[1]);`, scrolled);
      }
    } else {
      await this.activate();
      const s = this.session;
      const grow = fullPage && this.viewport
        ? Math.min(await this.run(`return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);`), 2600)
        : 0;
      if (grow > this.viewport.height) {
        const at = await this.run(`const at = [scrollX, scrollY]; scrollTo(0, 0); return at;`);
        await this.sizeWindow(this.viewport.width, grow);
        try {
          await this.run(`await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));`);
          png = await s.screenshot();
        } finally {
          await this.sizeWindow(this.viewport.width, this.viewport.height);
          await this.run(`scrollTo(ARG[0], ARG[1]);`, at);
        }
      } else {
        png = await s.screenshot();
      }
    }
    if (path) (await import("node:fs")).writeFileSync(path, png);
    return png;
  }
}

function escapeRe(s) {
  return String(s).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ------------------------------------------------------------ locators

class WdLocator {
  constructor(page, steps) {
    this.page = page;
    this.steps = steps;
  }

  locator(css, { hasText } = {}) {
    const steps = [...this.steps, { css }];
    if (hasText !== undefined) steps.push({ hasText });
    return new WdLocator(this.page, steps);
  }

  nth(i) {
    return new WdLocator(this.page, [...this.steps, { nth: i }]);
  }

  first() {
    return this.nth(0);
  }

  last() {
    return this.nth(-1);
  }

  toString() {
    return this.steps.map((s) => (s.css ? s.css : s.role ? `role=${s.role}` : s.hasText ? `:has-text(${s.hasText})` : `nth=${s.nth}`)).join(" >> ");
  }

  count() {
    return this.page.run(`return __resolve(ARG).length;`, this.steps);
  }

  /**
   * Waits for exactly one match (strict, like Playwright) meeting `state`,
   * then runs `body` with EL bound to it.
   */
  async withOne(body, { state = "attached", timeout = DEFAULT_TIMEOUT, extra } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      const r = await this.page.run(
        `const els = __resolve(ARG.steps);
         if (els.length > 1) return { strict: els.length };
         const EL = els[0];
         if (!EL) return { wait: "no element" };
         if (ARG.state === "visible" && !__visible(EL)) return { wait: "not visible" };
         if (ARG.state === "enabled" && (!__visible(EL) || EL.disabled)) return { wait: "not visible and enabled" };
         const EXTRA = ARG.extra;
         return { ok: await (async () => { ${body} })() };`,
        { steps: this.steps, state, extra },
      );
      if (r.strict) throw new Error(`locator ${this}: strict mode violation, ${r.strict} elements`);
      if ("ok" in r) return r.ok;
      if (Date.now() > end) throw new Error(`locator ${this}: Timeout ${timeout}ms exceeded (${r.wait})`);
      await sleep(50);
    }
  }

  textContent(options) {
    return this.withOne(`return EL.textContent;`, options);
  }

  innerText(options) {
    return this.withOne(`return EL.innerText;`, options);
  }

  inputValue(options) {
    return this.withOne(`return EL.value;`, options);
  }

  isEnabled(options) {
    return this.withOne(`return !EL.disabled;`, options);
  }

  isDisabled(options) {
    return this.withOne(`return !!EL.disabled;`, options);
  }

  isChecked(options) {
    return this.withOne(`return !!EL.checked;`, options);
  }

  /** Like Playwright's: no waiting; true when there is no element or it is not visible. */
  async isHidden() {
    const r = await this.page.run(`const els = __resolve(ARG); if (els.length > 1) return { strict: els.length }; return { hidden: !els[0] || !__visible(els[0]) };`, this.steps);
    if (r.strict) throw new Error(`locator ${this}: strict mode violation, ${r.strict} elements`);
    return r.hidden;
  }

  async isVisible() {
    return !(await this.isHidden());
  }

  async waitFor({ state = "visible", timeout = DEFAULT_TIMEOUT } = {}) {
    if (state === "visible" || state === "attached") {
      await this.withOne(`return true;`, { state, timeout });
      return;
    }
    const end = Date.now() + timeout;
    for (;;) {
      // "hidden": no visible match; "detached": no match at all.
      const n = await this.page.run(`return __resolve(ARG.steps).filter((e) => !ARG.hidden || __visible(e)).length;`, { steps: this.steps, hidden: state === "hidden" });
      if (n === 0) return;
      if (Date.now() > end) throw new Error(`locator ${this}: waitFor ${state}: Timeout ${timeout}ms exceeded`);
      await sleep(50);
    }
  }

  evaluate(fn, arg) {
    return this.withOne(`return (${fn.toString()})(EL, EXTRA);`, { extra: arg });
  }

  evaluateAll(fn, arg) {
    return this.page.run(`return (${fn.toString()})(__resolve(ARG.steps), ARG.extra);`, { steps: this.steps, extra: arg });
  }

  /** The element as a WebDriver reference (scrolled into view). */
  async element(state = "visible") {
    await this.withOne(`return true;`, { state });
    const ref = await this.page.run(`const el = __resolve(ARG)[0]; el.scrollIntoView({ block: "center", inline: "nearest" }); return "ok";`, this.steps);
    if (ref !== "ok") throw new Error(`locator ${this}: element gone`);
    const v = await this.page.session.execute(`${PRELUDE} return __resolve(arguments[0])[0];`, [this.steps]);
    const id = elementId(v);
    if (!id) throw new Error(`locator ${this}: no element reference (${JSON.stringify(v)})`);
    return id;
  }

  async click() {
    const id = await this.element("enabled");
    await this.page.session.elementClick(id);
    await this.page.run(`return null;`); // collect what the click logged
  }

  async focus() {
    await this.withOne(`EL.focus(); return true;`);
  }

  /**
   * Replaces the field's text with `value`, typed as real key events. Not
   * Element Send Keys: WebKitWebDriver refuses it ("not focusable") for any
   * field inside a frame. The field is clicked (which gives the frame the
   * keyboard focus in WebKit; a script's focus() does not), its text
   * selected, then the keys go to it as WebDriver actions.
   */
  async fill(value) {
    await this.page.session.elementClick(await this.element("enabled"));
    await this.withOne(`EL.focus(); if (EL.select) EL.select(); return true;`, { state: "enabled" });
    if (value) await this.page.keyboard.type(value);
    else await this.page.keyboard.press("Backspace");
  }

  /** Chooses a file in an <input type=file> (it may be hidden behind a button). */
  async setInputFiles(file) {
    const files = Array.isArray(file) ? file : [file];
    const id = await this.element("attached");
    await this.page.session.elementSendKeys(id, files.join("\n"));
    await this.page.run(`return null;`);
  }
}

// ------------------------------------------------------------ keyboard

class WdKeyboard {
  constructor(page) {
    this.page = page;
  }

  static value(key) {
    if (key in KEYS) return KEYS[key];
    if ([...key].length === 1) return key;
    throw new Error(`wdpage: unknown key ${JSON.stringify(key)}`);
  }

  async actions(list) {
    await this.page.activate();
    await this.page.session.performActions([{ type: "key", id: "keyboard", actions: list }]);
    await this.page.session.releaseActions();
    await this.page.run(`return null;`);
  }

  /** "Tab", "Escape", "Control+Enter"… */
  press(combo) {
    const keys = combo.split("+").map((k) => WdKeyboard.value(k));
    return this.actions([
      ...keys.map((value) => ({ type: "keyDown", value })),
      ...keys.reverse().map((value) => ({ type: "keyUp", value })),
    ]);
  }

  type(text) {
    return this.actions([...text].flatMap((c) => [{ type: "keyDown", value: c }, { type: "keyUp", value: c }]));
  }
}
