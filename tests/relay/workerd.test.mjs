// The conformance suite against the JS relay as a Worker in Cloudflare's
// runtime (npm `workerd`), the key from the Worker's env.
import { conformance } from "./conformance.mjs";
import { spendConformance } from "./spend.mjs";
import { TARGETS } from "./targets.mjs";

conformance(TARGETS.workerd);
spendConformance(TARGETS.workerd);
