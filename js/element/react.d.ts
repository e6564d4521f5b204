// `visual-reasoning/element/react`: the element entry (importing it defines
// the tag, as `visual-reasoning/element` does) and the tag in React 19's JSX.
// React 19 sets a prop the element has as a property (headers, system,
// thinking…), any other as an attribute ("base-url", "thinking-budget"),
// and adds `onvr-done` as a listener for the element's `vr-done` event.
import type { DetailedHTMLProps, HTMLAttributes } from "react";
import type { VisualReasoningTutor, TutorJsxProps } from "./element.js";

export * from "./element.js";

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "visual-reasoning-tutor": DetailedHTMLProps<HTMLAttributes<VisualReasoningTutor>, VisualReasoningTutor> & TutorJsxProps;
    }
  }
}
