// This package as a contender: the public API only (API.md), used the way
// the README shows — iterate the parts, then read the accumulated texts.
export const MODEL = "qwen3-vl-plus";

export function packageContender(Client) {
  return {
    name: "visual-reasoning",
    protocols: ["openai", "dashscope"],
    async run({ baseUrl, protocol, headers }) {
      const stream = new Client({ baseUrl, protocol, headers, maxRetries: 0 }).stream({
        model: MODEL,
        enableThinking: true,
        messages: [{ role: "user", content: "Find angle x." }],
      });
      // Touch every part's text, as a page appending it to the DOM would.
      let chars = 0;
      for await (const part of stream) if (part.type !== "usage") chars += part.text.length;
      const reasoning = stream.reasoning;
      const answer = stream.answer;
      if (chars !== reasoning.length + answer.length) {
        throw new Error(`parts carried ${chars} chars, texts have ${reasoning.length + answer.length}`);
      }
      return { reasoning, answer };
    },
  };
}
