// Entry of `visual-reasoning/element`: importing it registers
// <visual-reasoning-tutor> (a side effect, on purpose: one import, one tag).
import { VisualReasoningTutor } from "./tutor.js";

export { VisualReasoningTutor };

if (typeof customElements !== "undefined" && !customElements.get("visual-reasoning-tutor")) {
  customElements.define("visual-reasoning-tutor", VisualReasoningTutor);
}
