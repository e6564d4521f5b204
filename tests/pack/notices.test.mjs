// pkg/THIRD_PARTY_NOTICES (scripts/build-notices.mjs) against what the
// package really ships, found here by other means than the generator's:
// the npm packages named in the esbuild metafiles of the shipped bundles
// (checked to be the metafiles of these very files), the files copied from
// packages, and the crates `cargo tree` says are compiled for wasm32. Each
// needs its section and its own licence texts; a bundled package without
// one fails here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = path.join(ROOT, "pkg");
const NOTICES = readFileSync(path.join(PKG, "THIRD_PARTY_NOTICES"), "utf8");
const METAFILES = ["target/client.metafile.json", "target/element.metafile.json"].map((f) => JSON.parse(readFileSync(path.join(ROOT, f), "utf8")));

/** The text of a component's section (up to the next one). */
function section(header) {
  const start = NOTICES.indexOf(`\n${header}\n`);
  if (start < 0) return undefined;
  const next = NOTICES.indexOf("\n" + "=".repeat(78) + "\n", NOTICES.indexOf("=".repeat(78), start + header.length + 2) + 79);
  return NOTICES.slice(start, next < 0 ? undefined : next);
}

/** `dir`'s licence files' texts each appear in the notices (once; later sections refer back to them). */
function assertTexts(dir, label) {
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|unlicense|notice)([-._].*)?$/i.test(f));
  assert.ok(files.length > 0, `${label} has a licence file`);
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), "utf8").replace(/\r\n/g, "\n").trim();
    assert.ok(NOTICES.includes(text), `${label}: the text of its ${f} is in THIRD_PARTY_NOTICES`);
  }
}

test("the metafiles are the shipped bundles' (same files, same sizes)", () => {
  for (const meta of METAFILES) {
    for (const [out, o] of Object.entries(meta.outputs)) {
      const file = path.join(PKG, path.basename(out));
      // build.sh puts back the bundler hints esbuild drops from the one import() (wire.js `local`).
      const hints = path.basename(out) === "visual_reasoning.js" ? "/* webpackIgnore: true */ /* @vite-ignore */ ".length : 0;
      assert.equal(statSync(file).size - hints, o.bytes, `${path.basename(out)}: the metafile describes the file in pkg/`);
    }
  }
});

test("every npm package inside a bundle has its section and its licence texts", () => {
  const dirs = new Set();
  for (const meta of METAFILES) {
    for (const o of Object.values(meta.outputs)) {
      for (const input of Object.keys(o.inputs)) {
        const m = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (m) dirs.add(m[1]);
      }
    }
  }
  assert.ok(dirs.size >= 3, `the element bundles marked, DOMPurify and KaTeX: found ${[...dirs].join(", ")}`);
  for (const dir of dirs) {
    const pj = JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8"));
    const s = section(`${pj.name} ${pj.version} (npm)`);
    assert.ok(s, `THIRD_PARTY_NOTICES has a section for ${pj.name} ${pj.version}`);
    assert.match(s, new RegExp(`Licence: ${pj.license.replace(/[()]/g, "\\$&")}`));
    assertTexts(path.join(ROOT, dir), pj.name);
  }
});

test("every file in pkg/ is the project's own, a bundle's output, or copied from a package with a notice (KaTeX's fonts)", () => {
  const outputs = new Set(METAFILES.flatMap((m) => Object.keys(m.outputs).map((o) => path.basename(o))));
  // (element-react.js and element-preact.js: the element's JSX entries, one-line re-exports of element.js.)
  const own = /^(visual_reasoning(_nosimd)?_bg\.wasm|visual_reasoning\.js|auto(-workerd)?\.js|relay(-node|-redis|-cli|-spend)?\.js|element-(react|preact)\.js|[\w-]+\.d\.ts|[\w.]+\.wasm\.d\.ts|package\.json|README\.md|LICENSE-(MIT|APACHE)|THIRD_PARTY_NOTICES)$/;
  const stray = [];
  for (const f of readdirSync(PKG, { recursive: true })) {
    if (statSync(path.join(PKG, f)).isDirectory()) continue;
    if (own.test(f) || outputs.has(f)) continue;
    if (f.startsWith("katex-fonts/")) {
      const katex = JSON.parse(readFileSync(path.join(ROOT, "node_modules", "katex", "package.json"), "utf8"));
      assert.match(section(`katex ${katex.version} (npm)`) ?? "", /In: .*katex-fonts\//, "KaTeX's section names its fonts");
      assert.deepEqual(readFileSync(path.join(PKG, f)), readFileSync(path.join(ROOT, "node_modules", "katex", "dist", "fonts", path.basename(f))), `${f} is KaTeX's`);
      continue;
    }
    stray.push(f);
  }
  assert.deepEqual(stray, [], "files in pkg/ whose origin (and licence) this test does not know");
});

test("every crate compiled into the wasm (cargo tree: normal dependencies for wasm32, no proc-macros) has its section and licence texts", () => {
  const lines = execFileSync(
    "cargo",
    ["tree", "-e", "normal,no-proc-macro", "--target", "wasm32-unknown-unknown", "--features", "bare", "--prefix", "none", "-f", "{p}"],
    { cwd: ROOT, encoding: "utf8" },
  );
  const crates = [...new Set(lines.split("\n").filter(Boolean))]
    .map((l) => /^(\S+) v(\S+)/.exec(l))
    // The project's own crates (the root, crates/engine) are under its licence.
    .filter((m) => m && m[1] !== "visual-reasoning" && m[1] !== "visual-reasoning-engine");
  assert.ok(crates.some((m) => m[1] === "memchr") && crates.some((m) => m[1] === "wasm-bindgen"), lines);
  const registry = JSON.parse(execFileSync("cargo", ["metadata", "--format-version", "1", "--filter-platform", "wasm32-unknown-unknown", "--features", "bare"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 }));
  for (const [, name, version] of crates) {
    assert.ok(section(`${name} ${version} (Rust crate)`), `THIRD_PARTY_NOTICES has a section for the crate ${name} ${version}`);
    const p = registry.packages.find((x) => x.name === name && x.version === version);
    assertTexts(path.dirname(p.manifest_path), name);
  }
  assert.ok(section("Rust core and alloc libraries (Rust)"), "and Rust's own libraries");
});
