// The JS relay as a Cloudflare Worker module (workerd in the tests), as
// relay/README.md "Deploy: Cloudflare Workers" shows it: the key from the
// DASHSCOPE_API_KEY secret, options from the RELAY_OPTIONS variable (JSON).
import { createRelay } from "./relay.js";

let relay;
export default {
  fetch(request, env) {
    relay ??= createRelay({ ...JSON.parse(env.RELAY_OPTIONS ?? "{}"), apiKey: env.DASHSCOPE_API_KEY });
    return relay(request);
  },
};
