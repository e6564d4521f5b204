// <visual-reasoning-tutor>: photograph a problem, watch the model think,
// read the answer. Everything here is built on the public client API
// (API.md); the demo site uses this element rather than a second copy.
import init, { Client, models, prepareImage, estimateImageTokens } from "visual-reasoning";
import { CSS } from "./styles.js";
import { strings, API_KEY_REFUSED } from "./strings.js";
import { renderMarkdown } from "./markdown.js";
import { errorDetail, plainWords } from "./errors.js";

// --- module-wide, shared by every element on the page -----------------------

let wasmReady = null;
// The default init() finds the .wasm next to visual_reasoning.js. A host that
// already initialised the module is fine: init() returns the same instance.
function ready() {
  if (!wasmReady) wasmReady = init();
  return wasmReady;
}

const configs = new Map(); // base URL -> Promise<config | null>
function loadConfig(base) {
  let p = configs.get(base);
  if (!p) {
    p = fetch(base + "/config", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((c) => (c && typeof c === "object" ? c : null))
      // Pointed at something without /config (Model Studio itself, an older
      // relay): fall back to the library's own catalog.
      .catch(() => null);
    configs.set(base, p);
  }
  return p;
}

let mathModule = null;
let mathLoading = null;
function loadMath() {
  if (!mathLoading) {
    mathLoading = import("./math.js").then((m) => (mathModule = m));
  }
  return mathLoading;
}

const DATED = /-\d{4}-\d{2}-\d{2}|-latest$/;
const REGION_NAMES = { intl: "Singapore", us: "Virginia", cn: "Beijing" };
const PROTOCOLS = ["openai", "dashscope"];

// Ids outside the catalog get the same family rules the client applies.
function infoFor(id, catalog) {
  const known = catalog.find((m) => m.id === id);
  if (known) return known;
  if (id.startsWith("qvq-")) return { id, family: "qvq", thinking: "always", thinkingBudget: false, regions: [] };
  if (id.startsWith("qwen3-vl-")) {
    const always = id.endsWith("-thinking");
    return { id, family: "qwen3-vl", thinking: always ? "always" : "hybrid", thinkingBudget: true, regions: [] };
  }
  return { id, family: null, thinking: "hybrid", thinkingBudget: false, regions: [], unknown: true };
}

// Thinking arrives long before usage (openai sends usage at the very end):
// estimate meanwhile. CJK runs are about one token a character, other text
// about four characters a token.
function estimateTokens(text) {
  let cjk = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if ((c >= 0x3000 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff)) cjk++;
  }
  const rest = text.length - cjk;
  return cjk + rest / 4;
}

function fmtBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB";
  return (n / 1048576).toFixed(1) + " MB";
}
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtSecs = (ms) => (ms / 1000).toFixed(1);

function parseThinking(v) {
  if (v === null) return true; // the tutor's point is watching the model think
  return !/^(off|false|0|no)$/i.test(v.trim());
}
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

let nextId = 1;

export class VisualReasoningTutor extends HTMLElement {
  static observedAttributes = ["base-url", "protocol", "region", "model", "thinking", "thinking-budget", "placeholder", "lang", "api-key"];

  #root;
  #r = {}; // references into the shadow DOM
  #t = strings("en");
  #headers = {};
  #token = "";
  #system =
    "You are a patient tutor. Work through the problem step by step, then give the final answer clearly. " +
    "Write mathematics in LaTeX between $…$ (inline) or $$…$$ (display).";
  // Current choices: from attributes first, then from the controls.
  #model = null;
  #protocol = null;
  #thinking = true;
  #budget = null;
  #catalog = [];
  #choices = []; // ModelInfo[] shown in the model select
  #config = null;
  #images = [];
  #conversation = null;
  #conversationKey = "";
  #active = null; // { stream, turn }
  #turns = [];
  #frame = 0;
  #ticker = 0;
  #configFor = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = `<style>${CSS}</style>${TEMPLATE}`;
    const q = (s) => this.#root.querySelector(s);
    const r = this.#r;
    for (const k of ["thread", "previews", "question", "status", "region", "reason", "drop"]) r[k] = q("." + k);
    for (const k of ["file", "cam", "choose", "camera", "ask", "stop", "reset", "model", "protocol", "thinking", "budget"]) r[k] = q("." + k);
    r.form = q("form");
    r.wrap = q(".wrap");
    this.#wire();
  }

  // --- attributes and properties ---------------------------------------------

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
        if (this.isConnected) this.#refreshConfig();
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
  set thinking(v) { this.setAttribute("thinking", v ? "on" : "off"); }
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

  #setAttr(name, v) {
    if (v == null || v === "") this.removeAttribute(name);
    else this.setAttribute(name, String(v));
  }

  connectedCallback() {
    // A property set before the element was defined is an own data property
    // shadowing our accessor: re-apply it through the accessor.
    for (const prop of ["baseUrl", "protocol", "region", "model", "thinking", "thinkingBudget", "placeholder", "headers", "token", "system", "question"]) {
      if (Object.prototype.hasOwnProperty.call(this, prop)) {
        const v = this[prop];
        delete this[prop];
        this[prop] = v;
      }
    }
    if (!this.hasAttribute("lang")) this.#t = strings(document.documentElement.lang || navigator.language);
    this.#applyText();
    this.#refreshConfig();
  }

  disconnectedCallback() {
    // A removed element must not keep a request (and the model's tokens) going.
    this.stop();
  }

  // --- public methods ----------------------------------------------------------

  /** Adds an image (Blob/File) to the next question; resolves once it is prepared. */
  addImage(blob) {
    return this.#addFiles([blob]);
  }

  /** Asks `question` (or the text in the box). Resolves with the Result, or undefined on error/stop. */
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
    this.#images = [];
    this.#renderPreviews();
    this.#r.question.value = "";
    this.#r.status.textContent = "";
    this.#applyText();
  }

  // --- wiring ------------------------------------------------------------------

  #wire() {
    const r = this.#r;
    r.choose.addEventListener("click", () => r.file.click());
    r.camera.addEventListener("click", () => r.cam.click());
    for (const input of [r.file, r.cam]) {
      input.addEventListener("change", () => {
        const files = [...(input.files || [])];
        input.value = "";
        this.#addFiles(files);
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
      const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
      if (files.length) {
        e.preventDefault();
        this.#addFiles(files);
      }
    });
    r.wrap.addEventListener("dragover", (e) => {
      if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      r.drop.classList.add("over");
    });
    r.wrap.addEventListener("dragleave", (e) => {
      if (!r.wrap.contains(e.relatedTarget)) r.drop.classList.remove("over");
    });
    r.wrap.addEventListener("drop", (e) => {
      r.drop.classList.remove("over");
      const files = [...(e.dataTransfer?.files || [])].filter((f) => f.type.startsWith("image/"));
      if (files.length) {
        e.preventDefault();
        this.#addFiles(files);
      }
    });
    // The controls change the choice for the next question only; attributes
    // stay what the host wrote.
    r.model.addEventListener("change", () => {
      this.#model = r.model.value;
      this.#syncOptions();
      this.#reestimateImages();
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
    for (const el of this.#root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of this.#root.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t(el.dataset.tLabel));
    for (const el of this.#root.querySelectorAll("[data-t-placeholder]")) el.placeholder = t(el.dataset.tPlaceholder);
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
    let ids;
    if (cfg && Array.isArray(cfg.models) && cfg.models.length) {
      ids = cfg.models.map((m) => (typeof m === "string" ? m : m && m.id)).filter((x) => typeof x === "string");
      // Dated snapshots and -latest aliases crowd the list; the plain ids
      // name the same models (a `model` attribute can still pick a snapshot).
      const plain = ids.filter((id) => !DATED.test(id));
      if (plain.length) ids = plain;
    } else {
      const region = this.#regionShown();
      ids = this.#catalog.filter((m) => !DATED.test(m.id) && (!region || m.regions.includes(region))).map((m) => m.id);
    }
    this.#choices = [...new Set(ids)].map((id) => infoFor(id, this.#catalog));
    const protocols = cfg && Array.isArray(cfg.protocols) && cfg.protocols.length ? cfg.protocols.filter((p) => PROTOCOLS.includes(p)) : PROTOCOLS;
    r.protocol.replaceChildren(...(protocols.length ? protocols : PROTOCOLS).map((p) => new Option(p, p)));
    this.#renderRegion();
    this.#syncOptions();
    this.#reestimateImages();
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

  #currentInfo() {
    const id = this.model;
    return id ? infoFor(id, this.#catalog) : null;
  }

  // Puts the choices into the controls and explains disabled ones.
  #syncOptions() {
    const r = this.#r;
    if (!r.model) return;
    const t = this.#t;
    if (this.#choices.length) {
      const ids = this.#choices.map((m) => m.id);
      // An explicit model attribute wins even if the relay did not list it.
      if (this.#model && !ids.includes(this.#model)) ids.unshift(this.#model);
      const want = this.#model || (ids.includes("qwen3-vl-plus") ? "qwen3-vl-plus" : ids[0]);
      const current = [...r.model.options].map((o) => o.value).join("\n");
      if (current !== ids.join("\n")) r.model.replaceChildren(...ids.map((id) => new Option(id, id)));
      r.model.value = want;
    }
    if (this.#protocol && [...r.protocol.options].some((o) => o.value === this.#protocol)) r.protocol.value = this.#protocol;
    const info = this.#currentInfo();
    const always = info?.thinking === "always";
    r.thinking.checked = always || this.#thinking;
    r.thinking.disabled = always;
    const budgetOk = !!info?.thinkingBudget && r.thinking.checked;
    r.budget.disabled = !budgetOk;
    r.budget.value = this.#budget == null ? "" : String(this.#budget);
    const reasons = [];
    if (always) reasons.push(t("alwaysThinks") + " (" + info.id + ").");
    if (info && !info.thinkingBudget) reasons.push(t("budgetNone") + ".");
    else if (info && !budgetOk) reasons.push(t("budgetNeedsThinking") + ".");
    r.reason.textContent = reasons.join(" ");
  }

  // --- images --------------------------------------------------------------------

  async #addFiles(files) {
    const jobs = [];
    for (const file of files) {
      if (!(file instanceof Blob)) continue;
      const img = { id: nextId++, file, state: "preparing", url: null, info: null, error: null };
      this.#images.push(img);
      img.done = this.#prepare(img);
      jobs.push(img.done);
    }
    this.#renderPreviews();
    await Promise.all(jobs);
  }

  async #prepare(img) {
    try {
      await ready();
      const model = this.model || undefined;
      img.info = await prepareImage(img.file, model ? { model } : {});
      img.state = "ready";
    } catch (e) {
      img.state = "error";
      img.error = errorDetail(e).message;
    }
    this.#renderPreviews();
  }

  #reestimateImages() {
    const model = this.model;
    if (!model) return;
    let changed = false;
    for (const img of this.#images) {
      if (img.state !== "ready") continue;
      try {
        const tokens = estimateImageTokens(img.info.width, img.info.height, model);
        if (tokens !== img.info.tokens) {
          img.info = { ...img.info, tokens };
          changed = true;
        }
      } catch {
        // keep the old estimate: it is only a preview
      }
    }
    if (changed) this.#renderPreviews();
  }

  #renderPreviews() {
    const t = this.#t;
    const items = this.#images.map((img, i) => {
      const li = document.createElement("li");
      li.className = "preview";
      li.setAttribute("part", "preview");
      const thumb = document.createElement("img");
      thumb.alt = (img.file.name || t("images")) + " " + (i + 1);
      if (img.state === "ready") thumb.src = img.info.dataUrl;
      const info = document.createElement("span");
      info.className = "info";
      if (img.state === "ready") {
        const { width, height, bytes, tokens } = img.info;
        info.textContent = `${width}×${height} · ${fmtBytes(bytes)} · ~${fmtInt(tokens)} ${t("tokens")}`;
      } else if (img.state === "error") {
        info.textContent = t("imageFailed") + ": " + img.error;
      } else {
        info.textContent = t("preparing");
      }
      const rm = document.createElement("button");
      rm.type = "button";
      rm.textContent = "×";
      rm.setAttribute("aria-label", t("remove") + " " + (i + 1));
      rm.addEventListener("click", () => {
        this.#images = this.#images.filter((x) => x !== img);
        this.#renderPreviews();
        this.#r.choose.focus();
      });
      li.append(thumb, info, rm);
      return li;
    });
    this.#r.previews.replaceChildren(...items);
  }

  // --- asking ---------------------------------------------------------------------

  #showStatus(text) {
    this.#r.status.textContent = text;
  }

  /** With a token: "N tokens left today" when the relay reports a budget (GET /budget). */
  async #showBudget() {
    if (!this.#token || !this.#base() || this.#isModelStudio()) return;
    try {
      const headers = { accept: "application/json", ...this.#headers };
      if (this.#token) headers.authorization = "Bearer " + this.#token;
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
    const model = this.model;
    const always = info?.thinking === "always";
    const thinking = always || this.#r.thinking.checked;
    const defaults = { model };
    if (info?.family === "qwen3-vl" && !always) defaults.enableThinking = thinking;
    else if (info?.unknown && thinking) defaults.enableThinking = true;
    if (thinking && info?.thinkingBudget && this.#budget != null) defaults.thinkingBudget = this.#budget;
    if (this.#system) defaults.system = this.#system;
    const client = { baseUrl: this.#base(), protocol: this.#r.protocol.value || "openai" };
    if (Object.keys(this.#headers).length) client.headers = { ...this.#headers };
    if (this.#token) client.headers = { ...client.headers, authorization: "Bearer " + this.#token };
    // The region only means something when talking to Model Studio directly;
    // a relay decides its own region.
    if (this.#isModelStudio() && this.getAttribute("region")) client.region = this.getAttribute("region");
    return { client, defaults };
  }

  async #ask() {
    if (this.#active) return undefined;
    const t = this.#t;
    const r = this.#r;
    let text = r.question.value.trim();
    const pending = this.#images.filter((i) => i.state !== "error");
    if (!text && !pending.length) {
      this.#showStatus(t("needInput"));
      r.question.focus();
      return undefined;
    }
    this.#showStatus("");
    if (!text) text = t("defaultQuestion");
    const hadFocus = this.#root.activeElement !== null;

    // Claim the element before the first await so a double click asks once.
    const turn = this.#addTurn(text, pending);
    this.#active = { stream: null, turn, aborted: false };
    this.#setBusy(true, hadFocus);
    this.#images = [];
    this.#renderPreviews();
    r.question.value = "";

    let stream = null;
    let settings = null;
    try {
      await ready();
      await Promise.all(pending.map((i) => i.done));
      settings = this.#settings();
      const key = JSON.stringify(settings);
      if (!this.#conversation || key !== this.#conversationKey) {
        if (this.#conversation && this.#conversation.messages.length) turn.note.textContent = t("newConversation");
        this.#conversation = new Client(settings.client).conversation(settings.defaults);
        this.#conversationKey = key;
      }
      const content = [];
      for (const img of pending) if (img.state === "ready") content.push({ image: img.info.dataUrl });
      content.push({ text });
      turn.started = performance.now();
      this.#emit("vr-start", {
        question: text,
        images: content.length - 1,
        model: settings.defaults.model,
        protocol: settings.client.protocol,
        thinking: settings.defaults.enableThinking !== false,
      });
      if (this.#active.aborted) {
        const e = new Error("Stopped before the question was sent.");
        e.name = "AbortError";
        throw e;
      }
      stream = this.#conversation.send(content);
      this.#active.stream = stream;
      turn.stream = stream;
      for await (const part of stream) {
        this.#emit("vr-part", part);
        this.#onPart(turn, part);
      }
      const result = await stream.result();
      turn.result = result;
      this.#finishTurn(turn, null);
      this.#emit("vr-done", result);
      this.#showBudget();
      return result;
    } catch (e) {
      const d = errorDetail(e);
      if (!d.requestId && stream) {
        try {
          d.requestId = stream.requestId || undefined;
        } catch {
          // a freed stream has no fields left to read
        }
      }
      this.#finishTurn(turn, d);
      // A failed or stopped question goes back into the composer (the
      // conversation did not keep it), unless the user already typed more.
      if (!r.question.value) r.question.value = turn.question;
      if (!this.#images.length && pending.length) {
        this.#images = pending;
        this.#renderPreviews();
      }
      this.#emit("vr-error", d);
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

  #setBusy(busy, moveFocus) {
    const r = this.#r;
    r.ask.disabled = busy;
    r.stop.hidden = !busy;
    if (moveFocus) (busy ? r.stop : r.question).focus();
    clearInterval(this.#ticker);
    // Elapsed time must move even while no token arrives (a stalled model).
    if (busy) this.#ticker = setInterval(() => this.#schedule(), 250);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #addTurn(question, images) {
    const t = this.#t;
    const el = document.createElement("article");
    el.className = "turn streaming";
    el.setAttribute("part", "turn");
    el.setAttribute("aria-label", t("you") + ": " + question.slice(0, 80));
    el.innerHTML = `
      <div class="user" part="user-message"><div class="thumbs"></div><span class="utext"></span></div>
      <p class="note"></p>
      <details class="thinking" part="thinking" open hidden>
        <summary part="thinking-summary"><span class="tphase" role="status" aria-live="polite"></span> <span class="tcount"></span></summary>
        <div class="thinking-body" part="thinking-body" tabindex="0"></div>
      </details>
      <div class="answer" part="answer" aria-live="polite" aria-busy="true"></div>
      <div class="error" part="error" role="alert" hidden></div>
      <p class="meta" part="meta"></p>`;
    const q = (s) => el.querySelector(s);
    const thumbs = q(".thumbs");
    images.forEach((img, i) => {
      if (img.state !== "ready") return;
      const im = document.createElement("img");
      im.src = img.info.dataUrl;
      im.alt = t("images") + " " + (i + 1);
      thumbs.append(im);
    });
    if (!thumbs.childElementCount) thumbs.remove();
    q(".utext").textContent = question;
    const turn = {
      el,
      question,
      note: q(".note"),
      details: q("details"),
      phase: q(".tphase"),
      count: q(".tcount"),
      body: q(".thinking-body"),
      answerEl: q(".answer"),
      errorEl: q(".error"),
      meta: q(".meta"),
      chunk: null,
      chunkLen: 0,
      pending: "",
      reasoningEst: 0,
      hasReasoning: false,
      answer: "",
      answerDirty: false,
      nextAnswerAt: 0,
      started: performance.now(),
      thinkingEnded: 0,
      userToggled: false,
      stream: null,
      result: null,
      done: false,
    };
    // Only a person opening or closing the panel stops the automatic
    // collapse (the toggle event also fires for the initial `open`).
    q("summary").addEventListener("click", () => (turn.userToggled = true));
    this.#turns.push(turn);
    this.#r.thread.append(el);
    return turn;
  }

  #onPart(turn, part) {
    if (part.type === "reasoning") {
      turn.pending += part.text;
      turn.reasoningEst += estimateTokens(part.text);
      turn.hasReasoning = true;
    } else if (part.type === "answer") {
      if (!turn.answer && turn.hasReasoning) turn.thinkingEnded = performance.now();
      turn.answer += part.text;
      turn.answerDirty = true;
    } else if (part.type === "usage") {
      turn.usage = part.usage;
    }
    this.#schedule();
  }

  #schedule() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      for (const turn of this.#turns) if (!turn.done) this.#flush(turn, false);
    });
  }

  // Applies what arrived since the last frame. Thinking is only ever
  // appended (text nodes, never re-parsed) so a 50k-token stream costs the
  // same per frame at the end as at the start; the answer is re-rendered as
  // Markdown, but no more often than its own render cost allows.
  #flush(turn, final) {
    const t = this.#t;
    if (turn.pending) {
      const text = turn.pending;
      turn.pending = "";
      if (turn.details.hidden) turn.details.hidden = false;
      const body = turn.body;
      const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 24;
      this.#appendThinking(turn, text);
      if (atBottom) body.scrollTop = body.scrollHeight;
    }
    if (turn.hasReasoning) {
      const now = performance.now();
      const end = turn.thinkingEnded || (turn.done ? turn.ended : 0);
      const secs = fmtSecs((end || now) - turn.started);
      const phase = end ? t("thoughtFor") + " " + secs + " " + t("seconds") : t("thinkingLive") + "…";
      if (turn.phase.textContent !== phase) turn.phase.textContent = phase;
      let tokens = turn.reasoningEst;
      let exact = false;
      try {
        const u = turn.usage || (turn.stream && turn.stream.usage);
        if (u && typeof u.reasoningTokens === "number") {
          tokens = u.reasoningTokens;
          exact = true;
        }
      } catch {
        // the stream may already be freed; the estimate stands
      }
      turn.count.textContent = `· ${exact ? "" : "~"}${fmtInt(tokens)} ${t("tokens")}` + (end ? "" : ` · ${secs} ${t("seconds")}`);
      if (turn.thinkingEnded && !turn.userToggled && turn.details.open && turn.answer) {
        turn.details.open = false;
      }
    }
    if (turn.answerDirty) {
      const now = performance.now();
      if (final || now >= turn.nextAnswerAt) {
        turn.answerDirty = false;
        const { html, hasMath } = renderMarkdown(turn.answer);
        turn.answerEl.innerHTML = html;
        if (hasMath) this.#typeset(turn.answerEl);
        const cost = performance.now() - now;
        turn.nextAnswerAt = now + cost * 4;
      } else {
        this.#schedule();
      }
    }
  }

  // Thinking goes into blocks of ~4 KB, each cut after a newline, so one
  // append lays out one small block, not the whole transcript.
  #appendThinking(turn, text) {
    const SOFT = 4096;
    const HARD = 16384;
    const fresh = () => {
      turn.chunk = document.createElement("div");
      turn.chunkLen = 0;
      turn.body.append(turn.chunk);
    };
    if (!turn.chunk) fresh();
    // One frame may bring a lot (a fast relay, a background tab): split it.
    while (text) {
      const room = SOFT - turn.chunkLen;
      if (text.length <= room) {
        turn.chunk.append(text);
        turn.chunkLen += text.length;
        return;
      }
      // Past the soft size, cut after a newline; past the hard size, anywhere.
      const hard = HARD - turn.chunkLen;
      let cut = text.indexOf("\n", Math.max(room, 0));
      if (cut < 0 || cut >= hard) cut = hard - 1;
      if (cut >= 0) {
        turn.chunk.append(text.slice(0, cut + 1));
        text = text.slice(cut + 1);
      }
      fresh();
    }
  }

  #typeset(el) {
    if (mathModule) {
      mathModule.ensureStyles(this.#root);
      mathModule.renderMath(el);
      return;
    }
    loadMath().then(
      (m) => {
        m.ensureStyles(this.#root);
        for (const turn of this.#turns) m.renderMath(turn.answerEl);
        this.#emit("vr-math-ready", null);
      },
      (e) => console.warn("visual-reasoning-tutor: math renderer failed to load; showing TeX source", e),
    );
  }

  #finishTurn(turn, err) {
    const t = this.#t;
    turn.ended = performance.now();
    if (turn.hasReasoning && !turn.thinkingEnded) turn.thinkingEnded = turn.ended;
    this.#flush(turn, true);
    turn.done = true;
    turn.el.classList.remove("streaming");
    turn.answerEl.setAttribute("aria-busy", "false");
    const total = fmtSecs(turn.ended - turn.started) + " " + t("seconds");
    if (!err) {
      const res = turn.result || {};
      const u = res.usage;
      const bits = [t("finish") + ": " + (res.finishReason || "?")];
      if (u) {
        let input = fmtInt(u.inputTokens) + " " + t("inputTokens");
        if (typeof u.imageTokens === "number") input += " (" + fmtInt(u.imageTokens) + " " + t("imageTokens") + ")";
        let output = fmtInt(u.outputTokens) + " " + t("outputTokens");
        if (typeof u.reasoningTokens === "number") output += " (" + fmtInt(u.reasoningTokens) + " " + t("reasoningTokens") + ")";
        bits.push(input, output);
      }
      bits.push(total);
      if (res.model) bits.push(res.model);
      if (res.requestId) bits.push(t("requestId") + " " + res.requestId);
      turn.meta.textContent = bits.join(" · ");
      if (res.finishReason === "length") turn.note.textContent = t("finishLength");
      return;
    }
    if (err.name === "AbortError") {
      turn.meta.textContent = t("stopped") + " · " + total;
      return;
    }
    const box = turn.errorEl;
    box.hidden = false;
    box.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = plainWords(err, this.#base());
    const detail = document.createElement("div");
    detail.className = "detail";
    detail.textContent = [err.name, err.status && "HTTP " + err.status, err.code, err.message].filter(Boolean).join(" · ");
    box.append(title, detail);
    if (err.requestId) {
      const rid = document.createElement("div");
      rid.className = "rid";
      const code = document.createElement("code");
      code.textContent = err.requestId;
      rid.append(t("requestId") + ": ", code);
      box.append(rid);
    }
    turn.meta.textContent = total;
  }
}
