// The packed tarball through the two package linters npm users' tools
// trust: publint (package.json fields, exports, files) and
// @arethetypeswrong/cli (how each entry's types resolve under Node 16 ESM
// and bundlers). Both pinned devDependencies; no error, warning or
// suggestion is accepted.
//
// attw runs with `--profile esm-only`, which leaves out two resolutions:
// node16 from CommonJS (`require()` of an ES module: the package is ESM
// only, on purpose: it finds its .wasm through import.meta.url and the auto
// entry initialises with top-level await, neither of which CommonJS has;
// CommonJS code uses `await import("visual-reasoning")`) and TypeScript's
// `node10` resolution (it predates package.json `exports`; under it the
// main and auto entries still resolve, only `relay/node` does not). Every
// problem it finds must be in those two.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);
let dir;
let tarball;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "vr-lint-"));
  const [info] = JSON.parse(execFileSync("npm", ["pack", path.join(ROOT, "pkg"), "--pack-destination", dir, "--json"], { cwd: dir, encoding: "utf8" }));
  tarball = path.join(dir, info.filename);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a linter; its output whatever its exit status. */
function lint(cmd, args) {
  try {
    return { code: 0, out: execFileSync(cmd, args, { encoding: "utf8", stdio: "pipe", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } }) };
  } catch (e) {
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

test("publint --strict: no error, warning or suggestion", () => {
  const r = lint(bin("publint"), ["run", tarball, "--strict"]);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /Errors?:|Warnings?:|Suggestions?:/, r.out);
  assert.match(r.out, /All good!/, r.out);
});

test("@arethetypeswrong/cli --profile esm-only: every entry's types resolve for Node 16 ESM and bundlers", () => {
  const r = lint(bin("attw"), [tarball, "--profile", "esm-only", "--no-emoji"]);
  assert.equal(r.code, 0, r.out);
  const json = JSON.parse(lint(bin("attw"), [tarball, "--profile", "esm-only", "--format", "json"]).out);
  const entries = Object.keys(json.analysis.entrypoints);
  for (const e of [".", "./auto", "./element", "./element/react", "./element/preact", "./relay", "./relay/node", "./relay/redis"]) assert.ok(entries.includes(e), `attw checked ${e}: ${entries}`);
  const problems = Object.values(json.problems).flat();
  const kept = problems.filter((p) => !["node10", "node16-cjs"].includes(p.resolutionKind));
  assert.deepEqual(kept, [], "problems under node16 (ESM) or bundler resolution");
  // Nothing else hides among the ignored: ESM-only's one warning, and node10's
  // one gap: it has no exports map, so it finds no nested subpath (a/b).
  const ignored = [...new Set(problems.map((p) => `${p.kind} ${p.resolutionKind}${p.kind === "NoResolution" ? " " + p.entrypoint : ""}`))].sort();
  assert.deepEqual(ignored, [
    "CJSResolvesToESM node16-cjs",
    "NoResolution node10 ./element/preact",
    "NoResolution node10 ./element/react",
    "NoResolution node10 ./relay/node",
    "NoResolution node10 ./relay/redis",
  ]);
});
