// @ts-check
// Entry of `visual-reasoning/element`: importing it registers
// <visual-reasoning-tutor> (a side effect, on purpose: one import, one tag).
// Where there is no DOM (server rendering in Next.js, Nuxt, SvelteKit,
// Astro; Node, Deno, Bun, Workers) importing it does nothing and throws
// nothing: the tag is defined when the same module runs in the browser.
import { VisualReasoningTutor } from "./tutor.js";

export { VisualReasoningTutor };

if (typeof HTMLElement !== "undefined" && typeof customElements !== "undefined" && !customElements.get("visual-reasoning-tutor")) {
  customElements.define("visual-reasoning-tutor", VisualReasoningTutor);
}
