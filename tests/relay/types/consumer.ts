// A strict TypeScript consumer of visual-reasoning/relay and /relay/node:
// every documented way of calling them type-checks, and misuse does not.
import { createRelay, memoryStore, mintClientToken, type ClientTokenClaims, type RelayHandler, type RelayOptions, type RelayStore } from "../../../pkg/relay.js";
import { redisStore, STORE_SCRIPT, type RedisStore } from "../../../pkg/relay-redis.js";
import { createNodeServer, defaultMaxConnections, toNodeListener } from "../../../pkg/relay-node.js";

const options: RelayOptions = {
  apiKey: "sk-test",
  region: "us",
  allowOrigins: ["https://tutor.example"],
  allowNoOrigin: false,
  allowSameOrigin: true,
  clientToken: "page-token",
  allowModels: ["qwen3-vl-plus"],
  maxTokens: 4096,
  maxBodyBytes: 1 << 20,
  upstreamTimeoutMs: 30_000,
  bodyTimeoutMs: 10_000,
  rateLimit: 30,
  maxStreamsPerClient: 4,
  trustForwardedFor: false,
  clientId: (request) => request.headers.get("cf-connecting-ip"),
  basePath: "/api/relay",
  log: (line: string) => void line,
  fallback: async () => undefined,
  store: memoryStore(),
  tokenSecrets: ["a-long-secret-0123456789", "the-old-secret-0123456789"],
  dailyTokenBudget: 2_000_000,
  perClientDailyTokens: 20_000,
  budgetWindowSeconds: 86_400,
  budgetStoreFail: "closed",
};
const relay: RelayHandler = createRelay(options);
const response: Promise<Response> = relay(new Request("https://relay.example/healthz"));
void response;
void relay(new Request("https://relay.example/config"), { remoteAddress: "127.0.0.1", target: "/config" });

// A store of one's own: the two operations, async.
const store: RelayStore = {
  async add(key: string, delta: number, ttlSeconds: number) {
    return key.length + delta + ttlSeconds;
  },
  async take(_key: string, count: number, capacity: number, perSecond: number) {
    return count > capacity ? 1 / perSecond : 0;
  },
};
createRelay({ apiKey: "k", store, log: false });

// The Node adapter.
const server = createNodeServer(relay, { headerTimeoutMs: 10_000, maxConnections: defaultMaxConnections(), maxConnectionsPerIp: 64 });
server.listen(0);
const listener = toNodeListener(relay);
void listener;

// @ts-expect-error apiKey is required
createRelay({ region: "intl" });
// @ts-expect-error not a region
createRelay({ apiKey: "k", region: "eu" });
// @ts-expect-error allowOrigins is a list
createRelay({ apiKey: "k", allowOrigins: "https://a.example" });

// Spending control: minting, and a shared store.
const claims: ClientTokenClaims = { sub: "student-7", ttlSeconds: 600, dailyTokens: 5000 };
const minted: Promise<string> = mintClientToken(claims, "a-long-secret-0123456789");
void minted;
const shared: RedisStore = redisStore("redis://127.0.0.1:6379/0", { timeoutMs: 500 });
const sharedAsStore: RelayStore = shared;
void sharedAsStore;
shared.close();
const script: string = STORE_SCRIPT;
void script;
// @ts-expect-error budgetStoreFail is "closed" or "open"
createRelay({ apiKey: "k", budgetStoreFail: "maybe" });
// @ts-expect-error a token needs a sub
void mintClientToken({ ttlSeconds: 60 }, "secret");
