// The package in a real browser (VR_ENGINE: Chromium by default, Firefox,
// WebKit; tests/support/engine.mjs): a plain page and a module Web Worker,
// served from one origin and streaming cross-origin from the mock on another
// port (CORS exercised), plus the dangerouslyAllowBrowser guard,
// prepareImage, the boundary formats' round trips
// (tests/support/contract.mjs) and the stream's lifecycle
// (fixtures/lifecycle.mjs).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkFit, checkKinds, checkMarkers, checkParts, checkTransport } from "../support/contract-checks.mjs";
import { startContractServer } from "../support/contract-server.mjs";
import { startMock } from "../support/mock.mjs";
import { ENGINE, ENGINE_NAME, launchBrowser, newPage, startStatic } from "./harness.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const SIMD_WASM = "/pkg/visual_reasoning_bg.wasm";
const NOSIMD_WASM = "/pkg/visual_reasoning_nosimd_bg.wasm";
// VR_WASM=nosimd: every scenario runs on the build without wasm SIMD, which
// init() chooses itself, as in an engine without SIMD: the pages' (and
// their Workers') WebAssembly.validate say SIMD is missing (?nosimd,
// fixtures/page.mjs).
const WASM = { simd: SIMD_WASM, nosimd: NOSIMD_WASM }[process.env.VR_WASM || "simd"];
if (WASM === undefined) throw new Error(`VR_WASM=${process.env.VR_WASM}: simd or nosimd`);
const PAGE = "/index.html" + (WASM === NOSIMD_WASM ? "?nosimd" : "");

let site; // the page's origin
let otherSite; // an origin the mock does not allow
let mock;
let contract; // the contract tests' upstream
let closed; // a URL where nothing listens
let browser;
let page;
// Copies of the package with one side of the boundary changed (see the
// contract tests below).
const patched = mkdtempSync(path.join(tmpdir(), "vr-browser-patched-"));

before(async () => {
  const pkg = path.join(ROOT, "pkg");
  const js = readFileSync(path.join(pkg, "visual_reasoning.js"), "utf8");
  const wasm = readFileSync(path.join(pkg, "visual_reasoning_bg.wasm"));
  writeSide("wasm", js, swapBytes(wasm, "NetworkError", "TimeoutError"));
  assert.ok(js.includes('extraBad:"x!"'), "the bundle spells the marker table as expected");
  writeSide("js", js.replace('extraBad:"x!"', 'extraBad:"x?"'), wasm);
  const mounts = {
    "/pkg/": pkg + "/",
    "/support/": path.join(ROOT, "tests", "support") + "/",
    "/patched/": patched + "/",
    "/": path.join(HERE, "fixtures") + "/",
  };
  site = await startStatic(mounts);
  otherSite = await startStatic(mounts);
  mock = await startMock({ origins: [site.url], allowNoOrigin: true });
  contract = await startContractServer();
  const s = http.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  closed = `http://127.0.0.1:${s.address().port}`;
  await new Promise((r) => s.close(r));
  browser = await launchBrowser();
  page = await newPage(browser);
  await page.goto(`${site.url}${PAGE}`);
});
after(async () => {
  await browser?.close();
  await mock?.stop();
  await contract?.stop();
  await site?.stop();
  await otherSite?.stop();
  rmSync(patched, { recursive: true, force: true });
});

/** `bytes` with two same-length strings swapped everywhere. */
function swapBytes(bytes, a, b) {
  const out = Buffer.from(bytes);
  const swap = (from, to) => {
    let n = 0;
    for (let i = out.indexOf(from); i >= 0; i = out.indexOf(from, i + 1), n++) out.write(to, i);
    assert.ok(n > 0, `${from} is in the wasm`);
  };
  const tmp = "X".repeat(a.length);
  swap(a, tmp);
  swap(b, a);
  swap(tmp, b);
  return out;
}

function writeSide(dir, js, wasm) {
  const d = path.join(patched, dir);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, "visual_reasoning.js"), js);
  writeFileSync(path.join(d, "visual_reasoning_bg.wasm"), wasm);
}

/** Runs a scenario in the page. */
async function inPage(name, args, p = page) {
  try {
    return await p.evaluate(async ([name, args]) => {
      if (!window.scenarios) throw new Error("the page's module (page.mjs) did not run");
      return window.scenarios[name](args);
    }, [name, args]);
  } catch (e) {
    throw new Error(`${e.message}\npage log:\n${p.log.join("\n")}`);
  }
}

/** Runs a scenario in a fresh module Web Worker of the page. */
async function inWorker(name, args, p = page) {
  const reply = await p.evaluate(
    ([name, args]) =>
      new Promise((resolve) => {
        const w = new Worker("/worker.mjs", { type: "module" });
        w.onmessage = (e) => {
          resolve(e.data);
          w.terminate();
        };
        w.onerror = (e) => {
          resolve({ ok: false, error: `worker error: ${e.message}` });
          w.terminate();
        };
        w.postMessage({ name, args, wasm: window.vrWasm, nosimd: window.vrNoSimd });
      }),
    [name, args],
  );
  assert.ok(reply.ok, `worker: ${reply.error}\npage log:\n${p.log.join("\n")}`);
  return reply.value;
}

let n = 0;
const mockId = (label) => `browser-${label}-${++n}-${Date.now().toString(36)}`;
async function recordsFor(id) {
  return (await mock.requests()).filter((r) => r.mockId === id);
}
async function settled(id, timeoutMs = 4000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const recs = await recordsFor(id);
    if ((recs.length && recs.every((r) => r.outcome !== "pending")) || Date.now() > end) return recs;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const header = (rec, name) => Object.entries(rec.headers).find(([k]) => k.toLowerCase() === name)?.[1];

function assertStreamed(r, protocol) {
  assert.equal(r.error, undefined, `stream failed: ${JSON.stringify(r.error)}`);
  assert.ok(r.parts.length > 0);
  const text = (t) => r.parts.filter((p) => p.type === t).map((p) => p.text).join("");
  for (const p of r.parts) if (p.type !== "usage") assert.ok(p.text.length > 0, "no empty parts");
  assert.equal(text("reasoning"), r.reasoning);
  assert.equal(text("answer"), r.answer);
  assert.ok(r.reasoning.length > 0 && r.answer.length > 0);
  assert.equal(r.finishReason, "stop");
  assert.ok(r.usage && Number.isInteger(r.usage.outputTokens), "usage");
  assert.ok(r.requestId, "requestId");
  if (protocol === "openai") assert.match(r.requestId, /^chatcmpl-/);
  assert.equal(r.result.answer, r.answer);
  assert.equal(r.result.finishReason, "stop");
}

test(`${ENGINE_NAME}: the page compiles the wasm VR_WASM names (${process.env.VR_WASM || "simd"})`, async () => {
  await inPage("guard", { api: mock.url });
  const loaded = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith(".wasm")));
  assert.deepEqual(loaded, [WASM]);
});

describe(`${ENGINE_NAME}: the .wasm init() fetches (the SIMD build, or the fallback without SIMD)`, () => {
  /** A fresh page at `query`; `run(p)`'s value and the .wasm files the site served meanwhile. */
  async function served(query, run) {
    const p = await newPage(browser);
    try {
      await p.goto(`${site.url}/index.html${query}`);
      site.requests.length = 0;
      const value = await run(p);
      return { value, wasm: site.requests.filter((r) => r.endsWith(".wasm")) };
    } finally {
      await p.close();
    }
  }
  const stream = (p) => inPage("streamToEnd", { api: mock.url, protocol: "dashscope" }, p);
  const streamInWorker = (p) => inWorker("streamToEnd", { api: mock.url, protocol: "openai" }, p);

  test("where wasm SIMD is missing, a page fetches only the build without it, and streams to the end", async () => {
    const r = await served("?nosimd", stream);
    assertStreamed(r.value, "dashscope");
    assert.deepEqual(r.wasm, [NOSIMD_WASM]);
  });

  test("where wasm SIMD is missing, so does a module Worker", async () => {
    const r = await served("?nosimd", streamInWorker);
    assertStreamed(r.value, "openai");
    assert.equal(r.value.scope, "worker");
    assert.deepEqual(r.wasm, [NOSIMD_WASM]);
  });

  test("with SIMD, page and Worker fetch only the SIMD build", async () => {
    const r = await served("", async (p) => [await stream(p), await streamInWorker(p)]);
    assertStreamed(r.value[0], "dashscope");
    assertStreamed(r.value[1], "openai");
    assert.deepEqual(r.wasm, [SIMD_WASM, SIMD_WASM], "one per scope");
  });

  test("init({ module_or_path }) fetches what the caller gave, whatever the engine supports", async () => {
    const chosen = await served(`?nosimd&wasm=${encodeURIComponent(SIMD_WASM)}`, stream);
    assertStreamed(chosen.value, "dashscope");
    assert.deepEqual(chosen.wasm, [SIMD_WASM]);
    const fallback = await served(`?wasm=${encodeURIComponent(NOSIMD_WASM)}`, stream);
    assertStreamed(fallback.value, "dashscope");
    assert.deepEqual(fallback.wasm, [NOSIMD_WASM]);
  });

  test("without WebAssembly (as iOS Lockdown Mode turns it off), init() rejects with an Error naming it and the engines that have it", async () => {
    const r = await served("?nowasm", (p) => inPage("initError", {}, p));
    assert.equal(r.value.error?.isError, true, JSON.stringify(r.value));
    assert.equal(r.value.error.name, "Error");
    assert.match(r.value.error.message, /^visual-reasoning cannot run here: it needs WebAssembly, which this engine lacks or has turned off/);
    assert.match(r.value.error.message, /Chrome 96, Firefox 90, Safari 15 \(iOS 15\)/);
    assert.deepEqual(r.wasm, [], "nothing fetched");
  });
});

for (const protocol of ["openai", "dashscope"]) {
  describe(`${ENGINE_NAME} (${protocol})`, () => {
    test("a plain page streams cross-origin to the end", async () => {
      const id = mockId("page");
      const r = await inPage("streamToEnd", { api: mock.url, protocol, headers: { "X-Mock-Id": id } });
      assertStreamed(r, protocol);
      assert.equal(r.scope, "window");
      const [rec] = await recordsFor(id);
      assert.equal(header(rec, "origin"), site.url, "a cross-origin request from the page's origin");
      // No telemetry headers: only X-DashScope-SSE and the caller's X-Mock-Id
      // among the custom ones (each would need a CORS preflight allowance).
      const custom = Object.keys(rec.headers).map((k) => k.toLowerCase()).filter((k) => k.startsWith("x-"));
      assert.deepEqual(custom.filter((k) => k !== "x-mock-id" && k !== "x-dashscope-sse"), []);
      assert.equal(header(rec, "x-dashscope-sse"), protocol === "dashscope" ? "enable" : undefined);
      assert.equal(rec.outcome, "completed");
    });

    test("a module Web Worker streams cross-origin to the end", async () => {
      const id = mockId("worker");
      const r = await inWorker("streamToEnd", { api: mock.url, protocol, headers: { "X-Mock-Id": id } });
      assertStreamed(r, protocol);
      assert.equal(r.scope, "worker");
      const [rec] = await recordsFor(id);
      assert.equal(header(rec, "origin"), site.url);
    });

    test("a Worker hands the reply to its page as a transferred ReadableStream", async () => {
      const id = mockId("transfer");
      const args = { api: mock.url, protocol, headers: { "X-Mock-Id": id } };
      const r = await page.evaluate(
        (args) =>
          new Promise((resolve) => {
            const w = new Worker("/worker.mjs", { type: "module" });
            w.onerror = (e) => {
              w.terminate();
              resolve({ error: `worker error: ${e.message}` });
            };
            w.onmessage = async (e) => {
              if (!e.data.ok) {
                w.terminate();
                return resolve({ error: e.data.error });
              }
              const readable = e.data.value;
              const parts = [];
              try {
                const reader = readable.getReader();
                for (;;) {
                  const { value, done } = await reader.read();
                  if (done) break;
                  parts.push(value);
                }
              } catch (err) {
                return resolve({ error: String(err), parts });
              }
              w.terminate();
              resolve({ transferred: readable instanceof ReadableStream, parts });
            };
            w.postMessage({ name: "readableStream", args, wasm: window.vrWasm, nosimd: window.vrNoSimd });
          }),
        args,
      );
      if (ENGINE === "webkit") {
        // WebKit (every iOS browser, Safari) cannot transfer a ReadableStream:
        // the Worker's postMessage throws. README's support matrix says so;
        // when this starts to pass, update it and docs/usage.md.
        assert.match(r.error ?? "", /DataCloneError/, `WebKit transferred a ReadableStream: ${JSON.stringify(r).slice(0, 300)}`);
        return;
      }
      assert.equal(r.error, undefined, `${r.error}\npage log:\n${page.log.join("\n")}`);
      assert.ok(r.transferred);
      const text = (t) => r.parts.filter((p) => p.type === t).map((p) => p.text).join("");
      assert.ok(text("reasoning").length > 0 && text("answer").length > 0, JSON.stringify(r.parts).slice(0, 300));
      assert.ok(r.parts.every((p) => p.type === "usage" || p.text.length > 0));
      const usage = r.parts.filter((p) => p.type === "usage");
      assert.equal(usage.length, 1, "one usage part, last");
      assert.equal(r.parts.at(-1).type, "usage");
      assert.ok(Number.isInteger(usage[0].usage.outputTokens));
      const [rec] = await settled(id);
      assert.equal(rec.outcome, "completed");
    });

    test("breaking out of for await in the page closes the connection", async () => {
      const id = mockId("break");
      const r = await inPage("breakEarly", { api: mock.url, protocol, headers: { "X-Mock-Id": id, "X-Mock-Fault": "stall:1500" } });
      assert.deepEqual(r, { n: 1 });
      const [rec] = await settled(id, 5000);
      assert.equal(rec.outcome, "disconnected");
    });

    test("a Blob image is sent as a data: URL with its MIME type", async () => {
      const id = mockId("blob");
      const r = await inPage("blobImage", { api: mock.url, protocol, headers: { "X-Mock-Id": id } });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(r.finishReason, "stop");
      const [rec] = await recordsFor(id);
      assert.ok(JSON.stringify(rec.body).includes(JSON.stringify(r.expected)), "the body carries the PNG as data:image/png;base64");
    });
  });
}

describe(`${ENGINE_NAME}: CORS refused`, () => {
  test("a page origin the relay does not allow gets NetworkError (not a hang, not a crash)", async () => {
    const p2 = await newPage(browser);
    try {
      await p2.goto(`${otherSite.url}${PAGE}`);
      const r = await inPage("refused", { api: mock.url, protocol: "openai" }, p2);
      assert.ok(r.error, "the request failed");
      assert.equal(r.error.isError, true);
      assert.equal(r.error.name, "NetworkError", JSON.stringify(r.error));
    } finally {
      await p2.close();
    }
  });
});

describe(`${ENGINE_NAME}: Content-Security-Policy (docs/usage.md)`, () => {
  test("script-src 'wasm-unsafe-eval' + connect-src naming the relay is enough; without either it fails", async () => {
    const CSP = "content-security-policy";
    const headers = {}; // read per response, so the policy can name the mock started after the site
    const strict = await startStatic(
      { "/pkg/": path.join(ROOT, "pkg") + "/", "/support/": path.join(ROOT, "tests", "support") + "/", "/": path.join(HERE, "fixtures") + "/" },
      { headers },
    );
    const relay = await startMock({ origins: [strict.url] });
    const p = await newPage(browser);
    try {
      headers[CSP] = `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${relay.url}`;
      await p.goto(`${strict.url}${PAGE}`);
      assertStreamed(await inPage("streamToEnd", { api: relay.url, protocol: "dashscope" }, p), "dashscope");

      // Without 'wasm-unsafe-eval' the module cannot be compiled: the policy is really enforced.
      headers[CSP] = `default-src 'none'; script-src 'self'; connect-src 'self' ${relay.url}`;
      await p.goto(`${strict.url}${PAGE}`);
      const noWasm = await inPage("streamToEnd", { api: relay.url, protocol: "dashscope" }, p).then(
        (r) => ({ resolved: r }),
        (e) => ({ thrown: e.message }),
      );
      assert.ok(noWasm.thrown, `init() must fail without 'wasm-unsafe-eval': ${JSON.stringify(noWasm)}`);

      // A relay missing from connect-src: the fetch is blocked, a NetworkError.
      headers[CSP] = `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'`;
      await p.goto(`${strict.url}${PAGE}`);
      const blocked = await inPage("refused", { api: relay.url, protocol: "openai" }, p);
      assert.equal(blocked.error?.name, "NetworkError", JSON.stringify(blocked));
    } finally {
      await p.close();
      await relay.stop();
      await strict.stop();
    }
  });
});

describe(`${ENGINE_NAME}: dangerouslyAllowBrowser`, () => {
  const check = (g, scope) => {
    for (const k of ["keyOnly", "keyNoBaseUrl"]) {
      assert.equal(g[k].threw, true, `${scope}: apiKey without the opt-in must throw (${k})`);
      assert.equal(g[k].error.isError, true);
      assert.equal(g[k].error.name, "InvalidRequestError");
      assert.match(g[k].error.message, /relay/i, "the message says a relay should hold the key");
      assert.ok(!g[k].error.message.includes("sk-browser-test"), "the message does not echo the key");
    }
    assert.deepEqual(g.keyOptIn, { threw: false }, `${scope}: the opt-in allows it`);
    assert.deepEqual(g.noKey, { threw: false }, `${scope}: no key, no guard`);
  };
  test("in a page", async () => check(await inPage("guard", { api: mock.url }), "page"));
  test("in a Worker", async () => check(await inWorker("guard", { api: mock.url }), "worker"));
});

describe(`${ENGINE_NAME}: prepareImage`, () => {
  let out;
  before(async () => {
    out = await inPage("prepare", {});
  });

  const fits = (r, maxPixels, label) => {
    assert.equal(r.error, undefined, `${label}: ${JSON.stringify(r.error)}`);
    assert.ok(r.width * r.height <= maxPixels, `${label}: ${r.width}×${r.height} fits ${maxPixels}`);
    assert.ok(Math.abs(r.width / r.height - 1.5) < 0.02, `${label}: aspect ratio kept (${r.width}×${r.height})`);
    assert.equal(r.decoded.width, r.width, `${label}: the data URL decodes to the reported width`);
    assert.equal(r.decoded.height, r.height, `${label}: the data URL decodes to the reported height`);
    assert.match(r.dataUrl, /^data:image\/[a-z]+;base64,/);
    // bytes: the size of the re-encoded image (the base64 payload decoded);
    // the data URL's own length is the other reading of "bytes" and is
    // accepted because API.md does not say which.
    assert.ok(r.bytes === r.payloadBytes || r.bytes === r.dataUrlLength, `${label}: bytes ${r.bytes} vs payload ${r.payloadBytes} / URL ${r.dataUrlLength}`);
  };

  test("downscales a 3000 × 2000 PNG to the model's own limit (QVQ 1,003,520 px) and reports its tokens", () => {
    fits(out.qvqDefault, 1_003_520, "qvq-max");
    assert.ok(out.qvqDefault.width * out.qvqDefault.height > 0.9 * 1_003_520, "not downscaled more than needed");
    assert.equal(out.qvqDefault.tokens, out.qvqDefault.estimate);
  });

  test("Qwen3-VL's limit (2,621,440 px)", () => {
    fits(out.qwenDefault, 2_621_440, "qwen3-vl-plus");
    assert.equal(out.qwenDefault.tokens, out.qwenDefault.estimate);
  });

  test("maxPixels overrides the model's limit", () => {
    fits(out.maxPixels, 300_000, "maxPixels");
    assert.equal(out.maxPixels.tokens, out.maxPixels.estimate);
  });

  test("mimeType chooses the encoding", () => {
    fits(out.jpeg, 1_003_520, "jpeg");
    assert.match(out.jpeg.dataUrl, /^data:image\/jpeg;base64,/);
    assert.equal(out.jpeg.decoded.type, "image/jpeg");
  });

  test("a small image is not upscaled; model optional", () => {
    assert.equal(out.small.error, undefined, JSON.stringify(out.small.error));
    assert.equal(out.small.width, 200);
    assert.equal(out.small.height, 100);
    assert.equal(out.small.tokens, out.small.estimate);
    assert.equal(out.noModel.error, undefined, JSON.stringify(out.noModel.error));
    assert.equal(out.noModel.width, 200);
  });

  test("EXIF orientation is honoured (a sideways phone photo comes out upright)", () => {
    assert.deepEqual(out.exifBrowserSees, { width: 100, height: 200 }, `the fixture's EXIF orientation is readable by ${ENGINE_NAME}`);
    assert.equal(out.exif.error, undefined, JSON.stringify(out.exif.error));
    assert.equal(out.exif.width, 100);
    assert.equal(out.exif.height, 200);
    assert.equal(out.exif.decoded.width, 100, "the encoded pixels are rotated, not just the reported size");
    assert.equal(out.exif.decoded.height, 200);
  });

  test("a JPEG Blob made of several parts (the first only 2 bytes) is decoded", () => {
    assert.deepEqual(out.partsBrowserSees, { width: 200, height: 100 }, "the browser's <img> decodes the Blob");
    assert.equal(out.parts.error, undefined, JSON.stringify(out.parts.error));
    assert.equal(out.parts.width, 200);
    assert.equal(out.parts.height, 100);
  });

  test("undecodable (HEIC) bytes reject with InvalidRequestError saying so", () => {
    const e = out.heic.error;
    assert.ok(e, "prepareImage rejected");
    assert.equal(e.isError, true);
    assert.equal(e.name, "InvalidRequestError");
    assert.match(e.message, /decode|format|HEIC|support/i);
  });
});

describe(`${ENGINE_NAME}: the boundary formats (docs/boundary.md)`, () => {
  /** A contract round trip (tests/support/contract.mjs) in the page. */
  const roundTrip = (name) =>
    page.evaluate(
      async ([name, env]) => {
        const vr = await import("/pkg/visual_reasoning.js");
        await vr.default();
        return (await import("/support/contract.mjs"))[name](vr, env);
      },
      [name, { mock: mock.url, sse: contract.url, closed }],
    );

  test("error kinds and the error record", async () => checkKinds(await roundTrip("kinds")));
  test("option markers", async () => checkMarkers(await roundTrip("markers")));
  test("the per-read part string", async () => checkParts(await roundTrip("parts")));
  test("the transport config", async () => checkTransport(await roundTrip("transport")));
  test("the image fit tuple", async () => checkFit(await roundTrip("fit")));

  /** Loads a patched copy in a fresh page: what init() says. */
  async function load(dir) {
    const p = await newPage(browser);
    try {
      await p.goto(`${site.url}/index.html`);
      return await p.evaluate(async (dir) => {
        const vr = await import(`/patched/${dir}/visual_reasoning.js`);
        try {
          await vr.default();
        } catch (e) {
          let after;
          try {
            new vr.Client();
          } catch (x) {
            after = x.message;
          }
          return { error: e.message, after };
        }
        return { loaded: true };
      }, dir);
    } finally {
      await p.close();
    }
  }

  test("a .wasm whose error kinds were reordered alone fails to load, naming the format", async () => {
    const r = await load("wasm");
    assert.match(r.error ?? "", /different builds[^]*\bkinds\b/, JSON.stringify(r));
    assert.match(r.after ?? "", /await init\(\)/, "and the package stays unusable");
  });

  test("a JavaScript side whose option markers changed alone fails to load, naming the format", async () => {
    const r = await load("js");
    assert.match(r.error ?? "", /different builds[^]*\bmarker\b/, JSON.stringify(r));
  });
});

describe(`${ENGINE_NAME}: a stream's lifecycle`, () => {
  const run = async (name, args = {}) => {
    try {
      return await page.evaluate(async ([name, args]) => (await import("/lifecycle.mjs"))[name](args), [name, { api: mock.url, ...args }]);
    } catch (e) {
      throw new Error(`${e.message}\npage log:\n${page.log.join("\n")}`);
    }
  };
  const isError = (e, name) => {
    assert.ok(e, `expected ${name}`);
    assert.equal(e.name, name, JSON.stringify(e));
    assert.ok(e.isClass, `an instance of ${name}`);
    assert.equal(typeof e.retryable, "boolean");
  };

  test("next() may be called again before the last call settles", async () => {
    const r = await run("concurrentNext");
    assert.ok(r.same, "parts add up to the stream's texts");
    assert.ok(r.answer > 0);
    assert.equal(r.afterDone, 0, "no part after done");
  });

  test("return() stops quietly and closes the connection; result() is then an AbortError", async () => {
    const id = mockId("return");
    const r = await run("returnStops", { id });
    assert.deepEqual([r.first, r.ret, r.pending, r.later], [false, true, true, true]);
    isError(r.result, "AbortError");
    const [rec] = await settled(id, 10_000);
    assert.equal(rec?.outcome, "disconnected");
  });

  test("abort() rejects with an AbortError carrying the text so far, and closes the connection", async () => {
    const id = mockId("abort");
    const r = await run("abortPartial", { id });
    isError(r.error, "AbortError");
    assert.equal(r.error.retryable, false);
    assert.ok(r.reasoning.length > 0);
    assert.equal(r.error.partial?.reasoning, r.reasoning);
    assert.equal(r.later, true, "the iterator threw once; it is finished after that");
    const [rec] = await settled(id, 10_000);
    assert.equal(rec?.outcome, "disconnected");
  });

  test("the caller's signal aborts the request; an aborted one sends nothing", async () => {
    const id = mockId("signal");
    const id2 = mockId("signal-pre");
    const r = await run("signal", { id, id2 });
    isError(r.error, "AbortError");
    isError(r.pre, "AbortError");
    const [rec] = await settled(id, 10_000);
    assert.equal(rec?.outcome, "disconnected");
    await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(await recordsFor(id2), []);
  });

  test("an error inside the body cancels the reader (the server sees the close at once)", async () => {
    const id = mockId("badjson");
    const r = await run("badJson", { id });
    isError(r.error, "StreamError");
    const [rec] = await settled(id, 10_000);
    assert.equal(rec?.outcome, "disconnected");
    assert.ok(r.ms < 4000, `waited ${r.ms} ms: for the stall?`);
  });

  test("an idle stream times out with its partial text; keep-alives do not reset the timer", async () => {
    const id = mockId("idle");
    const r = await run("idle", { id });
    isError(r.error, "TimeoutError");
    assert.ok(r.error.partial, "partial");
    const [rec] = await settled(id, 10_000);
    assert.equal(rec?.outcome, "disconnected");
    const k = await run("keepAlive");
    isError(k.error, "TimeoutError");
    assert.ok(k.ms < 2500, `${k.ms} ms`);
  });

  test("a 400 is not retried", async () => {
    const id = mockId("noretry");
    const r = await run("noRetry400", { id });
    isError(r.error, "ApiError");
    assert.equal(r.error.status, 400);
    assert.equal((await recordsFor(id)).length, 1);
  });

  test("complete() with transport json: refused for QVQ, a Result for Qwen", async () => {
    const r = await run("completeJson");
    isError(r.qvq, "InvalidRequestError");
    assert.equal(r.finishReason, "stop");
    assert.ok(r.answer > 0);
  });

  test("a conversation commits only finished turns", async () => {
    const r = await run("conversation");
    assert.deepEqual(r.lengths, [1, 1, 3, 3]);
    assert.ok(r.committed);
  });

  test("the API key is in no error", async () => {
    const key = "sk-never-leak-0123456789";
    const r = await run("keyInNoError", { key });
    isError(r.error, "ApiError");
    assert.ok(!r.error.dump.includes(key), r.error.dump);
  });
});
