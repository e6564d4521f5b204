// What the example tests share: an example folder copied to a temporary
// directory and installed as a user would (`npm ci` from its own
// package-lock.json, the package from `npm pack ./pkg`), a command runner
// that shows the output of what failed, and Chromium.
import { execFileSync } from "node:child_process";
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
