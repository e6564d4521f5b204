// The conformance suite against the JS relay under Bun (Bun.serve, npm `bun`).
import { conformance } from "./conformance.mjs";
import { spendConformance } from "./spend.mjs";
import { TARGETS } from "./targets.mjs";

conformance(TARGETS.bun);
spendConformance(TARGETS.bun);
