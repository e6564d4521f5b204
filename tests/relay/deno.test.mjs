// The conformance suite against the JS relay under Deno (Deno.serve, npm `deno`).
import { conformance } from "./conformance.mjs";
import { TARGETS } from "./targets.mjs";

conformance(TARGETS.deno);
