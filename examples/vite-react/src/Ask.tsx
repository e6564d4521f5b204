// The client API into React state: each part is appended as it arrives, so
// the thinking shows first, then the answer grows under it.
import { useEffect, useRef, useState } from "react";
import { Client, VisualReasoningError, type Usage } from "visual-reasoning/auto";
import { RELAY_URL } from "./relay";

// One client for the page (`visual-reasoning/auto` has loaded the wasm on import).
const client = new Client({ baseUrl: RELAY_URL });

type Phase = "idle" | "thinking" | "answering" | "done" | "failed";

export function Ask() {
  const [question, setQuestion] = useState("Find the angle x in the triangle.");
  const [phase, setPhase] = useState<Phase>("idle");
  const [reasoning, setReasoning] = useState("");
  const [answer, setAnswer] = useState("");
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);

  // Leaving the page (or React unmounting the component) stops the stream.
  useEffect(() => () => running.current?.abort(), []);

  async function ask() {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setPhase("thinking");
    setReasoning("");
    setAnswer("");
    setUsage(null);
    setError(null);
    try {
      const stream = client.stream({
        model: "qwen3-vl-plus",
        enableThinking: true,
        messages: [{ role: "user", content: question }],
        signal: controller.signal,
      });
      for await (const part of stream) {
        if (part.type === "reasoning") setReasoning((text) => text + part.text);
        else if (part.type === "answer") {
          setPhase("answering");
          setAnswer((text) => text + part.text);
        } else setUsage(part.usage);
      }
      setPhase("done");
    } catch (e) {
      if (controller.signal.aborted) return; // a newer question took over
      setPhase("failed");
      // Every error the package throws is a VisualReasoningError (ApiError,
      // NetworkError, …) and keeps the text already streamed in `partial`.
      setError(e instanceof VisualReasoningError ? `${e.name}: ${e.message}` : String(e));
    }
  }

  return (
    <section aria-labelledby="ask-title">
      <h2 id="ask-title">The client, into React state</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <input aria-label="Question" value={question} onChange={(e) => setQuestion(e.target.value)} />
        <button type="submit">Ask</button>
      </form>
      <p data-testid="phase">{phase}</p>
      <details open>
        <summary>Thinking</summary>
        <pre data-testid="reasoning">{reasoning}</pre>
      </details>
      <pre data-testid="answer">{answer}</pre>
      {usage && <p data-testid="usage">{usage.totalTokens} tokens</p>}
      {error && <p role="alert" data-testid="ask-error">{error}</p>}
    </section>
  );
}
