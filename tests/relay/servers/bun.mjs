// The JS relay under Bun.serve, as relay/README.md "Deploy: Bun" shows it;
// options from RELAY_OPTIONS (JSON), the key from DASHSCOPE_API_KEY.
const { createRelay, mintClientToken } = await import(process.env.RELAY_MODULE ?? "visual-reasoning/relay");

// Tests only: GET /__test/mint?sub=S&ttl=SECS mints a client token in this runtime.
const mintSecret = process.env.VR_TEST_MINT_SECRET;
const mint = (request) => {
  const u = new URL(request.url);
  if (!mintSecret || u.pathname !== "/__test/mint") return undefined;
  return mintClientToken({ sub: u.searchParams.get("sub"), ttlSeconds: Number(u.searchParams.get("ttl")) }, mintSecret).then((t) => new Response(t));
};
// With RELAY_REDIS_URL: counters in Redis, through visual-reasoning/relay/redis.
const redisUrl = ((k) => process.env[k])("RELAY_REDIS_URL");
const store = redisUrl ? (await import(((k) => process.env[k])("RELAY_REDIS_MODULE") ?? "visual-reasoning/relay/redis")).redisStore(redisUrl) : undefined;
const relay = createRelay({ store, ...JSON.parse(process.env.RELAY_OPTIONS ?? "{}"), apiKey: process.env.DASHSCOPE_API_KEY });
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  // Bun closes a connection silent for 10 s by default; a model may think
  // quietly for longer (255 s is Bun's maximum).
  idleTimeout: 255,
  fetch: (request, server) => mint(request) ?? relay(request, { remoteAddress: server.requestIP(request)?.address }),
});
console.log(`listening on http://${server.hostname}:${server.port}`);
