// A Cloudflare Worker using `visual-reasoning/auto`, as a user writes it:
// bundled the way wrangler bundles (tests/runtimes/workerd.test.mjs), the
// auto entry resolves to auto-workerd.js, which imports the .wasm module.
import * as vr from "visual-reasoning/auto";
import { run } from "./scenarios.mjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/ping") return new Response("ok"); // the test waits for this
    const q = url.searchParams;
    return Response.json(await run(vr, { mock: q.get("mock"), tag: q.get("tag") }));
  },
};
