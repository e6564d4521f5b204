// The client in Deno (npm `deno`): the packed package installed in a
// project, imported as a user would (`visual-reasoning/auto`; the main
// entry with a bare `await init()`, which reads the .wasm from disk), the
// scenarios (scenarios.mjs) against the mock.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startMock } from "../support/mock.mjs";
import { DENO } from "../relay/targets.mjs";
import { checkScenarios, installPacked } from "./support.mjs";

let project;
let mock;
before(async () => {
  project = installPacked("deno");
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
  project?.remove();
});

/** Runs cli.mjs in Deno with the given permissions; its JSON, or its failure. */
async function deno(entry, tag, permissions) {
  const env = { ...process.env, VR_ENTRY: entry, VR_MOCK: mock.url, VR_TAG: tag, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  try {
    const { stdout } = await promisify(execFile)(DENO, ["run", "--quiet", "--no-prompt", ...permissions, "cli.mjs"], { cwd: project.dir, env, timeout: 60_000 });
    return { result: JSON.parse(stdout) };
  } catch (e) {
    return { failed: `${e.message}\n${e.stdout}\n${e.stderr}`, stderr: String(e.stderr) };
  }
}

// What the npm README tells Deno users to grant: the network, and reading the package's files.
const GRANTED = ["--allow-net=127.0.0.1", "--allow-read", "--allow-env=VR_ENTRY,VR_MOCK,VR_TAG"];

for (const entry of ["auto", "plain"]) {
  test(`Deno, ${entry === "auto" ? "visual-reasoning/auto" : "the main entry and await init()"}: streams to the end, aborts, ApiError, the error classes`, async () => {
    const tag = `deno-${entry}-${Date.now().toString(36)}`;
    const r = await deno(entry, tag, GRANTED);
    assert.equal(r.failed, undefined, r.failed);
    await checkScenarios(r.result, { mock, tag, runtime: `Deno (${entry})` });
  });
}

test("Deno without read permission: init() says it could not read the .wasm, with Deno's own reason", async () => {
  const r = await deno("plain", "deno-noread", ["--allow-net=127.0.0.1", "--allow-env=VR_ENTRY,VR_MOCK,VR_TAG"]);
  assert.ok(r.failed, "it failed");
  assert.match(r.stderr, /visual-reasoning could not read its \.wasm at file:\/\/.*visual_reasoning_bg\.wasm/);
  assert.match(r.stderr, /--allow-read/);
  assert.ok(!r.stderr.includes(path.sep + "pkg" + path.sep), "the installed package's file, not the build's");
});
