// Minimal streaming page with eventsource-parser + JSON.parse.
import { createParser } from "eventsource-parser";

const out = document.querySelector("pre");
const res = await fetch(location.origin + "/compatible-mode/v1/chat/completions", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: "qwen3-vl-plus", stream: true, enable_thinking: true,
    messages: [{ role: "user", content: "Find angle x." }] }),
});
const parser = createParser({
  onEvent(ev) {
    if (ev.data === "[DONE]") return;
    const d = JSON.parse(ev.data).choices[0]?.delta;
    if (d?.reasoning_content) out.append(d.reasoning_content);
    if (d?.content) out.append(d.content);
  },
});
const decoder = new TextDecoder();
for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
