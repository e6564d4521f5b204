#!/usr/bin/env node
// Bundles js/element/ into pkg/element.js (the `visual-reasoning/element`
// entry). Called by scripts/build.sh after wasm-pack; runnable alone:
//   node scripts/build-element.mjs [--outdir pkg] [--src js/element]
// (--src: another copy of the element's sources, e.g. an older commit's,
// which bench/ui.mjs measures against the current one).
//
// - The client stays external: element.js imports "./visual_reasoning.js"
//   from its own directory, so the wasm is fetched once and users of the
//   bare client download none of these bytes.
// - marked and DOMPurify are bundled into the entry; KaTeX (≈70 KB gz) is a
//   separate chunk loaded only when an answer contains math.
// - KaTeX's @font-face rules do nothing inside a shadow root, so they are
//   cut out of the stylesheet the shadow roots get, and rebuilt as one
//   document-level stylesheet whose URLs are written as
//   `new URL("./katex-fonts/…", import.meta.url)` literals: that resolves
//   next to the chunk without a bundler, and Vite/Rollup/webpack recognise
//   the pattern and copy the fonts when the element is bundled again.
import { build } from "esbuild";
import { readFileSync, writeFileSync, mkdirSync, copyFileSync, readdirSync, rmSync, statSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const arg = (name, fallback) => path.resolve(ROOT, args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const outdir = arg("--outdir", "pkg");
const SRC = arg("--src", path.join("js", "element"));
const KATEX = path.join(ROOT, "node_modules", "katex", "dist");
const FONT_DIR = "katex-fonts";
const BUDGET_GZ = 150 * 1024;

const katexCss = readFileSync(path.join(KATEX, "katex.min.css"), "utf8");
const FONT_FACE = /@font-face\{[^}]*\}/g;
const faces = katexCss.match(FONT_FACE) ?? [];
if (faces.length === 0) throw new Error("build-element: no @font-face rules found in katex.min.css (KaTeX layout changed?)");

// Only woff2: every browser with custom elements and shadow DOM reads it.
const fonts = [];
const faceJs = faces.map((face) => {
  const m = /url\(fonts\/([^)]+\.woff2)\)/.exec(face);
  if (!m) throw new Error("build-element: a KaTeX @font-face has no woff2 source: " + face.slice(0, 80));
  fonts.push(m[1]);
  const head = face.replace(/src:[^;}]*/, "").replace(/;?\}$/, "");
  return `${JSON.stringify(head + ";src:url(")}+new URL(${JSON.stringify("./" + FONT_DIR + "/" + m[1])},import.meta.url).href+${JSON.stringify(') format("woff2")}')}`;
});
const fontsModule = `export function fontFaceCss(){return [${faceJs.join(",\n")}].join("\\n")}`;
const shadowCss = katexCss.replace(FONT_FACE, "");

const vrPlugin = {
  name: "visual-reasoning-element",
  setup(b) {
    b.onResolve({ filter: /^visual-reasoning$/ }, () => ({ path: "./visual_reasoning.js", external: true }));
    b.onResolve({ filter: /^vr:katex-(css|fonts)$/ }, (a) => ({ path: a.path, namespace: "vr" }));
    b.onLoad({ filter: /^vr:katex-css$/, namespace: "vr" }, () => ({ contents: shadowCss, loader: "text" }));
    b.onLoad({ filter: /^vr:katex-fonts$/, namespace: "vr" }, () => ({ contents: fontsModule, loader: "js" }));
  },
};

mkdirSync(outdir, { recursive: true });
// Old hashed chunks would otherwise pile up in pkg/ and be published.
for (const f of readdirSync(outdir)) {
  if (/^element(-[\w-]+)?\.js$/.test(f)) rmSync(path.join(outdir, f));
}

const result = await build({
  entryPoints: { element: path.join(SRC, "index.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome100", "firefox100", "safari16"],
  minify: process.env.VR_ELEMENT_MINIFY !== "0", // VR_ELEMENT_MINIFY=0: readable profiles
  legalComments: "eof",
  chunkNames: "element-[name]-[hash]",
  metafile: true,
  logLevel: "warning",
  plugins: [vrPlugin],
});

// What the bundles include, for pkg/THIRD_PARTY_NOTICES (scripts/build-notices.mjs).
mkdirSync(path.join(ROOT, "target"), { recursive: true });
writeFileSync(path.join(ROOT, "target", "element.metafile.json"), JSON.stringify(result.metafile));

const fontOut = path.join(outdir, FONT_DIR);
rmSync(fontOut, { recursive: true, force: true });
mkdirSync(fontOut, { recursive: true });
let fontBytes = 0;
for (const f of fonts) {
  copyFileSync(path.join(KATEX, "fonts", f), path.join(fontOut, f));
  fontBytes += statSync(path.join(fontOut, f)).size;
}
copyFileSync(path.join(SRC, "element.d.ts"), path.join(outdir, "element.d.ts"));
// The JSX entries: the element entry again, with the tag's JSX typings.
for (const jsx of ["react", "preact"]) {
  if (!existsSync(path.join(SRC, jsx + ".d.ts"))) continue; // older sources (bench/ui.mjs --before)
  copyFileSync(path.join(SRC, jsx + ".d.ts"), path.join(outdir, `element-${jsx}.d.ts`));
  writeFileSync(path.join(outdir, `element-${jsx}.js`), `// The element entry; element-${jsx}.d.ts adds the tag to ${jsx === "react" ? "React 19" : "Preact"}'s JSX.\nexport * from "./element.js";\n`);
}

const kb = (n) => (n / 1024).toFixed(1) + " KB";
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const rows = [];
for (const out of Object.keys(result.metafile.outputs)) {
  const file = path.resolve(ROOT, out);
  if (!file.endsWith(".js")) continue;
  rows.push({ name: path.basename(file), raw: statSync(file).size, gz: gz(file) });
}
rows.sort((a, b) => (a.name === "element.js" ? -1 : b.name === "element.js" ? 1 : a.name.localeCompare(b.name)));
const entry = rows.find((r) => r.name === "element.js");
const lazyGz = rows.filter((r) => r !== entry).reduce((s, r) => s + r.gz, 0);
const clientJs = path.join(outdir, "visual_reasoning.js");
const clientWasm = path.join(outdir, "visual_reasoning_bg.wasm");

console.log("element build (" + path.relative(ROOT, outdir) + "/):");
for (const r of rows) {
  const tag = r === entry ? "entry" : "lazy (loaded when an answer has math)";
  console.log(`  ${r.name.padEnd(30)} ${kb(r.raw).padStart(9)} raw ${kb(r.gz).padStart(9)} gz  ${tag}`);
}
console.log(`  ${(FONT_DIR + "/ (" + fonts.length + " woff2)").padEnd(30)} ${kb(fontBytes).padStart(9)} raw               lazy (fetched by the browser per glyph set used)`);
console.log(`  element entry: ${kb(entry.gz)} gz (budget ${kb(BUDGET_GZ)}); lazy chunks: ${kb(lazyGz)} gz`);
if (existsSync(clientJs) && existsSync(clientWasm)) {
  console.log(`  client (for comparison): visual_reasoning.js ${kb(gz(clientJs))} gz + visual_reasoning_bg.wasm ${kb(gz(clientWasm))} gz`);
}
if (entry.gz > BUDGET_GZ) {
  console.error(`build-element: element.js is ${kb(entry.gz)} gz, over the ${kb(BUDGET_GZ)} budget`);
  process.exit(1);
}
