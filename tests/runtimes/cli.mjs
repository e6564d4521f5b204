// Deno and Bun run this (tests/runtimes/deno.test.mjs, bun.test.mjs) from a
// project with the packed package installed: the entry VR_ENTRY names
// ("auto": `visual-reasoning/auto`; "plain": the main module and a bare
// `await init()`), the scenarios against VR_MOCK, their results as one JSON
// line.
import { run } from "./scenarios.mjs";

const env = (k) => globalThis.Deno?.env.get(k) ?? globalThis.process?.env[k];
let vr;
if (env("VR_ENTRY") === "auto") {
  vr = await import("visual-reasoning/auto");
} else {
  vr = await import("visual-reasoning");
  await vr.default();
}
console.log(JSON.stringify(await run(vr, { mock: env("VR_MOCK"), tag: env("VR_TAG") })));
