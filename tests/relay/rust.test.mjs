// The conformance suite against the Rust relay binary (relay mode, in
// front of the Rust mock), and its launcher's behaviour.
import { spawnSync } from "node:child_process";
import { conformance, launcherConformance } from "./conformance.mjs";
import { spendConformance, tokenCommand } from "./spend.mjs";
import { RELAY_BINARY, TARGETS } from "./targets.mjs";
import { KEY } from "./support.mjs";

conformance(TARGETS.rust);
const spawnWith = async (args, env) => {
  const r = spawnSync(RELAY_BINARY, args, { env: { ...process.env, DASHSCOPE_API_KEY: KEY, ...env }, encoding: "utf8", timeout: 10_000 });
  return { code: r.status, output: r.stdout + r.stderr };
};
launcherConformance(TARGETS.rust, { spawnWith });
spendConformance(TARGETS.rust);
tokenCommand(TARGETS.rust, spawnWith);
