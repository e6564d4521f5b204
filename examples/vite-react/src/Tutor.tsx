// The element in React 19: `visual-reasoning/element/react` defines the tag
// and types it in JSX, so `e.detail` below is a Result / a
// VisualReasoningError, not `any`.
import { useState } from "react";
import "visual-reasoning/element/react";
import type { Result, VisualReasoningError } from "visual-reasoning";
import { RELAY_URL } from "./relay";

export function Tutor() {
  const [done, setDone] = useState<Result | null>(null);
  const [error, setError] = useState<VisualReasoningError | null>(null);

  return (
    <section aria-labelledby="tutor-title">
      <h2 id="tutor-title">The element</h2>
      <visual-reasoning-tutor
        base-url={RELAY_URL}
        thinking
        onvr-start={() => {
          setDone(null);
          setError(null);
        }}
        onvr-done={(e) => setDone(e.detail)}
        onvr-error={(e) => setError(e.detail)}
      />
      {done && (
        <p data-testid="tutor-done">
          Answered ({done.finishReason}, {done.answer.length} characters, {done.usage?.totalTokens ?? "?"} tokens)
        </p>
      )}
      {error && (
        <p role="alert" data-testid="tutor-error">
          {error.name}
          {error.status !== undefined ? ` ${error.status}` : ""}: {error.message}
          {error.retryable ? " (retryable)" : ""}
        </p>
      )}
    </section>
  );
}
