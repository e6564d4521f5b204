// What the example tests share: an example folder copied to a temporary
// directory and installed as a user would (`npm ci` from its own
// package-lock.json, the package from `npm pack ./pkg`), a command runner
// that shows the output of what failed, and Chromium.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PKG = path.join(ROOT, "pkg");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const ENV = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };

/** Runs `cmd args` in `cwd`; its stdout, or an Error carrying both outputs. */
export function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: "pipe", env: { ...ENV, ...env } });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout}\n${e.stderr}`);
  }
}

/**
 * examples/<name> copied to a temporary folder with the package packed
 * beside it as visual-reasoning.tgz (what its package.json names), then
 * `npm ci` (scripts/setup.sh put the lockfile's packages in npm's cache).
 * Returns the folder and a function that removes it.
 */
export function installExample(name) {
  if (!existsSync(path.join(PKG, "package.json"))) throw new Error("pkg/ is missing: run `bash scripts/build.sh` first");
  const dir = mkdtempSync(path.join(tmpdir(), `vr-example-${name}-`));
  cpSync(path.join(ROOT, "examples", name), dir, {
    recursive: true,
    filter: (f) => !/[/\\](node_modules|dist|\.next)$|visual-reasoning\.tgz$/.test(f),
  });
  const [packed] = JSON.parse(run("npm", ["pack", PKG, "--pack-destination", dir, "--json"], dir));
  renameSync(path.join(dir, packed.filename), path.join(dir, "visual-reasoning.tgz"));
  run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], dir);
  return { dir, version: packed.version, remove: () => process.env.KEEP_EXAMPLE_TMP || rmSync(dir, { recursive: true, force: true }) };
}

/** Debian's Chromium, headless, for a closed network. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/**
 * A page whose console errors, uncaught exceptions, failed requests and
 * error responses are collected (for assertions and failure messages); the
 * browser's own /favicon.ico request is not the page's.
 */
export async function newPage(browser) {
  const page = await browser.newPage();
  const problems = [];
  // "Failed to load resource" repeats an error response, recorded below with its URL.
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && problems.push(`console.error: ${m.text()}`));
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && problems.push(`${r.status()} ${r.url()}`));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  return { page, problems };
}

// A free loopback port, for a server that must be told its port before it starts.
export { freePort } from "../relay/targets.mjs";

/**
 * Starts `cmd args` in `cwd` and waits (at most `timeoutMs`) until its
 * output matches `ready`; `stop()` ends it. For dev servers.
 */
export async function startServer(cmd, args, { cwd, env = {}, ready, timeoutMs = 60_000 }) {
  const child = spawn(cmd, args, { cwd, env: { ...ENV, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")}: not ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const take = (d) => {
      // Without colour codes: picocolors turns them on whenever CI is set
      // (Vite's "Local: http://127.0.0.1:\x1b[1m43087" then matched nothing).
      out = (out + d).replace(/\x1b\[[0-9;]*m/g, "").slice(-64 * 1024);
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(" ")} exited (${code}):\n${out}`));
    });
  });
  return {
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(t);
      }
      // Nothing of it may keep this process alive.
      child.stdout.destroy();
      child.stderr.destroy();
    },
  };
}
