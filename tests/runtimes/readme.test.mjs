// The npm README's quick starts (docs/npm-README.md, shipped as
// pkg/README.md), run as written against the packed package: the page's in
// Chromium from the unpacked tarball (a CDN's layout), the Node one in Node,
// Deno and Bun, the Worker's in workerd. The only edits: the CDN URL becomes
// the local copy, and the client gets the mock as its `baseUrl`.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { launchBrowser, newPage, startStatic } from "../browser/harness.mjs";
import { startMock } from "../support/mock.mjs";
import { spawnServer } from "../relay/support.mjs";
import { BUN, DENO, WORKERD, freePort } from "../relay/targets.mjs";
import { ROOT, bundleWorker, installPacked, settled } from "./support.mjs";

const README = readFileSync(path.join(ROOT, "docs", "npm-README.md"), "utf8");
const KEY = "sk-readme-0123456789";

/** The code block after `<!-- quickstart:name -->`. */
function quickstart(name) {
  const m = new RegExp(`<!-- quickstart:${name} -->\\n\`\`\`\\w+\\n([^]*?)\\n\`\`\``).exec(README);
  assert.ok(m, `docs/npm-README.md has the ${name} quick start`);
  return m[1];
}
/** `code` with `from` (which must be in it) replaced. */
function edit(code, from, to) {
  assert.ok(code.includes(from), `the quick start contains ${from}`);
  return code.replace(from, to);
}

let project;
let mock;
let browser;
let site;
let workerd;
before(async () => {
  project = installPacked("readme");
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await workerd?.stop();
  await mock?.stop();
  project?.remove();
});

test("the README's five lines for Node, Deno and Bun", async (t) => {
  assert.equal(quickstart("node").split("\n").length, 5, "five lines");
  const code = edit(quickstart("node"), "new Client({ apiKey: process.env.DASHSCOPE_API_KEY })", "new Client({ apiKey: process.env.DASHSCOPE_API_KEY, baseUrl: process.env.VR_MOCK })");
  writeFileSync(path.join(project.dir, "main.mjs"), code);
  assert.match(README, /deno run --allow-net --allow-read --allow-env main\.mjs/, "the Deno command the README gives");
  const runs = {
    node: [process.execPath, ["main.mjs"]],
    deno: [DENO, ["run", "--allow-net", "--allow-read", "--allow-env", "main.mjs"]],
    bun: [BUN, ["main.mjs"]],
  };
  for (const [runtime, [cmd, args]] of Object.entries(runs)) {
    const env = { ...process.env, DASHSCOPE_API_KEY: KEY, VR_MOCK: mock.url, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" };
    let stdout;
    try {
      ({ stdout } = await promisify(execFile)(cmd, args, { cwd: project.dir, env, timeout: 60_000 }));
    } catch (e) {
      assert.fail(`${runtime}: ${e.message}\n${e.stdout}\n${e.stderr}`);
    }
    t.diagnostic(`${runtime}: ${stdout.trim()}`);
    // A dot per thinking part, then the answer as it streams, then the summary.
    assert.match(stdout, /^\.+[^.\n]/, `${runtime}: ${stdout}`);
    assert.match(stdout, /\nstop, \d+ tokens\n$/, `${runtime}: ${stdout}`);
  }
});

test("the README's page: the five lines of its module, from the unpacked tarball", async () => {
  const html = quickstart("page");
  const lines = html.split("\n").filter((l) => !/^\s*<\/?script|^<pre/.test(l));
  assert.equal(lines.length, 3, "three lines of code inside the script (five with the two elements and the script tag)");
  const dir = path.join(project.dir, "cdn");
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(project.dir, project.tarball), "-C", dir]);
  site = await startStatic({ "/npm/visual-reasoning@0.1/": path.join(dir, "package") + "/", "/": dir + "/" });
  const pageMock = await startMock({ origins: [site.url] });
  try {
    let page = edit(html, "https://cdn.jsdelivr.net/npm/visual-reasoning@0.1/auto.js", "/npm/visual-reasoning@0.1/auto.js");
    page = edit(page, '{ baseUrl: "https://relay.example.com" }', `{ baseUrl: ${JSON.stringify(pageMock.url)}, headers: { "X-Mock-Id": "readme-page" } }`);
    writeFileSync(path.join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>quick start</title>\n${page}\n`);
    browser = await launchBrowser();
    const p = await newPage(browser);
    await p.goto(`${site.url}/index.html`);
    const [rec] = await settled(pageMock, "readme-page", 20_000);
    assert.equal(rec?.outcome, "completed", `the page streamed to the end\n${p.log.join("\n")}`);
    await p.waitForFunction(() => document.getElementById("answer").textContent.length > 0, undefined, { timeout: 10_000 });
    const shown = await p.evaluate(() => ({ reasoning: document.getElementById("reasoning").textContent, answer: document.getElementById("answer").textContent }));
    assert.ok(shown.reasoning.length > 0 && shown.answer.length > 0, JSON.stringify(shown));
  } finally {
    await pageMock.stop();
  }
});

test("the README's Worker, bundled as wrangler does, in workerd", async () => {
  const code = edit(quickstart("worker"), "new Client({ apiKey: env.DASHSCOPE_API_KEY })", "new Client({ apiKey: env.DASHSCOPE_API_KEY, baseUrl: env.VR_MOCK })");
  assert.equal(quickstart("worker").split("\n").length, 5, "five lines");
  writeFileSync(path.join(project.dir, "readme-worker.mjs"), code);
  const { out, wasm } = await bundleWorker("readme-worker.mjs", project.dir);
  const port = await freePort();
  const modules = [`(name = "${out}", esModule = embed "${out}")`, ...[...wasm].map(([m, f]) => `(name = "${m}", wasm = embed "${path.relative(project.dir, f)}")`)];
  writeFileSync(
    path.join(project.dir, "readme.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w), (name = "loopback", network = (allow = ["public", "local", "private"]))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const w :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "DASHSCOPE_API_KEY", text = "${KEY}"), (name = "VR_MOCK", text = "${mock.url}")],
  globalOutbound = "loopback",
);
`,
  );
  workerd = await spawnServer(WORKERD, ["serve", path.join(project.dir, "readme.capnp")], { ready: null, probe: `http://127.0.0.1:${port}/` });
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "What is 2 + 2?" });
  const text = await res.text();
  assert.equal(res.status, 200, `${text}\n${workerd.output()}`);
  assert.ok(text.length > 0, "the answer, streamed");
  // The same answer the mock gives through the package in Node.
  const { Client } = await import(path.join(project.dir, "node_modules", "visual-reasoning", "auto.js"));
  const direct = await new Client({ baseUrl: mock.url }).complete({ model: "qwen3-vl-plus", messages: [{ role: "user", content: "What is 2 + 2?" }] });
  assert.equal(text, direct.answer);
});
