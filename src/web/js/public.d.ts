// visual-reasoning: the package's types — API.md's "Types" and "Additions",
// with a doc comment on every declaration and member (editors show them on
// hover; tests/types checks none is missing). Written by hand (the
// package's JavaScript is type-checked against them); no wasm internals.

/** A Model Studio region: `"intl"` Singapore, `"us"` Virginia, `"cn"` Beijing. */
export type Region = "intl" | "us" | "cn";
/** The wire protocol: `"openai"` the OpenAI-compatible `compatible-mode` endpoint, `"dashscope"` the native one. */
export type Protocol = "openai" | "dashscope";

/** What `new Client(options)` takes. Every field is optional. */
export interface ClientOptions {
  /** Your Model Studio API key. Omit it when a relay adds the key (the only safe choice in a page). */
  apiKey?: string;
  /** The region whose endpoint is called: `"intl"` (default), `"us"` or `"cn"`. Keys are per region. */
  region?: Region;
  /**
   * Replaces the region's host, e.g. a CORS relay: `"https://relay.example.com"`.
   * A path prefix is kept; a trailing `/` is ignored.
   */
  baseUrl?: string;
  /** `"openai"` (default: the OpenAI-compatible endpoint) or `"dashscope"` (the native one). */
  protocol?: Protocol;
  /** Extra request headers, e.g. a relay's client token. Each one a relay must allow in its CORS preflight. */
  headers?: Record<string, string>;
  /** Milliseconds to wait for the response headers (per attempt); default 60 000. `Infinity`: no limit. */
  timeoutMs?: number;
  /** Longest silence inside a reply, in milliseconds (keep-alive comments do not count); default 300 000. */
  idleTimeoutMs?: number;
  /** Retries of a 429, 5xx, network failure or header timeout before any body byte; default 2. */
  maxRetries?: number;
  /**
   * Required to pass `apiKey` in a page or Worker: anyone can read a key
   * shipped to a browser. Use a relay instead.
   */
  dangerouslyAllowBrowser?: boolean;
}

/**
 * One item of a message's content: text, an image or a video, in this
 * package's style or OpenAI's (either is translated to the chosen protocol).
 */
export type ContentItem =
  | {
      /** Text. */
      text: string;
    }
  | {
      /** An image: its URL, a `data:` URL, or a `Blob`/`File` (sent as a base64 `data:` URL). */
      image: string | Blob;
    }
  | {
      /** A video URL, or the URLs of its frames in order. */
      video: string | string[];
      /** Frames per second of the frame list (DashScope's `fps`). */
      fps?: number;
    }
  | {
      /** OpenAI-style text item. */
      type: "text";
      /** Text. */
      text: string;
    }
  | {
      /** OpenAI-style image item. */
      type: "image_url";
      /** The image's URL or `data:` URL. */
      image_url: {
        /** The image's URL or `data:` URL. */
        url: string;
      };
    }
  | {
      /** OpenAI-style video item. */
      type: "video_url";
      /** The video's URL. */
      video_url: {
        /** The video's URL. */
        url: string;
      };
    };

/** One message of a conversation. */
export interface Message {
  /** Who speaks: the instructions (`"system"`), the student (`"user"`) or the model (`"assistant"`). */
  role: "system" | "user" | "assistant";
  /** A string, or a list of text, image and video items. */
  content: string | ContentItem[];
}

/** What `client.stream()` and `client.complete()` take: the model, the messages and the generation options. */
export interface RequestOptions {
  /** The model id, e.g. `"qwen3-vl-plus"` or `"qvq-max"` (`models()` lists the known ones). */
  model: string;
  /** The conversation so far, ending with the user's message. */
  messages: Message[];
  /**
   * Think before answering (hybrid Qwen3-VL models). Thinking-only models
   * (QVQ, `…-thinking`) always think: `false` is refused for them.
   */
  enableThinking?: boolean;
  /** The most tokens the model may think for (a positive integer; only models that accept it). */
  thinkingBudget?: number;
  /** The provider's `max_tokens`: where the reply is cut off (`finishReason` is then `"length"`). */
  maxTokens?: number;
  /** Sampling temperature. */
  temperature?: number;
  /** Nucleus sampling: the probability mass of tokens considered. */
  topP?: number;
  /** Random seed, for repeatable sampling. */
  seed?: number;
  /** Text(s) that end the answer when generated. */
  stop?: string | string[];
  /** Send images at high resolution (more tokens, finer detail). */
  vlHighResolutionImages?: boolean;
  /** Aborts the request: the iterator then throws `AbortError` (or `TimeoutError` for an `AbortSignal.timeout()`). */
  signal?: AbortSignal;
  /**
   * Wire options this API does not name, deep-merged into the request body
   * last: `{ top_k: 20 }` (openai) or `{ parameters: { top_k: 20 } }` (dashscope).
   */
  extra?: Record<string, unknown>;
}

/** What `client.complete()` takes: a request, and how to send it. */
export interface CompleteOptions extends RequestOptions {
  /**
   * `"stream"` (default): stream and collect. `"json"`: one non-streaming
   * request (refused for streaming-only models such as QVQ).
   */
  transport?: "stream" | "json";
}

/** What `client.conversation()` takes: the request options every turn uses, and an optional system message. */
export interface ConversationOptions extends Omit<RequestOptions, "messages"> {
  /** A system message put first in the history. */
  system?: string;
}

/** Token counts of one reply. */
export interface Usage {
  /** Tokens of the request (text, images and video). */
  inputTokens: number;
  /** Tokens generated (thinking included). */
  outputTokens: number;
  /** `inputTokens + outputTokens`. */
  totalTokens: number;
  /** Tokens spent thinking, when the provider reports them (QVQ does not). */
  reasoningTokens?: number;
  /** Tokens of the request's images, when reported. */
  imageTokens?: number;
  /** Tokens of the request's videos, when reported. */
  videoTokens?: number;
  /** The provider's usage object as received. */
  raw?: Record<string, unknown>;
}

/** One piece of a streamed reply: thinking text, answer text, or the usage (once, last). */
export type Part =
  | {
      /** Thinking text. */
      type: "reasoning";
      /** The next piece of the thinking (never empty). */
      text: string;
    }
  | {
      /** Answer text. */
      type: "answer";
      /** The next piece of the answer (never empty). */
      text: string;
    }
  | {
      /** The token counts. */
      type: "usage";
      /** The reply's token counts. */
      usage: Usage;
    };

/**
 * Why the reply ended: `"stop"` (a natural end or a stop text), `"length"`
 * (hit `maxTokens`), `"tool_calls"`, or another value the provider sends.
 */
export type FinishReason = "stop" | "length" | "tool_calls" | (string & {});

/** A whole reply. */
export interface Result {
  /** The model that answered, as the provider names it. */
  model: string;
  /** All the thinking text (empty when the model did not think). */
  reasoning: string;
  /** All the answer text. */
  answer: string;
  /** Why the reply ended: `"stop"`, `"length"`, … */
  finishReason: FinishReason;
  /** Token counts, when the provider sent them. */
  usage?: Usage;
  /** The provider's request id (quote it to support), from the body or the response headers. */
  requestId?: string;
}

/** A Model Studio client: its options, shared by every request it makes. Holds no wasm memory. */
export class Client {
  /**
   * Throws InvalidRequestError for a bad option, or for an `apiKey` in a
   * page or Worker without `dangerouslyAllowBrowser: true`.
   */
  constructor(options?: ClientOptions);
  /**
   * Starts a streaming request and returns at once. Throws InvalidRequestError
   * synchronously when the request is invalid (nothing is sent then).
   */
  stream(request: RequestOptions): ReasoningStream;
  /** The whole Result: streamed and collected (default), or one JSON response with `transport: "json"`. */
  complete(request: CompleteOptions): Promise<Result>;
  /** A multi-turn conversation with these defaults. */
  conversation(defaults: ConversationOptions): Conversation;
}

/**
 * The reply as it streams: an async iterable of parts, with the texts so
 * far, the usage and the request id as live properties.
 */
export class ReasoningStream implements AsyncIterable<Part> {
  /** Made by `client.stream()` and `conversation.send()`. */
  private constructor();
  /** Iterates the parts; leaving the loop early (`break`) aborts the request and throws nothing. */
  [Symbol.asyncIterator](): AsyncIterator<Part>;
  /** All reasoning text received so far. */
  readonly reasoning: string;
  /** All answer text received so far. */
  readonly answer: string;
  /** The token counts, once they arrived (DashScope: updated with every event). */
  readonly usage?: Usage;
  /** The provider's request id, once known. */
  readonly requestId?: string;
  /** Why the reply ended, once it has. */
  readonly finishReason?: FinishReason;
  /** Reads the rest (if not iterated) and resolves the whole Result; rejects with the stream's error. */
  result(): Promise<Result>;
  /** Cancels the request (the server sees the connection close); iteration and `result()` reject with AbortError. */
  abort(): void;
  /**
   * The parts as a `ReadableStream`, e.g. to `postMessage` from a Worker to
   * its page (streams are transferable). Reading it consumes the parts as
   * iterating would (use one or the other); cancelling it stops the
   * request; a failure errors it with the error iteration would throw.
   */
  toReadableStream(): ReadableStream<Part>;
  /**
   * Two `ReadableStream`s that each get every part (the same objects),
   * e.g. one to render and one to log. The request stops only when both
   * are cancelled.
   */
  tee(): [ReadableStream<Part>, ReadableStream<Part>];
}

/** History plus defaults; each `send()` streams one turn. */
export class Conversation {
  /** Made by `client.conversation()`. */
  private constructor();
  /**
   * The committed history, system message first if given. A turn is
   * committed (the user's message and the answer, never the thinking) when
   * it finishes; an error or abort leaves the history as it was.
   */
  readonly messages: Message[];
  /** Streams the history plus this user message. */
  send(content: string | ContentItem[]): ReasoningStream;
}

/** The rules the package applies to a model. */
export interface ModelInfo {
  /** The model id. */
  id: string;
  /** `"qwen3-vl"` or `"qvq"`. */
  family: "qwen3-vl" | "qvq";
  /** `"hybrid"`: thinks when `enableThinking` is true; `"always"`: always thinks. */
  thinking: "hybrid" | "always";
  /** True when the model has no non-streaming mode (`transport: "json"` is refused). */
  streamingOnly: boolean;
  /** Accepts `thinkingBudget`. */
  thinkingBudget: boolean;
  /** The regions serving it (empty: not known). */
  regions: Region[];
}
/** The model catalog: every id (aliases and dated snapshots included). */
export function models(): ModelInfo[];
/**
 * The rules for any model id: its catalog entry, or for an id outside the
 * catalog the rules its prefix implies (`qvq-…`: QVQ; `qwen3-vl-…-thinking`:
 * thinking-only; other `qwen3-vl-…`: hybrid; `regions` then empty, as
 * nothing is known of them); undefined for any other id.
 */
export function modelInfo(id: string): ModelInfo | undefined;

/** What `estimateImageTokens()` takes besides the size and model. */
export interface ImageTokenOptions {
  /** As `vlHighResolutionImages`: the image is sent at high resolution. */
  highResolution?: boolean;
  /** The most pixels the image is scaled to (default: the model's own limit). */
  maxPixels?: number;
}
/** The tokens an image of this size costs with `model`, after the server's own resize. An unknown model: Qwen3-VL's rules. */
export function estimateImageTokens(width: number, height: number, model: string, options?: ImageTokenOptions): number;

/** What `prepareImage()` takes besides the image. */
export interface PrepareImageOptions {
  /** The model the image is for: its pixel limit applies (default: Qwen3-VL's). */
  model?: string;
  /** The most pixels the result may have (default: the model's own limit). */
  maxPixels?: number;
  /** The encoding, e.g. `"image/jpeg"` (default: PNG and WebP stay as they are, anything else becomes JPEG). */
  mimeType?: string;
  /** Encoder quality from 0 to 1, for JPEG and WebP. */
  quality?: number;
}

/** What prepareImage resolves. */
export interface PreparedImage {
  /** The re-encoded image as a `data:` URL, ready for `{ image }`. */
  dataUrl: string;
  /** Its width in pixels. */
  width: number;
  /** Its height in pixels. */
  height: number;
  /** Its size in bytes (the encoded image, not the URL). */
  bytes: number;
  /** The tokens it costs with the model given. */
  tokens: number;
}

/**
 * Browser only (needs createImageBitmap + OffscreenCanvas; elsewhere it
 * rejects with InvalidRequestError): decodes (honouring EXIF orientation),
 * downscales so the image fits `maxPixels` (default: the model's own
 * limit), re-encodes and reports the cost.
 */
export function prepareImage(image: Blob, options?: PrepareImageOptions): Promise<PreparedImage>;

/** The `name` of every error this package throws or rejects with. */
export type ErrorName =
  | "ApiError" | "NetworkError" | "TimeoutError"
  | "AbortError" | "StreamError" | "InvalidRequestError";

/** What an error class's constructor takes besides the message. */
export interface VisualReasoningErrorOptions {
  /** The HTTP status. */
  status?: number;
  /** The provider's error code. */
  code?: string;
  /** The provider's request id. */
  requestId?: string;
  /** Whether trying again may succeed (default false). */
  retryable?: boolean;
  /** What had arrived before the failure. */
  partial?: Result;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base class of every error this package throws or rejects with (an
 * `Error`): the `name` of its subclass, the fields below, and `cause` when
 * there was one (a network failure's `TypeError`, a signal's reason).
 */
export class VisualReasoningError extends Error {
  /** Makes one, e.g. to test your error handling. */
  constructor(message?: string, options?: VisualReasoningErrorOptions);
  /** The subclass: `"ApiError"`, `"NetworkError"`, … */
  readonly name: ErrorName;
  /** The HTTP status of an API error (absent for an in-stream error without one). */
  readonly status?: number;
  /** The provider's error code, e.g. `"Throttling.RateQuota"` or `"invalid_parameter_error"`. */
  readonly code?: string;
  /** The provider's request id, when known (quote it to support). */
  readonly requestId?: string;
  /** Whether trying the same request again may succeed (the package already retried what it could). */
  readonly retryable: boolean;
  /** What had arrived, once any text had: the reply so far. */
  readonly partial?: Result;
  /** True for any error made by any copy of this package (a `Symbol.for` brand), where `instanceof` may disagree. */
  static isInstance(value: unknown): value is VisualReasoningError;
}
/** The server answered an error: an HTTP status ≥ 400 with the provider's code, or an error event inside the stream. */
export class ApiError extends VisualReasoningError {
  /** Always `"ApiError"`. */
  readonly name: "ApiError";
  /** True for an ApiError of any copy of this package. */
  static isInstance(value: unknown): value is ApiError;
}
/** The request could not be sent, or the connection broke (`cause`: the engine's error). */
export class NetworkError extends VisualReasoningError {
  /** Always `"NetworkError"`. */
  readonly name: "NetworkError";
  /** True for a NetworkError of any copy of this package. */
  static isInstance(value: unknown): value is NetworkError;
}
/** `timeoutMs` or `idleTimeoutMs` passed, or the request's `AbortSignal.timeout()` fired. */
export class TimeoutError extends VisualReasoningError {
  /** Always `"TimeoutError"`. */
  readonly name: "TimeoutError";
  /** True for a TimeoutError of any copy of this package. */
  static isInstance(value: unknown): value is TimeoutError;
}
/** The request's `signal` aborted it, or `stream.abort()` did (`cause`: the signal's reason). */
export class AbortError extends VisualReasoningError {
  /** Always `"AbortError"`. */
  readonly name: "AbortError";
  /** True for an AbortError of any copy of this package. */
  static isInstance(value: unknown): value is AbortError;
}
/** The reply was not a complete event stream: it ended without a finish reason, was not `text/event-stream`, or a line passed the size cap. */
export class StreamError extends VisualReasoningError {
  /** Always `"StreamError"`. */
  readonly name: "StreamError";
  /** True for a StreamError of any copy of this package. */
  static isInstance(value: unknown): value is StreamError;
}
/** The request or an option is invalid; the message names what and how to fix it. Nothing was sent. */
export class InvalidRequestError extends VisualReasoningError {
  /** Always `"InvalidRequestError"`. */
  readonly name: "InvalidRequestError";
  /** True for an InvalidRequestError of any copy of this package. */
  static isInstance(value: unknown): value is InvalidRequestError;
}

/** Where the wasm comes from: a URL, a Response, its bytes or a compiled Module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** What `init()` takes. */
export interface InitOptions {
  /**
   * The `.wasm` to load instead of the default (the build next to this
   * module that the engine can run). A `file:` URL is read from disk in
   * Node, Deno and Bun.
   */
  module_or_path?: InitInput | Promise<InitInput>;
}

/**
 * Loads the wasm; resolves once the package is usable (calling it again is
 * harmless). With no argument: the build next to this module that this
 * engine can run (with wasm SIMD, or without where SIMD is missing), read
 * from disk in Node, Deno and Bun and fetched elsewhere. Using the package
 * before it throws an Error saying so; `visual-reasoning/auto` calls it for
 * you.
 */
export default function init(options?: InitOptions): Promise<WebAssembly.Exports>;

/** What `initSync()` takes. */
export interface InitSyncOptions {
  /** The `.wasm`'s bytes, or a compiled `WebAssembly.Module`. */
  module: BufferSource | WebAssembly.Module;
}

/** Loads the wasm at once from its bytes or a compiled Module (e.g. a Cloudflare Worker's imported `.wasm`). */
export function initSync(options: InitSyncOptions): WebAssembly.Exports;
