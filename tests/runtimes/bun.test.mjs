// The client in Bun (npm `bun`): the packed package installed in a project,
// imported as a user would (`visual-reasoning/auto`; the main entry with a
// bare `await init()`, which reads the .wasm from disk), the scenarios
// (scenarios.mjs) against the mock.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startMock } from "../support/mock.mjs";
import { BUN } from "../relay/targets.mjs";
import { checkScenarios, installPacked } from "./support.mjs";

let project;
let mock;
before(async () => {
  project = installPacked("bun");
  mock = await startMock({ allowNoOrigin: true });
});
after(async () => {
  await mock?.stop();
  project?.remove();
});

for (const entry of ["auto", "plain"]) {
  test(`Bun, ${entry === "auto" ? "visual-reasoning/auto" : "the main entry and await init()"}: streams to the end, aborts, ApiError, the error classes`, async () => {
    const tag = `bun-${entry}-${Date.now().toString(36)}`;
    const env = { ...process.env, VR_ENTRY: entry, VR_MOCK: mock.url, VR_TAG: tag, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" };
    let stdout;
    try {
      ({ stdout } = await promisify(execFile)(BUN, ["cli.mjs"], { cwd: project.dir, env, timeout: 60_000 }));
    } catch (e) {
      assert.fail(`bun failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
    }
    await checkScenarios(JSON.parse(stdout), { mock, tag, runtime: `Bun (${entry})` });
  });
}
