// The element entry where frameworks meet it, in Node (no browser):
// - server rendering: importing visual-reasoning/element (and its /react and
//   /preact entries) where HTMLElement and customElements do not exist
//   defines nothing and throws nothing;
// - JSX: the tag, its attributes, properties and typed event listeners
//   compile with React 19's and Preact's types (tsc --strict, skipLibCheck
//   false, the package resolved through its exports), and wrong ones fail.
// Needs pkg/ (scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, requireBuilt } from "./lib/browser.mjs";

const PKG = path.join(ROOT, "pkg");

test("importing the element entries without a DOM defines nothing and throws nothing", () => {
  requireBuilt(path.join(PKG, "element.js"), "run `bash scripts/build.sh` first");
  // A fresh Node process: no HTMLElement, no customElements, no window.
  const script = `
    const seen = [];
    for (const entry of ["element.js", "element-react.js", "element-preact.js"]) {
      const m = await import(${JSON.stringify(pathToFileURL(PKG).href)} + "/" + entry);
      seen.push([entry, typeof m.VisualReasoningTutor]);
    }
    console.log(JSON.stringify({ seen, HTMLElement: typeof HTMLElement, customElements: typeof customElements }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  const r = JSON.parse(out.trim().split("\n").at(-1));
  assert.equal(r.HTMLElement, "undefined");
  assert.equal(r.customElements, "undefined");
  assert.deepEqual(r.seen, [["element.js", "function"], ["element-react.js", "function"], ["element-preact.js", "function"]]);
});

const REACT_TSX = `
import "visual-reasoning/element/react";
import type { Result } from "visual-reasoning";
import type { TutorStartDetail } from "visual-reasoning/element";

export function Page({ onAnswer }: { onAnswer: (answer: string) => void }) {
  return (
    <visual-reasoning-tutor
      base-url="https://relay.example"
      model="qwen3-vl-plus"
      protocol="dashscope"
      thinking={false}
      thinking-budget={2000}
      lang="zh"
      headers={{ "X-Client-Token": "t" }}
      system="Be brief."
      ref={(el) => { if (el) el.question = "Find x."; }}
      onvr-start={(e) => { const d: TutorStartDetail = e.detail; void d.model; }}
      onvr-done={(e) => { const r: Result = e.detail; onAnswer(r.answer); }}
      onvr-error={(e) => { const name: string = e.detail.name; void e.detail.requestId; void name; }}
      className="tutor"
    />
  );
}
// @ts-expect-error not a protocol
export const badProtocol = <visual-reasoning-tutor protocol="grpc" />;
// @ts-expect-error vr-done's detail is a Result, not a number
export const badDetail = <visual-reasoning-tutor onvr-done={(e: CustomEvent<number>) => e} />;
// @ts-expect-error headers are strings
export const badHeaders = <visual-reasoning-tutor headers={{ "X-A": 1 }} />;
`;

const PREACT_TSX = REACT_TSX
  .replace('import "visual-reasoning/element/react";', 'import "visual-reasoning/element/preact";')
  .replace('      className="tutor"\n', '      class="tutor"\n');

function compile(files, tsconfig) {
  const dir = mkdtempSync(path.join(tmpdir(), "vr-jsx-"));
  try {
    const nm = path.join(dir, "node_modules");
    mkdirSync(path.join(nm, "@types"), { recursive: true });
    // The package as installed, resolved through its package.json exports.
    symlinkSync(PKG, path.join(nm, "visual-reasoning"), "dir");
    symlinkSync(path.join(ROOT, "node_modules", "@types", "react"), path.join(nm, "@types", "react"), "dir");
    symlinkSync(path.join(ROOT, "node_modules", "csstype"), path.join(nm, "csstype"), "dir");
    symlinkSync(path.join(ROOT, "node_modules", "preact"), path.join(nm, "preact"), "dir");
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler",
        // ESNext.Disposable: the client's classes declare [Symbol.dispose].
        skipLibCheck: false, types: [], lib: ["ES2022", "DOM", "ESNext.Disposable"], ...tsconfig,
      },
      include: Object.keys(files),
    }));
    try {
      execFileSync(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", dir], { encoding: "utf8" });
      return "";
    } catch (e) {
      return String(e.stdout || e.message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("React 19 JSX: the tag, its attributes, properties and typed events compile; wrong ones do not", () => {
  requireBuilt(path.join(PKG, "element-react.d.ts"), "run `bash scripts/build.sh` first");
  const errors = compile({ "page.tsx": REACT_TSX }, { jsx: "react-jsx" });
  assert.equal(errors, "", errors);
  // Without the JSX entry the tag is unknown to React.
  const unknown = compile({ "page.tsx": REACT_TSX.replace('import "visual-reasoning/element/react";', 'import "visual-reasoning/element";') }, { jsx: "react-jsx" });
  assert.match(unknown, /visual-reasoning-tutor/);
});

test("Preact 11 JSX: the tag, its attributes, properties and typed events compile; wrong ones do not", () => {
  requireBuilt(path.join(PKG, "element-preact.d.ts"), "run `bash scripts/build.sh` first");
  const errors = compile({ "page.tsx": PREACT_TSX }, { jsx: "react-jsx", jsxImportSource: "preact" });
  assert.equal(errors, "", errors);
});
