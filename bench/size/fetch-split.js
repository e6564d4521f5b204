// Minimal streaming page with fetch + TextDecoder + split lines + JSON.parse.
const out = document.querySelector("pre");
const res = await fetch(location.origin + "/compatible-mode/v1/chat/completions", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: "qwen3-vl-plus", stream: true, enable_thinking: true,
    messages: [{ role: "user", content: "Find angle x." }] }),
});
const decoder = new TextDecoder();
let buf = "";
for await (const chunk of res.body) {
  buf += decoder.decode(chunk, { stream: true });
  const lines = buf.split("\n");
  buf = lines.pop();
  for (const line of lines) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]") break;
    const d = JSON.parse(data).choices[0]?.delta;
    if (d?.reasoning_content) out.append(d.reasoning_content);
    if (d?.content) out.append(d.content);
  }
}
