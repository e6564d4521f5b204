// pkg/relay.d.ts, pkg/relay-node.d.ts and pkg/relay-redis.d.ts: a strict consumer compiles (and
// misuse fails where it should), no `any`, and a /** */ comment on every
// option of RelayOptions and every method of RelayStore.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { PKG, ROOT } from "./targets.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));

test("a strict TypeScript consumer compiles against the relay's .d.ts", () => {
  try {
    execFileSync(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", path.join(HERE, "types", "tsconfig.json")], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

for (const file of ["relay.d.ts", "relay-node.d.ts", "relay-redis.d.ts"]) {
  test(`${file}: no \`any\`, and every member documented`, () => {
    const text = readFileSync(path.join(PKG, file), "utf8");
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
    assert.ok(!/\bany\b/.test(code), "no `any`");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const undocumented = [];
    const visit = (node) => {
      if ((ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isFunctionDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && node.name) {
        if (!ts.getJSDocCommentsAndTags(node).length) undocumented.push(node.name.getText(source));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    assert.deepEqual(undocumented, [], `members without a /** */ comment: ${undocumented.join(", ")}`);
  });
}
