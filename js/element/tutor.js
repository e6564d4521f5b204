// @ts-check
// <visual-reasoning-tutor>: photograph a problem, watch the model think,
// read the answer. Everything here is built on the public client API
// (API.md); the demo site uses this element rather than a second copy.
// This module is the element itself: attributes, properties, wiring and
// asking. The thread's turns are turn.js, the composer's images and
// option controls composer.js, the model choices models.js.
import init, { AbortError, Client, models } from "visual-reasoning";
import { CSS } from "./styles.js";
import { strings, API_KEY_REFUSED } from "./strings.js";
import { errorDetail } from "./errors.js";
import { infoFor, loadConfig, modelChoices, protocolChoices, REGION_NAMES } from "./models.js";
import { Images, syncOptions } from "./composer.js";
import { Turn } from "./turn.js";
import { warm as warmMarkdown } from "./markdown.js";

/** @typedef {import("visual-reasoning").Result} Result */
/** @typedef {import("visual-reasoning").Conversation} Conversation */
/** @typedef {import("visual-reasoning").ModelInfo} ModelInfo */
/** @typedef {import("visual-reasoning").ClientOptions} ClientOptions */
/** @typedef {import("visual-reasoning").RequestOptions} RequestOptions */
/** @typedef {import("./models.js").Choice} Choice */
/** @typedef {import("./models.js").RelayConfig} RelayConfig */
/** @typedef {import("./composer.js").PendingImage} PendingImage */

// --- module-wide, shared by every element on the page -----------------------

/** @type {Promise<unknown> | null} */
let wasmReady = null;
// The default init() finds the .wasm next to visual_reasoning.js. A host that
// already initialised the module is fine: init() returns the same instance.
function ready() {
  if (!wasmReady) wasmReady = init();
  return wasmReady;
}

/** @type {typeof import("./math.js") | null} */
let mathModule = null;
/** @type {Promise<typeof import("./math.js")> | null} */
let mathLoading = null;
function loadMath() {
  if (!mathLoading) {
    mathLoading = import("./math.js").then((m) => (mathModule = m));
  }
  return mathLoading;
}
// The tutor's answers are about mathematics (its system prompt asks for
// LaTeX): fetch and evaluate KaTeX while the model thinks, in an idle
// moment, rather than stall the frame that shows the first formula; then,
// in others, run the answer's pipeline once on a sample (markdown.js and
// math.js warm): code run for the first time is compiled then.
/** @type {WeakSet<ShadowRoot>} */
const warmed = new WeakSet();
/** An idle moment (or the next task where the engine has no idle callbacks). */
function idle() {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(() => resolve(undefined), { timeout: 2000 });
    else setTimeout(resolve, 0);
  });
}
/** @param {ShadowRoot} root */
function prefetchMath(root) {
  if (warmed.has(root)) return;
  warmed.add(root);
  void warmUp(root);
}
/**
 * Idle tasks, none long: KaTeX's chunk evaluated; the Markdown pipeline run
 * on a sample answer; its formulas typeset; then the sample styled and laid
 * out for a frame, unseen (the first formulas' style and layout cost a
 * 45–65 ms frame at 4× CPU otherwise: KaTeX's rules matched, its fonts
 * first used).
 * @param {ShadowRoot} root
 */
async function warmUp(root) {
  await idle();
  // A failure shows again, and is reported, when math is needed.
  const m = await loadMath().catch(() => null);
  if (!m) return;
  await idle();
  const sample = warmMarkdown();
  await idle();
  m.warm(root, sample);
  await idle();
  // In a 1 px box that clips it (as .sr-only): laid out all the same, and
  // no part of the page's geometry. Not .answer: its blocks would be
  // content-visibility: auto, clipped, skipped.
  sample.className = "sr-only vr-warm";
  sample.setAttribute("aria-hidden", "true");
  sample.style.visibility = "hidden";
  root.append(sample);
  requestAnimationFrame(() => afterFrame(() => sample.remove()));
}

// Runs callbacks in a task after the current one: a message posted during
// requestAnimationFrame is handled after that frame's style, layout and
// paint, so its time minus the frame's start is what the frame cost. The
// callbacks queued by then run in one task and get its start time; one
// queued while they run gets a task of its own.
/** @type {MessageChannel | null} */
let channel = null;
/** @type {((taskStart: number) => void)[]} */
let afterFrameQueue = [];
/** @param {(taskStart: number) => void} callback */
function afterFrame(callback) {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const queue = afterFrameQueue;
      afterFrameQueue = [];
      const start = performance.now();
      for (const cb of queue) cb(start);
    };
  }
  afterFrameQueue.push(callback);
  if (afterFrameQueue.length === 1) channel.port2.postMessage(null);
}

// ms of script a task may spend preparing a render (Markdown, sanitising,
// formulas) before the rest goes to the next task: at 4× CPU a render's
// new formulas took 60–80 ms in one task (the answer's first ones, or a
// burst after a wait), past the 50 ms of a long task.
const PREPARE_SLICE = 20;

/** @param {string | null} v */
function parseThinking(v) {
  if (v === null) return true; // the tutor's point is watching the model think
  return !/^(off|false|0|no)$/i.test(v.trim());
}
/** @param {string | null} v */
function parseBudget(v) {
  if (v === null || v.trim() === "") return null;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : null;
}

const TEMPLATE = `
<div class="wrap" part="container">
  <div class="thread" part="thread"></div>
  <form class="composer" part="composer" novalidate>
    <div class="drop" part="dropzone" role="group" aria-labelledby="drop-hint">
      <div class="drop-row">
        <span class="hint" id="drop-hint" data-t="dropHint"></span>
        <button type="button" class="choose" part="button choose-button" data-t="choose"></button>
        <button type="button" class="camera" part="button camera-button" data-t="camera"></button>
        <input type="file" class="file" accept="image/*" multiple tabindex="-1" aria-hidden="true">
        <input type="file" class="cam" accept="image/*" capture="environment" tabindex="-1" aria-hidden="true">
      </div>
      <ul class="previews" part="previews" data-t-label="images"></ul>
    </div>
    <label class="sr-only" for="question" data-t="question"></label>
    <textarea id="question" class="question" part="question" rows="3"></textarea>
    <div class="options" part="options" role="group" data-t-label="options">
      <label><span data-t="model"></span>
        <select class="model" part="select model-select" aria-describedby="reason"></select></label>
      <label><span data-t="protocol"></span>
        <select class="protocol" part="select protocol-select"></select></label>
      <label class="check"><input type="checkbox" class="thinking" aria-describedby="reason">
        <span data-t="thinking"></span></label>
      <label><span data-t="budget"></span>
        <input type="number" class="budget" part="budget" min="1" step="1" inputmode="numeric" data-t-placeholder="budgetDefault" aria-describedby="reason"></label>
      <span class="region" part="region"></span>
      <p class="reason" id="reason" part="reason"></p>
    </div>
    <div class="actions">
      <button type="submit" class="primary ask" part="button ask-button" data-t="ask"></button>
      <button type="button" class="stop" part="button stop-button" data-t="stop" hidden></button>
      <span class="spacer"></span>
      <button type="button" class="reset" part="button reset-button" data-t="newProblem"></button>
    </div>
    <p class="hint status" part="status" role="status" aria-live="polite"></p>
  </form>
</div>`;

// Where HTMLElement does not exist (server rendering) the class still
// evaluates, on a stand-in base, and index.js defines no tag.
const Base = /** @type {typeof HTMLElement} */ (globalThis.HTMLElement ?? class {});

/**
 * References into the shadow DOM.
 * @typedef {{ thread: HTMLElement, previews: HTMLElement, question: HTMLTextAreaElement,
 *   status: HTMLElement, region: HTMLElement, reason: HTMLElement, drop: HTMLElement,
 *   file: HTMLInputElement, cam: HTMLInputElement, choose: HTMLButtonElement, camera: HTMLButtonElement,
 *   ask: HTMLButtonElement, stop: HTMLButtonElement, reset: HTMLButtonElement, model: HTMLSelectElement,
 *   protocol: HTMLSelectElement, thinking: HTMLInputElement, budget: HTMLInputElement,
 *   form: HTMLFormElement, wrap: HTMLElement }} Refs
 */
/** @typedef {{ stream: import("visual-reasoning").ReasoningStream | null, turn: Turn, aborted: boolean }} Active */

export class VisualReasoningTutor extends Base {
  static observedAttributes = ["base-url", "protocol", "region", "model", "thinking", "thinking-budget", "placeholder", "lang", "api-key"];

  #root;
  /** @type {Refs} */
  #r;
  #t = strings("en");
  /** @type {Record<string, string>} */
  #headers = {};
  #token = "";
  #system =
    "You are a patient tutor. Work through the problem step by step, then give the final answer clearly. " +
    "Write mathematics in LaTeX between $…$ (inline) or $$…$$ (display).";
  // Current choices: from attributes first, then from the controls.
  /** @type {string | null} */
  #model = null;
  /** @type {string | null} */
  #protocol = null;
  #thinking = true;
  /** @type {number | null} */
  #budget = null;
  /** @type {ModelInfo[]} */
  #catalog = [];
  /** @type {Choice[]} the models offered in the model select */
  #choices = [];
  /** @type {RelayConfig | null} */
  #config = null;
  #images;
  /** @type {Conversation | null} */
  #conversation = null;
  #conversationKey = "";
  /** @type {Active | null} */
  #active = null;
  /** @type {Turn[]} */
  #turns = [];
  #frame = 0;
  #prepareQueued = false;
  #mathWaiting = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #ticker = undefined;
  /** @type {string | null} */
  #configFor = null;
  /** The relay's /config being read: a question waits for its model list. */
  #configRead = Promise.resolve();

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = `<style>${CSS}</style>${TEMPLATE}`;
    const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (this.#root.querySelector(s));
    /** @type {Record<string, HTMLElement>} */
    const r = {};
    for (const k of ["thread", "previews", "question", "status", "region", "reason", "drop"]) r[k] = q("." + k);
    for (const k of ["file", "cam", "choose", "camera", "ask", "stop", "reset", "model", "protocol", "thinking", "budget"]) r[k] = q("." + k);
    r.form = q("form");
    r.wrap = q(".wrap");
    this.#r = /** @type {Refs} */ (/** @type {unknown} */ (r));
    this.#images = new Images(this.#r.previews, this.#r.choose, {
      t: () => this.#t,
      model: () => this.model,
      ready,
    });
    this.#wire();
  }

  // --- attributes and properties ---------------------------------------------

  /**
   * @param {string} name
   * @param {string | null} _old
   * @param {string | null} value
   */
  attributeChangedCallback(name, _old, value) {
    switch (name) {
      case "api-key":
        if (value !== null) console.error(API_KEY_REFUSED);
        break;
      case "model":
        this.#model = value || null;
        this.#syncOptions();
        break;
      case "protocol":
        this.#protocol = value || null;
        this.#syncOptions();
        break;
      case "thinking":
        this.#thinking = parseThinking(value);
        this.#syncOptions();
        break;
      case "thinking-budget":
        this.#budget = parseBudget(value);
        this.#syncOptions();
        break;
      case "lang":
        this.#t = strings(value || document.documentElement.lang);
        this.#applyText();
        break;
      case "placeholder":
        this.#applyText();
        break;
      case "base-url":
      case "region":
        if (this.isConnected) this.#configRead = this.#refreshConfig();
        break;
    }
  }

  get baseUrl() { return this.getAttribute("base-url") ?? ""; }
  set baseUrl(v) { this.#setAttr("base-url", v); }
  get protocol() { return this.#protocol ?? this.#r.protocol.value ?? "openai"; }
  set protocol(v) { this.#setAttr("protocol", v); }
  get region() { return this.getAttribute("region"); }
  set region(v) { this.#setAttr("region", v); }
  get model() { return this.#model ?? (this.#r.model.value || null); }
  set model(v) { this.#setAttr("model", v); }
  get thinking() { return this.#thinking; }
  // React and Preact set a prop the element has as a property, so the
  // attribute's strings ("off") arrive here too.
  set thinking(v) { this.setAttribute("thinking", (typeof v === "string" ? parseThinking(v) : v) ? "on" : "off"); }
  get thinkingBudget() { return this.#budget; }
  set thinkingBudget(v) { this.#setAttr("thinking-budget", v == null ? null : String(v)); }
  get placeholder() { return this.getAttribute("placeholder"); }
  set placeholder(v) { this.#setAttr("placeholder", v); }
  /** Extra request headers for the relay (not an attribute: never put secrets in HTML). */
  get headers() { return { ...this.#headers }; }
  set headers(v) { this.#headers = v && typeof v === "object" ? { ...v } : {}; }
  /** A client token from the site's backend, sent as `Authorization: Bearer …` (relay/README.md "Client tokens"). */
  get token() { return this.#token; }
  set token(v) { this.#token = v ? String(v) : ""; if (this.isConnected) this.#showBudget(); }
  /** The system prompt of new conversations. */
  get system() { return this.#system; }
  set system(v) { this.#system = v == null ? "" : String(v); }
  get question() { return this.#r.question.value; }
  set question(v) { this.#r.question.value = v == null ? "" : String(v); }
  get apiKey() { return undefined; }
  set apiKey(_v) { console.error(API_KEY_REFUSED); }
  /** The committed conversation so far (API.md Conversation.messages). */
  get messages() { return this.#conversation ? this.#conversation.messages : []; }
  get busy() { return this.#active !== null; }

  /**
   * @param {string} name
   * @param {unknown} v
   */
  #setAttr(name, v) {
    if (v == null || v === "") this.removeAttribute(name);
    else this.setAttribute(name, String(v));
  }

  connectedCallback() {
    // A property set before the element was defined is an own data property
    // shadowing our accessor: re-apply it through the accessor.
    const self = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this));
    for (const prop of ["baseUrl", "protocol", "region", "model", "thinking", "thinkingBudget", "placeholder", "headers", "token", "system", "question"]) {
      if (Object.prototype.hasOwnProperty.call(this, prop)) {
        const v = self[prop];
        delete self[prop];
        self[prop] = v;
      }
    }
    if (!this.hasAttribute("lang")) this.#t = strings(document.documentElement.lang || navigator.language);
    this.#applyText();
    this.#configRead = this.#refreshConfig();
  }

  disconnectedCallback() {
    // A removed element must not keep a request (and the model's tokens) going.
    this.stop();
  }

  // --- public methods ----------------------------------------------------------

  /**
   * Adds an image (Blob/File) to the next question; resolves once it is prepared.
   * @param {Blob} blob
   */
  addImage(blob) {
    return this.#images.add([blob]);
  }

  /**
   * Asks `question` (or the text in the box). Resolves with the Result, or undefined on error/stop.
   * @param {string} [question]
   * @returns {Promise<Result | undefined>}
   */
  ask(question) {
    if (question != null) this.question = question;
    return this.#ask();
  }

  stop() {
    const a = this.#active;
    if (!a) return;
    // Before the request exists (images still preparing) the flag aborts it
    // as soon as it starts.
    a.aborted = true;
    if (a.stream) a.stream.abort();
  }

  /** Forgets the conversation, the transcript and the pending images. */
  reset() {
    this.stop();
    this.#conversation = null;
    this.#conversationKey = "";
    this.#turns = [];
    this.#r.thread.replaceChildren();
    this.#images.clear();
    this.#r.question.value = "";
    this.#r.status.textContent = "";
    this.#applyText();
  }

  // --- wiring ------------------------------------------------------------------

  #wire() {
    const r = this.#r;
    /** @param {FileList | null | undefined} list */
    const images = (list) => [...(list || [])].filter((f) => f.type.startsWith("image/"));
    r.choose.addEventListener("click", () => r.file.click());
    r.camera.addEventListener("click", () => r.cam.click());
    for (const input of [r.file, r.cam]) {
      input.addEventListener("change", () => {
        const files = [...(input.files || [])];
        input.value = "";
        this.#images.add(files);
      });
    }
    r.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#ask();
    });
    r.question.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.#ask();
      }
    });
    r.wrap.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.#active) {
        e.preventDefault();
        this.stop();
      }
    });
    r.stop.addEventListener("click", () => this.stop());
    r.reset.addEventListener("click", () => {
      this.reset();
      r.question.focus();
    });
    r.wrap.addEventListener("paste", (e) => {
      const files = images(e.clipboardData?.files);
      if (files.length) {
        e.preventDefault();
        this.#images.add(files);
      }
    });
    r.wrap.addEventListener("dragover", (e) => {
      if (!e.dataTransfer || ![...e.dataTransfer.types].includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      r.drop.classList.add("over");
    });
    r.wrap.addEventListener("dragleave", (e) => {
      if (!r.wrap.contains(/** @type {Node | null} */ (e.relatedTarget))) r.drop.classList.remove("over");
    });
    r.wrap.addEventListener("drop", (e) => {
      r.drop.classList.remove("over");
      const files = images(e.dataTransfer?.files);
      if (files.length) {
        e.preventDefault();
        this.#images.add(files);
      }
    });
    // The controls change the choice for the next question only; attributes
    // stay what the host wrote.
    r.model.addEventListener("change", () => {
      this.#model = r.model.value;
      this.#syncOptions();
      this.#images.reestimate();
    });
    r.protocol.addEventListener("change", () => (this.#protocol = r.protocol.value));
    r.thinking.addEventListener("change", () => {
      this.#thinking = r.thinking.checked;
      this.#syncOptions();
    });
    r.budget.addEventListener("change", () => (this.#budget = parseBudget(r.budget.value)));
  }

  #applyText() {
    const t = this.#t;
    /** @param {string} selector */
    const all = (selector) => /** @type {NodeListOf<HTMLElement>} */ (this.#root.querySelectorAll(selector));
    for (const el of all("[data-t]")) el.textContent = t(/** @type {string} */ (el.dataset.t));
    for (const el of all("[data-t-label]")) el.setAttribute("aria-label", t(/** @type {string} */ (el.dataset.tLabel)));
    for (const el of all("[data-t-placeholder]")) /** @type {HTMLInputElement} */ (el).placeholder = t(/** @type {string} */ (el.dataset.tPlaceholder));
    const ph = this.getAttribute("placeholder");
    this.#r.question.placeholder = ph ?? (this.#conversation?.messages.length ? t("followUpPlaceholder") : t("placeholder"));
    this.#renderRegion();
    this.#syncOptions();
  }

  // --- relay configuration and options ----------------------------------------

  #base() {
    // "" (or no attribute) means the page's own origin; always absolute so
    // the client never falls back to a Model Studio host.
    const attr = this.getAttribute("base-url");
    const u = new URL(attr || "/", document.baseURI);
    return (attr ? u.href : u.origin).replace(/\/+$/, "");
  }

  #isModelStudio() {
    try {
      return new URL(this.#base()).hostname.endsWith(".aliyuncs.com");
    } catch {
      return false;
    }
  }

  async #refreshConfig() {
    const base = this.#base();
    if (this.#configFor === base && this.#catalog.length) {
      this.#renderRegion();
      return;
    }
    this.#configFor = base;
    const r = this.#r;
    if (!r.model.options.length) r.model.add(new Option(this.#model || this.#t("loadingConfig"), this.#model || ""));
    try {
      await ready();
      this.#catalog = models();
    } catch (e) {
      this.#showStatus(errorDetail(e).message);
      return;
    }
    const cfg = this.#isModelStudio() ? null : await loadConfig(base);
    if (this.#configFor !== base) return; // base-url changed meanwhile
    this.#config = cfg;
    this.#choices = modelChoices(cfg, this.#catalog, cfg ? null : this.#regionShown());
    r.protocol.replaceChildren(...protocolChoices(cfg).map((p) => new Option(p, p)));
    this.#renderRegion();
    this.#syncOptions();
    this.#images.reestimate();
  }

  #regionShown() {
    if (this.#config && typeof this.#config.region === "string") return this.#config.region;
    return this.#isModelStudio() ? this.getAttribute("region") || "intl" : null;
  }

  #renderRegion() {
    const t = this.#t;
    if (this.#config && this.#config.mock === true && !this.#config.region) {
      this.#r.region.textContent = t("region") + ": " + t("regionMock");
      return;
    }
    const region = this.#regionShown();
    const name = region ? region + (REGION_NAMES[region] ? " (" + REGION_NAMES[region] + ")" : "") : t("regionUnknown");
    this.#r.region.textContent = t("region") + ": " + name + (this.#isModelStudio() ? "" : " — " + t("regionByRelay"));
  }

  /** @returns {Choice | null} */
  #currentInfo() {
    const id = this.model;
    return id ? infoFor(id, this.#catalog) : null;
  }

  #syncOptions() {
    if (!this.#r) return; // attributes parsed before the constructor finished
    const r = this.#r;
    syncOptions(r, {
      choices: this.#choices,
      model: this.#model,
      protocol: this.#protocol,
      thinking: this.#thinking,
      budget: this.#budget,
      info: () => this.#currentInfo(),
      t: this.#t,
    });
  }

  // --- asking ---------------------------------------------------------------------

  /** @param {string} text */
  #showStatus(text) {
    this.#r.status.textContent = text;
  }

  /** With a token: "N tokens left today" when the relay reports a budget (GET /budget). */
  async #showBudget() {
    if (!this.#token || !this.#base() || this.#isModelStudio()) return;
    try {
      const headers = { accept: "application/json", ...this.#headers, authorization: "Bearer " + this.#token };
      const res = await fetch(this.#base() + "/budget", { headers });
      const b = res.ok ? await res.json() : null;
      if (typeof b?.remaining === "number" && !this.#active && !this.#r.status.textContent) {
        this.#showStatus(this.#t("tokensLeft").replace("{n}", b.remaining.toLocaleString(this.getAttribute("lang") || undefined)));
      }
    } catch {
      // No budget to show.
    }
  }

  #settings() {
    const info = this.#currentInfo();
    const model = /** @type {string} */ (this.model);
    const always = info?.thinking === "always";
    const thinking = always || this.#r.thinking.checked;
    /** @type {Omit<RequestOptions, "messages"> & { system?: string }} */
    const defaults = { model };
    if (info?.family === "qwen3-vl" && !always) defaults.enableThinking = thinking;
    else if (info?.unknown && thinking) defaults.enableThinking = true;
    if (thinking && info?.thinkingBudget && this.#budget != null) defaults.thinkingBudget = this.#budget;
    if (this.#system) defaults.system = this.#system;
    /** @type {ClientOptions} */
    const client = { baseUrl: this.#base(), protocol: /** @type {ClientOptions["protocol"]} */ (this.#r.protocol.value || "openai") };
    if (Object.keys(this.#headers).length) client.headers = { ...this.#headers };
    if (this.#token) client.headers = { ...client.headers, authorization: "Bearer " + this.#token };
    // The region only means something when talking to Model Studio directly;
    // a relay decides its own region.
    const region = this.getAttribute("region");
    if (this.#isModelStudio() && region) client.region = /** @type {ClientOptions["region"]} */ (region);
    return { client, defaults };
  }

  /** @returns {Promise<Result | undefined>} */
  async #ask() {
    if (this.#active) return undefined;
    const t = this.#t;
    const r = this.#r;
    let text = r.question.value.trim();
    if (!text && !this.#images.list.some((i) => i.state !== "error")) {
      this.#showStatus(t("needInput"));
      r.question.focus();
      return undefined;
    }
    this.#showStatus("");
    if (!text) text = t("defaultQuestion");
    const hadFocus = this.#root.activeElement !== null;

    // Claim the element before the first await so a double click asks once.
    const pending = this.#images.take();
    const turn = new Turn({
      t,
      question: text,
      images: pending.flatMap((i) => (i.info ? [i.info.dataUrl] : [])),
      typeset: (root) => this.#typeset(root),
    });
    this.#turns.push(turn);
    r.thread.append(turn.el);
    /** @type {Active} */
    const active = { stream: null, turn, aborted: false };
    this.#active = active;
    this.#setBusy(true, hadFocus);
    r.question.value = "";

    let stream = null;
    try {
      await ready();
      // Asked right after the element was added (a host calling ask(), a
      // quick click): the model comes from the relay's list.
      await this.#configRead.catch(() => {});
      await Promise.all(pending.map((i) => i.done));
      const settings = this.#settings();
      const key = JSON.stringify(settings);
      if (!this.#conversation || key !== this.#conversationKey) {
        if (this.#conversation && this.#conversation.messages.length) turn.note.textContent = t("newConversation");
        this.#conversation = new Client(settings.client).conversation(settings.defaults);
        this.#conversationKey = key;
      }
      /** @type {import("visual-reasoning").ContentItem[]} */
      const content = [];
      for (const img of pending) if (img.info) content.push({ image: img.info.dataUrl });
      content.push({ text });
      turn.started = performance.now();
      this.#emit("vr-start", {
        question: text,
        images: content.length - 1,
        model: settings.defaults.model,
        protocol: settings.client.protocol,
        thinking: settings.defaults.enableThinking !== false,
      });
      if (active.aborted) {
        // The one error the element makes itself: Stop came before the
        // question was sent, so the client never saw it.
        throw new AbortError("Stopped before the question was sent.");
      }
      stream = this.#conversation.send(content);
      active.stream = stream;
      turn.stream = stream;
      prefetchMath(this.#root);
      for await (const part of stream) {
        this.#emit("vr-part", part);
        turn.onPart(part);
        this.#schedule();
      }
      const result = await stream.result();
      turn.finish(result, null, this.#base());
      this.#schedule();
      this.#emit("vr-done", result);
      this.#showBudget();
      return result;
    } catch (e) {
      turn.finish(null, e, this.#base());
      this.#schedule();
      // A failed or stopped question goes back into the composer (the
      // conversation did not keep it), unless the user already typed more.
      if (!r.question.value) r.question.value = turn.question;
      this.#images.restore(pending);
      // The detail is the client's error itself (API.md "Errors").
      this.#emit("vr-error", e);
      return undefined;
    } finally {
      this.#active = null;
      // Give focus back to the question box only if it would otherwise be
      // lost (Stop disappears); never steal it from where the user went.
      const now = this.#root.activeElement;
      this.#setBusy(false, now === r.stop || (hadFocus && now === null && document.activeElement === document.body));
      this.#applyText();
    }
  }

  /**
   * @param {boolean} busy
   * @param {boolean} moveFocus
   */
  #setBusy(busy, moveFocus) {
    const r = this.#r;
    r.ask.disabled = busy;
    r.stop.hidden = !busy;
    if (moveFocus) (busy ? r.stop : r.question).focus();
    clearInterval(this.#ticker);
    // Elapsed time must move even while no token arrives (a stalled model).
    if (busy) this.#ticker = setInterval(() => this.#schedule(), 250);
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // --- rendering --------------------------------------------------------------------

  /**
   * Shows what arrived: the answer's next render is prepared in a task of
   * its own, then everything is applied at the next animation frame (once
   * per frame).
   */
  #schedule() {
    this.#schedulePrepare();
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => this.#onFrame());
  }

  /** Prepares the turns' next renders in a task after this one (once until it runs). */
  #schedulePrepare() {
    if (this.#prepareQueued) return;
    const now = performance.now();
    if (!this.#turns.some((turn) => turn.wantsPrepare(now))) return;
    this.#prepareQueued = true;
    afterFrame((taskStart) => {
      this.#prepareQueued = false;
      this.#prepare(taskStart);
    });
  }

  /**
   * Prepares the turns' next renders, a slice of at most PREPARE_SLICE ms
   * of the task begun at `taskStart`; a render not finished goes on in the
   * next task, with frames between.
   * @param {number} taskStart
   */
  #prepare(taskStart) {
    let any = false;
    const deadline = taskStart + PREPARE_SLICE;
    for (const turn of this.#turns) {
      if (!turn.done && turn.prepare(performance.now(), deadline)) any = true;
    }
    if (any && !this.#frame) this.#frame = requestAnimationFrame(() => this.#onFrame());
    if (this.#turns.some((turn) => turn.preparing)) this.#schedulePrepare();
  }

  #onFrame() {
    this.#frame = 0;
    const start = performance.now();
    /** @type {Turn[]} */
    const rendered = [];
    let waiting = false;
    for (const turn of this.#turns) {
      if (turn.done) continue;
      const state = turn.flush(start);
      if (state === "rendered") rendered.push(turn);
      else if (state === "waiting") waiting = true;
    }
    if (rendered.length) {
      afterFrame((taskStart) => {
        const cost = performance.now() - start;
        for (const turn of rendered) turn.measured(start, cost);
        // The pacer may allow the next render at once (catching up).
        this.#prepare(taskStart);
      });
    }
    if (waiting || rendered.some((turn) => !turn.done)) this.#schedule();
  }

  /** @param {DocumentFragment | Element} root */
  #typeset(root) {
    if (mathModule) {
      mathModule.ensureStyles(this.#root);
      mathModule.renderMath(root);
      return;
    }
    // Placeholders show the TeX source until KaTeX is here; then every
    // answer is typeset at once (prepare asks formula by formula: once).
    if (this.#mathWaiting) return;
    this.#mathWaiting = true;
    loadMath().then(
      (m) => {
        m.ensureStyles(this.#root);
        for (const turn of this.#turns) m.renderMath(turn.answerEl);
        this.#emit("vr-math-ready", null);
      },
      (e) => console.warn("visual-reasoning-tutor: math renderer failed to load; showing TeX source", e),
    );
  }
}
