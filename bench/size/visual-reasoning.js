// Minimal streaming page with this package: stream a reply into <pre>.
import init, { Client } from "visual-reasoning";

await init();
const out = document.querySelector("pre");
const stream = new Client({ baseUrl: location.origin }).stream({
  model: "qwen3-vl-plus",
  enableThinking: true,
  messages: [{ role: "user", content: "Find angle x." }],
});
for await (const part of stream) if (part.type !== "usage") out.append(part.text);
