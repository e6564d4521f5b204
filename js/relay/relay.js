// visual-reasoning/relay: the relay of relay/README.md as a Web-standard
// fetch handler, `(request) => Promise<Response>`, for Node (see node.js),
// Deno, Bun, Cloudflare Workers and Next.js route handlers. Plain
// JavaScript with no dependencies; the policy, status codes, headers and
// error bodies are the Rust relay's, held to the same tests
// (tests/relay/conformance.mjs).

export const OPENAI_PATH = "/compatible-mode/v1/chat/completions";
export const DASHSCOPE_PATH = "/api/v1/services/aigc/multimodal-generation/generation";

const HOSTS = {
  intl: "https://dashscope-intl.aliyuncs.com",
  us: "https://dashscope-us.aliyuncs.com",
  cn: "https://dashscope.aliyuncs.com",
};

// The model catalog of PROTOCOL.md §6 (src/models.rs), as much of it as
// /config and the token cap need: [thinking always, accepts
// thinking_budget, max thinking] per kind; regions as bits intl=1 us=2 cn=4.
const HYBRID = [false, true, 81920];
const THINKING_ONLY = [true, true, 81920];
const QVQ = [true, false, 16384];
const CATALOG = [
  ["qwen3-vl-plus", HYBRID, 7],
  ["qwen3-vl-plus-2025-09-23", HYBRID, 7],
  ["qwen3-vl-plus-2025-12-19", HYBRID, 5],
  ["qwen3-vl-flash", HYBRID, 7],
  ["qwen3-vl-flash-2025-10-15", HYBRID, 7],
  ["qwen3-vl-flash-2026-01-22", HYBRID, 7],
  ["qwen3-vl-flash-us", HYBRID, 2],
  ["qwen3-vl-flash-2025-10-15-us", HYBRID, 2],
  ["qwen3-vl-235b-a22b-thinking", THINKING_ONLY, 7],
  ["qwen3-vl-32b-thinking", THINKING_ONLY, 7],
  ["qwen3-vl-30b-a3b-thinking", THINKING_ONLY, 7],
  ["qwen3-vl-8b-thinking", THINKING_ONLY, 7],
  ["qvq-max", QVQ, 5],
  ["qvq-max-latest", QVQ, 5],
  ["qvq-max-2025-03-25", QVQ, 5],
  ["qvq-max-2025-05-15", QVQ, 5],
  ["qvq-plus", QVQ, 5],
  ["qvq-plus-latest", QVQ, 5],
  ["qvq-plus-2025-05-15", QVQ, 5],
];
const REGION_BIT = { intl: 1, us: 2, cn: 4 };

/** The catalog's rules for `id`, else those its prefix implies, else none. */
function rules(id) {
  const row = CATALOG.find((r) => r[0] === id);
  if (row) return row[1];
  if (id.startsWith("qvq-")) return QVQ;
  if (id.startsWith("qwen3-vl-")) return id.endsWith("-thinking") ? THINKING_ONLY : HYBRID;
  return undefined;
}

// Provider-shaped errors (relay/src/errors.rs): [DashScope code, OpenAI
// code, OpenAI type].
const INVALID_PARAMETER = ["InvalidParameter", "invalid_parameter_error", "invalid_request_error"];
const INVALID_API_KEY = ["InvalidApiKey", "invalid_api_key", "invalid_request_error"];
const ACCESS_DENIED = ["AccessDenied", "access_denied", "invalid_request_error"];
const MODEL_ACCESS_DENIED = ["Model.AccessDenied", "access_denied", "invalid_request_error"];
const NOT_FOUND = ["NotFound", "not_found", "invalid_request_error"];
const TOO_LARGE = ["RequestTooLarge", "request_too_large", "invalid_request_error"];
const THROTTLING = ["Throttling.RateQuota", "limit_requests", "limit_requests"];
const BAD_GATEWAY = ["BadGateway", "bad_gateway", "upstream_error"];
const GATEWAY_TIMEOUT = ["RequestTimeOut", "gateway_timeout", "upstream_error"];
const REQUEST_TIMEOUT = ["RequestTimeOut", "request_timeout", "invalid_request_error"];
const INTERNAL = ["InternalError", "internal_error", "internal_error"];
const STORE_DOWN = ["budget_store_unavailable", "budget_store_unavailable", "service_unavailable"];

const NOT_FOUND_MESSAGE = `Not found. The relay serves POST ${OPENAI_PATH} and POST ${DASHSCOPE_PATH}.`;
const TOO_LARGE_MESSAGE = "The request body is larger than this relay accepts.";

const ALLOW_HEADERS =
  "content-type,authorization,accept,x-dashscope-sse,x-dashscope-workspace,x-dashscope-datainspection";
const EXPOSE_HEADERS = "x-request-id,x-dashscope-request-id,retry-after";
const VARY = "origin, access-control-request-method, access-control-request-headers";
const RESPONSE_HEADERS = ["content-type", "x-request-id", "x-dashscope-request-id", "retry-after"];

/** How long a client's concurrent-stream count outlives its last change. */
const STREAM_COUNT_TTL = 3600;

const json = (value) => JSON.stringify(value);

/**
 * How the log line names a response the relay made itself (the Rust
 * relay's outcomes): `refused <status>`, `timeout body`, `timeout
 * upstream`, `upstream-error connect: …`. Other responses are `completed`.
 */
const OUTCOMES = new WeakMap();
const withOutcome = (res, outcome) => (OUTCOMES.set(res, outcome), res);

/**
 * The JSON error body of `protocol` ("openai", "dashscope" or undefined for
 * a path of neither: the DashScope-like shape), with `x-request-id`.
 */
function errorResponse(protocol, status, kind, message, rid = crypto.randomUUID()) {
  const [code, openaiCode, type] = kind;
  const body =
    protocol === "openai"
      ? { error: { message, type, param: null, code: openaiCode }, id: `chatcmpl-${rid}`, request_id: rid }
      : { code, message, request_id: rid };
  const res = new Response(json(body), {
    status,
    headers: { "content-type": "application/json", "x-request-id": rid },
  });
  return withOutcome(res, `refused ${status}`);
}

/** The refusal for a request body that went over the cap or stalled. */
const bodyFailed = (p, state, rid) =>
  state.error === "timeout"
    ? withOutcome(errorResponse(p, 408, REQUEST_TIMEOUT, "The request body did not arrive in time; send it without pauses.", rid), "timeout body")
    : errorResponse(p, 413, TOO_LARGE, TOO_LARGE_MESSAGE, rid);

const protocolOf = (path) =>
  path === OPENAI_PATH ? "openai" : path === DASHSCOPE_PATH ? "dashscope" : undefined;

/**
 * Why a request target could name another host or path than it seems
 * (relay/src/guard.rs), or undefined. `target` is the raw request-target
 * when the server gives it (the Node adapter does), else the URL's path
 * as the runtime parsed it.
 */
function suspiciousTarget(target) {
  if (!target.startsWith("/")) {
    return /^[a-z][a-z0-9+.-]*:\/\/|^[^/]*:\d+$/i.test(target)
      ? "absolute-form request targets are refused"
      : "the path must start with /";
  }
  const path = target.split("?")[0];
  if (path.includes("//") || path.includes("\\")) return "empty path segments and backslashes are refused";
  if (path.split("/").some((s) => s === "." || s === "..")) return "dot segments are refused";
  if (/%(2e|2f|5c|00)/i.test(path)) return "encoded dots, slashes and NULs are refused";
  return undefined;
}

const normalizeOrigin = (o) => o.trim().replace(/\/+$/, "").toLowerCase();

/** Compares without an early exit, so timing does not reveal how much of a guess was right. */
function sameSecret(a, b) {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ (y[i] ?? 0);
  return diff === 0;
}

/** The spending control (relay-spend.js), loaded on first use. */
const loadSpend = () => import("./relay-spend.js");

/**
 * A signed client token for `claims.sub`, valid from now for
 * `claims.ttlSeconds` (relay/README.md "Client tokens").
 * @param {{ sub: string, ttlSeconds: number, dailyTokens?: number }} claims
 * @param {string} secret
 */
export async function mintClientToken(claims, secret) {
  return (await loadSpend()).mintClientToken(claims, secret);
}

const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const isIp = (s) => IPV4.test(s) || (/^[\da-f:.]+$/i.test(s) && s.split(":").length > 2);

/**
 * A store in this process's memory: the default, so limits are per
 * instance (per isolate on Workers and Deno Deploy, per process on Node).
 * @returns {import("./relay.d.ts").RelayStore}
 */
export function memoryStore() {
  const counters = new Map(); // key -> [value, expires at ms]
  const buckets = new Map(); // key -> [tokens, last refill ms, capacity, per second]
  const prune = (now) => {
    // Past 10 000 keys, forget what no longer matters, so memory stays
    // bounded under a spray of client addresses.
    if (counters.size >= 10000) for (const [k, [, exp]] of counters) if (exp <= now) counters.delete(k);
    if (buckets.size >= 10000) {
      for (const [k, [tokens, last, cap, rate]] of buckets) {
        if (tokens + ((now - last) / 1000) * rate >= cap) buckets.delete(k);
      }
    }
  };
  return {
    async add(key, delta, ttlSeconds) {
      const now = Date.now();
      prune(now);
      const old = counters.get(key);
      const value = (old && old[1] > now ? old[0] : 0) + delta;
      if (value === 0) counters.delete(key);
      else counters.set(key, [value, now + ttlSeconds * 1000]);
      return value;
    },
    async take(key, count, capacity, perSecond) {
      const now = Date.now();
      prune(now);
      const b = buckets.get(key) ?? [capacity, now, capacity, perSecond];
      const tokens = Math.min(capacity, b[0] + ((now - b[1]) / 1000) * perSecond);
      if (tokens < count) {
        buckets.set(key, [tokens, now, capacity, perSecond]);
        return (count - tokens) / perSecond;
      }
      buckets.set(key, [Math.min(capacity, tokens - count), now, capacity, perSecond]);
      return 0;
    },
  };
}

function fail(message) {
  throw new TypeError(`createRelay: ${message}`);
}

function count(options, name, fallback) {
  const v = options[name];
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 0) fail(`${name} must be a whole number >= 0 (got ${String(v)})`);
  return v;
}

/**
 * @param {import("./relay.d.ts").RelayOptions} options
 * @returns {import("./relay.d.ts").RelayHandler}
 */
export function createRelay(options) {
  if (!options || typeof options !== "object") fail("pass an options object with at least apiKey");
  const apiKey = typeof options.apiKey === "string" ? options.apiKey.trim() : "";
  if (!apiKey) fail("apiKey is required: the Model Studio key the relay adds to every request (read it from the environment)");
  if (/[\r\n\0]/.test(apiKey)) fail("apiKey is not a valid header value");
  const region = options.region ?? "intl";
  if (!(region in HOSTS)) fail(`region must be "intl", "us" or "cn" (got ${json(region)})`);
  let upstream = HOSTS[region];
  if (options.upstream !== undefined) {
    let u;
    try {
      u = new URL(options.upstream);
    } catch {
      fail(`upstream ${json(options.upstream)} is not a URL`);
    }
    if (!/^https?:$/.test(u.protocol) || u.search || u.hash || options.upstream.includes("#")) {
      fail(`upstream ${json(options.upstream)}: need an http(s) base URL without query or fragment`);
    }
    upstream = u.href.replace(/\/+$/, "");
  }
  const list = (name) => {
    const v = options[name] ?? [];
    if (!Array.isArray(v)) fail(`${name} must be an array of strings`);
    return v.map(String);
  };
  const allowOrigins = list("allowOrigins");
  if (allowOrigins.includes("*")) fail("allowOrigins '*' would let any page spend the key; list the origins");
  const origins = new Set(allowOrigins.map(normalizeOrigin));
  const allowNoOrigin = options.allowNoOrigin === true;
  const allowSameOrigin = options.allowSameOrigin === true;
  const clientToken = options.clientToken || undefined;
  const tokenSecrets = list("tokenSecrets");
  if (tokenSecrets.some((t) => t.length < 16)) fail("tokenSecrets: each secret needs at least 16 characters (use a long random string)");
  const relayBudget = options.dailyTokenBudget === undefined ? undefined : count(options, "dailyTokenBudget", 0);
  const clientBudget = options.perClientDailyTokens === undefined ? undefined : count(options, "perClientDailyTokens", 0);
  const windowSeconds = count(options, "budgetWindowSeconds", 86400) || 86400;
  const failOpen = options.budgetStoreFail === "open";
  if (![undefined, "open", "closed"].includes(options.budgetStoreFail)) fail('budgetStoreFail must be "closed" or "open"');
  let storeLogged = 0;
  /** A store call failed: log it at most once a minute; true when failing open. */
  const storeFailed = (e) => {
    if (Date.now() - storeLogged >= 60000) {
      storeLogged = Date.now();
      log(`${new Date().toISOString()} budget store unreachable: ${e?.message ?? e}; failing ${failOpen ? "open" : "closed"} (logged at most once a minute)`);
    }
    return failOpen;
  };
  const storeDown = (p, rid) => {
    const res = errorResponse(p, 503, STORE_DOWN, "The relay cannot reach its budget store; try again shortly.", rid);
    res.headers.set("retry-after", "5");
    return res;
  };
  const allowModels = list("allowModels");
  const maxTokens = options.maxTokens === undefined ? undefined : count(options, "maxTokens", 0);
  const maxBodyBytes = count(options, "maxBodyBytes", 20 * 1024 * 1024);
  const upstreamTimeoutMs = count(options, "upstreamTimeoutMs", 60_000) || 60_000;
  const bodyTimeoutMs = count(options, "bodyTimeoutMs", 30_000);
  const rateLimit = count(options, "rateLimit", 60);
  const maxStreams = count(options, "maxStreamsPerClient", 8);
  const store = options.store ?? memoryStore();
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const log = options.log === false ? () => {} : options.log ?? ((line) => console.error(line));
  const { clientId, trustForwardedFor, fallback } = options;
  const rewrite = allowModels.length > 0 || maxTokens !== undefined;
  // Tokens and budgets live in relay-spend.js, imported only by a relay
  // that has them (on its first request), so one without never loads it.
  let spent;
  const spend =
    (tokenSecrets.length || relayBudget !== undefined || clientBudget !== undefined) &&
    (() => (spent ??= loadSpend().then((m) => m.spending({ tokenSecrets, relayBudget, clientBudget, windowSeconds, maxTokens, store }))));
  const models = allowModels.length
    ? allowModels
    : CATALOG.filter((m) => m[2] & REGION_BIT[region]).map((m) => m[0]);
  const config = json({ region, models, protocols: ["openai", "dashscope"], mock: false });
  let warnedNoClient = false;

  const originAllowed = (origin, request) => {
    const o = normalizeOrigin(origin);
    if (origins.has(o)) return true;
    const host = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
    return allowSameOrigin && (o === `http://${host}` || o === `https://${host}`);
  };

  const clientOf = async (request, info) => {
    if (clientId) return String((await clientId(request, info)) ?? "unknown");
    let ip = info?.remoteAddress;
    if (trustForwardedFor) {
      // The right-most entry is what the nearest proxy saw; earlier ones
      // are whatever the client claimed.
      const entries = (request.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim());
      ip = entries.filter(isIp).pop() ?? ip;
    }
    if (ip === undefined && !warnedNoClient) {
      warnedNoClient = true;
      log(
        `${new Date().toISOString()} warning: no client address for the per-client limits (pass { remoteAddress }, set clientId or trustForwardedFor); requests without one share one limit`,
      );
    }
    return (ip ?? "unknown").replace(/^::ffff:(?=\d+\.)/, "");
  };

  /** Admits a request under the per-client limits, or says why not. */
  const admit = async (client) => {
    const rateKey = `vr:rate:${client}`;
    const streamKey = `vr:streams:${client}`;
    if (rateLimit > 0) {
      const wait = await store.take(rateKey, 1, rateLimit, rateLimit / 60);
      if (wait > 0) return { refused: "Too many requests from this address; try again later.", retryAfter: Math.max(1, Math.ceil(wait)) };
    }
    if (maxStreams > 0) {
      if ((await store.add(streamKey, 1, STREAM_COUNT_TTL)) > maxStreams) {
        await store.add(streamKey, -1, STREAM_COUNT_TTL);
        if (rateLimit > 0) await store.take(rateKey, -1, rateLimit, rateLimit / 60);
        // No way to know when a stream ends; a short wait is honest enough.
        return { refused: "Too many concurrent streams from this address; wait for one to finish.", retryAfter: 2 };
      }
      let held = true;
      return {
        release() {
          if (held) store.add(streamKey, -1, STREAM_COUNT_TTL).catch(() => {});
          held = false;
        },
      };
    }
    return { release() {} };
  };

  /**
   * The request body as a stream that fails past the size cap or a stall.
   * Forwarded (`stop` given), it then stops and calls `stop`, which aborts
   * the upstream request: erroring a request body would let some runtimes
   * (workerd) end the upload cleanly, so the upstream would get a
   * truncated body as if it were whole. Read locally, it errors.
   */
  const limitedBody = (request, state, stop) => {
    const reader = request.body.getReader();
    let bytes = 0;
    const deadline = stop ? Infinity : Date.now() + bodyTimeoutMs;
    const read = () =>
      new Promise((resolve, reject) => {
        const wait = Math.min(bodyTimeoutMs, deadline - Date.now());
        const timer =
          bodyTimeoutMs > 0 &&
          setTimeout(() => {
            state.error = "timeout";
            reject(new Error("request body stalled"));
          }, Math.max(0, wait));
        reader.read().then(
          (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          (e) => {
            clearTimeout(timer);
            reject(e);
          },
        );
      });
    return new ReadableStream(
      {
        async pull(controller) {
          try {
            const { done, value } = await read();
            if (done) return controller.close();
            bytes += value.byteLength;
            if (bytes > maxBodyBytes) {
              state.error = "too-large";
              throw new Error("request body over the size cap");
            }
            controller.enqueue(value);
          } catch (e) {
            reader.cancel(e).catch(() => {});
            if (!stop) return controller.error(e);
            stop();
            // Never settles: the aborted fetch cancels this stream.
            return new Promise(() => {});
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  };

  const forward = async (request, protocol, path, rid, budgets) => {
    const s = budgets.length && (await spend());
    const p = protocol;
    const url = upstream + path;
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      if (name === "content-type" || name === "accept" || name.startsWith("x-dashscope-")) headers.set(name, value);
    }
    headers.set("authorization", `Bearer ${apiKey}`);
    // No compression: every event must pass as it arrives.
    headers.set("accept-encoding", "identity");
    const state = {};
    const abort = new AbortController();
    // A budget needs the request's max_tokens (its estimate) and, from an
    // OpenAI caller, usage in the stream.
    const read = rewrite || budgets.length > 0;
    let settle;
    let body = request.body && limitedBody(request, state, !read && (() => abort.abort(new Error(state.error))));
    if (read) {
      let text;
      try {
        text = await new Response(body).text();
      } catch {
        return state.error ? bodyFailed(p, state, rid) : null;
      }
      let v;
      try {
        v = JSON.parse(text);
      } catch {
        return errorResponse(p, 400, INVALID_PARAMETER, "The request body is not valid JSON.", rid);
      }
      const model = typeof v?.model === "string" ? v.model : "";
      if (allowModels.length && !allowModels.includes(model)) {
        const message = `Model \`${model}\` is not served by this relay; allowed: ${allowModels.join(", ")}.`;
        return errorResponse(p, 403, MODEL_ACCESS_DENIED, message, rid);
      }
      if (maxTokens !== undefined) capTokens(v, protocol, model, maxTokens);
      if (s) {
        try {
          settle = await s.admit(v, protocol, budgets);
        } catch (e) {
          if (!storeFailed(e)) return storeDown(p, rid);
        }
        if (Array.isArray(settle)) {
          const [code, message, retryAfter] = settle;
          const res = errorResponse(p, 429, [code, code, "insufficient_quota"], message, rid);
          res.headers.set("retry-after", retryAfter);
          return res;
        }
      }
      body = json(v);
    }
    const onClientGone = () => abort.abort(request.signal.reason);
    request.signal?.addEventListener("abort", onClientGone);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error("upstream timeout"));
    }, upstreamTimeoutMs);
    let res;
    try {
      res = await fetch(url, {
        method: "POST",
        headers,
        body,
        // Never follow a redirect to a host the client could influence.
        redirect: "manual",
        signal: abort.signal,
        ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
      });
    } catch (e) {
      request.signal?.removeEventListener("abort", onClientGone);
      // Nothing was generated: the reservation is taken back.
      settle?.(0);
      if (state.error) return bodyFailed(p, state, rid);
      if (timedOut) {
        return withOutcome(errorResponse(p, 504, GATEWAY_TIMEOUT, "The upstream service did not answer in time.", rid), "timeout upstream");
      }
      if (request.signal?.aborted) return null;
      // Names the upstream URL and the cause, never the key.
      const cause = e?.cause?.message ?? e?.cause?.code ?? "";
      const what = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|connect/i.test(`${cause} ${e?.cause?.code}`) ? "connect" : "request";
      return withOutcome(
        errorResponse(p, 502, BAD_GATEWAY, "The relay could not reach the upstream service.", rid),
        `upstream-error ${what}: POST ${url}: ${e?.message ?? e}${cause ? `: ${cause}` : ""}`,
      );
    } finally {
      clearTimeout(timer);
    }
    if (state.error) {
      // The upstream answered before the body failed: it is not the answer.
      request.signal?.removeEventListener("abort", onClientGone);
      res.body?.cancel().catch(() => {});
      settle?.(0);
      return bodyFailed(p, state, rid);
    }
    const out = new Headers();
    for (const name of RESPONSE_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) out.set(name, value);
    }
    // Tell intermediaries (nginx, CDNs) not to hold events back.
    out.set("cache-control", "no-cache");
    out.set("x-accel-buffering", "no");
    const ok = res.status === 200;
    const m = ok && settle ? s.meter(p, /^text\/event-stream/i.test(res.headers.get("content-type") ?? "")) : undefined;
    return {
      response: new Response(res.body, { status: res.status, headers: out }),
      meter: m,
      done: (outcome) => {
        request.signal?.removeEventListener("abort", onClientGone);
        // The usage reported, else one token per 3 bytes of text forwarded;
        // not a 200: nothing was generated.
        if (m) {
          const [total, text] = m.end(outcome === "completed");
          settle(total ?? Math.ceil(text / 3));
        } else settle?.(0);
      },
    };
  };

  /**
   * The checks of the API paths and GET /budget: an Origin (unless
   * allowNoOrigin), then the static or a signed client token when either is
   * configured. Resolves to a refusal, or to { client, daily }.
   */
  const caller = async (request, p, rid) => {
    // A same-origin GET carries no Origin; Sec-Fetch-Site says where it came from.
    const same = allowSameOrigin && request.headers.get("sec-fetch-site") === "same-origin";
    if (!request.headers.has("origin") && !allowNoOrigin && !same) {
      return errorResponse(
        p,
        403,
        ACCESS_DENIED,
        "Requests without an Origin header are refused: only pages from allowed origins may use this relay (start it with --allow-no-origin, or allowNoOrigin: true, to serve servers and SDKs).",
        rid,
      );
    }
    if (clientToken === undefined && !tokenSecrets.length) return {};
    const auth = request.headers.get("authorization") ?? "";
    const sent = auth.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
    if (sent !== undefined && clientToken !== undefined && sameSecret(sent, clientToken)) return {};
    if (!tokenSecrets.length) {
      return errorResponse(p, 401, INVALID_API_KEY, "This relay needs `Authorization: Bearer <client token>`; the one sent is missing or wrong.", rid);
    }
    const c = await (await spend()).verify(sent);
    if (Array.isArray(c)) return errorResponse(p, 401, [c[0], c[0], "invalid_request_error"], c[1], rid);
    return { sub: c.sub, daily: c.dailyTokens };
  };

  const api = async (request, info, protocol, path, rid) => {
    const p = protocol;
    if (request.method !== "POST") return errorResponse(undefined, 404, NOT_FOUND, NOT_FOUND_MESSAGE, rid);
    const who = await caller(request, p, rid);
    if (who instanceof Response) return who;
    const ip = await clientOf(request, info);
    let permit = { release() {} };
    if (rateLimit || maxStreams) {
      try {
        permit = await admit(ip);
      } catch (e) {
        if (!storeFailed(e)) return storeDown(p, rid);
      }
    }
    if (permit.refused) {
      const res = errorResponse(p, 429, THROTTLING, permit.refused, rid);
      res.headers.set("retry-after", String(permit.retryAfter));
      return res;
    }
    const declared = Number(request.headers.get("content-length") ?? NaN);
    if (declared > maxBodyBytes) return { response: errorResponse(p, 413, TOO_LARGE, TOO_LARGE_MESSAGE, rid), done: permit.release };
    let r;
    try {
      const client = who.sub === undefined ? `ip:${ip}` : `sub:${who.sub}`;
      r = await forward(request, protocol, path, rid, spend ? (await spend()).scopes(client, who.daily) : []);
    } catch (e) {
      permit.release();
      throw e;
    }
    if (r === null || r instanceof Response) return { response: r, done: permit.release };
    return {
      response: r.response,
      meter: r.meter,
      done: (outcome) => {
        r.done(outcome);
        permit.release();
      },
    };
  };

  /** The routes behind the target and origin checks. */
  const route = async (request, info, path, rid) => {
    const get = request.method === "GET" || request.method === "HEAD";
    const head = request.method === "HEAD";
    const protocol = protocolOf(path);
    if (protocol) return api(request, info, protocol, path, rid);
    if (path === "/budget" && get) {
      // The tighter of the budgets that apply to the caller, after the API's checks.
      const who = await caller(request, undefined, rid);
      if (who instanceof Response) return who;
      const client = who.sub === undefined ? `ip:${await clientOf(request, info)}` : `sub:${who.sub}`;
      const s = spend && (await spend());
      let best;
      try {
        best = s && (await s.report(client, who.daily));
      } catch (e) {
        storeFailed(e);
        return storeDown(undefined, rid);
      }
      // No budget applies: nothing to say (and nothing a page logs as an error).
      if (!best) return new Response(null, { status: 204 });
      return new Response(json(best), { headers: { "content-type": "application/json" } });
    }
    if (path === "/healthz" || path === "/config") {
      if (!get) return new Response(null, { status: 405, headers: { allow: "GET,HEAD" } });
      return path === "/healthz"
        ? new Response(head ? null : "ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } })
        : new Response(head ? null : config, { headers: { "content-type": "application/json" } });
    }
    if (fallback) {
      const res = await fallback(request);
      if (res) return res;
    }
    return errorResponse(undefined, 404, NOT_FOUND, NOT_FOUND_MESSAGE, rid);
  };

  return async function relay(request, info) {
    const started = Date.now();
    const rid = crypto.randomUUID();
    const url = new URL(request.url);
    let path = url.pathname;
    const target = typeof info?.target === "string" ? info.target : path;
    // The path as received, never the query.
    const logPath = target.startsWith("/") ? target.split("?")[0] : path;
    let response;
    let done = () => {};
    let meterOf;
    const why = suspiciousTarget(target);
    if (basePath && !why) {
      path = path === basePath ? "/" : path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : "/\0";
    }
    const origin = request.headers.get("origin");
    const allowed = origin !== null && originAllowed(origin, request);
    if (why) {
      response = errorResponse(undefined, 400, INVALID_PARAMETER, `Bad request target: ${why}.`, rid);
    } else if (origin !== null && !allowed) {
      response = errorResponse(protocolOf(path), 403, ACCESS_DENIED, "This origin may not use this relay (see its --allow-origin list).", rid);
    } else {
      const h = new Headers({ vary: VARY });
      if (allowed) h.set("access-control-allow-origin", origin);
      if (request.method === "OPTIONS") {
        h.set("access-control-allow-methods", "GET,POST");
        h.set("access-control-allow-headers", ALLOW_HEADERS);
        h.set("access-control-max-age", "600");
        response = new Response(null, { status: 200, headers: h });
      } else {
        let r;
        try {
          r = await route(request, info, path, rid);
        } catch (e) {
          // A failing store or fallback: say so without details.
          log(`${new Date().toISOString()} relay error: ${e?.name ?? "Error"}: ${e?.message ?? e}`);
          r = errorResponse(protocolOf(path), 500, INTERNAL, "The relay failed to handle this request.", rid);
        }
        if (r && !(r instanceof Response)) {
          done = r.done;
          meterOf = r.meter;
          response = r.response;
        } else {
          response = r;
        }
        if (response === null) {
          // The caller left before the upstream answered: nobody reads this.
          done();
          log(line(request, logPath, "-", started, 0, "-", "client-closed"));
          return new Response(null, { status: 502 });
        }
        h.set("access-control-expose-headers", EXPOSE_HEADERS);
        response = withHeaders(response, h);
      }
    }
    return logged(response, OUTCOMES.get(response), meterOf, (outcome, bytes) => {
      done(outcome);
      const id = response.headers.get("x-request-id") ?? response.headers.get("x-dashscope-request-id") ?? "-";
      log(line(request, logPath, response.status, started, bytes, id, outcome));
    }, request);
  };
}

/** Adds CORS headers (Vary appended, the others replaced). */
function withHeaders(response, extra) {
  let res = response;
  try {
    for (const [k, v] of extra) {
      if (k === "vary") res.headers.append(k, v);
      else res.headers.set(k, v);
    }
  } catch {
    // Immutable headers (a fallback's fetch() response): copy them.
    res = new Response(response.body, response);
    for (const [k, v] of extra) res.headers[k === "vary" ? "append" : "set"](k, v);
  }
  return res;
}

const sanitize = (s, max = 300) => String(s).slice(0, max).replace(/[\s\x00-\x1f\x7f]/g, "?");

function line(request, path, status, started, bytes, rid, outcome) {
  return `${new Date().toISOString()} ${request.method} ${sanitize(path)} ${status} ${Date.now() - started}ms ${bytes}B rid=${sanitize(rid)} ${String(outcome).slice(0, 600).replace(/[\x00-\x1f\x7f]/g, " ")}`;
}

/**
 * The response with a body that reports, once, how it ended: "completed"
 * (read to the end), "client-closed" (cancelled: the caller went away) or
 * "upstream-error". Pulls one chunk per read and reads nothing ahead, so a
 * slow reader slows the upstream instead of filling memory.
 */
function logged(response, made, meter, end, request) {
  let reported = false;
  let bytes = 0;
  const report = (outcome) => {
    if (!reported) end(outcome, bytes);
    reported = true;
  };
  const finished = made ?? "completed";
  if (!response.body) {
    report(finished);
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            report(finished);
          } else {
            bytes += value.byteLength;
            meter?.feed(value);
            controller.enqueue(value);
          }
        } catch (e) {
          report(request.signal?.aborted ? "client-closed" : `upstream-error body: ${e?.cause?.message ?? e?.message ?? e}`);
          controller.error(e);
        }
      },
      cancel(reason) {
        // A refusal or a timeout stays what it was, even if the client did
        // not wait for all of its (small) body.
        report(made ?? "client-closed");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * Caps max_tokens, max_completion_tokens and thinking_budget at `cap`
 * wherever either protocol puts them, and adds max_tokens (and
 * thinking_budget for a model that accepts one and thinks in this request)
 * where missing (relay/src/forward.rs cap_tokens).
 */
function capTokens(v, protocol, model, cap) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return;
  let seenMax = false;
  let seenBudget = false;
  let thinking = false;
  for (const obj of [v, v.parameters]) {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) continue;
    for (const key of ["max_tokens", "max_completion_tokens", "thinking_budget"]) {
      if (!(key in obj)) continue;
      if (key === "thinking_budget") seenBudget = true;
      else seenMax = true;
      const n = obj[key];
      if (typeof n === "number" && !(Number.isInteger(n) && n >= 0 && n <= cap)) obj[key] = cap;
    }
    thinking ||= obj.enable_thinking === true;
  }
  const r = rules(model);
  thinking ||= r?.[0] === true;
  const wantsBudget = !seenBudget && thinking && r?.[1] === true && cap < r[2];
  let target = v;
  if (protocol === "dashscope") {
    if (!("parameters" in v)) v.parameters = {};
    target = v.parameters;
  }
  if (target === null || typeof target !== "object" || Array.isArray(target)) return;
  if (!seenMax) target.max_tokens = cap;
  if (wantsBudget) target.thinking_budget = cap;
}
