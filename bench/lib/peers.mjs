// The JavaScript peers, written the way a web developer would use each one.
// Every contender has the same shape so the harness can time them alike:
//   run({ baseUrl, protocol, headers }) -> Promise<{ reasoning, answer }>
// They all request through `globalThis.fetch`, so one substitution of that
// function (bench/lib/harness.mjs) feeds every contender the same bytes.
import OpenAI from "openai";
import { createParser } from "eventsource-parser";

export const OPENAI_PATH = "/compatible-mode/v1/chat/completions";
export const DASHSCOPE_PATH = "/api/v1/services/aigc/multimodal-generation/generation";
export const MODEL = "qwen3-vl-plus";
const MESSAGES = [{ role: "user", content: "Find angle x." }];

export function requestInit(protocol, headers) {
  if (protocol === "openai") {
    return {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      body: JSON.stringify({
        model: MODEL, messages: MESSAGES, stream: true,
        stream_options: { include_usage: true }, enable_thinking: true,
      }),
    };
  }
  return {
    method: "POST",
    headers: {
      "content-type": "application/json", accept: "text/event-stream",
      "x-dashscope-sse": "enable", ...headers,
    },
    body: JSON.stringify({
      model: MODEL, input: { messages: [{ role: "user", content: [{ text: "Find angle x." }] }] },
      parameters: { incremental_output: true, result_format: "message", enable_thinking: true },
    }),
  };
}

function urlFor(baseUrl, protocol) {
  return baseUrl + (protocol === "openai" ? OPENAI_PATH : DASHSCOPE_PATH);
}

// One decoded event's JSON -> texts, for both wire shapes (PROTOCOL.md §3).
function takeOpenAi(obj, acc) {
  const c = obj.choices;
  if (c && c.length) {
    const d = c[0].delta;
    if (d) {
      if (d.reasoning_content) acc.reasoning += d.reasoning_content;
      if (d.content) acc.answer += d.content;
    }
  }
}
function takeDashScope(obj, acc) {
  const c = obj.output && obj.output.choices;
  if (c && c.length) {
    const m = c[0].message;
    if (m) {
      if (m.reasoning_content) acc.reasoning += m.reasoning_content;
      const items = m.content;
      if (Array.isArray(items)) for (const it of items) if (it.text) acc.answer += it.text;
    }
  }
}

/** openai-node 6.x: the official SDK's streaming chat completions. */
export const openaiNode = {
  name: "openai-node",
  protocols: ["openai"],
  async run({ baseUrl, headers }) {
    const client = new OpenAI({
      apiKey: "bench",
      baseURL: baseUrl + "/compatible-mode/v1",
      defaultHeaders: headers,
      maxRetries: 0,
      dangerouslyAllowBrowser: true,
      // Late-bound so the harness's substitution of globalThis.fetch applies.
      fetch: (input, init) => globalThis.fetch(input, init),
    });
    const stream = await client.chat.completions.create({
      model: MODEL, messages: MESSAGES, stream: true,
      stream_options: { include_usage: true },
      // @ts-ignore: a DashScope extension, sent through as a body field
      enable_thinking: true,
    });
    const acc = { reasoning: "", answer: "" };
    for await (const chunk of stream) takeOpenAi(chunk, acc);
    return acc;
  },
};

/** eventsource-parser 4 over a TextDecoder, one JSON.parse per event. */
export const eventsourceParser = {
  name: "eventsource-parser",
  protocols: ["openai", "dashscope"],
  async run({ baseUrl, protocol, headers }) {
    const res = await globalThis.fetch(urlFor(baseUrl, protocol), requestInit(protocol, headers));
    const acc = { reasoning: "", answer: "" };
    const take = protocol === "openai" ? takeOpenAi : takeDashScope;
    let done = false;
    const parser = createParser({
      onEvent(ev) {
        if (ev.data === "[DONE]") { done = true; return; }
        if (ev.event === "error") throw new Error("error event: " + ev.data);
        take(JSON.parse(ev.data), acc);
      },
    });
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (done) { await reader.cancel(); break; }
    }
    return acc;
  },
};

/** The hand-rolled baseline: TextDecoder, split on newlines, JSON.parse `data:` lines. */
export const plainSplit = {
  name: "fetch+split",
  protocols: ["openai", "dashscope"],
  async run({ baseUrl, protocol, headers }) {
    const res = await globalThis.fetch(urlFor(baseUrl, protocol), requestInit(protocol, headers));
    const acc = { reasoning: "", answer: "" };
    const take = protocol === "openai" ? takeOpenAi : takeDashScope;
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    let buf = "";
    let done = false;
    while (!done) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buf += decoder.decode(value, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop();
      for (let line of lines) {
        if (!line.startsWith("data:")) continue;
        if (line.endsWith("\r")) line = line.slice(0, -1);
        const data = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        if (data === "[DONE]") { done = true; break; }
        take(JSON.parse(data), acc);
      }
    }
    if (done) await reader.cancel();
    return acc;
  },
};

export const PEERS = [eventsourceParser, plainSplit, openaiNode];
