// Node-only helpers the benchmark scripts share (not bundled for Chromium).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A build of the package (pkg/, or a copy of another build) loaded in this
 * process: its glue imported — as a module instance of its own when
 * `instance` is given, so builds at one path or side by side do not share
 * one — and its wasm instantiated at once.
 * @param {string} dir
 * @param {string} [instance]
 */
export async function loadBuild(dir, instance) {
  const abs = path.resolve(dir);
  const url = pathToFileURL(path.join(abs, "visual_reasoning.js")).href;
  const glue = await import(instance === undefined ? url : `${url}?${encodeURIComponent(instance)}`);
  const exports = glue.initSync({ module: readFileSync(path.join(abs, "visual_reasoning_bg.wasm")) });
  return { glue, exports };
}

/**
 * Contention on purpose: `n` busy-loop processes. Returns the function
 * that kills them, also called if this process exits first (a script
 * turns SIGINT into an exit).
 * @param {number} n
 */
export function busyLoops(n) {
  let hogs = Array.from({ length: n }, () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  const release = () => {
    for (const h of hogs) h.kill("SIGKILL");
    hogs = [];
    process.off("exit", release);
  };
  process.on("exit", release);
  return release;
}
