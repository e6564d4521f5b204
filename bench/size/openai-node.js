// Minimal streaming page with openai-node.
import OpenAI from "openai";

const out = document.querySelector("pre");
const client = new OpenAI({ apiKey: "unused", baseURL: location.origin + "/compatible-mode/v1", dangerouslyAllowBrowser: true });
const stream = await client.chat.completions.create({
  model: "qwen3-vl-plus", stream: true, enable_thinking: true,
  messages: [{ role: "user", content: "Find angle x." }],
});
for await (const chunk of stream) {
  const d = chunk.choices[0]?.delta;
  if (d?.reasoning_content) out.append(d.reasoning_content);
  if (d?.content) out.append(d.content);
}
