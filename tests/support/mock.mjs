// Starts the relay binary in mock mode for tests (see relay/README.md, "Mock
// mode"). Builds nothing: a missing binary is a clear error,
// because a silent rebuild inside a test run would hide which binary ran.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const RELAY_BINARY =
  process.env.VISUAL_REASONING_RELAY ??
  path.join(ROOT, "relay", "target", "release", "visual-reasoning-relay");

/**
 * @param {{ origins?: string[], allowNoOrigin?: boolean, staticDir?: string,
 *           tokensPerSecond?: number, args?: string[], timeoutMs?: number }} [options]
 * @returns {Promise<{ url: string, port: number, process: import("node:child_process").ChildProcess,
 *           stderr: () => string, requests: () => Promise<any[]>, clear: () => Promise<void>,
 *           stop: () => Promise<void> }>}
 */
export async function startMock(options = {}) {
  const {
    origins = [],
    allowNoOrigin = false,
    staticDir,
    tokensPerSecond = 0,
    args = [],
    timeoutMs = 15_000,
  } = options;
  if (!existsSync(RELAY_BINARY)) {
    throw new Error(
      `mock.mjs: relay binary not found at ${RELAY_BINARY}; build it with ` +
        "`cargo build --release --manifest-path relay/Cargo.toml` " +
        "(or set VISUAL_REASONING_RELAY to its path)",
    );
  }
  const argv = ["--mock", "--listen", "127.0.0.1:0", "--tokens-per-second", String(tokensPerSecond)];
  for (const o of origins) argv.push("--allow-origin", o);
  if (allowNoOrigin) argv.push("--allow-no-origin");
  if (staticDir) argv.push("--static", staticDir);
  argv.push(...args);

  const child = spawn(RELAY_BINARY, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    // Keep only the tail: a long test run logs one line per request.
    stderr = (stderr + d).slice(-64 * 1024);
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mock.mjs: no "listening on" line within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`mock.mjs: cannot start ${RELAY_BINARY}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mock.mjs: relay exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });

  let stopped = false;
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    stderr: () => stderr,
    async requests() {
      const res = await fetch(`${url}/__mock/requests`);
      if (!res.ok) throw new Error(`mock.mjs: GET /__mock/requests -> ${res.status}`);
      return res.json();
    },
    async clear() {
      const res = await fetch(`${url}/__mock/requests`, { method: "DELETE" });
      if (!res.ok) throw new Error(`mock.mjs: DELETE /__mock/requests -> ${res.status}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        // Graceful shutdown waits for open streams; don't let a test hang on one.
        const t = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
