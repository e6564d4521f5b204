// The `visual-reasoning/relay` entries of pkg/ (called by scripts/build.sh;
// runs alone too: `node scripts/build-relay.mjs`):
//   relay.js       createRelay, memoryStore, mintClientToken (the fetch handler; 8 KB gzip budget)
//   relay-spend.js signed client tokens, budgets, the usage scanner: not an
//                  export; relay.js import()s it only when a relay has
//                  tokenSecrets or a budget option (or mints a token)
//   relay-node.js  toNodeListener, createNodeServer (node:http adapter)
//   relay-redis.js redisStore (a RelayStore in Redis; relay/redis/store.lua
//                  inlined, the Rust relay's script byte for byte)
//   relay-cli.js   the `visual-reasoning-relay-js` bin
// each minified by esbuild without bundling (relay-node.js and
// relay-cli.js import ./relay.js as is; relay.js import()s ./relay-spend.js),
// plus their .d.ts. Prints raw and gzip -9 sizes and fails when relay.js is
// over its 8 KB budget.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "js", "relay");
const OUT = path.join(ROOT, process.argv[2] ?? "pkg");
// Issue 12's budget for the entry a relay loads. Spending control (signed
// tokens, budgets, the usage scanner: issue 13) would take it to 8.7 KB, so
// it lives in relay-spend.js, loaded only by the relays that use it.
const BUDGET_GZ = 8 * 1024;

mkdirSync(OUT, { recursive: true });
const esbuild = path.join(ROOT, "node_modules", ".bin", "esbuild");
const lua = readFileSync(path.join(ROOT, "relay", "redis", "store.lua"), "utf8");
const defines = [
  `--define:VR_STORE_LUA=${JSON.stringify(lua)}`,
  `--define:VR_STORE_LUA_SHA1=${JSON.stringify(createHash("sha1").update(lua).digest("hex"))}`,
];
for (const [file, platform] of [
  ["relay.js", "neutral"],
  ["relay-spend.js", "neutral"],
  ["relay-node.js", "node"],
  ["relay-redis.js", "node"],
  ["relay-cli.js", "node"],
]) {
  // No bundling: the files stay separate modules, so the CLI and the
  // adapter share the one relay.js a user imports, and relay-spend.js stays
  // out of a relay that does not use it. Exported names stay;
  // local ones are shortened (the size budget below).
  execFileSync(
    esbuild,
    [path.join(SRC, file), "--format=esm", `--platform=${platform}`, "--minify", "--target=es2022", `--outfile=${path.join(OUT, file)}`, "--log-level=warning", ...(file === "relay-redis.js" ? defines : [])],
    { stdio: "inherit" },
  );
}
chmodSync(path.join(OUT, "relay-cli.js"), 0o755);
for (const f of ["relay.d.ts", "relay-node.d.ts", "relay-redis.d.ts"]) copyFileSync(path.join(SRC, f), path.join(OUT, f));

const kb = (n) => (n / 1024).toFixed(1).padStart(6) + " KB";
console.log("relay files (raw / gzip -9):");
let over = false;
const notes = {
  "relay-spend.js": "  import()ed by relay.js only with tokenSecrets or a budget option, or to mint",
};
for (const f of ["relay.js", "relay-spend.js", "relay-node.js", "relay-redis.js", "relay-cli.js"]) {
  const raw = readFileSync(path.join(OUT, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  const note = f === "relay.js" ? (gz > BUDGET_GZ ? `  OVER the ${BUDGET_GZ / 1024} KB budget` : `  (budget ${BUDGET_GZ / 1024} KB)`) : notes[f] ?? "";
  if (f === "relay.js" && gz > BUDGET_GZ) over = true;
  console.log(`  ${f.padEnd(15)}${kb(raw.length)} /${kb(gz)}${note}`);
}
if (over) {
  console.error(`SIZE: pkg/relay.js is over its ${BUDGET_GZ / 1024} KB gzip budget`);
  process.exit(1);
}
