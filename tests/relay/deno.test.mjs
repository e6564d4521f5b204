// The conformance suite against the JS relay under Deno (Deno.serve, npm `deno`).
import { conformance } from "./conformance.mjs";
import { spendConformance } from "./spend.mjs";
import { TARGETS } from "./targets.mjs";

conformance(TARGETS.deno);
spendConformance(TARGETS.deno);
