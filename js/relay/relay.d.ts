// visual-reasoning/relay: the relay as a Web-standard fetch handler.

/** A Model Studio region: Singapore, Virginia, Beijing. */
export type Region = "intl" | "us" | "cn";

/**
 * Where the relay keeps its per-client counters. The default,
 * {@link memoryStore}, keeps them in the memory of one process or isolate,
 * so every limit is per instance. A shared store (Redis, a Durable Object,
 * Deno KV) makes them global across replicas: implement these two atomic
 * operations on it, or use `redisStore` from `visual-reasoning/relay/redis`.
 * Keys start with `vr:` (`vr:rate:<client>`, `vr:streams:<client>`,
 * `vr:budget:…`); values are numbers.
 */
export interface RelayStore {
  /**
   * Atomically adds `delta` (a whole number, may be negative) to the
   * integer stored at `key` and resolves to the new value. A missing or
   * expired key counts as 0. After the call the key expires `ttlSeconds`
   * from now. Concurrent-stream counts use it (+1 on admission, -1 when the
   * stream ends), and so do budgets (`vr:budget:<window>:relay`,
   * `vr:budget:<window>:sub:<sub>` or `…:ip:<address>`): an admission adds
   * its estimate and is refused (and takes it back) when the value before
   * was already at the limit; the real charge replaces the estimate with
   * `add(key, charge - estimate, …)`; `add(key, 0, …)` reads.
   * Redis: `INCRBY key delta; EXPIRE key ttlSeconds` in one script
   * (`visual-reasoning/relay/redis`).
   */
  add(key: string, delta: number, ttlSeconds: number): Promise<number>;
  /**
   * A token bucket at `key`: at most `capacity` tokens, refilled at
   * `perSecond` tokens a second, full when first used. Atomically takes
   * `count` tokens if there are that many, resolving to 0; otherwise takes
   * none and resolves to the seconds until there will be (> 0). A negative
   * `count` gives tokens back (never above `capacity`). Redis: one Lua
   * script over a hash `{tokens, at}`.
   */
  take(key: string, count: number, capacity: number, perSecond: number): Promise<number>;
}

/** What a server knows about a request besides the Request itself. */
export interface RelayRequestInfo {
  /**
   * The peer's IP address (Node `req.socket.remoteAddress`, Deno
   * `info.remoteAddr.hostname`, Bun `server.requestIP(req)?.address`).
   * The per-client limits count by it unless `clientId` says otherwise.
   */
  remoteAddress?: string;
  /**
   * The request-target exactly as received (`/path?query`), when the server
   * has it (the Node adapter passes it). Without it the relay can only check
   * the URL as the runtime parsed it, after dot segments were resolved.
   */
  target?: string;
}

/**
 * The relay: answers one request. Pass `info` when the server knows the
 * peer address (for the per-client limits).
 */
export type RelayHandler = (request: Request, info?: RelayRequestInfo) => Promise<Response>;

/** createRelay's options: the Rust relay's relay-mode flags under their JavaScript names. */
export interface RelayOptions {
  /**
   * The Model Studio (DashScope) API key the relay adds to every request as
   * `Authorization: Bearer …`. Required. Read it from the environment or
   * the platform's secret store; it never appears in a response or a log line.
   */
  apiKey: string;
  /** The region whose host receives requests (default `"intl"`); also what `GET /config` lists models for. */
  region?: Region;
  /**
   * A base URL to forward to instead of the region's host (other regions,
   * a per-workspace endpoint, the mock in tests). http(s), no query or fragment.
   */
  upstream?: string;
  /**
   * Origins (`scheme://host[:port]`) whose pages may call the relay;
   * compared case-insensitively, a trailing `/` ignored. `"*"` is refused:
   * any page could spend the key. Other origins get 403, preflights included.
   */
  allowOrigins?: string[];
  /** Also serve requests without an `Origin` header (servers, SDKs, curl). Default false: 403. */
  allowNoOrigin?: boolean;
  /**
   * Also allow a page whose origin is the relay's own (`http(s)://` + the
   * request's `Host`): a site whose pages and relay share one origin
   * (a Next.js route, `--static`). Default false.
   */
  allowSameOrigin?: boolean;
  /**
   * A static token callers must send as `Authorization: Bearer <token>`
   * (compared in constant time, then replaced by the key); else 401. It
   * ships inside the page, so it only keeps out callers that never saw it.
   */
  clientToken?: string;
  /**
   * Secrets (each at least 16 characters) for signed per-student client
   * tokens, minted by the site's backend with {@link mintClientToken}:
   * `Authorization: Bearer v1.<payload>.<signature>`. Every secret is
   * accepted (rotation: put the new one first, keep the old one until its
   * tokens have expired); with `clientToken` too, either kind is accepted.
   * Missing, malformed, tampered, expired or not-yet-valid tokens get 401
   * with a code naming why (`client_token_expired`, …). A token's `sub` is
   * its client for the per-client budget.
   */
  tokenSecrets?: string[];
  /** Only these model ids may be requested (403 `Model.AccessDenied` otherwise); also what `/config` lists. */
  allowModels?: string[];
  /**
   * Caps `max_tokens`, `max_completion_tokens` and `thinking_budget` at this
   * many tokens in either protocol, and adds them where missing
   * (`thinking_budget` only for a model that accepts one and thinks).
   */
  maxTokens?: number;
  /** The largest request body accepted, in bytes (default 20 MiB); 413 beyond, whether or not a Content-Length was sent. */
  maxBodyBytes?: number;
  /** How long to wait for the upstream's response headers, connecting included (default 60 000 ms); 504 past it. */
  upstreamTimeoutMs?: number;
  /**
   * Longest silence between two reads of a request body, and the whole
   * read when the JSON must be read (allowModels, maxTokens): default
   * 30 000 ms, 0 = none; 408 past it.
   */
  bodyTimeoutMs?: number;
  /** Requests per minute per client (a token bucket: bursts up to this many); 0 = unlimited. Default 60. */
  rateLimit?: number;
  /** Concurrent streams per client; 0 = unlimited. Default 8. */
  maxStreamsPerClient?: number;
  /**
   * Tokens the whole relay may spend per window (a UTC day), counted from
   * the usage the upstream reports (relay/README.md "Budgets"); past it,
   * 429 `relay_budget_exhausted` with `Retry-After` until the window ends.
   */
  dailyTokenBudget?: number;
  /**
   * Tokens each client (a signed token's `sub`, else the client address)
   * may spend per window; a token's `dailyTokens` lowers it (or sets one
   * when this is absent). Past it, 429 `client_budget_exhausted`.
   */
  perClientDailyTokens?: number;
  /** The budget window in seconds, aligned to the Unix epoch (default 86 400: UTC days). */
  budgetWindowSeconds?: number;
  /**
   * When the store fails (Redis unreachable): `"closed"` (default) answers
   * 503 `budget_store_unavailable`; `"open"` lets requests through
   * uncounted. Logged at most once a minute.
   */
  budgetStoreFail?: "closed" | "open";
  /** Where the per-client counters live (default: {@link memoryStore}, per instance). */
  store?: RelayStore;
  /**
   * Who a request counts as for the per-client limits. Default: the peer
   * address from `info.remoteAddress` (or, with `trustForwardedFor`, the
   * right-most `X-Forwarded-For` entry). Where the runtime gives no peer
   * address, name the header your platform sets, e.g.
   * `(r) => r.headers.get("cf-connecting-ip")` on Cloudflare. Requests whose
   * client is unknown share one limit.
   */
  clientId?: (request: Request, info: RelayRequestInfo | undefined) => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Take the client address from the right-most `X-Forwarded-For` entry (the
   * address your load balancer saw). Only behind one: otherwise clients
   * choose their own address. Default false.
   */
  trustForwardedFor?: boolean;
  /**
   * A path prefix the relay is mounted under, e.g. `"/api/relay"` for a
   * Next.js route at `app/api/relay/[...path]/route.js`; pages then use
   * `baseUrl: "/api/relay"`-style URLs. Default: none.
   */
  basePath?: string;
  /**
   * Where the per-request log lines go (default `console.error`); `false`
   * for none. Lines hold method, path, status, duration, bytes, request id
   * and outcome: never headers, the key or bodies.
   */
  log?: ((line: string) => void) | false;
  /**
   * Answers requests for paths the relay does not serve (e.g. static files),
   * after the target and origin checks; `undefined` falls through to 404.
   */
  fallback?: (request: Request) => Response | undefined | Promise<Response | undefined>;
}

/**
 * Makes the relay: a fetch handler serving `POST /compatible-mode/v1/chat/completions`,
 * `POST /api/v1/services/aigc/multimodal-generation/generation`, `GET /config`,
 * `GET /healthz` and CORS preflights, with the policy of relay/README.md.
 * Throws a `TypeError` naming the option when one is invalid.
 */
export function createRelay(options: RelayOptions): RelayHandler;

/** The default {@link RelayStore}: this process's (or isolate's) memory, bounded under a spray of clients. */
export function memoryStore(): RelayStore;

/** What a signed client token says (see {@link mintClientToken}). */
export interface ClientTokenClaims {
  /** Who the token is for (a student id, 1 to 256 bytes): the per-client budget's key. */
  sub: string;
  /** Seconds the token is valid from now. */
  ttlSeconds: number;
  /** This client's daily token budget (lowers `perClientDailyTokens`, or sets one). */
  dailyTokens?: number;
}

/**
 * Mints a signed client token with WebCrypto (Node, Deno, Bun, Workers,
 * Next.js): `v1.<base64url(JSON {sub, exp, nbf, dailyTokens?})>.<base64url(HMAC-SHA256 of "v1.<payload>")>`.
 * Call it in the site's backend, for a logged-in student, with the relay's
 * first secret; never in a page.
 */
export function mintClientToken(claims: ClientTokenClaims, secret: string): Promise<string>;

/** `/compatible-mode/v1/chat/completions`. */
export const OPENAI_PATH: string;
/** `/api/v1/services/aigc/multimodal-generation/generation`. */
export const DASHSCOPE_PATH: string;
