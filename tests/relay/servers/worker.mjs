// The JS relay as a Cloudflare Worker module (workerd in the tests), as
// relay/README.md "Deploy: Cloudflare Workers" shows it: the key from the
// DASHSCOPE_API_KEY secret, options from the RELAY_OPTIONS variable (JSON).
import { createRelay, mintClientToken } from "./relay.js";

let relay;
export default {
  async fetch(request, env) {
    // Tests only: GET /__test/mint?sub=S&ttl=SECS mints a client token in workerd.
    const u = new URL(request.url);
    if (env.VR_TEST_MINT_SECRET && u.pathname === "/__test/mint") {
      return new Response(await mintClientToken({ sub: u.searchParams.get("sub"), ttlSeconds: Number(u.searchParams.get("ttl")) }, env.VR_TEST_MINT_SECRET));
    }
    relay ??= createRelay({ ...JSON.parse(env.RELAY_OPTIONS ?? "{}"), apiKey: env.DASHSCOPE_API_KEY });
    return relay(request);
  },
};
