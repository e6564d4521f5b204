// The client in Cloudflare's Workers runtime (npm `workerd`). A Worker is
// built the way wrangler builds one: esbuild bundles it with the export
// conditions ["workerd", "worker", "browser"], and every imported `.wasm`
// stays a separate module that the runtime hands over compiled (a
// WebAssembly.Module). Two Workers: `visual-reasoning/auto` (resolved to
// auto-workerd.js by the "workerd" condition) and the main entry given the
// imported module. Each runs the scenarios (scenarios.mjs) against the mock.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { spawnServer } from "../relay/support.mjs";
import { WORKERD, freePort } from "../relay/targets.mjs";
import { bundleWorker as bundle, checkScenarios, installPacked } from "./support.mjs";

let project;
let mock;
let server;
const workers = {};

before(async () => {
  project = installPacked("workerd");
  mock = await startMock({ allowNoOrigin: true });
  const names = ["auto", "plain"];
  const ports = [];
  while (ports.length < names.length) {
    const p = await freePort(); // workerd cannot be told port 0
    if (!ports.includes(p)) ports.push(p);
  }
  const defs = [];
  for (const name of names) {
    const { out, wasm } = await bundle(`worker-${name}.mjs`, project.dir);
    const modules = [`(name = "${out}", esModule = embed "${out}")`];
    for (const [m, file] of wasm) modules.push(`(name = "${m}", wasm = embed "${path.relative(project.dir, file)}")`);
    defs.push(`const ${name} :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2025-09-01",
  globalOutbound = "loopback",
);`);
    workers[name] = { url: `http://127.0.0.1:${ports[names.indexOf(name)]}`, wasm: [...wasm.keys()] };
  }
  writeFileSync(
    path.join(project.dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${names.map((n) => `(name = "${n}", worker = .${n})`).join(", ")},
    # The mock is on loopback: allow it (the default allows public addresses only).
    (name = "loopback", network = (allow = ["public", "local", "private"]))],
  sockets = [${names.map((n, i) => `(name = "${n}", address = "127.0.0.1:${ports[i]}", http = (), service = "${n}")`).join(", ")}],
);
${defs.join("\n")}
`,
  );
  // workerd prints no line when it listens: wait until a Worker answers.
  server = await spawnServer(WORKERD, ["serve", path.join(project.dir, "config.capnp")], { ready: null, probe: `${workers.plain.url}/ping` });
});
after(async () => {
  await server?.stop();
  await mock?.stop();
  project?.remove();
});

/** Asks a Worker to run the scenarios; its JSON. */
async function inWorker(name, query) {
  const res = await fetch(`${workers[name].url}/?${new URLSearchParams(query)}`);
  const text = await res.text();
  assert.equal(res.status, 200, `${name} Worker: ${text}\n${server.output()}`);
  return JSON.parse(text);
}

test("each Worker's bundle imports the SIMD .wasm as a module (the auto entry resolved to auto-workerd.js)", () => {
  assert.deepEqual(workers.auto.wasm, ["visual_reasoning_bg.wasm"]);
  assert.deepEqual(workers.plain.wasm, ["visual_reasoning_bg.wasm"]);
});

test("workerd, init() with no argument: an Error saying where the .wasm must come from", async () => {
  // Before the plain Worker's init({ module_or_path }) below: once loaded, init() resolves.
  const r = await inWorker("plain", { noinit: "1" });
  assert.match(String(r.message), /cannot tell where its \.wasm is \(this module's import\.meta\.url is undefined\)/);
  assert.match(r.message, /visual-reasoning\/auto/);
});

for (const name of ["auto", "plain"]) {
  test(`workerd, ${name === "auto" ? "visual-reasoning/auto" : "the main entry and init({ module_or_path })"}: streams to the end, aborts, ApiError, the error classes`, async () => {
    const tag = `workerd-${name}-${Date.now().toString(36)}`;
    await checkScenarios(await inWorker(name, { mock: mock.url, tag }), { mock, tag, runtime: `workerd (${name})` });
  });
}

