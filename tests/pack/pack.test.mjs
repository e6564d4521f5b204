// What a user does: `npm pack` the package, install the tarball into a fresh
// Vite 7 project, build it, load the built site in Chromium and stream from
// the mock (cross-origin) to the end.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startMock } from "../support/mock.mjs";
import { launchBrowser, newPage, startStatic } from "../browser/harness.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const PKG = path.join(ROOT, "pkg");
const VITE = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");

let tmp;
let tarball;
let site;
let mock;
let browser;

const run = (cmd, args, cwd) => {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: "pipe", env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" } });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout}\n${e.stderr}`);
  }
};

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "vr-pack-"));
});
after(async () => {
  await browser?.close();
  await mock?.stop();
  await site?.stop();
  if (tmp && !process.env.KEEP_PACK_TMP) rmSync(tmp, { recursive: true, force: true });
});

test("npm pack produces a tarball with the module, the wasm, the types and package.json", (t) => {
  const out = run("npm", ["pack", PKG, "--pack-destination", tmp, "--json"], tmp);
  const [info] = JSON.parse(out);
  tarball = path.join(tmp, info.filename);
  assert.ok(existsSync(tarball));
  const files = info.files.map((f) => f.path);
  for (const f of [
    "package.json", "visual_reasoning.js", "visual_reasoning_bg.wasm", "visual_reasoning.d.ts",
    "visual_reasoning_nosimd_bg.wasm", "auto.js", "auto-workerd.js", "auto.d.ts", "THIRD_PARTY_NOTICES", "README.md", "LICENSE-MIT", "LICENSE-APACHE",
  ]) {
    assert.ok(files.includes(f), `the tarball has ${f} (has ${files.join(", ")})`);
  }
  assert.equal(info.name, "visual-reasoning");
  // The relay entries (visual-reasoning/relay, /relay/node, /relay/redis) and the bin.
  for (const f of ["relay.js", "relay.d.ts", "relay-node.js", "relay-node.d.ts", "relay-redis.js", "relay-redis.d.ts", "relay-cli.js"]) {
    assert.ok(files.includes(f), `the tarball has ${f}`);
  }
  const manifest = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  assert.deepEqual(manifest.exports["./relay"], { types: "./relay.d.ts", default: "./relay.js" });
  assert.deepEqual(manifest.exports["./relay/node"], { types: "./relay-node.d.ts", default: "./relay-node.js" });
  assert.deepEqual(manifest.exports["./relay/redis"], { types: "./relay-redis.d.ts", default: "./relay-redis.js" });

  assert.deepEqual(manifest.exports["./auto"], { types: "./auto.d.ts", workerd: "./auto-workerd.js", default: "./auto.js" });
  assert.ok(manifest.sideEffects.includes("./auto.js") && manifest.sideEffects.includes("./auto-workerd.js"), "the auto entries run init() on import: not droppable");
  assert.equal(manifest.bin["visual-reasoning-relay-js"], "./relay-cli.js");
  assert.match(readFileSync(path.join(PKG, "relay-cli.js"), "utf8"), /^#!\/usr\/bin\/env node\n/, "the bin starts with a shebang");
  const wasm = info.files.find((f) => f.path === "visual_reasoning_bg.wasm");
  t.diagnostic(`tarball ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked; wasm ${wasm.size} bytes`);
});

test("every `new URL(\"file\", import.meta.url)` in the package's modules is on one line (the pattern bundlers copy assets by)", () => {
  // A line broken inside it (esbuild's --line-limit did: `import.meta.` /
  // `url`) is missed by Vite 8, whose page then fetches the .wasm by its
  // unhashed name (examples/vite-react: a 404).
  const found = [];
  for (const f of readdirSync(PKG).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(path.join(PKG, f), "utf8");
    for (const m of text.matchAll(/\bnew URL\(\s*(["'`][^"'`]*["'`])\s*,\s*import\s*\.\s*meta\s*\.\s*url\s*\)/g)) {
      found.push(m[1]);
      assert.doesNotMatch(m[0], /\n/, `${f}: ${m[0]} spans lines`);
    }
  }
  for (const wasm of ['"visual_reasoning_bg.wasm"', '"visual_reasoning_nosimd_bg.wasm"']) assert.ok(found.includes(wasm), `${wasm} found (have ${found.join(", ")})`);
});

test("a fresh Vite 7 project installs the tarball, builds, and streams in Chromium", async () => {
  assert.ok(tarball, "the pack step ran");
  const app = path.join(tmp, "app");
  mkdirSync(path.join(app, "src"), { recursive: true });
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "vr-consumer", private: true, type: "module", dependencies: { "visual-reasoning": `file:${tarball}` } }, null, 2),
  );
  writeFileSync(
    path.join(app, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>consumer</title></head>
<body><pre id="out">loading</pre><script type="module" src="/src/main.js"></script></body></html>\n`,
  );
  // The consumer code a user would write: the default init() with no
  // argument (Vite serves the .wasm as an asset) and a relay baseUrl.
  writeFileSync(
    path.join(app, "src", "main.js"),
    `import init, { Client, models } from "visual-reasoning";

const out = document.getElementById("out");
const api = new URL(location.href).searchParams.get("api");
const protocol = new URL(location.href).searchParams.get("protocol");
window.result = (async () => {
  await init();
  const client = new Client({ baseUrl: api, protocol });
  const stream = client.stream({ model: "qvq-max", messages: [{ role: "user", content: "What is in the picture?" }] });
  let reasoning = "", answer = "", parts = 0;
  for await (const p of stream) {
    parts += 1;
    if (p.type === "reasoning") reasoning += p.text;
    if (p.type === "answer") answer += p.text;
  }
  const r = await stream.result();
  out.textContent = answer;
  return { parts, reasoning, answer, finishReason: r.finishReason, same: reasoning === r.reasoning && answer === r.answer, models: models().length };
})().catch((e) => ({ error: e.name + ": " + e.message }));
`,
  );
  // Offline: the tarball has no dependencies, so nothing needs the registry.
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock"], app);
  const installed = JSON.parse(readFileSync(path.join(app, "node_modules", "visual-reasoning", "package.json"), "utf8"));
  assert.equal(installed.name, "visual-reasoning");

  run(process.execPath, [VITE, "build", "--logLevel", "warn"], app);
  const dist = path.join(app, "dist");
  const assets = readdirSync(path.join(dist, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `Vite emitted the wasm as an asset: ${assets.join(", ")}`);

  site = await startStatic({ "/": dist + "/" });
  mock = await startMock({ origins: [site.url], allowNoOrigin: true });
  browser = await launchBrowser();
  const page = await newPage(browser);
  for (const protocol of ["openai", "dashscope"]) {
    await page.goto(`${site.url}/index.html?api=${encodeURIComponent(mock.url)}&protocol=${protocol}`);
    const r = await page.evaluate(() => window.result);
    assert.equal(r.error, undefined, `${protocol}: ${r.error}\n${page.log.join("\n")}`);
    assert.ok(r.parts > 0);
    assert.ok(r.reasoning.length > 0 && r.answer.length > 0);
    assert.equal(r.finishReason, "stop");
    assert.equal(r.same, true, "parts concatenate to the result");
    assert.ok(r.models > 0);
  }

  // docs/usage.md "In Node": the installed package, loaded the documented
  // ways (the auto entry; a bare init(), which reads the .wasm from disk;
  // initSync or init with the bytes), streams from the mock.
  writeFileSync(
    path.join(app, "node-check.mjs"),
    `import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import init, { initSync, Client } from "visual-reasoning";

const how = process.argv[3];
const require = createRequire(import.meta.url);
const bytes = () => readFileSync(require.resolve("visual-reasoning/visual_reasoning_bg.wasm"));
if (how === "auto") await import("visual-reasoning/auto");
else if (how === "bare") await init();
else if (how === "async") await init({ module_or_path: bytes() });
else initSync({ module: bytes() });
const r = await new Client({ baseUrl: process.argv[2], protocol: "dashscope" })
  .complete({ model: "qvq-max", messages: [{ role: "user", content: "x" }] });
console.log(JSON.stringify({ answer: r.answer, finishReason: r.finishReason }));
`,
  );
  for (const how of ["auto", "bare", "sync", "async"]) {
    const out = JSON.parse(run(process.execPath, ["node-check.mjs", mock.url, how], app));
    assert.equal(out.finishReason, "stop", `Node (${how} init)`);
    assert.ok(out.answer.length > 0);
  }

  // The relay entry and its bin, as installed: the bin lists its flags, and
  // createRelay from `visual-reasoning/relay` relays to the mock.
  const help = run(path.join(app, "node_modules", ".bin", "visual-reasoning-relay-js"), ["--help"], app);
  assert.match(help, /--allow-origin ORIGIN/);
  writeFileSync(
    path.join(app, "relay-check.mjs"),
    `import { createRelay } from "visual-reasoning/relay";
const relay = createRelay({ apiKey: "sk-pack", upstream: process.argv[2], allowNoOrigin: true, log: false });
const res = await relay(new Request("http://relay.test/compatible-mode/v1/chat/completions", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: "qwen3-vl-plus", stream: true, messages: [{ role: "user", content: "x" }] }),
}));
const text = await res.text();
console.log(JSON.stringify({ status: res.status, done: text.endsWith("data: [DONE]\\n\\n") }));
`,
  );
  assert.deepEqual(JSON.parse(run(process.execPath, ["relay-check.mjs", mock.url], app)), { status: 200, done: true });
});

/** A fresh project with the tarball installed and these files; its directory. */
function project(name, files) {
  const dir = path.join(tmp, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: `vr-${name}`, private: true, type: "module", dependencies: { "visual-reasoning": `file:${tarball}` } }, null, 2),
  );
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock"], dir);
  return dir;
}

/** JS files under `dir` (recursively) and their text. */
function jsFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => /\.m?js$/.test(f))
    .map((f) => [f, readFileSync(path.join(dir, f), "utf8")]);
}

// The page code of both checks below: the auto entry, no init() call.
const AUTO_PAGE = (from) => `import { Client, models } from "${from}";
const q = new URL(location.href).searchParams;
window.result = (async () => {
  const stream = new Client({ baseUrl: q.get("api"), protocol: "dashscope" })
    .stream({ model: "qvq-max", messages: [{ role: "user", content: "x" }] });
  let parts = 0;
  for await (const p of stream) parts += p ? 1 : 0;
  return { parts, answer: stream.answer.length, finishReason: stream.finishReason, models: models().length };
})().catch((e) => ({ error: e.name + ": " + e.message }));
`;

async function streamsIn(url, served) {
  browser ??= await launchBrowser();
  const page = await newPage(browser);
  try {
    served.length = 0;
    await page.goto(url);
    // The load event does not wait for a module's top-level await.
    await page.waitForFunction(() => window.result !== undefined, undefined, { timeout: 20_000 });
    const r = await page.evaluate(() => window.result);
    assert.equal(r.error, undefined, `${r.error}\n${page.log.join("\n")}`);
    assert.ok(r.parts > 0 && r.answer > 0 && r.models > 0);
    assert.equal(r.finishReason, "stop");
    return served.filter((p) => p.endsWith(".wasm"));
  } finally {
    await page.close();
  }
}

test("visual-reasoning/auto in a fresh Vite 7 project: builds (top-level await), no node: import in the output, one .wasm fetched, streams", async () => {
  assert.ok(tarball, "the pack step ran");
  const app = project("auto", {
    "index.html": `<!doctype html><meta charset="utf-8"><title>auto</title><script type="module" src="/src/main.js"></script>\n`,
    "src/main.js": AUTO_PAGE("visual-reasoning/auto"),
  });
  const warnings = run(process.execPath, [VITE, "build", "--logLevel", "warn"], app);
  const dist = path.join(app, "dist");
  const assets = readdirSync(path.join(dist, "assets"));
  // Both builds are assets (the module names both); the page fetches one.
  assert.equal(assets.filter((f) => f.endsWith(".wasm")).length, 2, `assets: ${assets.join(", ")}`);
  for (const [f, text] of jsFiles(dist)) {
    assert.doesNotMatch(text, /\bfrom\s*["']node:|\bimport\s*\(\s*["'`]node:|require\(\s*["']node:/, `${f} imports a node: module`);
    assert.doesNotMatch(text, /__vite-browser-external/, `${f}: Vite stubbed a Node module for the browser`);
  }
  assert.doesNotMatch(warnings, /externalized|node:|dynamic import cannot be analyzed/i, `Vite warned:\n${warnings}`);
  const s = await startStatic({ "/": dist + "/" });
  const m = await startMock({ origins: [s.url] });
  try {
    const wasm = await streamsIn(`${s.url}/index.html?api=${encodeURIComponent(m.url)}`, s.requests);
    assert.equal(wasm.length, 1, `one .wasm fetched: ${wasm}`);
    assert.doesNotMatch(wasm[0], /nosimd/, "Chromium has SIMD: the SIMD build");
  } finally {
    await m.stop();
    await s.stop();
  }
});

test("visual-reasoning/auto from a plain <script type=\"module\">, the package served as unpacked (a CDN's layout)", async () => {
  assert.ok(tarball, "the pack step ran");
  const { version } = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  const base = `/npm/visual-reasoning@${version}/`;
  const dir = path.join(tmp, "cdn");
  mkdirSync(dir, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", dir]);
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>cdn</title>\n<script type="module">\n${AUTO_PAGE(`${base}auto.js`)}</script>\n`,
  );
  const s = await startStatic({ [base]: path.join(dir, "package") + "/", "/": dir + "/" });
  const m = await startMock({ origins: [s.url] });
  try {
    const wasm = await streamsIn(`${s.url}/index.html?api=${encodeURIComponent(m.url)}`, s.requests);
    assert.deepEqual(wasm, [`${base}visual_reasoning_bg.wasm`], "the .wasm next to the module, found through import.meta.url");
  } finally {
    await m.stop();
    await s.stop();
  }
});

test("the element from a CDN's layout: a page elsewhere on the server loads element.js with a plain <script type=\"module\">; the wasm, the math chunk and the KaTeX fonts all come from the versioned folder", async (t) => {
  assert.ok(tarball, "the pack step ran");
  const { version } = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  const base = `/npm/visual-reasoning@${version}/`;
  const dir = path.join(tmp, "cdn-element");
  mkdirSync(path.join(dir, "site", "lessons"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", dir]);
  const s = await startStatic({ [base]: path.join(dir, "package") + "/", "/lessons/": path.join(dir, "site", "lessons") + "/" });
  const m = await startMock({ origins: [s.url] });
  // The page lives under /lessons/, not beside the package: every file the
  // element needs must be found relative to its own URL (import.meta.url).
  writeFileSync(
    path.join(dir, "site", "lessons", "tutor.html"),
    `<!doctype html><meta charset="utf-8"><title>cdn element</title>
<script type="module" src="${base}element.js"></script>
<visual-reasoning-tutor base-url="${m.url}"></visual-reasoning-tutor>\n`,
  );
  browser ??= await launchBrowser();
  const page = await newPage(browser);
  const responses = [];
  const failed = [];
  page.on("response", (r) => responses.push({ url: new URL(r.url()), status: r.status() }));
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  try {
    await page.goto(`${s.url}/lessons/tutor.html`);
    const mathReady = page.evaluate(() => new Promise((resolve) => document.addEventListener("vr-math-ready", () => resolve(true), { once: true })));
    const result = await page.evaluate(() => document.querySelector("visual-reasoning-tutor").ask("Find the angle x in the triangle."));
    assert.equal(result?.finishReason, "stop", page.log.join("\n"));
    assert.match(result.answer, /\$x = 70\^\\circ\$/, "the mock's answer has a formula");
    assert.equal(await mathReady, true, "vr-math-ready: the math chunk loaded and typeset");
    await page.locator("visual-reasoning-tutor .answer .katex").first().waitFor({ timeout: 15_000 });
    const fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts].filter((f) => f.family.startsWith("KaTeX") && f.status === "loaded").map((f) => f.family);
    });
    assert.ok(fonts.length > 0, "a KaTeX font loaded (the formula is set in it)");

    assert.deepEqual(failed, []);
    const own = responses.filter((r) => r.url.origin === s.url && r.url.pathname !== "/lessons/tutor.html" && r.url.pathname !== "/favicon.ico");
    const outside = own.filter((r) => !r.url.pathname.startsWith(base));
    assert.deepEqual(outside.map((r) => r.url.pathname), [], "everything the package loads is under its versioned folder");
    const bad = own.filter((r) => r.status !== 200);
    assert.deepEqual(bad.map((r) => `${r.url.pathname} ${r.status}`), [], "and all of it loads");
    const files = own.map((r) => r.url.pathname.slice(base.length));
    for (const [what, re] of [["element.js", /^element\.js$/], ["the client", /^visual_reasoning\.js$/], ["the wasm", /^visual_reasoning_bg\.wasm$/], ["the math chunk", /^element-math-[\w-]+\.js$/], ["a KaTeX font", /^katex-fonts\/KaTeX_[\w-]+\.woff2$/]]) {
      assert.ok(files.some((f) => re.test(f)), `${what} was fetched from ${base} (fetched: ${files.join(", ")})`);
    }
    t.diagnostic(`fetched from ${base}: ${files.join(", ")}`);
    const others = responses.filter((r) => r.url.origin !== s.url && r.url.origin !== m.url);
    assert.deepEqual(others.map((r) => r.url.href), [], "nothing else was asked for");
  } finally {
    await page.close();
    await m.stop();
    await s.stop();
  }
});

test("the packed README is the npm page (docs/npm-README.md), with absolute links only", () => {
  assert.ok(tarball, "the pack step ran");
  const dir = path.join(tmp, "readme");
  mkdirSync(dir, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", dir, "package/README.md"]);
  const readme = readFileSync(path.join(dir, "package", "README.md"), "utf8");
  assert.equal(readme, readFileSync(path.join(ROOT, "docs", "npm-README.md"), "utf8"));
  for (const section of ["## Quick start", "## Get a relay", "## Errors", "## From a CDN", "## Frameworks", "## Supported engines", "## Compared with"]) {
    assert.ok(readme.includes(section), `it has ${section}`);
  }
  // Markdown links and images, and HTML href/src: each absolute (https:) or a link within the page (#…).
  const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)|(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  assert.ok(targets.length > 5, `links found: ${targets.join(" ")}`);
  const relative = targets.filter((t) => !/^https:\/\//.test(t) && !t.startsWith("#"));
  assert.deepEqual(relative, [], "relative links (they break on npmjs.com)");
  const repo = "https://github.com/visual-reasoning/visual-reasoning";
  assert.ok(readFileSync(path.join(ROOT, "Cargo.toml"), "utf8").includes(`repository = "${repo}"`), "the repository URL the links use");
  for (const t of targets.filter((t) => t.startsWith("https://github.com/"))) assert.ok(t.startsWith(repo), `${t} points into the repository`);
  // Anchors within the page resolve to its headings (GitHub's slugs).
  const slugs = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
  for (const t of targets.filter((t) => t.startsWith("#"))) assert.ok(slugs.has(t.slice(1)), `${t} is a heading (have ${[...slugs].join(", ")})`);
  // And every repository file it links to exists.
  for (const t of targets.filter((t) => t.startsWith(`${repo}/blob/main/`) || t.startsWith(`${repo}/tree/main/`))) {
    const file = t.replace(/^.*?\/(blob|tree)\/main\//, "").replace(/#.*$/, "");
    assert.ok(existsSync(path.join(ROOT, file)), `${t}: ${file} is in the repository`);
  }
});
