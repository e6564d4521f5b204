// Types of the `visual-reasoning/element` entry (pkg/element.js).
import type { Part, Result, Message, Protocol, Region } from "./visual_reasoning.js";

export interface TutorStartDetail {
  question: string;
  images: number;
  model: string;
  protocol: Protocol;
  thinking: boolean;
}

export interface TutorErrorDetail {
  name: string; // "ApiError" | "NetworkError" | "TimeoutError" | "AbortError" | "StreamError" | "InvalidRequestError"
  message: string;
  status?: number;
  code?: string;
  requestId?: string;
  partial?: Result;
}

export declare class VisualReasoningTutor extends HTMLElement {
  baseUrl: string;
  protocol: Protocol;
  region: Region | null;
  model: string | null;
  thinking: boolean;
  thinkingBudget: number | null;
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
  readonly messages: Message[];
  readonly busy: boolean;
  addImage(image: Blob): Promise<void>;
  ask(question?: string): Promise<Result | undefined>;
  stop(): void;
  reset(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "visual-reasoning-tutor": VisualReasoningTutor;
  }
  interface HTMLElementEventMap {
    "vr-start": CustomEvent<TutorStartDetail>;
    "vr-part": CustomEvent<Part>;
    "vr-done": CustomEvent<Result>;
    "vr-error": CustomEvent<TutorErrorDetail>;
  }
}
