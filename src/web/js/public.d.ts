// visual-reasoning: the package's types — API.md's "Types" and
// "Additions", verbatim where API.md spells them. Written by hand (the
// package's JavaScript is type-checked against them); no wasm internals.

export type Region = "intl" | "us" | "cn";          // Singapore, Virginia, Beijing
export type Protocol = "openai" | "dashscope";      // compatible-mode, or native

export interface ClientOptions {
  apiKey?: string;          // omit when a relay adds the key
  region?: Region;          // default "intl"
  baseUrl?: string;         // replaces the region's host, e.g. a CORS relay
  protocol?: Protocol;      // default "openai"
  headers?: Record<string, string>;
  timeoutMs?: number;       // until response headers; default 60_000
  idleTimeoutMs?: number;   // longest silence inside a body; default 300_000
  maxRetries?: number;      // default 2
  dangerouslyAllowBrowser?: boolean; // required to use apiKey in a page or Worker
}

export type ContentItem =
  | { text: string }
  | { image: string | Blob }                 // URL, data: URL, or Blob/File
  | { video: string | string[]; fps?: number } // video URL, or frame URLs
  | { type: "text"; text: string }            // OpenAI-style items are
  | { type: "image_url"; image_url: { url: string } } // accepted too
  | { type: "video_url"; video_url: { url: string } };

export interface Message {
  role: "system" | "user" | "assistant";
  content: string | ContentItem[];
}

export interface RequestOptions {
  model: string;
  messages: Message[];
  enableThinking?: boolean;
  thinkingBudget?: number;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string | string[];
  vlHighResolutionImages?: boolean;
  signal?: AbortSignal;
  extra?: Record<string, unknown>;   // merged into the wire request as is
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  reasoningTokens?: number;
  imageTokens?: number;
  videoTokens?: number;
  raw?: Record<string, unknown>; // the provider's usage object as received
}

export type Part =
  | { type: "reasoning"; text: string }
  | { type: "answer"; text: string }
  | { type: "usage"; usage: Usage };

export interface Result {
  model: string;
  reasoning: string;
  answer: string;
  finishReason: string;     // "stop", "length", ...
  usage?: Usage;
  requestId?: string;
}

/** A Model Studio client. */
export class Client {
  /**
   * Throws InvalidRequestError for a bad option, or for an `apiKey` in a
   * page or Worker without `dangerouslyAllowBrowser: true`.
   */
  constructor(options?: ClientOptions);
  /** Starts a streaming request and returns at once. Throws InvalidRequestError synchronously. */
  stream(request: RequestOptions): ReasoningStream;
  /** The whole Result: streamed and collected (default), or one JSON response with `transport: "json"`. */
  complete(request: RequestOptions & { transport?: "stream" | "json" }): Promise<Result>;
  /** A multi-turn conversation with these defaults. */
  conversation(defaults: Omit<RequestOptions, "messages"> & { system?: string }): Conversation;
}

/**
 * The reply as it streams: an async iterable of parts, with the texts so
 * far, the usage and the request id as live properties.
 */
export class ReasoningStream implements AsyncIterable<Part> {
  private constructor();
  /** Iterates the parts; leaving the loop early aborts the request. */
  [Symbol.asyncIterator](): AsyncIterator<Part>;
  readonly reasoning: string;   // all reasoning text received so far
  readonly answer: string;      // all answer text received so far
  readonly usage?: Usage;
  readonly requestId?: string;
  readonly finishReason?: string;
  result(): Promise<Result>;    // reads the rest (if not iterated) and resolves
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
  private constructor();
  readonly messages: Message[];            // committed history, system message first if given
  send(content: string | ContentItem[]): ReasoningStream;
}

export interface ModelInfo {
  id: string;
  family: "qwen3-vl" | "qvq";
  thinking: "hybrid" | "always";
  streamingOnly: boolean;
  thinkingBudget: boolean;                 // accepts thinking_budget
  regions: Region[];
}
export function models(): ModelInfo[];
/**
 * The rules for any model id: its catalog entry, or for an id outside the
 * catalog the rules its prefix implies (`qvq-…`: QVQ; `qwen3-vl-…-thinking`:
 * thinking-only; other `qwen3-vl-…`: hybrid; `regions` then empty, as
 * nothing is known of them); undefined for any other id.
 */
export function modelInfo(id: string): ModelInfo | undefined;
export function estimateImageTokens(width: number, height: number, model: string,
  options?: { highResolution?: boolean; maxPixels?: number }): number; // unknown model: Qwen3-VL's rules

/** What prepareImage resolves. */
export interface PreparedImage {
  dataUrl: string;
  width: number;
  height: number;
  bytes: number;
  tokens: number;
}

// Browser only (needs createImageBitmap + OffscreenCanvas; elsewhere it
// rejects with InvalidRequestError): decode, downscale so the image fits
// maxPixels (default: the model's own limit), re-encode, report the cost.
export function prepareImage(image: Blob, options?: {
  model?: string; maxPixels?: number; mimeType?: string; quality?: number;
}): Promise<PreparedImage>;

/** The `name` of every error this package throws or rejects with. */
export type ErrorName =
  | "ApiError" | "NetworkError" | "TimeoutError"
  | "AbortError" | "StreamError" | "InvalidRequestError";

/** What an error class's constructor takes besides the message. */
export interface VisualReasoningErrorOptions {
  status?: number;
  code?: string;
  requestId?: string;
  retryable?: boolean;
  partial?: Result;
  cause?: unknown;
}

// visual-reasoning — error classes. Every error the package throws or
// rejects with is an instance of one of these (and of Error), with the
// name and fields of "Errors" above, and `cause` when there was one.
export class VisualReasoningError extends Error {
  constructor(message?: string, options?: VisualReasoningErrorOptions);
  readonly name: ErrorName;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly retryable: boolean;
  readonly partial?: Result;  // what had arrived, once any text had
  // true for any value made by any copy of the package (a Symbol.for brand)
  static isInstance(value: unknown): value is VisualReasoningError;
}
export class ApiError extends VisualReasoningError {
  readonly name: "ApiError";
  static isInstance(value: unknown): value is ApiError;
}
export class NetworkError extends VisualReasoningError {
  readonly name: "NetworkError";
  static isInstance(value: unknown): value is NetworkError;
}
export class TimeoutError extends VisualReasoningError {   // also an AbortSignal.timeout() reason
  readonly name: "TimeoutError";
  static isInstance(value: unknown): value is TimeoutError;
}
export class AbortError extends VisualReasoningError {
  readonly name: "AbortError";
  static isInstance(value: unknown): value is AbortError;
}
export class StreamError extends VisualReasoningError {
  readonly name: "StreamError";
  static isInstance(value: unknown): value is StreamError;
}
export class InvalidRequestError extends VisualReasoningError {
  readonly name: "InvalidRequestError";
  static isInstance(value: unknown): value is InvalidRequestError;
}

/** Where the wasm comes from: a URL, a Response, its bytes or a compiled Module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm: by default fetched from next to this module
 * (`visual_reasoning_bg.wasm`), or from `module_or_path`. In Node, pass the
 * bytes. Resolves once the package is usable (calling it again is
 * harmless); using the package before it throws an Error saying so.
 */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<WebAssembly.Exports>;

/** Loads the wasm at once from its bytes or a compiled Module (Node: `readFileSync` the .wasm). */
export function initSync(options: { module: BufferSource | WebAssembly.Module }): WebAssembly.Exports;
