// Types of the `visual-reasoning/element` entry (pkg/element.js). JSX
// typings: `visual-reasoning/element/react` (React 19) and
// `visual-reasoning/element/preact` (element-react.d.ts, element-preact.d.ts).
import type { Part, Result, Message, Protocol, Region, VisualReasoningError } from "./visual_reasoning.js";

/** `detail` of `vr-start`: what is being asked. */
export interface TutorStartDetail {
  /** The question's text (the default question when only images were given). */
  question: string;
  /** How many images go with it. */
  images: number;
  model: string;
  protocol: Protocol;
  /** Whether the model thinks before answering. */
  thinking: boolean;
}

/**
 * `detail` of `vr-error`: the error the client threw or rejected with
 * (API.md "Errors"), itself, not a copy. Stop gives `name: "AbortError"`.
 */
export type TutorErrorDetail = VisualReasoningError;

export declare class VisualReasoningTutor extends HTMLElement {
  /** The relay (attribute `base-url`); empty: the page's own origin. */
  baseUrl: string;
  /** `openai` or `dashscope` (attribute `protocol`). */
  protocol: Protocol;
  /** Used only when `baseUrl` is Model Studio itself (attribute `region`). */
  region: Region | null;
  /** The model id (attribute `model`). */
  model: string | null;
  /** Think before answering (attribute `thinking`: `on`/`off`). A string is read as the attribute is. */
  thinking: boolean;
  /** Thinking budget in tokens, for models that accept one (attribute `thinking-budget`). */
  thinkingBudget: number | null;
  /** Text of the empty question box (attribute `placeholder`). */
  placeholder: string | null;
  /** Extra request headers sent to the relay. A property, never an attribute. */
  headers: Record<string, string>;
  /**
   * A signed client token from the site's backend, sent to the relay as
   * `Authorization: Bearer …`. A property, never an attribute. Setting it
   * (and each answer) shows "N tokens left today" when the relay reports a
   * budget (`GET /budget`).
   */
  token: string;
  /** System prompt for new conversations. */
  system: string;
  /** The text in the question box. */
  question: string;
  /** The committed conversation (`Conversation.messages`). */
  readonly messages: Message[];
  /** A question is streaming. */
  readonly busy: boolean;
  /** Prepares and previews an image for the next question. */
  addImage(image: Blob): Promise<void>;
  /** Asks `question` (or the text in the box): the Result, or undefined after an error or Stop. */
  ask(question?: string): Promise<Result | undefined>;
  /** Stops the question streaming, if any. */
  stop(): void;
  /** Forgets the conversation, the transcript and the pending images. */
  reset(): void;
}

/** The element's events and their `detail`s. */
export interface TutorEventMap {
  "vr-start": CustomEvent<TutorStartDetail>;
  "vr-part": CustomEvent<Part>;
  "vr-done": CustomEvent<Result>;
  "vr-error": CustomEvent<TutorErrorDetail>;
  /** The math renderer has loaded and typeset the answers shown. */
  "vr-math-ready": CustomEvent<null>;
}

/**
 * What the tag takes in JSX (React 19, Preact): attributes by their HTML
 * names, the object and text properties, and `on` + event name listeners
 * (both frameworks add `onvr-done` as a listener for `vr-done`).
 */
export interface TutorJsxProps {
  "base-url"?: string;
  protocol?: Protocol;
  region?: Region;
  model?: string;
  thinking?: boolean | "on" | "off";
  "thinking-budget"?: number | string;
  placeholder?: string;
  lang?: string;
  headers?: Record<string, string>;
  system?: string;
  question?: string;
  "onvr-start"?: (event: TutorEventMap["vr-start"]) => void;
  "onvr-part"?: (event: TutorEventMap["vr-part"]) => void;
  "onvr-done"?: (event: TutorEventMap["vr-done"]) => void;
  "onvr-error"?: (event: TutorEventMap["vr-error"]) => void;
  "onvr-math-ready"?: (event: TutorEventMap["vr-math-ready"]) => void;
}

declare global {
  interface HTMLElementTagNameMap {
    "visual-reasoning-tutor": VisualReasoningTutor;
  }
  interface HTMLElementEventMap extends TutorEventMap {}
}
