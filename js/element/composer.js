// @ts-check
// The composer: the images waiting for the next question (prepared,
// previewed, re-estimated when the model changes) and the option controls
// (model, protocol, thinking, budget) with the reasons some are disabled.
import { prepareImage, estimateImageTokens } from "visual-reasoning";
import { errorDetail } from "./errors.js";
import { fmtBytes, fmtInt } from "./format.js";

/** @typedef {import("./models.js").Choice} Choice */
/** @typedef {(key: string) => string} Strings */
/**
 * An image added to the composer.
 * @typedef {{ file: Blob, state: "preparing" | "ready" | "error",
 *   info: Awaited<ReturnType<typeof prepareImage>> | null, error: string | null,
 *   done: Promise<void> }} PendingImage
 */

export class Images {
  /** @type {PendingImage[]} */
  list = [];
  #previews;
  #choose;
  #env;

  /**
   * @param {HTMLElement} previews  the list the previews go into
   * @param {HTMLElement} choose  gets focus when a preview is removed
   * @param {{ t: () => Strings, model: () => string | null, ready: () => Promise<unknown> }} env
   */
  constructor(previews, choose, env) {
    this.#previews = previews;
    this.#choose = choose;
    this.#env = env;
  }

  /**
   * Adds images (other values are skipped); resolves once all are prepared.
   * @param {Iterable<unknown>} files
   */
  async add(files) {
    const jobs = [];
    for (const file of files) {
      if (!(file instanceof Blob)) continue;
      /** @type {PendingImage} */
      const img = { file, state: "preparing", info: null, error: null, done: Promise.resolve() };
      this.list.push(img);
      img.done = this.#prepare(img);
      jobs.push(img.done);
    }
    this.render();
    await Promise.all(jobs);
  }

  /** @param {PendingImage} img */
  async #prepare(img) {
    try {
      await this.#env.ready();
      const model = this.#env.model() || undefined;
      img.info = await prepareImage(img.file, model ? { model } : {});
      img.state = "ready";
    } catch (e) {
      img.state = "error";
      img.error = errorDetail(e).message;
    }
    this.render();
  }

  /** Takes the images for a question (those that did not fail), leaving none. */
  take() {
    const taken = this.list.filter((i) => i.state !== "error");
    this.list = [];
    this.render();
    return taken;
  }

  /**
   * Puts back the images of a question that failed, unless new ones came.
   * @param {PendingImage[]} images
   */
  restore(images) {
    if (this.list.length || !images.length) return;
    this.list = images;
    this.render();
  }

  clear() {
    this.list = [];
    this.render();
  }

  /** New token estimates for the current model: they differ per model. */
  reestimate() {
    const model = this.#env.model();
    if (!model) return;
    let changed = false;
    for (const img of this.list) {
      if (img.state !== "ready" || !img.info) continue;
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
    if (changed) this.render();
  }

  render() {
    const t = this.#env.t();
    const items = this.list.map((img, i) => {
      const li = document.createElement("li");
      li.className = "preview";
      li.setAttribute("part", "preview");
      const thumb = document.createElement("img");
      thumb.alt = ((img.file instanceof File && img.file.name) || t("images")) + " " + (i + 1);
      if (img.info) thumb.src = img.info.dataUrl;
      const info = document.createElement("span");
      info.className = "info";
      if (img.info) {
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
        this.list = this.list.filter((x) => x !== img);
        this.render();
        this.#choose.focus();
      });
      li.append(thumb, info, rm);
      return li;
    });
    this.#previews.replaceChildren(...items);
  }
}

/**
 * The option controls.
 * @typedef {{ model: HTMLSelectElement, protocol: HTMLSelectElement, thinking: HTMLInputElement,
 *   budget: HTMLInputElement, reason: HTMLElement }} OptionControls
 */

/**
 * Puts the choices into the controls and explains the disabled ones.
 * @param {OptionControls} c
 * @param {{ choices: Choice[], model: string | null, protocol: string | null, thinking: boolean,
 *   budget: number | null, info: () => Choice | null, t: Strings }} s
 *   `model`/`protocol`: the explicit choice (attribute or control), if any;
 *   `info`: the rules of the model selected once the list is in place
 */
export function syncOptions(c, s) {
  const t = s.t;
  if (s.choices.length) {
    const ids = s.choices.map((m) => m.id);
    // An explicit model attribute wins even if the relay did not list it.
    if (s.model && !ids.includes(s.model)) ids.unshift(s.model);
    const want = s.model || (ids.includes("qwen3-vl-plus") ? "qwen3-vl-plus" : ids[0]);
    const current = [...c.model.options].map((o) => o.value).join("\n");
    if (current !== ids.join("\n")) c.model.replaceChildren(...ids.map((id) => new Option(id, id)));
    c.model.value = want;
  }
  if (s.protocol && [...c.protocol.options].some((o) => o.value === s.protocol)) c.protocol.value = s.protocol;
  const info = s.info();
  const always = info?.thinking === "always";
  c.thinking.checked = always || s.thinking;
  c.thinking.disabled = always;
  const budgetOk = !!info?.thinkingBudget && c.thinking.checked;
  c.budget.disabled = !budgetOk;
  c.budget.value = s.budget == null ? "" : String(s.budget);
  const reasons = [];
  if (info && always) reasons.push(t("alwaysThinks") + " (" + info.id + ").");
  if (info && !info.thinkingBudget) reasons.push(t("budgetNone") + ".");
  else if (info && !budgetOk) reasons.push(t("budgetNeedsThinking") + ".");
  c.reason.textContent = reasons.join(" ");
}
