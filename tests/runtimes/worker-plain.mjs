// A Cloudflare Worker using the main entry: the .wasm imported as a module
// (wrangler makes it a WebAssembly.Module) and handed to init().
import init, * as vr from "visual-reasoning";
import wasm from "visual-reasoning/visual_reasoning_bg.wasm";
import { run } from "./scenarios.mjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/ping") return new Response("ok"); // the test waits for this
    const q = url.searchParams;
    if (q.has("noinit")) {
      // What a Worker gets from init() with no argument: no import.meta.url to fetch from.
      const e = await init().then(() => undefined, (e) => e);
      return Response.json({ message: e?.message });
    }
    await init({ module_or_path: wasm });
    return Response.json(await run(vr, { mock: q.get("mock"), tag: q.get("tag") }));
  },
};
