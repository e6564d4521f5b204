// The `visual-reasoning/relay` entries of pkg/ (called by scripts/build.sh;
// runs alone too: `node scripts/build-relay.mjs`):
//   relay.js       createRelay, memoryStore   (the fetch handler; 8 KB gzip budget)
//   relay-node.js  toNodeListener, createNodeServer (node:http adapter)
//   relay-cli.js   the `visual-reasoning-relay-js` bin
// each minified by esbuild without bundling (relay-node.js and
// relay-cli.js import ./relay.js as is), plus their .d.ts. Prints raw and
// gzip -9 sizes and fails when relay.js is over its budget.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "js", "relay");
const OUT = path.join(ROOT, process.argv[2] ?? "pkg");
const BUDGET_GZ = 8 * 1024;

mkdirSync(OUT, { recursive: true });
const esbuild = path.join(ROOT, "node_modules", ".bin", "esbuild");
for (const [file, platform] of [
  ["relay.js", "neutral"],
  ["relay-node.js", "node"],
  ["relay-cli.js", "node"],
]) {
  // No bundling: the three files stay three modules, so the CLI and the
  // adapter share the one relay.js a user imports. Names are kept for
  // readable stack traces in server logs.
  execFileSync(
    esbuild,
    [path.join(SRC, file), "--format=esm", `--platform=${platform}`, "--minify-whitespace", "--minify-syntax", "--target=es2022", `--outfile=${path.join(OUT, file)}`, "--log-level=warning"],
    { stdio: "inherit" },
  );
}
chmodSync(path.join(OUT, "relay-cli.js"), 0o755);
for (const f of ["relay.d.ts", "relay-node.d.ts"]) copyFileSync(path.join(SRC, f), path.join(OUT, f));

const kb = (n) => (n / 1024).toFixed(1).padStart(6) + " KB";
console.log("relay entries (raw / gzip -9):");
let over = false;
for (const f of ["relay.js", "relay-node.js", "relay-cli.js"]) {
  const raw = readFileSync(path.join(OUT, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  const note = f === "relay.js" ? (gz > BUDGET_GZ ? `  OVER the ${BUDGET_GZ / 1024} KB budget` : `  (budget ${BUDGET_GZ / 1024} KB)`) : "";
  if (f === "relay.js" && gz > BUDGET_GZ) over = true;
  console.log(`  ${f.padEnd(14)}${kb(raw.length)} /${kb(gz)}${note}`);
}
if (over) {
  console.error("SIZE: pkg/relay.js is over its 8 KB gzip budget");
  process.exit(1);
}
