// A small W3C WebDriver client (fetch-based) for the engines Playwright does
// not drive here: Firefox ESR through geckodriver (headless) and WebKitGTK's
// MiniBrowser through WebKitWebDriver (under an Xvfb this module starts).
// Only the commands the tests use: sessions, navigation, scripts, frames,
// windows, elements, actions, screenshots.
//
// The driver's output is kept (its tail) for failure messages. WebDriver
// BiDi is not used: WebKitGTK 2.50's driver has none.
//   GECKODRIVER      geckodriver binary (default: ~/.cargo/bin/geckodriver, then PATH)
//   FIREFOX          Firefox binary (default: /usr/bin/firefox-esr, then firefox)
//   WEBKITWEBDRIVER  WebKitWebDriver binary (default: PATH)
//   MINIBROWSER      the browser it drives (default: WebKitWebDriver's own, MiniBrowser)
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** The engines this client drives, by the name the tests use. */
export const WEBDRIVER_ENGINES = ["firefox", "webkit"];

function which(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function firstExisting(...candidates) {
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

export function geckodriverPath() {
  return process.env.GECKODRIVER ?? firstExisting(path.join(os.homedir(), ".cargo", "bin", "geckodriver"), which("geckodriver"));
}

export function firefoxPath() {
  return process.env.FIREFOX ?? firstExisting("/usr/bin/firefox-esr", which("firefox-esr"), which("firefox"));
}

export function webkitDriverPath() {
  return process.env.WEBKITWEBDRIVER ?? which("WebKitWebDriver");
}

/** A loopback port nobody listens on right now. */
async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** A child process whose output is kept as lines (the tail of it). */
function spawnLogged(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (d) => {
      const parts = (rest + d).split("\n");
      rest = parts.pop();
      lines.push(...parts);
      if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    });
  }
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, lines, exited };
}

async function stopChild(p, grace = 3000) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill("SIGTERM");
  const t = setTimeout(() => p.child.kill("SIGKILL"), grace);
  await p.exited;
  clearTimeout(t);
}

/**
 * Starts an Xvfb on a display number it picks itself (-displayfd), so runs
 * never collide. Resolves to { display: ":N", stop() }.
 */
export async function startXvfb({ width = 1600, height = 4200 } = {}) {
  const bin = which("Xvfb");
  if (!bin) throw new Error("Xvfb not found: install Debian's xvfb (bash scripts/setup.sh)");
  const child = spawn(bin, ["-displayfd", "3", "-screen", "0", `${width}x${height}x24`, "-nolisten", "tcp", "-nolisten", "unix"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
  const display = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`Xvfb printed no display number in 15 s:\n${err}`)), 15_000);
    child.stdio[3].setEncoding("utf8");
    child.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}):\n${err}`));
    });
  });
  const exited = new Promise((r) => child.once("exit", r));
  return {
    display,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** A WebDriver error answered by the driver, with its W3C error code. */
export class WebDriverError extends Error {
  constructor(command, value) {
    super(`${command}: ${value?.error ?? "error"}: ${value?.message ?? JSON.stringify(value)}`);
    this.name = "WebDriverError";
    this.code = value?.error;
  }
}

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/**
 * Starts the driver for `engine` ("firefox" | "webkit") and opens a session
 * on it. `prefs` (Firefox) and `args` (MiniBrowser) add to the defaults.
 * Resolves to a Session; session.close() ends the session and the driver.
 */
export async function launchWebDriver(engine, { prefs = {}, args = [] } = {}) {
  let xvfb = null;
  let driver;
  let caps;
  const port = await freePort();
  if (engine === "firefox") {
    const bin = geckodriverPath();
    const firefox = firefoxPath();
    if (!bin) throw new Error("geckodriver not found: `cargo install geckodriver --version 0.36.0` (bash scripts/setup.sh)");
    if (!firefox) throw new Error("Firefox not found: install Debian's firefox-esr (bash scripts/setup.sh)");
    driver = spawnLogged(bin, ["--port", String(port), "--host", "127.0.0.1", "--log", "warn"]);
    caps = {
      browserName: "firefox",
      "moz:firefoxOptions": {
        binary: firefox,
        args: ["-headless", ...args],
        prefs: {
          // A closed network: nothing to fetch or phone home.
          "app.update.enabled": false,
          "browser.safebrowsing.malware.enabled": false,
          "browser.safebrowsing.phishing.enabled": false,
          "network.captive-portal-service.enabled": false,
          "network.connectivity-service.enabled": false,
          ...prefs,
        },
      },
    };
  } else if (engine === "webkit") {
    const bin = webkitDriverPath();
    if (!bin) throw new Error("WebKitWebDriver not found: install Debian's webkit2gtk-driver (bash scripts/setup.sh)");
    xvfb = await startXvfb();
    driver = spawnLogged(bin, [`--port=${port}`], { env: { ...process.env, DISPLAY: xvfb.display } });
    const browserOptions = {
      args: ["--automation", ...args],
    };
    if (process.env.MINIBROWSER) browserOptions.binary = process.env.MINIBROWSER;
    caps = { "webkitgtk:browserOptions": browserOptions };
  } else {
    throw new Error(`unknown WebDriver engine ${JSON.stringify(engine)} (one of ${WEBDRIVER_ENGINES.join(", ")})`);
  }
  const base = `http://127.0.0.1:${port}`;
  try {
    // Wait for the driver to listen.
    const end = Date.now() + 20_000;
    for (;;) {
      try {
        await fetch(`${base}/status`);
        break;
      } catch (e) {
        if (driver.child.exitCode !== null) throw new Error(`${engine} driver exited:\n${driver.lines.join("\n")}`);
        if (Date.now() > end) throw new Error(`${engine} driver did not listen on ${base} within 20 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const created = await command(base, "POST", "/session", { capabilities: { alwaysMatch: caps } }, "new session");
    // If the test process ends without closing the session (a crash, an
    // uncaught error), the browser must not outlive it: Firefox keeps
    // running without its driver; MiniBrowser ends with its X server.
    const leftovers = [created.capabilities["moz:processID"], driver.child.pid, xvfb?.pid].filter(Boolean);
    const onExit = () => {
      for (const pid of leftovers) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    process.once("exit", onExit);
    const session = new Session(base, created.sessionId, created.capabilities, engine, driver, async () => {
      process.removeListener("exit", onExit);
      await stopChild(driver);
      await xvfb?.stop();
    });
    await session.setTimeouts({ script: 120_000, pageLoad: 60_000, implicit: 0 });
    return session;
  } catch (e) {
    await stopChild(driver);
    await xvfb?.stop();
    throw e;
  }
}

async function command(base, method, route, body, what) {
  const res = await fetch(base + route, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(what ?? route, { error: `HTTP ${res.status}`, message: text.slice(0, 500) });
  }
  if (!res.ok) {
    throw new WebDriverError(what ?? `${method} ${route}`, json.value);
  }
  return json.value;
}

/** One WebDriver session (one browser). */
export class Session {
  constructor(base, id, capabilities, engine, driver, stopDriver) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
    this.engine = engine;
    this.driver = driver;
    this.stopDriver = stopDriver;
    this.closed = false;
  }

  get browserName() {
    return this.capabilities.browserName;
  }

  get browserVersion() {
    return this.capabilities.browserVersion;
  }

  cmd(method, route, body) {
    return command(this.base, method, `/session/${this.id}${route}`, body, `${method} ${route}`);
  }

  setTimeouts(t) {
    return this.cmd("POST", "/timeouts", t);
  }

  navigate(url) {
    return this.cmd("POST", "/url", { url });
  }

  /** Runs `body` (a function body; `arguments` are `args`) synchronously in the page. */
  execute(body, args = []) {
    return this.cmd("POST", "/execute/sync", { script: body, args });
  }

  /** Runs `body` in the page; it calls `arguments[arguments.length - 1](value)` when done. */
  executeAsync(body, args = []) {
    return this.cmd("POST", "/execute/async", { script: body, args });
  }

  windowHandle() {
    return this.cmd("GET", "/window");
  }

  newWindow() {
    return this.cmd("POST", "/window/new", { type: "tab" });
  }

  switchToWindow(handle) {
    return this.cmd("POST", "/window", { handle });
  }

  closeWindow() {
    return this.cmd("DELETE", "/window");
  }

  /** A frame by index or by element reference; null for the top-level document. */
  switchToFrame(id) {
    return this.cmd("POST", "/frame", { id });
  }

  windowRect() {
    return this.cmd("GET", "/window/rect");
  }

  setWindowRect(rect) {
    return this.cmd("POST", "/window/rect", rect);
  }

  elementClick(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  elementSendKeys(el, text) {
    return this.cmd("POST", `/element/${el}/value`, { text });
  }

  /** PNG bytes of the viewport. */
  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  performActions(actions) {
    return this.cmd("POST", "/actions", { actions });
  }

  releaseActions() {
    return this.cmd("DELETE", "/actions");
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.cmd("DELETE", "");
    } catch {
      // the browser may already be gone; the driver is stopped below
    } finally {
      await this.stopDriver();
    }
  }
}

/** The id of a web element reference returned by a script, or null. */
export const elementId = (v) => (v && typeof v === "object" && v[ELEMENT]) || null;

/** W3C key values (WebDriver's Private Use Area code points). */
export const KEYS = {
  Tab: "\uE004",
  Enter: "\uE007",
  Escape: "\uE00C",
  Backspace: "\uE003",
  Shift: "\uE008",
  Control: "\uE009",
  Alt: "\uE00A",
  Meta: "\uE03D",
  ArrowLeft: "\uE012",
  ArrowUp: "\uE013",
  ArrowRight: "\uE014",
  ArrowDown: "\uE015",
  Space: " ",
};
