// Stand-in transcript generator, used only when the relay binary (whose
// `transcript` subcommand is the real source of the benchmark's inputs) is
// not built. It follows PROTOCOL.md §3 byte for byte in framing, so a parser
// that handles these handles the mock's; the texts differ from the mock's.

import { prng } from "../../tests/support/prng.mjs";

// A small vocabulary mixing plain ASCII words, multi-byte UTF-8 and JSON
// escapes, so every contender pays for UTF-8 decoding and unescaping the
// way it would on a real reply about geometry.
const VOCAB = [
  " the", " triangle", " angle", " so", " we", " have", " x", " =", " 70", "°", " ∠A",
  " because", " sum", " of", " interior", " angles", " is", " 180", ".", ",", "\n",
  " $\\frac{1}{2}$", " \"base\"", " side", " length", " 计算", " equals", " 3", " +", " 4",
];

function tokens(n, seed) {
  const r = prng(seed);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = VOCAB[Math.floor(r() * VOCAB.length)];
  return out;
}

const ID = "a1b2c3d4-0000-4000-8000-000000000001";

/** @returns {string} the whole SSE body */
export function standinTranscript(protocol, reasoningTokens, answerTokens) {
  const reasoning = tokens(reasoningTokens, 1);
  const answer = tokens(answerTokens, 2);
  const parts = [];
  if (protocol === "openai") {
    const head = `data: {"id":"chatcmpl-${ID}","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[{"index":0,"delta":{`;
    reasoning.forEach((t, i) => {
      const role = i === 0 ? `"role":"assistant",` : "";
      parts.push(`${head}${role}"content":null,"reasoning_content":${JSON.stringify(t)}},"finish_reason":null,"logprobs":null}],"usage":null}\n\n`);
    });
    for (const t of answer) {
      parts.push(`${head}"content":${JSON.stringify(t)},"reasoning_content":null},"finish_reason":null,"logprobs":null}],"usage":null}\n\n`);
    }
    parts.push(`${head}"content":"","reasoning_content":null},"finish_reason":"stop","logprobs":null}],"usage":null}\n\n`);
    const total = 1266 + reasoningTokens + answerTokens;
    parts.push(`data: {"id":"chatcmpl-${ID}","object":"chat.completion.chunk","created":1764300000,"model":"qwen3-vl-plus","choices":[],"usage":{"prompt_tokens":1266,"completion_tokens":${reasoningTokens + answerTokens},"total_tokens":${total},"prompt_tokens_details":{"text_tokens":746,"image_tokens":520},"completion_tokens_details":{"reasoning_tokens":${reasoningTokens},"text_tokens":${answerTokens}}}}\n\n`);
    parts.push("data: [DONE]\n\n");
  } else {
    let n = 0;
    const usage = (r, a) =>
      `"usage":{"input_tokens":1266,"output_tokens":${r + a},"input_tokens_details":{"text_tokens":746,"image_tokens":520},"output_tokens_details":{"reasoning_tokens":${r},"text_tokens":${a}},"total_tokens":${1266 + r + a},"image_tokens":520},"request_id":"${ID}"}`;
    const ev = (msg, finish, r, a) => {
      n++;
      parts.push(`id:${n}\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":{${msg},"role":"assistant"},"finish_reason":"${finish}"}]},${usage(r, a)}\n\n`);
    };
    reasoning.forEach((t, i) => ev(`"content":[],"reasoning_content":${JSON.stringify(t)}`, "null", i + 1, 0));
    answer.forEach((t, i) => ev(`"content":[{"text":${JSON.stringify(t)}}],"reasoning_content":""`, "null", reasoningTokens, i + 1));
    ev(`"content":[],"reasoning_content":""`, "stop", reasoningTokens, answerTokens);
  }
  return parts.join("");
}
