// A consumer of visual-reasoning/auto (pkg/auto.d.ts), type-checked by
// tests/types/types.test.mjs: every export is the main module's, the same
// declarations, with no init() call needed.
import init, * as auto from "../../pkg/auto.js";
import * as main from "../../pkg/visual_reasoning.js";
import type { FinishReason, Part, Result } from "../../pkg/auto.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(): void {}

expectTrue<Equal<typeof auto, typeof main>>();
expectTrue<Equal<typeof init, typeof main.default>>();
expectTrue<Equal<Result["finishReason"], FinishReason>>();

async function use(): Promise<string> {
  const stream = new auto.Client({ baseUrl: "https://relay.example.com" }).stream({
    model: "qwen3-vl-plus",
    messages: [{ role: "user", content: "x" }],
  });
  for await (const part of stream) {
    const p: Part = part;
    void p;
  }
  return (await stream.result()).answer;
}
void use;
