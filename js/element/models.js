// @ts-check
// Model choices: which models and protocols the element offers (the relay's
// GET /config narrowed with the client's catalog) and the rules of ids the
// catalog does not list.

import { modelInfo } from "visual-reasoning";

/** @typedef {import("visual-reasoning").ModelInfo} ModelInfo */
/** @typedef {import("visual-reasoning").Protocol} Protocol */
/**
 * What the element needs to know of a model. `family: null` and `unknown`
 * for an id no rule covers (it is sent as it is).
 * @typedef {{ id: string, family: ModelInfo["family"] | null, thinking: ModelInfo["thinking"],
 *   thinkingBudget: boolean, regions: ModelInfo["regions"], unknown?: boolean }} Choice
 */
/**
 * The relay's GET /config, as far as the element reads it.
 * @typedef {{ region?: unknown, models?: unknown, protocols?: unknown, mock?: unknown }} RelayConfig
 */

/**
 * The rules for `id`: the catalog's entry, else those the client applies to
 * ids outside it (the package's `modelInfo`, the core's `models::rules`),
 * else `unknown` (sent as it is). The catalog a relay narrowed is searched
 * first so its entries win.
 * @param {string} id
 * @param {ModelInfo[]} catalog
 * @returns {Choice}
 */
export function infoFor(id, catalog) {
  return (
    catalog.find((m) => m.id === id) ??
    modelInfo(id) ?? { id, family: null, thinking: "hybrid", thinkingBudget: false, regions: [], unknown: true }
  );
}

// Dated snapshots and -latest aliases crowd the list; the plain ids name the
// same models (a `model` attribute can still pick a snapshot).
const DATED = /-\d{4}-\d{2}-\d{2}|-latest$/;
/** @type {Protocol[]} */
export const PROTOCOLS = ["openai", "dashscope"];
/** @type {Record<string, string>} */
export const REGION_NAMES = { intl: "Singapore", us: "Virginia", cn: "Beijing" };

/** @type {Map<string, Promise<RelayConfig | null>>} base URL -> config */
const configs = new Map();

/**
 * The relay's /config, fetched once per base URL for the whole page; null
 * when there is none (Model Studio itself, an older relay).
 * @param {string} base
 * @returns {Promise<RelayConfig | null>}
 */
export function loadConfig(base) {
  let p = configs.get(base);
  if (!p) {
    p = fetch(base + "/config", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((c) => (c && typeof c === "object" ? c : null))
      .catch(() => null);
    configs.set(base, p);
  }
  return p;
}

/**
 * The models to offer: the relay's list, else the catalog's models of
 * `region` (all regions when null).
 * @param {RelayConfig | null} config
 * @param {ModelInfo[]} catalog
 * @param {string | null} region
 * @returns {Choice[]}
 */
export function modelChoices(config, catalog, region) {
  /** @type {string[]} */
  let ids;
  if (config && Array.isArray(config.models) && config.models.length) {
    ids = config.models.map((m) => (typeof m === "string" ? m : m && m.id)).filter((x) => typeof x === "string");
    const plain = ids.filter((id) => !DATED.test(id));
    if (plain.length) ids = plain;
  } else {
    ids = catalog.filter((m) => !DATED.test(m.id) && (!region || /** @type {string[]} */ (m.regions).includes(region))).map((m) => m.id);
  }
  return [...new Set(ids)].map((id) => infoFor(id, catalog));
}

/**
 * The protocols to offer: the relay's that the client speaks, in its order.
 * @param {RelayConfig | null} config
 * @returns {Protocol[]}
 */
export function protocolChoices(config) {
  if (!config || !Array.isArray(config.protocols)) return PROTOCOLS;
  const offered = config.protocols.filter((p) => PROTOCOLS.includes(p));
  return offered.length ? offered : PROTOCOLS;
}
