// API.md types section: models(), estimateImageTokens() (PROTOCOL.md §6, §7)
// and prepareImage() outside a browser.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadPkg } from "./helpers.mjs";

const { models, estimateImageTokens, prepareImage } = await loadPkg();

const ALL = ["intl", "us", "cn"];
// PROTOCOL.md §6, row by row: id → [family, thinking, streamingOnly, thinkingBudget, regions]
const TABLE = {
  "qwen3-vl-plus": ["qwen3-vl", "hybrid", false, true, ALL],
  "qwen3-vl-plus-2025-09-23": ["qwen3-vl", "hybrid", false, true, ALL],
  "qwen3-vl-plus-2025-12-19": ["qwen3-vl", "hybrid", false, true, ["intl", "cn"]],
  "qwen3-vl-flash": ["qwen3-vl", "hybrid", false, true, ALL],
  "qwen3-vl-flash-2025-10-15": ["qwen3-vl", "hybrid", false, true, ALL],
  "qwen3-vl-flash-2026-01-22": ["qwen3-vl", "hybrid", false, true, ALL],
  "qwen3-vl-flash-us": ["qwen3-vl", "hybrid", false, true, ["us"]],
  "qwen3-vl-flash-2025-10-15-us": ["qwen3-vl", "hybrid", false, true, ["us"]],
  "qwen3-vl-235b-a22b-thinking": ["qwen3-vl", "always", false, true, ALL],
  "qwen3-vl-32b-thinking": ["qwen3-vl", "always", false, true, ALL],
  "qwen3-vl-30b-a3b-thinking": ["qwen3-vl", "always", false, true, ALL],
  "qwen3-vl-8b-thinking": ["qwen3-vl", "always", false, true, ALL],
  "qvq-max": ["qvq", "always", true, false, ["intl", "cn"]],
  "qvq-max-latest": ["qvq", "always", true, false, ["intl", "cn"]],
  "qvq-plus": ["qvq", "always", true, false, null], // intl unconfirmed: cn at least
  "qvq-plus-latest": ["qvq", "always", true, false, null],
};

describe("models()", () => {
  test("lists the catalog: every id of PROTOCOL.md §6 with its facts", () => {
    const list = models();
    assert.ok(Array.isArray(list));
    const byId = new Map(list.map((m) => [m.id, m]));
    assert.equal(byId.size, list.length, "ids are unique");
    for (const [id, [family, thinking, streamingOnly, thinkingBudget, regions]] of Object.entries(TABLE)) {
      const m = byId.get(id);
      assert.ok(m, `models() lists ${id}`);
      assert.equal(m.family, family, `${id}.family`);
      assert.equal(m.thinking, thinking, `${id}.thinking`);
      assert.equal(m.streamingOnly, streamingOnly, `${id}.streamingOnly`);
      assert.equal(m.thinkingBudget, thinkingBudget, `${id}.thinkingBudget`);
      assert.ok(Array.isArray(m.regions));
      if (regions) assert.deepEqual([...m.regions].sort(), [...regions].sort(), `${id}.regions`);
      else assert.ok(m.regions.includes("cn") && !m.regions.includes("us"), `${id}.regions ${m.regions}`);
    }
  });

  test("every entry is well formed and follows the id rules", () => {
    for (const m of models()) {
      assert.equal(typeof m.id, "string");
      assert.ok(["qwen3-vl", "qvq"].includes(m.family), `${m.id}.family ${m.family}`);
      assert.ok(["hybrid", "always"].includes(m.thinking));
      assert.ok(m.regions.length > 0 && m.regions.every((r) => ALL.includes(r)), `${m.id}.regions`);
      if (m.id.startsWith("qvq-")) assert.equal(m.family, "qvq");
      if (m.id.startsWith("qwen3-vl-")) {
        assert.equal(m.family, "qwen3-vl");
        assert.equal(m.thinking, m.id.endsWith("-thinking") ? "always" : "hybrid", m.id);
      }
      // QVQ-dated snapshots are listed too: they must carry QVQ's facts.
      if (m.family === "qvq") assert.ok(m.streamingOnly && !m.thinkingBudget);
    }
    assert.ok(models().some((m) => /^qvq-max-\d{4}-\d{2}-\d{2}$/.test(m.id)), "dated QVQ snapshots are listed");
  });

  test("returns a fresh array each call (callers may mutate it)", () => {
    const a = models();
    a.length = 0;
    assert.ok(models().length > 0);
  });
});

// PROTOCOL.md §7, written out independently of the library.
function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
function reference(width, height, family, { highResolution = false, maxPixels } = {}) {
  const f = family === "qvq" ? 28 : 32;
  const max = maxPixels ?? (highResolution ? 16384 * f * f : family === "qvq" ? 1280 * 28 * 28 : 2560 * 32 * 32);
  const min = 4 * f * f;
  let h = roundHalfEven(height / f) * f;
  let w = roundHalfEven(width / f) * f;
  if (h * w > max) {
    const beta = Math.sqrt((height * width) / max);
    h = Math.floor(height / beta / f) * f;
    w = Math.floor(width / beta / f) * f;
  } else if (h * w < min) {
    const beta = Math.sqrt(min / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return (h * w) / (f * f) + 2;
}

describe("estimateImageTokens()", () => {
  test("PROTOCOL.md worked example: 1024 × 406 → 520 on QVQ, 418 on Qwen3-VL (round half to even)", () => {
    assert.equal(estimateImageTokens(1024, 406, "qvq-max"), 520);
    assert.equal(estimateImageTokens(1024, 406, "qwen3-vl-plus"), 418);
  });

  test("unknown models use Qwen3-VL's rules; unknown qvq- ids QVQ's", () => {
    assert.equal(estimateImageTokens(1024, 406, "some-new-model"), 418);
    assert.equal(estimateImageTokens(1024, 406, "qvq-future"), 520);
  });

  test("high resolution caps at 16,386 tokens per image", () => {
    assert.equal(estimateImageTokens(8000, 8000, "qwen3-vl-plus", { highResolution: true }), reference(8000, 8000, "qwen3-vl", { highResolution: true }));
    assert.ok(estimateImageTokens(8000, 8000, "qwen3-vl-plus", { highResolution: true }) <= 16386);
    assert.ok(estimateImageTokens(8000, 8000, "qvq-max", { highResolution: true }) <= 16386);
    assert.ok(
      estimateImageTokens(4000, 3000, "qwen3-vl-plus", { highResolution: true }) > estimateImageTokens(4000, 3000, "qwen3-vl-plus"),
      "high resolution allows more tokens for a big photo",
    );
  });

  // Sides under f/2 px (round(h/f) = 0) are left out: §7 as written and
  // qwen-vl-utils (which clamps h̄ to at least f) disagree there.
  test("matches the §7 formula on typical sizes, both families, default/high-res/maxPixels", () => {
    const sizes = [
      [4032, 3024], [3024, 4032], [1920, 1080], [1280, 720], [800, 600], [640, 480], [1024, 406], [406, 1024],
      [300, 200], [224, 224], [100, 100], [64, 64], [2000, 20], [24, 2400], [6000, 4000], [1080, 2400],
    ];
    const options = [{}, { highResolution: true }, { maxPixels: 500_000 }, { maxPixels: 1_003_520 }];
    const failures = [];
    for (const [w, h] of sizes) {
      for (const [model, family] of [["qwen3-vl-plus", "qwen3-vl"], ["qvq-max", "qvq"]]) {
        for (const o of options) {
          const got = estimateImageTokens(w, h, model, o);
          const want = reference(w, h, family, o);
          if (got !== want) failures.push(`${w}x${h} ${model} ${JSON.stringify(o)}: got ${got}, want ${want}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test("tiny images are scaled up to min_pixels (4 patches + 2 = 6 tokens)", () => {
    assert.equal(estimateImageTokens(20, 20, "qwen3-vl-plus"), 6);
    assert.equal(estimateImageTokens(20, 20, "qvq-max"), 6);
  });
});

describe("prepareImage() outside a browser", () => {
  test("rejects (does not throw) with InvalidRequestError in Node", async () => {
    const blob = new Blob([Uint8Array.from([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" });
    let p;
    assert.doesNotThrow(() => {
      p = prepareImage(blob, { model: "qwen3-vl-plus" });
    });
    assert.ok(p instanceof Promise);
    await assert.rejects(p, (e) => e instanceof Error && e.name === "InvalidRequestError" && e.message.length > 0);
  });
});
