// The conformance suite against the JS relay as a Next.js App Router route
// handler: examples/nextjs, installed from the packed tarball, built with
// `next build` and served by `next start`, at /api/relay.
import { after, before } from "node:test";
import { conformance } from "./conformance.mjs";
import { TARGETS, buildNextApp, removeNextApp } from "./targets.mjs";

before(buildNextApp, { timeout: 600_000 });
after(removeNextApp);
conformance(TARGETS.nextjs);
