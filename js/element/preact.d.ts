// `visual-reasoning/element/preact`: the element entry (importing it defines
// the tag, as `visual-reasoning/element` does) and the tag in Preact 11's JSX.
// Preact sets a prop the element has as a property, any other as an
// attribute, and adds `onvr-done` as a listener for the `vr-done` event.
import type { HTMLAttributes } from "preact";
import type { VisualReasoningTutor, TutorJsxProps } from "./element.js";

export * from "./element.js";

declare module "preact" {
  namespace JSX {
    interface IntrinsicElements {
      "visual-reasoning-tutor": HTMLAttributes<VisualReasoningTutor> & TutorJsxProps;
    }
  }
}
