"use client";
// The element in a client component. This module runs on the server too
// (to render the page's HTML): there, importing the element defines nothing
// and throws nothing; in the browser it defines the tag and the server's
// <visual-reasoning-tutor> upgrades. React 19 adds `onvr-done` and
// `onvr-error` as listeners for the element's events (in TypeScript,
// `import "visual-reasoning/element/react"` types them).
import { useEffect, useState } from "react";
import "visual-reasoning/element";

export function Tutor() {
  const [status, setStatus] = useState("Loading…");
  useEffect(() => setStatus("Ready: ask a question."), []);
  return (
    <>
      {/* Same-origin: app/api/relay/[...path]/route.js adds the key. */}
      <visual-reasoning-tutor
        base-url="/api/relay"
        onvr-start={() => setStatus("Thinking…")}
        onvr-done={(e) => setStatus(`Answered (${e.detail.finishReason}, ${e.detail.usage?.totalTokens ?? "?"} tokens).`)}
        onvr-error={(e) => setStatus(`${e.detail.name}: ${e.detail.message}`)}
      />
      <p role="status" data-testid="tutor-status">{status}</p>
    </>
  );
}
