// The JS relay under Deno.serve, as relay/README.md "Deploy: Deno" shows it;
// options from RELAY_OPTIONS (JSON), the key from DASHSCOPE_API_KEY.
const { createRelay, mintClientToken } = await import(Deno.env.get("RELAY_MODULE") ?? "visual-reasoning/relay");

// Tests only: GET /__test/mint?sub=S&ttl=SECS mints a client token in this runtime.
const mintSecret = Deno.env.get("VR_TEST_MINT_SECRET");
const mint = (request) => {
  const u = new URL(request.url);
  if (!mintSecret || u.pathname !== "/__test/mint") return undefined;
  return mintClientToken({ sub: u.searchParams.get("sub"), ttlSeconds: Number(u.searchParams.get("ttl")) }, mintSecret).then((t) => new Response(t));
};
// With RELAY_REDIS_URL: counters in Redis, through visual-reasoning/relay/redis.
const redisUrl = Deno.env.get("RELAY_REDIS_URL");
const store = redisUrl ? (await import(Deno.env.get("RELAY_REDIS_MODULE") ?? "visual-reasoning/relay/redis")).redisStore(redisUrl) : undefined;
const relay = createRelay({ store, ...JSON.parse(Deno.env.get("RELAY_OPTIONS") ?? "{}"), apiKey: Deno.env.get("DASHSCOPE_API_KEY") });
Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  (request, info) => mint(request) ?? relay(request, { remoteAddress: info.remoteAddr.hostname }),
);
