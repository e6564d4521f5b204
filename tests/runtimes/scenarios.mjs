// What the client does in a runtime other than Node and the browsers
// (Deno, Bun, workerd: tests/runtimes/*.test.mjs), run inside it with the
// runtime's own fetch against the mock. `vr` is the package's module as the
// runtime imported it (the main entry after init(), or the auto entry).
// Returns plain data; the tests assert on it in Node, where they also ask
// the mock how each connection ended.

const ask = [{ role: "user", content: "What is 2 + 2?" }];

/** An error's class memberships and fields, as plain data. */
function describe(vr, e) {
  const classes = ["VisualReasoningError", "ApiError", "NetworkError", "TimeoutError", "AbortError", "StreamError", "InvalidRequestError"];
  return {
    name: e?.name,
    message: String(e?.message),
    isError: e instanceof Error,
    instanceOf: classes.filter((c) => e instanceof vr[c]),
    isInstance: classes.filter((c) => vr[c].isInstance(e)),
    status: e?.status,
    code: e?.code,
    retryable: e?.retryable,
    requestId: e?.requestId,
    partial: e?.partial ? { reasoning: e.partial.reasoning.length, answer: e.partial.answer.length } : undefined,
  };
}

/**
 * @param {Record<string, unknown>} vr  the package
 * @param {{ mock: string, tag: string }} env  the mock's URL; a tag for X-Mock-Id
 */
export async function run(vr, { mock, tag }) {
  const out = {};
  const client = (protocol, headers = {}, options = {}) => new vr.Client({ baseUrl: mock, protocol, headers, ...options });

  // Streams to the end, both protocols.
  for (const protocol of ["openai", "dashscope"]) {
    const stream = client(protocol, { "X-Mock-Id": `${tag}-end-${protocol}` }).stream({ model: "qwen3-vl-plus", enableThinking: true, messages: ask });
    const types = [];
    let reasoning = "";
    let answer = "";
    for await (const p of stream) {
      types.push(p.type);
      if (p.type === "reasoning") reasoning += p.text;
      if (p.type === "answer") answer += p.text;
    }
    const r = await stream.result();
    out[protocol] = {
      types: [...new Set(types)],
      usageParts: types.filter((t) => t === "usage").length,
      reasoning: reasoning.length,
      answer: answer.length,
      same: reasoning === stream.reasoning && answer === stream.answer && r.reasoning === reasoning && r.answer === answer,
      finishReason: r.finishReason,
      requestId: stream.requestId,
      outputTokens: r.usage?.outputTokens,
    };
  }

  // abort() after the first part, while the mock stalls: an AbortError
  // with the text so far; the mock should see the connection close.
  {
    const stream = client("openai", { "X-Mock-Id": `${tag}-abort`, "X-Mock-Fault": "stall:5000" }).stream({
      model: "qwen3-vl-plus",
      enableThinking: true,
      messages: ask,
    });
    let first;
    try {
      for await (const p of stream) {
        first ??= p.type;
        stream.abort();
      }
      out.abort = { first, resolved: true };
    } catch (e) {
      out.abort = { first, error: describe(vr, e) };
    }
  }

  // An HTTP error from the mock: an ApiError with the provider's fields.
  try {
    await client("dashscope", { "X-Mock-Fault": "status:429,retry-after:0" }, { maxRetries: 0 }).complete({ model: "qvq-max", messages: ask });
    out.api = { resolved: true };
  } catch (e) {
    out.api = describe(vr, e);
  }

  // A request the core refuses, thrown at once.
  try {
    client("openai").stream({ model: "qvq-max", enableThinking: false, messages: ask });
    out.invalid = { resolved: true };
  } catch (e) {
    out.invalid = describe(vr, e);
  }
  return out;
}
