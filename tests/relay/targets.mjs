// The relays the conformance suite runs against, each started from one
// set of options (createRelay's names): the Rust binary and the JS
// launcher with the equivalent flags, and the JS handler inside Deno, Bun
// and workerd through the small servers in servers/. What each cannot do
// is in `lacks`, by name, with the reason; the suite asserts what happens
// instead.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, renameSync, writeFileSync, rmSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { KEY, spawnServer } from "./support.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const PKG = path.join(ROOT, "pkg");
export const RELAY_BINARY =
  process.env.VISUAL_REASONING_RELAY ?? path.join(ROOT, "relay", "target", "release", "visual-reasoning-relay");
const require = createRequire(import.meta.url);

/** createRelay options -> the launchers' flags (the tests' defaults: no per-client limits, as in relay/tests). */
export function flags(o) {
  const a = ["--listen", "127.0.0.1:0"];
  if (o.upstream) a.push("--upstream", o.upstream);
  if (o.region) a.push("--region", o.region);
  for (const x of o.allowOrigins ?? []) a.push("--allow-origin", x);
  if (o.allowNoOrigin) a.push("--allow-no-origin");
  if (o.clientToken) a.push("--client-token", o.clientToken);
  for (const x of o.tokenSecrets ?? []) a.push("--token-secret", x);
  if (o.dailyTokenBudget !== undefined) a.push("--daily-token-budget", String(o.dailyTokenBudget));
  if (o.perClientDailyTokens !== undefined) a.push("--per-client-daily-tokens", String(o.perClientDailyTokens));
  if (o.budgetWindowSeconds !== undefined) a.push("--budget-window-seconds", String(o.budgetWindowSeconds));
  if (o.budgetStoreFail !== undefined) a.push("--budget-store-fail", o.budgetStoreFail);
  if (o.redisUrl !== undefined) a.push("--redis-url", o.redisUrl);
  if (o.metricsListen !== undefined) a.push("--metrics-listen", o.metricsListen);
  for (const m of o.allowModels ?? []) a.push("--allow-model", m);
  if (o.maxTokens !== undefined) a.push("--max-tokens", String(o.maxTokens));
  if (o.maxBodyBytes !== undefined) a.push("--max-body-bytes", String(o.maxBodyBytes));
  if (o.upstreamTimeoutMs !== undefined) a.push("--upstream-timeout", String(Math.ceil(o.upstreamTimeoutMs / 1000)));
  if (o.bodyTimeoutMs !== undefined) a.push("--body-timeout", String(Math.ceil(o.bodyTimeoutMs / 1000)));
  if (o.headerTimeoutMs !== undefined) a.push("--header-timeout", String(Math.ceil(o.headerTimeoutMs / 1000)));
  if (o.maxConnectionsPerIp !== undefined) a.push("--max-connections-per-ip", String(o.maxConnectionsPerIp));
  a.push("--rate-limit", String(o.rateLimit ?? 0));
  a.push("--max-streams-per-ip", String(o.maxStreamsPerClient ?? 0));
  if (o.trustForwardedFor) a.push("--trust-forwarded-for");
  if (o.staticDir) a.push("--static", o.staticDir);
  if (o.shutdownGraceSeconds !== undefined) a.push("--shutdown-grace", String(o.shutdownGraceSeconds));
  return a;
}

/** The options the JS servers get (the key travels separately, in the environment). */
function jsOptions(o) {
  const { apiKey, headerTimeoutMs, maxConnectionsPerIp, shutdownGraceSeconds, redisUrl, metricsListen, env, ...rest } = o;
  return { rateLimit: 0, maxStreamsPerClient: 0, ...rest };
}

/** A free loopback port, for servers that cannot be told port 0 (workerd). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A binary shipped inside an npm platform package (no install script needed). */
function npmBinary(pkg, rel) {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
  } catch {
    return path.join(ROOT, "node_modules", pkg, rel);
  }
}

export const DENO = npmBinary("@deno/linux-x64-glibc", "deno");
export const BUN = npmBinary("@oven/bun-linux-x64", "bin/bun");
export const WORKERD = npmBinary("@cloudflare/workerd-linux-64", "bin/workerd");

const pkgFile = (f) => {
  const p = path.join(PKG, f);
  if (!existsSync(p)) throw new Error(`${p} is missing: build the package first (bash scripts/build.sh)`);
  return p;
};

/**
 * examples/nextjs as a user would set it up: copied to a temporary folder,
 * the package installed from `npm pack ./pkg`, `next build`; then one
 * `next start` per relay configuration (options through VR_RELAY_OPTIONS).
 */
let nextApp;
export async function buildNextApp() {
  if (nextApp) return nextApp;
  const dir = mkdtempSync(path.join(tmpdir(), "vr-nextjs-"));
  const src = path.join(ROOT, "examples", "nextjs");
  cpSync(src, dir, { recursive: true, filter: (f) => !/[/\\](node_modules|\.next)$|visual-reasoning\.tgz$/.test(f) });
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  const packed = JSON.parse(execFileSync("npm", ["pack", PKG, "--pack-destination", dir, "--json"], { cwd: dir, env, encoding: "utf8" }));
  renameSync(path.join(dir, packed[0].filename), path.join(dir, "visual-reasoning.tgz"));
  const run = (cmd, args) => {
    try {
      execFileSync(cmd, args, { cwd: dir, env, encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      throw new Error(`${cmd} ${args.join(" ")} failed in ${dir}:\n${e.stdout}\n${e.stderr}`);
    }
  };
  // scripts/setup.sh put the lockfile's packages in npm's cache.
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"]);
  run(process.execPath, ["node_modules/next/dist/bin/next", "build"]);
  nextApp = dir;
  return dir;
}

export function removeNextApp() {
  if (nextApp && !process.env.KEEP_NEXT_TMP) rmSync(nextApp, { recursive: true, force: true });
  nextApp = undefined;
}

const keyEnv = (o) => ({ DASHSCOPE_API_KEY: o.apiKey ?? KEY, ...o.env });
/** Deno and Bun servers: redisStore from pkg/relay-redis.js when the options name a Redis. */
const redisEnv = (o) => (o.redisUrl ? { RELAY_REDIS_URL: o.redisUrl, RELAY_REDIS_MODULE: pkgFile("relay-redis.js") } : {});

/**
 * The JS relay as a Worker in workerd, the key from the Worker's env:
 * `bundled` as wrangler deploys it (one module), else the package's files
 * as separate modules.
 */
function workerdTarget(bundled) {
  return {
    name: bundled ? "workerd" : "workerd (unbundled modules)",
    mintPath: "/__test/mint",
    lacks: {
      rawTarget: "workerd hands the Worker a parsed URL: dot segments and encoded dots are already resolved, so they cannot be refused with 400",
      earlyCancel:
        "does not tell a Worker that its client left while the Worker awaits the upstream's response headers (request.signal does not fire): the upstream request runs until upstreamTimeoutMs; once the reply streams, a client that leaves cancels it",
      silentCancel:
        "tells a Worker that its client left only when the response is next written: a stream whose upstream is silent (a model thinking quietly) is settled against the budget when the upstream next sends something (even a keep-alive comment) or ends",
      peerAddress:
        "a Worker is given no peer address (on Cloudflare the CF-Connecting-IP header carries it; the relay's clientId option reads it): without clientId or trustForwardedFor all callers share one limit",
    },
    async start(o) {
      const dir = mkdtempSync(path.join(tmpdir(), "vr-workerd-"));
      for (const f of ["relay.js", "relay-spend.js"]) copyFileSync(pkgFile(f), path.join(dir, f));
      copyFileSync(path.join(HERE, "servers", "worker.mjs"), path.join(dir, "worker.js"));
      const modules = bundled ? ["worker.js"] : ["worker.js", "relay.js", "relay-spend.js"];
      if (bundled) {
        // What wrangler does to a Worker: one ES module, bundled by esbuild
        // with the Workers conditions (the import() of relay-spend.js inlined).
        execFileSync(
          path.join(ROOT, "node_modules", ".bin", "esbuild"),
          [path.join(dir, "worker.js"), "--bundle", "--format=esm", "--platform=neutral", "--conditions=workerd,worker,browser", "--target=es2022", "--log-level=warning", "--allow-overwrite", `--outfile=${path.join(dir, "worker.js")}`],
          { stdio: "inherit" },
        );
      }
      const port = await freePort();
      writeFileSync(
        path.join(dir, "config.capnp"),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .relay),
    # The test upstream is on loopback: allow it (the default allows public addresses only).
    (name = "upstream", network = (allow = ["public", "local", "private"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const relay :Workerd.Worker = (
  modules = [${modules.map((m) => `(name = "${m}", esModule = embed "${m}")`).join(", ")}],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["enable_request_signal"],
  bindings = [
    (name = "DASHSCOPE_API_KEY", fromEnvironment = "DASHSCOPE_API_KEY"),
    (name = "RELAY_OPTIONS", text = ${JSON.stringify(JSON.stringify(jsOptions(o)))}),
    (name = "VR_TEST_MINT_SECRET", text = ${JSON.stringify(o.env?.VR_TEST_MINT_SECRET ?? "")}),
  ],
  globalOutbound = "upstream",
);
`,
      );
      // workerd prints no line when it listens: wait for the port to answer.
      const server = await spawnServer(WORKERD, ["serve", path.join(dir, "config.capnp"), "--verbose"], {
        env: keyEnv(o),
        ready: null,
        probe: `http://127.0.0.1:${port}/healthz`,
      });
      server.url = `http://127.0.0.1:${port}`;
      const stop = server.stop;
      server.stop = async () => {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      };
      return server;
    },
  };
}

export const TARGETS = {
  rust: {
    name: "rust",
    metrics: true,
    launcher: true,
    lacks: {},
    start(o) {
      if (!existsSync(RELAY_BINARY)) throw new Error(`no relay binary at ${RELAY_BINARY}: cargo build --release --manifest-path relay/Cargo.toml`);
      return spawnServer(RELAY_BINARY, flags(o), { env: keyEnv(o) });
    },
  },
  node: {
    name: "node",
    launcher: true,
    lacks: {},
    start(o) {
      return spawnServer(process.execPath, [pkgFile("relay-cli.js"), ...flags(o)], { env: keyEnv(o) });
    },
  },
  deno: {
    name: "deno",
    mintPath: "/__test/mint",
    lacks: {
      rawTarget: "Deno.serve hands the handler a parsed URL: dot segments and encoded dots are already resolved, so they cannot be refused with 400",
    },
    start(o) {
      return spawnServer(
        DENO,
        ["run", "--quiet", "--no-prompt", "--allow-net=127.0.0.1", "--allow-env", `--allow-read=${PKG},${HERE}`, path.join(HERE, "servers", "deno.mjs")],
        { env: { ...keyEnv(o), ...redisEnv(o), RELAY_OPTIONS: JSON.stringify(jsOptions(o)), RELAY_MODULE: pkgFile("relay.js"), DENO_NO_UPDATE_CHECK: "1" } },
      );
    },
  },
  bun: {
    name: "bun",
    mintPath: "/__test/mint",
    lacks: {
      rawTarget: "Bun.serve hands the handler a parsed URL: dot segments and encoded dots are already resolved, so they cannot be refused with 400",
    },
    start(o) {
      return spawnServer(BUN, [path.join(HERE, "servers", "bun.mjs")], {
        env: { ...keyEnv(o), ...redisEnv(o), RELAY_OPTIONS: JSON.stringify(jsOptions(o)), RELAY_MODULE: pkgFile("relay.js"), BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
      });
    },
  },
  workerd: workerdTarget(true),
  // The package's files as separate modules, no bundler: workerd itself
  // resolves relay.js's import() of relay-spend.js.
  workerdModules: workerdTarget(false),

  nextjs: {
    name: "nextjs",
    prefix: "/api/relay",
    lacks: {
      rawTarget:
        "Next.js hands a route handler a parsed URL: dot segments and encoded dots are already resolved, so they cannot be refused with 400 (and it answers an absolute-form target with its own 308)",
      peerAddress:
        "a route handler is given no peer address: behind Vercel or a proxy that overwrites X-Forwarded-For set VR_TRUST_FORWARDED_FOR=1 (the example does on Vercel); without it all callers share one limit",
    },
    async start(o) {
      const dir = await buildNextApp();
      const port = await freePort();
      return spawnServer(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"], {
        cwd: dir,
        env: { ...keyEnv(o), NEXT_TELEMETRY_DISABLED: "1", VR_RELAY_OPTIONS: JSON.stringify(jsOptions(o)) },
        ready: null,
        probe: `http://127.0.0.1:${port}/api/relay/healthz`,
      });
    },
  },
};
