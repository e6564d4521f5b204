#!/usr/bin/env node
// Writes pkg/THIRD_PARTY_NOTICES: the licence texts of everything the
// package ships that others wrote (called by scripts/build.sh after the
// bundles are built; runs alone too: `node scripts/build-notices.mjs`).
//
// - npm packages: every input under node_modules/ in the esbuild metafiles
//   of the bundles in pkg/ (target/*.metafile.json: the client module and
//   the element entry with its chunks), so a package a bundle starts to
//   include is found without a hand list; plus the files the element build
//   copies as they are (KaTeX's fonts, katex-fonts/).
// - Rust crates: every crate compiled into the wasm (cargo metadata for
//   wasm32 with the npm build's features: normal dependencies, not
//   proc-macros, which run at build time only), and Rust's core and alloc.
// Each component's licence files are copied whole from its own source
// (LICENSE*, LICENCE*, COPYING*, UNLICENSE*, NOTICE*); a text already given
// above is referred to rather than repeated. A component without a licence
// file fails the build: nothing is shipped without its notice.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const METAFILES = ["target/client.metafile.json", "target/element.metafile.json"];
// Files the element build copies from a package without bundling them.
const COPIED = [{ dir: "katex-fonts", from: "katex", what: "KaTeX's fonts (katex-fonts/)" }];

const LICENCE_FILE = /^(licen[cs]e|copying|unlicense|notice)([-._].*)?$/i;
const licenceFiles = (dir) =>
  readdirSync(dir)
    .filter((f) => LICENCE_FILE.test(f))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(path.join(dir, f), "utf8").replace(/\r\n/g, "\n").trim() }));

/** The package directory an input path under node_modules/ belongs to. */
function packageDir(input) {
  const parts = input.split("/");
  const i = parts.lastIndexOf("node_modules");
  const n = parts[i + 1]?.startsWith("@") ? 3 : 2;
  return parts.slice(0, i + n).join("/");
}

/** npm packages in the bundles (metafile inputs), with the pkg/ files they went into. */
export function npmComponents(pkg) {
  const found = new Map(); // package dir -> Set of output files
  for (const meta of METAFILES) {
    const file = path.join(ROOT, meta);
    if (!existsSync(file)) throw new Error(`build-notices: ${meta} is missing (scripts/build.sh writes it)`);
    const { outputs } = JSON.parse(readFileSync(file, "utf8"));
    for (const [out, o] of Object.entries(outputs)) {
      for (const input of Object.keys(o.inputs ?? {})) {
        if (!input.includes("node_modules/")) continue;
        const dir = packageDir(input);
        if (!found.has(dir)) found.set(dir, new Set());
        found.get(dir).add(path.basename(out));
      }
    }
  }
  for (const c of COPIED) {
    if (!existsSync(path.join(pkg, c.dir))) continue;
    const dir = path.join("node_modules", c.from);
    if (!found.has(dir)) found.set(dir, new Set());
    found.get(dir).add(`${c.dir}/`);
  }
  return [...found].map(([dir, outs]) => {
    const abs = path.resolve(ROOT, dir);
    const pj = JSON.parse(readFileSync(path.join(abs, "package.json"), "utf8"));
    return {
      kind: "npm",
      name: pj.name,
      version: pj.version,
      license: typeof pj.license === "string" ? pj.license : JSON.stringify(pj.license),
      url: `https://www.npmjs.com/package/${pj.name}/v/${pj.version}`,
      usedIn: [...outs].sort(),
      files: licenceFiles(abs),
    };
  });
}

/** The crates compiled into the wasm: normal dependencies for wasm32, proc-macros (build time only) left out. */
export function crateComponents(glue) {
  const meta = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--filter-platform", "wasm32-unknown-unknown", "--features", "bare"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    }),
  );
  const byId = new Map(meta.packages.map((p) => [p.id, p]));
  const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
  const isProcMacro = (p) => p.targets.some((t) => t.kind.includes("proc-macro"));
  const root = meta.resolve.root;
  const seen = new Set([root]);
  const queue = [root];
  while (queue.length) {
    for (const dep of nodes.get(queue.shift()).deps) {
      if (seen.has(dep.pkg) || !dep.dep_kinds.some((k) => k.kind === null)) continue;
      if (isProcMacro(byId.get(dep.pkg))) continue;
      seen.add(dep.pkg);
      queue.push(dep.pkg);
    }
  }
  // The project's own crates (the root and crates/engine, workspace
  // members) are under the package's licence, not third parties.
  for (const id of meta.workspace_members) seen.delete(id);
  return [...seen].map((id) => {
    const p = byId.get(id);
    const usedIn = ["visual_reasoning_bg.wasm", "visual_reasoning_nosimd_bg.wasm"];
    // wasm-bindgen also wrote the JS glue bundled into the client module.
    if (p.name === "wasm-bindgen" && glue) usedIn.push("visual_reasoning.js (its generated glue)");
    return {
      kind: "crate",
      name: p.name,
      version: p.version,
      license: p.license ?? p.license_file,
      url: `https://crates.io/crates/${p.name}/${p.version}`,
      usedIn,
      files: licenceFiles(path.dirname(p.manifest_path)),
    };
  });
}

// Rust's own libraries are linked into every wasm Rust makes; their
// licence text is the standard MIT one (the Rust repository's LICENSE-MIT
// carries no copyright line; COPYRIGHT names the contributors).
const RUST_STD = {
  kind: "rust",
  name: "Rust core and alloc libraries",
  version: "",
  license: "MIT OR Apache-2.0",
  url: "https://github.com/rust-lang/rust/blob/master/COPYRIGHT",
  usedIn: ["visual_reasoning_bg.wasm", "visual_reasoning_nosimd_bg.wasm"],
  files: [
    {
      name: "LICENSE-MIT",
      text: `Copyright (c) The Rust Project Contributors

Permission is hereby granted, free of charge, to any
person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the
Software without restriction, including without
limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software
is furnished to do so, subject to the following
conditions:

The above copyright notice and this permission notice
shall be included in all copies or substantial portions
of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF
ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED
TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT
SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR
IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.`,
    },
  ],
};

/** The notices text for these components. */
export function render(components) {
  const rule = "=".repeat(78);
  const out = [
    "THIRD-PARTY SOFTWARE NOTICES",
    "",
    "The npm package visual-reasoning is MIT OR Apache-2.0 (LICENSE-MIT,",
    "LICENSE-APACHE). It ships the following software written by others,",
    "under these licences. Generated by scripts/build-notices.mjs from each",
    "component's own licence files.",
    "",
  ];
  const given = new Map(); // licence text -> where it was first given
  for (const c of components) {
    const title = c.version ? `${c.name} ${c.version}` : c.name;
    out.push(rule, `${title} (${c.kind === "npm" ? "npm" : c.kind === "crate" ? "Rust crate" : "Rust"})`);
    out.push(`Licence: ${c.license}`, `Source: ${c.url}`, `In: ${c.usedIn.join(", ")}`, rule, "");
    for (const f of c.files) {
      const first = given.get(f.text);
      if (first) {
        out.push(`${f.name}: the same text as ${first} above.`, "");
        continue;
      }
      given.set(f.text, `${f.name} of ${title}`);
      out.push(`--- ${f.name} ---`, "", f.text, "");
    }
  }
  return out.join("\n") + "\n";
}

export function components(pkg) {
  const client = JSON.parse(readFileSync(path.join(ROOT, METAFILES[0]), "utf8"));
  const glue = Object.keys(client.inputs).some((i) => i.startsWith("target/wasm-core/"));
  const all = [...npmComponents(pkg).sort((a, b) => a.name.localeCompare(b.name)), ...crateComponents(glue).sort((a, b) => a.name.localeCompare(b.name)), RUST_STD];
  const bare = all.filter((c) => c.files.length === 0);
  if (bare.length) throw new Error(`build-notices: no licence file found for ${bare.map((c) => `${c.name} ${c.version}`).join(", ")}`);
  return all;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pkg = path.join(ROOT, process.argv[2] ?? "pkg");
  const all = components(pkg);
  const text = render(all);
  writeFileSync(path.join(pkg, "THIRD_PARTY_NOTICES"), text);
  console.log(`THIRD_PARTY_NOTICES: ${all.length} components (${all.map((c) => c.name).join(", ")}), ${(text.length / 1024).toFixed(1)} KB`);
}
