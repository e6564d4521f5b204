#!/usr/bin/env node
// visual-reasoning-relay-js: the JavaScript relay on Node, with the Rust
// relay's relay-mode flags (relay/README.md "Flags"; the mock and
// `transcript` stay in the Rust binary). Prints `listening on
// http://ADDR:PORT` on stdout, logs one line per request on stderr, and on
// SIGTERM/SIGINT stops accepting and lets open streams finish for
// --shutdown-grace seconds.
import { readFile, stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createRelay, mintClientToken } from "./relay.js";
import { createNodeServer, defaultMaxConnections } from "./relay-node.js";

const NAME = "visual-reasoning-relay-js";

const HELP = `${NAME}: the visual-reasoning relay on Node. It holds the Model Studio key
(DASHSCOPE_API_KEY, from the environment only) for browsers.

Usage: ${NAME} [flags]
       ${NAME} token --sub S --ttl SECS [--daily-tokens N]
                              mint a client token with RELAY_TOKEN_SECRET's first secret

  --listen ADDR               address to listen on (default 127.0.0.1:8787; port 0: any free port)
  --region intl|us|cn         the region host to forward to (default intl)
  --upstream URL              any base URL instead of the region's host
  --allow-origin ORIGIN       an origin whose pages may use the relay; repeatable ('*' refused)
  --allow-no-origin           also serve requests without an Origin header (servers, SDKs, curl)
  --client-token TOKEN        callers must send Authorization: Bearer TOKEN (also RELAY_CLIENT_TOKEN)
  --token-secret SECRET       accept client tokens signed with it; repeatable (all accepted,
                              for rotation); also RELAY_TOKEN_SECRET, comma-separated
  --daily-token-budget N      tokens the whole relay may spend per window (UTC day)
  --per-client-daily-tokens N tokens each client (token sub, else IP) may spend per window
  --budget-window-seconds S   budget window, aligned to the Unix epoch (default 86400)
  --redis-url URL             keep budgets and per-client limits in this Redis (redis:// or rediss://)
  --budget-store-fail MODE    closed (default: 503) or open (serve uncounted) when Redis fails
  --allow-model ID            only these model ids; repeatable (default: any)
  --max-tokens N              cap max_tokens / thinking_budget at N
  --trust-forwarded-for       per-client limits from the right-most X-Forwarded-For entry
  --max-body-bytes N          largest request body (default 20971520; 413 beyond)
  --max-streams-per-ip N      concurrent streams per client; 0 = unlimited (default 8)
  --rate-limit N              requests per minute per client; 0 = unlimited (default 60)
  --upstream-timeout SECS     until the upstream's response headers (default 60)
  --header-timeout SECS       until a request head is complete (default 10; 408)
  --body-timeout SECS         between two reads of a request body (default 30; 408)
  --max-connections N         open connections in total; more get 503 (default: half the
                              descriptor limit less 128, within 16..10000; 0 = no cap)
  --max-connections-per-ip N  open connections per peer address; more get 503
                              (default 64; with --trust-forwarded-for 0 = no cap)
  --backlog N                 listen backlog (default 1024)
  --static DIR                also serve the files of DIR; its pages may call the relay same-origin
  --shutdown-grace SECS       after SIGTERM/SIGINT, how long open streams may take (default 30)
  --version, --help
`;

function version() {
  try {
    return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
  } catch {
    return "dev";
  }
}

function die(message) {
  console.error(`${NAME}: ${message}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const envSecrets = () =>
  (process.env.RELAY_TOKEN_SECRET ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
if (argv[0] === "token") {
  // The Rust binary's `token` subcommand: the secret from the environment, the token on stdout.
  let t;
  try {
    ({ values: t } = parseArgs({
      args: argv.slice(1),
      strict: true,
      options: { sub: { type: "string" }, ttl: { type: "string" }, "daily-tokens": { type: "string" } },
    }));
  } catch (e) {
    die(`token: ${e.message}`);
  }
  const [secret] = envSecrets();
  if (!secret) die("token: set RELAY_TOKEN_SECRET (the relay's first secret signs)");
  const sub = t.sub ?? "";
  if (!sub || Buffer.byteLength(sub) > 256) die("token: --sub must be 1 to 256 bytes");
  if (!/^\d+$/.test(t.ttl ?? "") || Number(t.ttl) < 1 || Number(t.ttl) > 366 * 86400) die("token: --ttl must be 1 s to a year");
  if (t["daily-tokens"] !== undefined && !/^\d+$/.test(t["daily-tokens"])) die("token: --daily-tokens must be a whole number");
  const daily = t["daily-tokens"] === undefined ? undefined : Number(t["daily-tokens"]);
  process.stdout.write(`${await mintClientToken({ sub, ttlSeconds: Number(t.ttl), dailyTokens: daily }, secret)}\n`);
  process.exit(0);
}
for (const a of argv) {
  if (a.startsWith("--metrics-listen")) die(`${a}: the Prometheus metrics are served by the Rust binary (visual-reasoning-relay --metrics-listen)`);
  if (a === "--mock" || a.startsWith("--tokens-per-second") || a === "transcript") {
    die(`${a}: the mock and transcripts live in the Rust binary (visual-reasoning-relay --mock); this launcher only relays`);
  }
}
let values;
try {
  ({ values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: "string", default: "127.0.0.1:8787" },
      region: { type: "string" },
      upstream: { type: "string" },
      "allow-origin": { type: "string", multiple: true, default: [] },
      "allow-no-origin": { type: "boolean", default: false },
      "client-token": { type: "string" },
      "token-secret": { type: "string", multiple: true, default: [] },
      "daily-token-budget": { type: "string" },
      "per-client-daily-tokens": { type: "string" },
      "budget-window-seconds": { type: "string", default: "86400" },
      "redis-url": { type: "string" },
      "budget-store-fail": { type: "string", default: "closed" },
      "allow-model": { type: "string", multiple: true, default: [] },
      "max-tokens": { type: "string" },
      "trust-forwarded-for": { type: "boolean", default: false },
      "max-body-bytes": { type: "string", default: String(20 * 1024 * 1024) },
      "max-streams-per-ip": { type: "string", default: "8" },
      "rate-limit": { type: "string", default: "60" },
      "upstream-timeout": { type: "string", default: "60" },
      "header-timeout": { type: "string", default: "10" },
      "body-timeout": { type: "string", default: "30" },
      "max-connections": { type: "string" },
      "max-connections-per-ip": { type: "string" },
      backlog: { type: "string", default: "1024" },
      static: { type: "string" },
      "shutdown-grace": { type: "string", default: "30" },
      help: { type: "boolean", default: false },
      version: { type: "boolean", default: false },
    },
  }));
} catch (e) {
  die(`${e.message} (see --help)`);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.version) {
  console.log(`${NAME} ${version()}`);
  process.exit(0);
}

const whole = (flag) => {
  const s = values[flag];
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) die(`--${flag} ${s}: need a whole number >= 0`);
  return Number(s);
};

const listen = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(values.listen);
if (!listen || Number(listen[3]) > 65535) die(`--listen ${values.listen}: need ADDR:PORT, e.g. 127.0.0.1:8787`);
const hostname = listen[1] ?? listen[2];
if (values.region !== undefined && !["intl", "us", "cn"].includes(values.region)) {
  die(`--region ${values.region}: one of intl, us, cn`);
}
if (values["allow-origin"].includes("*")) die("--allow-origin '*' would let any page spend the key; list the origins");
const apiKey = (process.env.DASHSCOPE_API_KEY ?? "").trim();
if (!apiKey) {
  die("DASHSCOPE_API_KEY is not set (relay mode needs the key it adds to requests; the Rust binary's --mock is an offline upstream)");
}
const clientToken = values["client-token"] ?? process.env.RELAY_CLIENT_TOKEN;
let staticDir;
if (values.static !== undefined) {
  staticDir = path.resolve(values.static);
  if (!(await stat(staticDir).catch(() => null))?.isDirectory()) die(`--static ${values.static}: not a directory`);
}
if (!values["allow-origin"].length && !values["allow-no-origin"] && !staticDir) {
  console.error("warning: no --allow-origin, --allow-no-origin or --static: every API request will be refused");
}

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".txt": "text/plain",
  ".map": "application/json",
};

/** --static: GET/HEAD of a file under the folder (the relay has already refused dot segments and encoded slashes). */
async function serveStatic(request) {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  let rel;
  try {
    rel = decodeURIComponent(new URL(request.url).pathname);
  } catch {
    return undefined;
  }
  let file = path.join(staticDir, rel);
  if (file !== staticDir && !file.startsWith(staticDir + path.sep)) return undefined;
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = path.join(file, "index.html");
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return undefined;
  const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  const body = request.method === "HEAD" ? null : await readFile(file);
  return new Response(body, {
    headers: { "content-type": type.startsWith("text/") ? `${type}; charset=utf-8` : type, "content-length": String(info.size) },
  });
}

if (!["closed", "open"].includes(values["budget-store-fail"])) die(`--budget-store-fail ${values["budget-store-fail"]}: closed or open`);
let store;
if (values["redis-url"] !== undefined) {
  try {
    const { redisStore } = await import("./relay-redis.js");
    store = redisStore(values["redis-url"]);
  } catch (e) {
    die(`--redis-url: ${e.message}`);
  }
}
const optional = (flag) => (values[flag] === undefined ? undefined : whole(flag));
let relay;
try {
  relay = createRelay({
    apiKey,
    region: values.region,
    upstream: values.upstream,
    allowOrigins: values["allow-origin"],
    allowNoOrigin: values["allow-no-origin"],
    allowSameOrigin: staticDir !== undefined,
    clientToken: clientToken || undefined,
    tokenSecrets: values["token-secret"].length ? values["token-secret"] : envSecrets(),
    dailyTokenBudget: optional("daily-token-budget"),
    perClientDailyTokens: optional("per-client-daily-tokens"),
    budgetWindowSeconds: Math.max(1, whole("budget-window-seconds")),
    budgetStoreFail: values["budget-store-fail"],
    store,
    allowModels: values["allow-model"],
    maxTokens: values["max-tokens"] === undefined ? undefined : whole("max-tokens"),
    maxBodyBytes: whole("max-body-bytes"),
    upstreamTimeoutMs: Math.max(1, whole("upstream-timeout")) * 1000,
    bodyTimeoutMs: whole("body-timeout") * 1000,
    rateLimit: whole("rate-limit"),
    maxStreamsPerClient: whole("max-streams-per-ip"),
    trustForwardedFor: values["trust-forwarded-for"],
    fallback: staticDir ? serveStatic : undefined,
  });
} catch (e) {
  die(e.message.replace(/^createRelay: /, ""));
}

const server = createNodeServer(relay, {
  headerTimeoutMs: whole("header-timeout") * 1000,
  maxConnections: values["max-connections"] === undefined ? defaultMaxConnections() : whole("max-connections"),
  // Behind a load balancer every connection comes from its address.
  maxConnectionsPerIp:
    values["max-connections-per-ip"] === undefined ? (values["trust-forwarded-for"] ? 0 : 64) : whole("max-connections-per-ip"),
});
const grace = whole("shutdown-grace");
server.once("error", (e) => die(`cannot listen on ${values.listen}: ${e.message}`));
server.listen({ host: hostname, port: Number(listen[3]), backlog: whole("backlog") }, () => {
  const a = server.address();
  const hosts = { intl: "https://dashscope-intl.aliyuncs.com", us: "https://dashscope-us.aliyuncs.com", cn: "https://dashscope.aliyuncs.com" };
  const upstream = values.upstream ?? hosts[values.region ?? "intl"];
  console.error(`${NAME} ${version()}: relay to ${upstream.replace(/\/+$/, "")}`);
  // Tests wait for exactly this line on stdout.
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  process.stdout.write(`listening on http://${host}:${a.port}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.error(`shutting down: no new connections; open streams get up to ${grace}s`);
  const timer = setTimeout(() => {
    console.error("shutdown grace period over; closing the remaining streams");
    server.closeAllConnections();
  }, grace * 1000);
  timer.unref();
  server.close(() => process.exit(0));
  // Connections kept alive after their stream ends would hold close() up.
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 100).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// A relay logs what went wrong with one request and keeps serving the others.
process.on("uncaughtException", (e) => console.error(`${new Date().toISOString()} relay error (uncaught): ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => console.error(`${new Date().toISOString()} relay error (unhandled): ${e?.stack ?? e}`));
