// The built package's .d.ts against API.md's "Types": a strict consumer
// compile (and one with no lib setting), no `any`, no wasm internals, and
// the exports checked against an allowlist (STYLE.md: dependencies must
// not sneak classes into the public surface).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const PKG = path.join(ROOT, "pkg");
const DTS = path.join(PKG, "visual_reasoning.d.ts");

// API.md names every value export (its "Additions" included); the package
// adds modelInfo (docs/API.md). Everything else is internal: the
// wasm-bindgen classes under the façade never reach the public module.
const API_VALUES = [
  "Client", "ReasoningStream", "Conversation", "models", "modelInfo", "estimateImageTokens", "prepareImage",
  "VisualReasoningError", "ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError",
  "initSync", "default",
];
const EXTRA_VALUES_ALLOWED = [];
const API_TYPES = ["Region", "Protocol", "ClientOptions", "ContentItem", "Message", "RequestOptions", "Usage", "Part", "Result", "ModelInfo", "ErrorName"];
// Named types of the package's own: what init() takes, what prepareImage
// resolves, what an error class's constructor takes.
// (Every parameter and result type has a name, so editors show its docs.)
const OWN_TYPES = [
  "InitInput", "InitOptions", "InitSyncOptions", "PreparedImage", "PrepareImageOptions", "ImageTokenOptions",
  "CompleteOptions", "ConversationOptions", "FinishReason", "VisualReasoningErrorOptions",
];

/** Strips comments so that prose ("any text") is not mistaken for the `any` type. */
function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
}

test("a strict consumer compiles against pkg/visual_reasoning.d.ts", () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  try {
    execFileSync(tsc, ["-p", path.join(HERE, "tsconfig.json"), "--strict", "--noEmit"], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc --strict --noEmit failed:\n${e.stdout}${e.stderr}`);
  }
});

test("a consumer with no lib setting (target ES2022, skipLibCheck false) compiles: no ESNext.Disposable needed", () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  try {
    execFileSync(tsc, ["-p", path.join(HERE, "tsconfig.nolib.json")], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

test("no wasm internals in the public declarations (free, dispose, raw exports, __ members)", () => {
  const src = stripComments(readFileSync(DTS, "utf8"));
  for (const bad of [/\bfree\s*\(/, /Symbol\.dispose/, /\bInitOutput\b/, /\bClientCore\b/, /\bStreamCore\b/, /\b__\w+/, /\bPartIterator\b/]) {
    assert.doesNotMatch(src, bad, `the .d.ts mentions ${bad}`);
  }
});

/** Lines containing the `any` type, comments stripped. */
function anyLines(file, text) {
  const hits = [];
  stripComments(text)
    .split("\n")
    .forEach((line, i) => {
      if (/\bany\b/.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  return hits;
}

test("no `any` anywhere in pkg/*.d.ts (the .wasm subpath's raw declarations included)", () => {
  const files = readdirSync(PKG).filter((f) => f.endsWith(".d.ts") && f.startsWith("visual_reasoning"));
  assert.ok(files.includes("visual_reasoning.d.ts"), `pkg/ has ${files.join(", ")}`);
  const hits = files.flatMap((f) => anyLines(f, readFileSync(path.join(PKG, f), "utf8")));
  assert.deepEqual(hits, [], "no any in the published .d.ts files");
});

test("exports of visual_reasoning.d.ts match API.md's allowlist", (t) => {
  const sf = ts.createSourceFile(DTS, readFileSync(DTS, "utf8"), ts.ScriptTarget.Latest, true);
  const values = [];
  const types = [];
  const isExported = (n) => n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const isDefault = (n) => n.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  for (const n of sf.statements) {
    if (ts.isExportAssignment(n)) values.push("default");
    else if (ts.isExportDeclaration(n)) {
      for (const el of n.exportClause?.elements ?? []) (n.isTypeOnly || el.isTypeOnly ? types : values).push(el.name.text);
      if (!n.exportClause) values.push("export * (unlisted)");
    } else if (!isExported(n)) continue;
    else if (isDefault(n)) values.push("default");
    else if (ts.isClassDeclaration(n) || ts.isFunctionDeclaration(n) || ts.isEnumDeclaration(n)) values.push(n.name.text);
    else if (ts.isVariableStatement(n)) for (const d of n.declarationList.declarations) values.push(d.name.getText(sf));
    else if (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) types.push(n.name.text);
  }
  for (const name of API_VALUES) assert.ok(values.includes(name), `API.md export ${name} is missing from the .d.ts`);
  for (const name of API_TYPES) assert.ok(types.includes(name), `API.md type ${name} is missing from the .d.ts`);
  const unexpected = [...new Set(values)].filter((v) => !API_VALUES.includes(v) && !EXTRA_VALUES_ALLOWED.includes(v));
  assert.deepEqual(unexpected, [], "exported classes/functions beyond API.md (each one is public surface and size)");
  const extraTypes = types.filter((t) => !API_TYPES.includes(t) && !OWN_TYPES.includes(t));
  assert.deepEqual(extraTypes, [], "exported types beyond API.md and the package's own list");
});

test("the JS module's runtime exports match the .d.ts allowlist", async () => {
  const mod = await import(new URL(`file://${path.join(PKG, "visual_reasoning.js")}`).href);
  const names = Object.keys(mod).sort();
  for (const name of API_VALUES) assert.ok(names.includes(name), `runtime export ${name} missing`);
  const unexpected = names.filter((n) => !API_VALUES.includes(n) && !EXTRA_VALUES_ALLOWED.includes(n));
  assert.deepEqual(unexpected, [], "runtime exports beyond API.md");
  assert.equal(typeof mod.default, "function", "the default export is init");
});

test("pkg/package.json: name, module type, exports, types, files, sideEffects", () => {
  const pj = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  const cargo = readFileSync(path.join(ROOT, "Cargo.toml"), "utf8");
  const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
  assert.equal(pj.name, "visual-reasoning");
  assert.equal(pj.version, version, "version from Cargo.toml");
  assert.equal(pj.type, "module");
  assert.equal(pj.license, "MIT OR Apache-2.0");
  assert.ok(pj.exports, "exports");
  const root = pj.exports["."] ?? pj.exports;
  const flat = JSON.stringify(root);
  assert.ok(flat.includes("visual_reasoning.js"), `exports["."] points at visual_reasoning.js: ${flat}`);
  assert.ok(pj.types?.includes("visual_reasoning.d.ts") || flat.includes("visual_reasoning.d.ts"), "types");
  assert.ok(Array.isArray(pj.files), "files");
  for (const f of ["visual_reasoning.js", "visual_reasoning_bg.wasm", "visual_reasoning.d.ts"]) {
    assert.ok(pj.files.some((p) => p === f || (p.includes("*") && new RegExp(`^${p.replace(/\./g, "\\.").replace(/\*/g, ".*")}$`).test(f))), `files lists ${f}`);
  }
  assert.ok(pj.sideEffects === false || Array.isArray(pj.sideEffects), `sideEffects is false or a list: ${JSON.stringify(pj.sideEffects)}`);
  if (Array.isArray(pj.sideEffects)) {
    assert.ok(!pj.sideEffects.some((p) => p.includes("visual_reasoning.js")), "the main module is side-effect free");
  }
});

// The text of a node's doc comment ("" when it has none).
function docText(node) {
  return ts
    .getJSDocCommentsAndTags(node)
    .filter((d) => ts.isJSDoc(d))
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
    .join("")
    .trim();
}

/**
 * Every exported declaration of `file` and every member in it (interface
 * and class members, the fields of object types inside type aliases and
 * members, at any depth) that has no doc comment, as "Owner.member".
 */
function undocumented(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const missing = [];
  const seen = new Set();
  const name = (n) => (n.name ? n.name.getText(sf) : ts.isConstructorDeclaration(n) ? "constructor" : ts.SyntaxKind[n.kind]);
  const typeMembers = (owner, type) => {
    if (!type) return;
    if (ts.isTypeLiteralNode(type)) members(owner, type.members);
    else if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) type.types.forEach((t) => typeMembers(owner, t));
    else if (ts.isArrayTypeNode(type)) typeMembers(owner, type.elementType);
    else if (ts.isParenthesizedTypeNode(type)) typeMembers(owner, type.type);
  };
  const members = (owner, list) => {
    for (const m of list) {
      const path = `${owner}.${name(m)}`;
      seen.add(path);
      if (!docText(m)) missing.push(path);
      typeMembers(path, m.type);
    }
  };
  for (const n of sf.statements) {
    if (!n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const owner = n.name?.text ?? "default";
    seen.add(owner);
    if (!docText(n)) missing.push(owner);
    if (ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n)) members(owner, n.members);
    else if (ts.isTypeAliasDeclaration(n)) typeMembers(owner, n.type);
  }
  return { missing, seen };
}

test("a doc comment on every declaration, option, field, method and class of the public .d.ts (editors show them on hover)", () => {
  const { missing, seen } = undocumented(DTS);
  // The ones issue 14 names, so that a rename cannot make this vacuous.
  for (const required of [
    "ClientOptions.apiKey", "ClientOptions.dangerouslyAllowBrowser", "RequestOptions.model", "RequestOptions.extra",
    "Part.type", "Part.text", "Part.usage", "Usage.inputTokens", "Usage.raw", "Result.finishReason", "Result.requestId",
    "ReasoningStream.reasoning", "ReasoningStream.result", "ReasoningStream.abort", "ReasoningStream.tee",
    "ReasoningStream.[Symbol.asyncIterator]", "Conversation.messages", "Conversation.send", "Client.stream",
  ]) {
    assert.ok(seen.has(required), `${required} is among the checked members (have ${[...seen].join(", ")})`);
  }
  assert.deepEqual(missing, [], "declarations and members without a /** */ doc comment");
});

test("the check above fails on an undocumented member (it is not vacuous)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vr-types-"));
  try {
    const file = path.join(dir, "x.d.ts");
    writeFileSync(
      file,
      `/** A. */
export interface A {
  /** b */
  b: string;
  c: number;
  d: {
    /** e */
    e: 1;
    f: 2;
  };
}
/** P. */
export type P =
  | {
      /** t */
      t: "x";
      u: string;
    }
  | {
      /** v */
      v: 1;
    };
/** C. */
export class C {
  /** m */
  m(): void;
  n(): void;
  private constructor();
}
export function g(): void;`,
    );
    assert.deepEqual(undocumented(file).missing.sort(), ["A.c", "A.d", "A.d.f", "C.constructor", "C.n", "P.u", "g"].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("visual-reasoning/auto's declarations are the main module's (a strict consumer compiles against pkg/auto.d.ts)", () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  try {
    execFileSync(tsc, ["-p", path.join(HERE, "tsconfig.auto.json")], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
