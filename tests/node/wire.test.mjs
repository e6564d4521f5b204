// API.md "Wire requests": the body each protocol gets, as the mock recorded it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { PROTOCOLS, loadPkg, mockOptions, requestsFor, uid } from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(() => mock?.stop());

/** Sends one request and returns the body the mock saw. */
async function sent(protocol, request, transport = "stream") {
  const id = uid("wire");
  const client = new Client(mockOptions(mock, protocol, { id, maxRetries: 0 }));
  if (transport === "stream") await client.stream(request).result();
  else await client.complete({ ...request, transport });
  const recs = await requestsFor(mock, id);
  assert.equal(recs.length, 1, "one request reached the mock");
  assert.equal(typeof recs[0].body, "object", `the mock parsed the body as JSON: ${String(recs[0].body).slice(0, 200)}`);
  return recs[0];
}

const user = (content) => [{ role: "user", content }];

/** Text of a message's content in either wire form (string or items). */
function textOf(content, protocol) {
  if (typeof content === "string") return content;
  return content
    .map((c) => {
      if (protocol === "openai") {
        assert.equal(c.type, "text", `openai text item: ${JSON.stringify(c)}`);
        return c.text;
      }
      assert.deepEqual(Object.keys(c), ["text"], `dashscope text item: ${JSON.stringify(c)}`);
      return c.text;
    })
    .join("");
}

describe("openai body", () => {
  test("minimal request: model, messages, stream, stream_options and nothing else", async () => {
    const { body, headers } = await sent("openai", { model: "qwen3-vl-plus", messages: user("hello") });
    assert.deepEqual(Object.keys(body).sort(), ["messages", "model", "stream", "stream_options"]);
    assert.equal(body.model, "qwen3-vl-plus");
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0].role, "user");
    assert.equal(textOf(body.messages[0].content, "openai"), "hello");
    assert.ok(!("x-dashscope-sse" in headers));
  });

  test("every option under its wire name, thinking options top-level", async () => {
    const { body } = await sent("openai", {
      model: "qwen3-vl-plus",
      messages: user("hello"),
      enableThinking: true,
      thinkingBudget: 4096,
      maxTokens: 300,
      temperature: 0.25,
      topP: 0.5,
      seed: 42,
      stop: ["END", "STOP"],
      vlHighResolutionImages: true,
    });
    assert.equal(body.enable_thinking, true);
    assert.equal(body.thinking_budget, 4096);
    assert.equal(body.max_tokens, 300);
    assert.equal(body.temperature, 0.25);
    assert.equal(body.top_p, 0.5);
    assert.equal(body.seed, 42);
    assert.deepEqual(body.stop, ["END", "STOP"]);
    assert.equal(body.vl_high_resolution_images, true);
    assert.ok(!("parameters" in body) && !("input" in body), "no dashscope structure in an openai body");
    for (const camel of ["enableThinking", "thinkingBudget", "maxTokens", "topP", "vlHighResolutionImages", "signal", "extra"]) {
      assert.ok(!(camel in body), `${camel} leaked into the wire body`);
    }
  });

  test("stop as a string stays a string; false and 0 are sent (set, though falsy)", async () => {
    const { body } = await sent("openai", {
      model: "qwen3-vl-plus", messages: user("x"), stop: "END", enableThinking: false, temperature: 0, seed: 0,
    });
    assert.equal(body.stop, "END");
    assert.equal(body.enable_thinking, false);
    assert.equal(body.temperature, 0);
    assert.equal(body.seed, 0);
  });

  test("transport json: a non-streaming body (stream false or absent, no stream_options)", async () => {
    const { body, headers } = await sent("openai", { model: "qwen3-vl-plus", messages: user("x") }, "json");
    assert.ok(body.stream === false || !("stream" in body), `stream: ${body.stream}`);
    assert.ok(!("stream_options" in body));
    assert.ok(!("x-dashscope-sse" in headers));
  });
});

describe("dashscope body", () => {
  test("minimal request: model, input.messages, parameters with incremental_output and result_format only", async () => {
    const { body, headers } = await sent("dashscope", { model: "qwen3-vl-plus", messages: user("hello") });
    assert.deepEqual(Object.keys(body).sort(), ["input", "model", "parameters"]);
    assert.equal(body.model, "qwen3-vl-plus");
    assert.deepEqual(Object.keys(body.input), ["messages"]);
    assert.deepEqual(body.parameters, { incremental_output: true, result_format: "message" });
    assert.equal(textOf(body.input.messages[0].content, "dashscope"), "hello");
    assert.equal(headers["x-dashscope-sse"], "enable");
  });

  test("every option inside parameters under its wire name", async () => {
    const { body } = await sent("dashscope", {
      model: "qwen3-vl-plus",
      messages: user("hello"),
      enableThinking: true,
      thinkingBudget: 2048,
      maxTokens: 300,
      temperature: 0.25,
      topP: 0.5,
      seed: 42,
      stop: "END",
      vlHighResolutionImages: true,
    });
    assert.deepEqual(Object.keys(body).sort(), ["input", "model", "parameters"], "options are not top-level");
    assert.deepEqual(body.parameters, {
      incremental_output: true,
      result_format: "message",
      enable_thinking: true,
      thinking_budget: 2048,
      max_tokens: 300,
      temperature: 0.25,
      top_p: 0.5,
      seed: 42,
      stop: "END",
      vl_high_resolution_images: true,
    });
  });

  test("transport json: no X-DashScope-SSE header", async () => {
    const { headers, body } = await sent("dashscope", { model: "qwen3-vl-plus", messages: user("x") }, "json");
    assert.ok(!("x-dashscope-sse" in headers));
    assert.equal(body.model, "qwen3-vl-plus");
  });
});

describe("content items are translated to the chosen protocol", () => {
  const dashscopeStyle = [
    { image: "https://example.com/a.png" },
    { video: "https://example.com/v.mp4" },
    { video: ["https://example.com/f1.jpg", "https://example.com/f2.jpg"], fps: 2 },
    { text: "Find angle x." },
  ];
  const openaiStyle = [
    { type: "image_url", image_url: { url: "https://example.com/a.png" } },
    { type: "video_url", video_url: { url: "https://example.com/v.mp4" } },
    { video: ["https://example.com/f1.jpg", "https://example.com/f2.jpg"], fps: 2 },
    { type: "text", text: "Find angle x." },
  ];
  const expected = {
    openai: [
      { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      { type: "video_url", video_url: { url: "https://example.com/v.mp4" } },
      { type: "video", video: ["https://example.com/f1.jpg", "https://example.com/f2.jpg"], fps: 2 },
      { type: "text", text: "Find angle x." },
    ],
    dashscope: [
      { image: "https://example.com/a.png" },
      { video: "https://example.com/v.mp4" },
      { video: ["https://example.com/f1.jpg", "https://example.com/f2.jpg"], fps: 2 },
      { text: "Find angle x." },
    ],
  };
  for (const protocol of PROTOCOLS) {
    for (const [style, items] of [["DashScope-style", dashscopeStyle], ["OpenAI-style", openaiStyle]]) {
      test(`${style} items → ${protocol}`, async () => {
        const rec = await sent(protocol, { model: "qwen3-vl-plus", messages: user(items) });
        const msgs = protocol === "openai" ? rec.body.messages : rec.body.input.messages;
        assert.deepEqual(msgs, [{ role: "user", content: expected[protocol] }]);
      });
    }

    test(`system, user and assistant turns keep their order and roles (${protocol})`, async () => {
      const rec = await sent(protocol, {
        model: "qwen3-vl-plus",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "one" },
          { role: "assistant", content: "two" },
          { role: "user", content: [{ text: "three" }] },
        ],
      });
      const msgs = protocol === "openai" ? rec.body.messages : rec.body.input.messages;
      assert.deepEqual(msgs.map((m) => m.role), ["system", "user", "assistant", "user"]);
      assert.deepEqual(msgs.map((m) => textOf(m.content, protocol)), ["Be brief.", "one", "two", "three"]);
    });

    test(`a Blob image becomes a base64 data: URL with its MIME type (${protocol})`, async () => {
      const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 250, 251, 252, 253, 254, 255]);
      const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7]);
      const rec = await sent(protocol, {
        model: "qwen3-vl-plus",
        messages: user([
          { image: new Blob([png], { type: "image/png" }) },
          { image: new File([jpeg], "photo.jpg", { type: "image/jpeg" }) },
          { text: "What is this?" },
        ]),
      });
      const want = [
        `data:image/png;base64,${Buffer.from(png).toString("base64")}`,
        `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}`,
      ];
      const content = (protocol === "openai" ? rec.body.messages : rec.body.input.messages)[0].content;
      const urls = content.filter((c) => (protocol === "openai" ? c.type === "image_url" : "image" in c))
        .map((c) => (protocol === "openai" ? c.image_url.url : c.image));
      assert.deepEqual(urls, want);
    });
  }
});

describe("extra is deep-merged into the wire body last", () => {
  test("openai: new top-level keys, nested objects merged key by key, arrays and scalars replaced", async () => {
    const { body } = await sent("openai", {
      model: "qwen3-vl-plus",
      messages: user("x"),
      stop: ["a", "c"],
      temperature: 0.3,
      extra: { top_k: 20, stream_options: { note: "kept" }, stop: ["b"], temperature: 0.9, custom: { deep: { x: 1 } } },
    });
    assert.equal(body.top_k, 20);
    assert.deepEqual(body.stream_options, { include_usage: true, note: "kept" });
    assert.deepEqual(body.stop, ["b"]);
    assert.equal(body.temperature, 0.9);
    assert.deepEqual(body.custom, { deep: { x: 1 } });
    assert.equal(body.stream, true);
  });

  test("dashscope: extra.parameters reaches parameters without losing the library's keys", async () => {
    const { body } = await sent("dashscope", {
      model: "qwen3-vl-plus",
      messages: user("x"),
      enableThinking: true,
      extra: { parameters: { top_k: 20, enable_thinking: false } },
    });
    assert.deepEqual(body.parameters, {
      incremental_output: true,
      result_format: "message",
      enable_thinking: false,
      top_k: 20,
    });
  });

  test("dashscope: a top-level extra key stays top-level (extra is merged into the body, not parameters)", async () => {
    const { body } = await sent("dashscope", { model: "qwen3-vl-plus", messages: user("x"), extra: { top_k: 5 } });
    assert.equal(body.top_k, 5);
    assert.ok(!("top_k" in body.parameters));
  });

  test("extra values of every JSON kind survive intact", async () => {
    const value = { s: "ü \"q\" \\ \n é 😀", n: -1.5e-7, big: 1234567890123, t: true, f: false, z: null, a: [1, [2, { b: "c" }]], o: {} };
    const { body } = await sent("openai", { model: "qwen3-vl-plus", messages: user("x"), extra: { value } });
    assert.deepEqual(body.value, value);
  });
});
