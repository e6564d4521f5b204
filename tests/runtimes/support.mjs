// Shared by the runtime tests: the packed package installed into a fresh
// project (what a user's project has), the mock, and the assertions on what
// scenarios.mjs reports from inside a runtime.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
const PKG = path.join(ROOT, "pkg");

/**
 * `npm pack pkg/`, installed into a new project (offline: the package has
 * no dependencies) with this folder's scripts beside it. Returns its
 * directory and a remover.
 */
export function installPacked(label) {
  const dir = mkdtempSync(path.join(tmpdir(), `vr-${label}-`));
  const env = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  const run = (args) => {
    try {
      return execFileSync("npm", args, { cwd: dir, env, encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      throw new Error(`npm ${args.join(" ")} failed in ${dir}:\n${e.stdout}\n${e.stderr}`);
    }
  };
  const [info] = JSON.parse(run(["pack", PKG, "--pack-destination", dir, "--json"]));
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: `vr-${label}`, private: true, type: "module", dependencies: { "visual-reasoning": `file:./${info.filename}` } }),
  );
  run(["install", "--offline", "--no-package-lock"]);
  for (const f of ["scenarios.mjs", "cli.mjs", "worker-auto.mjs", "worker-plain.mjs"]) copyFileSync(path.join(HERE, f), path.join(dir, f));
  return { dir, tarball: info.filename, remove: () => process.env.KEEP_RUNTIME_TMP || rmSync(dir, { recursive: true, force: true }) };
}

/** The mock's records for one X-Mock-Id, once none is pending (or after `timeoutMs`). */
export async function settled(mock, id, timeoutMs = 8000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const recs = (await mock.requests()).filter((r) => r.mockId === id);
    if ((recs.length && recs.every((r) => r.outcome !== "pending")) || Date.now() > end) return recs;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What every runtime must report (scenarios.mjs), and how the mock saw the aborted connection. */
export async function checkScenarios(r, { mock, tag, runtime }) {
  for (const protocol of ["openai", "dashscope"]) {
    const s = r[protocol];
    assert.ok(s, `${runtime} ${protocol}: ${JSON.stringify(r).slice(0, 500)}`);
    assert.deepEqual(s.types, ["reasoning", "answer", "usage"], `${runtime} ${protocol}: parts in order`);
    assert.equal(s.usageParts, 1);
    assert.ok(s.reasoning > 0 && s.answer > 0, `${runtime} ${protocol}: text`);
    assert.equal(s.same, true, "the parts add up to the live texts and the result");
    assert.equal(s.finishReason, "stop");
    assert.ok(s.requestId, "requestId");
    assert.ok(Number.isInteger(s.outputTokens) && s.outputTokens > 0, "usage");
    const [rec] = await settled(mock, `${tag}-end-${protocol}`);
    assert.equal(rec?.outcome, "completed");
  }

  assert.equal(r.abort.first, "reasoning", JSON.stringify(r.abort));
  const a = r.abort.error;
  assert.ok(a, `${runtime}: abort() made the loop throw: ${JSON.stringify(r.abort)}`);
  assert.equal(a.name, "AbortError");
  assert.deepEqual(a.instanceOf, ["VisualReasoningError", "AbortError"], "instanceof its class and the base class only");
  assert.deepEqual(a.isInstance, ["VisualReasoningError", "AbortError"]);
  assert.equal(a.isError, true);
  assert.equal(a.retryable, false);
  assert.ok(a.partial?.reasoning > 0, "the text so far is kept");
  const [rec] = await settled(mock, `${tag}-abort`);
  assert.equal(rec?.outcome, "disconnected", `${runtime}: the mock saw the connection close`);

  const e = r.api;
  assert.equal(e.name, "ApiError", JSON.stringify(e));
  assert.deepEqual(e.instanceOf, ["VisualReasoningError", "ApiError"]);
  assert.deepEqual(e.isInstance, ["VisualReasoningError", "ApiError"]);
  assert.equal(e.isError, true);
  assert.equal(e.status, 429);
  assert.equal(e.code, "Throttling.RateQuota");
  assert.equal(e.retryable, true);

  const v = r.invalid;
  assert.equal(v.name, "InvalidRequestError", JSON.stringify(v));
  assert.deepEqual(v.instanceOf, ["VisualReasoningError", "InvalidRequestError"]);
  assert.equal(v.isError, true);
  assert.match(v.message, /enableThinking|thinking/i);
}


/**
 * Bundles the Worker `entry` (in `dir`) as wrangler does: esbuild with the
 * export conditions ["workerd", "worker", "browser"], every imported
 * `.wasm` left as a module of its own (workerd hands it over as a compiled
 * WebAssembly.Module). Returns the bundle's file name and the .wasm
 * modules it imports (module name -> file).
 */
export async function bundleWorker(entry, dir) {
  const wasm = new Map();
  const out = `${path.basename(entry, ".mjs")}.bundle.js`;
  await build({
    entryPoints: [path.join(dir, entry)],
    outfile: path.join(dir, out),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "warning",
    plugins: [
      {
        name: "wasm-modules",
        setup(b) {
          b.onResolve({ filter: /\.wasm$/ }, async (args) => {
            if (args.pluginData?.inner) return undefined;
            const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } });
            if (r.errors.length) return { errors: r.errors };
            const name = path.basename(r.path);
            wasm.set(name, r.path);
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  return { out, wasm };
}
