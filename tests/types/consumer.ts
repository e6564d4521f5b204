// A consumer of the built package, type-checked with `tsc --strict` against
// pkg/visual_reasoning.d.ts (tests/types/types.test.mjs runs it). Each
// assertion is a compile-time check of API.md's "Types" section: an `Equal`
// that is false, or an `@ts-expect-error` line that compiles, fails the build.
import init, {
  initSync,
  Client,
  ReasoningStream,
  Conversation,
  models,
  modelInfo,
  estimateImageTokens,
  prepareImage,
  VisualReasoningError,
  ApiError,
  NetworkError,
  TimeoutError,
  AbortError,
  StreamError,
  InvalidRequestError,
} from "../../pkg/visual_reasoning.js";
import type {
  Region,
  Protocol,
  ClientOptions,
  ContentItem,
  Message,
  RequestOptions,
  Usage,
  Part,
  Result,
  ModelInfo,
  ErrorName,
  FinishReason,
  PreparedImage,
  CompleteOptions,
  ConversationOptions,
  PrepareImageOptions,
  ImageTokenOptions,
  InitOptions,
} from "../../pkg/visual_reasoning.js";

// Exact type equality (distinguishes any, unknown, optional and readonly-less variants).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
function expectTrue<T extends true>(): void {}
function expectFalse<T extends false>(): void {}

// ---- unions fixed by API.md
expectTrue<Equal<Region, "intl" | "us" | "cn">>();
expectTrue<Equal<Protocol, "openai" | "dashscope">>();
expectTrue<
  Equal<
    Part,
    { type: "reasoning"; text: string } | { type: "answer"; text: string } | { type: "usage"; usage: Usage }
  >
>();
expectTrue<Equal<Message["role"], "system" | "user" | "assistant">>();
expectTrue<Equal<Message["content"], string | ContentItem[]>>();
expectTrue<
  Equal<
    ContentItem,
    | { text: string }
    | { image: string | Blob }
    | { video: string | string[]; fps?: number }
    | { type: "text"; text: string }
    | { type: "image_url"; image_url: { url: string } }
    | { type: "video_url"; video_url: { url: string } }
  >
>();

// ---- Usage, Result, ModelInfo: exactly the fields of API.md
expectTrue<
  Equal<
    Usage,
    {
      inputTokens: number;
      outputTokens: number;
      totalTokens: number;
      reasoningTokens?: number;
      imageTokens?: number;
      videoTokens?: number;
      raw?: Record<string, unknown>;
    }
  >
>();
expectTrue<
  Equal<
    Result,
    {
      model: string;
      reasoning: string;
      answer: string;
      finishReason: FinishReason;
      usage?: Usage;
      requestId?: string;
    }
  >
>();
expectTrue<
  Equal<
    ModelInfo,
    {
      id: string;
      family: "qwen3-vl" | "qvq";
      thinking: "hybrid" | "always";
      streamingOnly: boolean;
      thinkingBudget: boolean;
      regions: Region[];
    }
  >
>();

// ---- options: the named fields have the named types (extra options may exist)
expectTrue<Equal<ClientOptions["apiKey"], string | undefined>>();
expectTrue<Equal<ClientOptions["region"], Region | undefined>>();
expectTrue<Equal<ClientOptions["baseUrl"], string | undefined>>();
expectTrue<Equal<ClientOptions["protocol"], Protocol | undefined>>();
expectTrue<Equal<ClientOptions["headers"], Record<string, string> | undefined>>();
expectTrue<Equal<ClientOptions["timeoutMs"], number | undefined>>();
expectTrue<Equal<ClientOptions["idleTimeoutMs"], number | undefined>>();
expectTrue<Equal<ClientOptions["maxRetries"], number | undefined>>();
expectTrue<Equal<ClientOptions["dangerouslyAllowBrowser"], boolean | undefined>>();
expectTrue<Equal<RequestOptions["model"], string>>();
expectTrue<Equal<RequestOptions["messages"], Message[]>>();
expectTrue<Equal<RequestOptions["enableThinking"], boolean | undefined>>();
expectTrue<Equal<RequestOptions["thinkingBudget"], number | undefined>>();
expectTrue<Equal<RequestOptions["maxTokens"], number | undefined>>();
expectTrue<Equal<RequestOptions["temperature"], number | undefined>>();
expectTrue<Equal<RequestOptions["topP"], number | undefined>>();
expectTrue<Equal<RequestOptions["seed"], number | undefined>>();
expectTrue<Equal<RequestOptions["stop"], string | string[] | undefined>>();
expectTrue<Equal<RequestOptions["vlHighResolutionImages"], boolean | undefined>>();
expectTrue<Equal<RequestOptions["signal"], AbortSignal | undefined>>();
expectTrue<Equal<RequestOptions["extra"], Record<string, unknown> | undefined>>();

// ---- classes and functions
const client = new Client();
const client2 = new Client({ baseUrl: "http://127.0.0.1:8787", protocol: "dashscope", region: "cn" });
expectTrue<Equal<ReturnType<Client["stream"]>, ReasoningStream>>();
expectTrue<Equal<ReturnType<Client["complete"]>, Promise<Result>>>();
expectTrue<Equal<ReturnType<Client["conversation"]>, Conversation>>();
expectTrue<Equal<Parameters<Client["stream"]>, [request: RequestOptions]>>();
expectTrue<Equal<ReturnType<typeof models>, ModelInfo[]>>();
expectTrue<Equal<ReturnType<typeof estimateImageTokens>, number>>();
expectTrue<
  Equal<
    Awaited<ReturnType<typeof prepareImage>>,
    { dataUrl: string; width: number; height: number; bytes: number; tokens: number }
  >
>();
expectTrue<Equal<ReasoningStream["reasoning"], string>>();
expectTrue<Equal<ReasoningStream["answer"], string>>();
expectTrue<Equal<ReasoningStream["usage"], Usage | undefined>>();
expectTrue<Equal<ReasoningStream["requestId"], string | undefined>>();
expectTrue<Equal<ReasoningStream["finishReason"], FinishReason | undefined>>();
// finishReason: the known values (editors complete them), and any other string.
expectTrue<Equal<FinishReason, "stop" | "length" | "tool_calls" | (string & {})>>();
const knownReason: FinishReason = "length";
const otherReason: FinishReason = "content_filter";
const asString: string = knownReason;
void [otherReason, asString];
// Every parameter and result has a name.
expectTrue<Equal<Parameters<Client["complete"]>, [request: CompleteOptions]>>();
expectTrue<Equal<Parameters<Client["conversation"]>, [defaults: ConversationOptions]>>();
expectTrue<Equal<CompleteOptions["transport"], "stream" | "json" | undefined>>();
expectTrue<Equal<ConversationOptions["system"], string | undefined>>();
expectTrue<Equal<Awaited<ReturnType<typeof prepareImage>>, PreparedImage>>();
expectTrue<Equal<Parameters<typeof prepareImage>[1], PrepareImageOptions | undefined>>();
expectTrue<Equal<Parameters<typeof estimateImageTokens>[3], ImageTokenOptions | undefined>>();
expectTrue<Equal<Parameters<typeof init>[0], InitOptions | undefined>>();
expectTrue<Equal<ReturnType<ReasoningStream["result"]>, Promise<Result>>>();
expectTrue<Equal<ReturnType<ReasoningStream["abort"]>, void>>();
expectTrue<Equal<ReturnType<ReasoningStream["toReadableStream"]>, ReadableStream<Part>>>();
expectTrue<Equal<ReturnType<ReasoningStream["tee"]>, [ReadableStream<Part>, ReadableStream<Part>]>>();
expectTrue<Equal<Conversation["messages"], Message[]>>();
expectTrue<Equal<ReturnType<Conversation["send"]>, ReasoningStream>>();
expectFalse<IsAny<ReturnType<ReasoningStream[typeof Symbol.asyncIterator]>>>();
expectTrue<Equal<ReturnType<ReasoningStream[typeof Symbol.asyncIterator]>, AsyncIterator<Part>>>();
expectFalse<IsAny<ReturnType<typeof init>>>();
expectTrue<Equal<ReturnType<typeof modelInfo>, ModelInfo | undefined>>();
expectTrue<Equal<Parameters<typeof modelInfo>, [id: string]>>();

// ---- error classes (API.md "Additions")
expectTrue<Equal<ErrorName, "ApiError" | "NetworkError" | "TimeoutError" | "AbortError" | "StreamError" | "InvalidRequestError">>();
expectTrue<Equal<VisualReasoningError["name"], ErrorName>>();
expectTrue<Equal<ApiError["name"], "ApiError">>();
expectTrue<Equal<NetworkError["name"], "NetworkError">>();
expectTrue<Equal<TimeoutError["name"], "TimeoutError">>();
expectTrue<Equal<AbortError["name"], "AbortError">>();
expectTrue<Equal<StreamError["name"], "StreamError">>();
expectTrue<Equal<InvalidRequestError["name"], "InvalidRequestError">>();
expectTrue<Equal<VisualReasoningError["status"], number | undefined>>();
expectTrue<Equal<VisualReasoningError["code"], string | undefined>>();
expectTrue<Equal<VisualReasoningError["requestId"], string | undefined>>();
expectTrue<Equal<VisualReasoningError["retryable"], boolean>>();
expectTrue<Equal<VisualReasoningError["partial"], Result | undefined>>();
function handle(e: unknown): string {
  // instanceof and isInstance both narrow `unknown`.
  if (e instanceof ApiError) {
    const s: number | undefined = e.status;
    const base: VisualReasoningError = e;
    const err: Error = e;
    void [s, base, err];
  }
  if (TimeoutError.isInstance(e)) {
    expectTrue<Equal<typeof e, TimeoutError>>();
    return e.name;
  }
  if (VisualReasoningError.isInstance(e)) {
    expectTrue<Equal<typeof e, VisualReasoningError>>();
    const cause: unknown = e.cause;
    void cause;
    return e.partial?.answer ?? e.message;
  }
  return "";
}
void handle;
const made = new ApiError("m", { status: 400, code: "x", retryable: false, cause: new Error("c") });
void made;

const request: RequestOptions = {
  model: "qwen3-vl-plus",
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { image: "https://example.com/a.png" },
        { image: new Blob([]) },
        { video: ["f1.jpg", "f2.jpg"], fps: 2 },
        { video: "v.mp4" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        { type: "video_url", video_url: { url: "v.mp4" } },
        { type: "text", text: "Find x." },
        { text: "Find x." },
      ],
    },
  ],
  enableThinking: true,
  thinkingBudget: 1000,
  stop: ["a"],
  signal: new AbortController().signal,
  extra: { top_k: 20, parameters: { top_k: 20 } },
};

async function consumer(): Promise<void> {
  const stream = client.stream(request);
  // ReasoningStream implements AsyncIterable<Part>: for await yields Part.
  const iterable: AsyncIterable<Part> = stream;
  for await (const part of stream) {
    expectTrue<Equal<typeof part, Part>>();
    // Narrowing on the discriminant.
    if (part.type === "usage") {
      const u: Usage = part.usage;
      // @ts-expect-error a usage part has no text
      part.text;
      void u;
    } else {
      const t: string = part.text;
      expectTrue<Equal<typeof part.type, "reasoning" | "answer">>();
      // @ts-expect-error a text part has no usage
      part.usage;
      void t;
    }
    switch (part.type) {
      case "reasoning":
      case "answer":
      case "usage":
        break;
      default: {
        const never: never = part; // exhaustive: no other part types
        void never;
      }
    }
  }
  void iterable;
  const r: Result = await stream.result();
  const jsonResult: Result = await client.complete({ ...request, transport: "json" });
  await client.complete({ ...request, transport: "stream" });
  await client.complete(request);
  const conv = client2.conversation({ model: "qvq-max", system: "You are a tutor." });
  const s2: ReasoningStream = conv.send("hi");
  conv.send([{ text: "hi" }, { image: new Blob([]) }]);
  const prepared = await prepareImage(new Blob([]), { model: "qvq-max", maxPixels: 1_000_000, mimeType: "image/webp", quality: 0.8 });
  const n: number = estimateImageTokens(prepared.width, prepared.height, "qvq-max", { highResolution: true, maxPixels: 10 });
  await init();
  await init({ module_or_path: new Uint8Array() });
  initSync({ module: new Uint8Array() });
  void [r, jsonResult, s2, n];
}
void consumer;

// ---- what must not compile
// @ts-expect-error not a region
new Client({ region: "eu" });
// @ts-expect-error not a protocol
new Client({ protocol: "anthropic" });
// @ts-expect-error headers are strings
new Client({ headers: { a: 1 } });
// @ts-expect-error messages are required
client.stream({ model: "qwen3-vl-plus" });
// @ts-expect-error model is required
client.stream({ messages: [] });
// @ts-expect-error no such role
client.stream({ model: "m", messages: [{ role: "tool", content: "x" }] });
// @ts-expect-error not a content item
client.stream({ model: "m", messages: [{ role: "user", content: [{ audio: "a.mp3" }] }] });
// @ts-expect-error transport is "stream" or "json"
client.complete({ ...request, transport: "xml" });
// @ts-expect-error stream() has no transport (it always streams)
client.stream({ ...request, transport: "json" });
// @ts-expect-error the conversation holds the messages
client.conversation({ model: "m", messages: [] });
declare const s: ReasoningStream;
// @ts-expect-error reasoning is readonly
s.reasoning = "x";
// @ts-expect-error answer is readonly
s.answer = "x";
declare const c: Conversation;
// @ts-expect-error messages is readonly
c.messages = [];
// @ts-expect-error no internals on the public classes
s.free();
// @ts-expect-error no internals on the public classes
s.__body();
// @ts-expect-error a stream is made by client.stream()
new ReasoningStream();
// @ts-expect-error a conversation is made by client.conversation()
new Conversation();
// @ts-expect-error the error's fields are read-only
made.retryable = true;
// @ts-expect-error enableThinking is a boolean
const badOpt: RequestOptions = { model: "m", messages: [], enableThinking: "yes" };
// @ts-expect-error a part's type is one of three
const badPart: Part = { type: "thinking", text: "x" };
void [badOpt, badPart];
