// The conformance suite against the JavaScript relay on Node: pkg/'s
// `visual-reasoning-relay-js` launcher (createRelay + the node:http
// adapter), with the same flags as the Rust binary.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { conformance, launcherConformance } from "./conformance.mjs";
import { spendConformance, tokenCommand } from "./spend.mjs";
import { PKG, TARGETS } from "./targets.mjs";
import { KEY } from "./support.mjs";

conformance(TARGETS.node);
const spawnWith = async (args, env) => {
  const r = spawnSync(process.execPath, [path.join(PKG, "relay-cli.js"), ...args], {
    env: { ...process.env, DASHSCOPE_API_KEY: KEY, ...env },
    encoding: "utf8",
    timeout: 10_000,
  });
  return { code: r.status, output: r.stdout + r.stderr };
};
launcherConformance(TARGETS.node, { spawnWith });
spendConformance(TARGETS.node);
tokenCommand(TARGETS.node, spawnWith);
