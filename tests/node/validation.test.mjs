// API.md "Validation, before any request": each rule throws synchronously from
// stream() and Conversation.send(), rejects from complete(), is an Error named
// InvalidRequestError naming the model, and sends nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { PROTOCOLS, loadPkg, mockOptions, rejection, requestsFor, sleep, thrown, uid } from "./helpers.mjs";

const { Client } = await loadPkg();

let mock;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
});
after(() => mock?.stop());

const msgs = [{ role: "user", content: "Find x." }];

/**
 * Checks one invalid request on all three entry points and that the mock got
 * nothing. `mustMention` are strings the message must contain (besides the model).
 */
async function expectInvalid(protocol, clientOpts, request, { mustMention = [], mentionModel = true } = {}) {
  const id = uid("inv");
  const client = new Client(mockOptions(mock, protocol, { id, maxRetries: 0, ...clientOpts }));
  const check = (err, via) => {
    assert.ok(err instanceof Error, `${via}: an Error`);
    assert.equal(err.name, "InvalidRequestError", `${via}: name (message: ${err.message})`);
    if (mentionModel) assert.ok(err.message.includes(request.model), `${via}: the message names the model ${request.model}: "${err.message}"`);
    for (const m of mustMention) {
      const alts = Array.isArray(m) ? m : [m];
      assert.ok(alts.some((a) => err.message.toLowerCase().includes(a.toLowerCase())), `${via}: the message mentions ${alts.join(" or ")}: "${err.message}"`);
    }
    assert.equal(err.retryable, false, `${via}: an invalid request is not retryable`);
  };
  const { transport, ...streamRequest } = request;
  if (transport !== "json") {
    check(thrown(() => client.stream(streamRequest), "stream()"), "stream()");
    const { messages, ...defaults } = streamRequest;
    const last = messages.at(-1);
    if (messages.length === 1 && last?.role === "user") {
      check(thrown(() => client.conversation(defaults).send(last.content), "send()"), "send()");
    }
  }
  let promise;
  assert.doesNotThrow(() => {
    promise = client.complete(request);
  }, "complete() rejects, it does not throw");
  check(await rejection(promise, "complete()"), "complete()");
  await sleep(50);
  assert.deepEqual(await requestsFor(mock, id), [], "no request was sent");
}

/** The request must pass validation: it reaches the mock. */
async function expectSent(protocol, clientOpts, request) {
  const id = uid("ok");
  const client = new Client(mockOptions(mock, protocol, { id, maxRetries: 0, ...clientOpts }));
  let stream;
  assert.doesNotThrow(() => {
    stream = client.stream(request);
  });
  try {
    await stream.result();
  } catch (e) {
    // The mock may refuse what the library lets through (unknown ids are the
    // service's business); a library-side validation error is the failure here.
    assert.notEqual(e.name, "InvalidRequestError", `rejected by the library: ${e.message}`);
  }
  assert.equal((await requestsFor(mock, id)).length, 1, "the request reached the mock");
}

for (const protocol of PROTOCOLS) {
  describe(`validation (${protocol})`, () => {
    test("enableThinking: false on an always-thinking model", async () => {
      for (const model of ["qvq-max", "qvq-plus", "qwen3-vl-235b-a22b-thinking", "qwen3-vl-8b-thinking"]) {
        await expectInvalid(protocol, {}, { model, enableThinking: false, messages: msgs }, { mustMention: ["thinking"] });
      }
    });

    test("thinkingBudget on a model that does not accept it (QVQ)", async () => {
      await expectInvalid(protocol, {}, { model: "qvq-max", thinkingBudget: 1000, messages: msgs }, { mustMention: [["thinkingBudget", "thinking_budget", "budget"]] });
    });

    test("thinkingBudget not a positive integer", async () => {
      for (const thinkingBudget of [0, -5, 1.5, Number.NaN]) {
        await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", enableThinking: true, thinkingBudget, messages: msgs }, { mustMention: [["thinkingBudget", "thinking_budget", "budget"]] });
        await expectInvalid(protocol, {}, { model: "qwen3-vl-32b-thinking", thinkingBudget, messages: msgs });
      }
    });

    test("thinkingBudget on a hybrid model without enableThinking: true (PROTOCOL.md §6)", async () => {
      await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", thinkingBudget: 1000, messages: msgs });
      await expectInvalid(protocol, {}, { model: "qwen3-vl-flash", enableThinking: false, thinkingBudget: 1000, messages: msgs });
    });

    test("valid thinking options pass", async () => {
      await expectSent(protocol, {}, { model: "qwen3-vl-plus", enableThinking: true, thinkingBudget: 4096, messages: msgs });
      await expectSent(protocol, {}, { model: "qwen3-vl-235b-a22b-thinking", thinkingBudget: 100, messages: msgs });
      await expectSent(protocol, {}, { model: "qwen3-vl-32b-thinking", enableThinking: true, messages: msgs });
      await expectSent(protocol, {}, { model: "qvq-max", enableThinking: true, messages: msgs });
    });

    test("a model not served in the chosen region; the message lists where it is", async () => {
      await expectInvalid(protocol, { region: "us" }, { model: "qvq-max", messages: msgs }, { mustMention: [["intl", "singapore"], ["cn", "beijing"]] });
      await expectInvalid(protocol, { region: "us" }, { model: "qwen3-vl-plus-2025-12-19", messages: msgs }, { mustMention: [["intl", "singapore"], ["cn", "beijing"]] });
      await expectInvalid(protocol, { region: "intl" }, { model: "qwen3-vl-flash-us", messages: msgs }, { mustMention: [["us", "virginia"]] });
      await expectInvalid(protocol, { region: "cn" }, { model: "qwen3-vl-flash-2025-10-15-us", messages: msgs }, { mustMention: [["us", "virginia"]] });
    });

    test("the region check is skipped with a baseUrl and no explicit region", async () => {
      await expectSent(protocol, {}, { model: "qwen3-vl-flash-us", messages: msgs });
      await expectSent(protocol, {}, { model: "qvq-max", messages: msgs });
    });

    test("models served in the region pass", async () => {
      await expectSent(protocol, { region: "us" }, { model: "qwen3-vl-flash-us", messages: msgs });
      await expectSent(protocol, { region: "cn" }, { model: "qvq-max", messages: msgs });
      await expectSent(protocol, { region: "intl" }, { model: "qwen3-vl-plus", messages: msgs });
    });

    test('transport: "json" for a streaming-only model (QVQ) rejects from complete()', async () => {
      await expectInvalid(protocol, {}, { model: "qvq-max", transport: "json", messages: msgs }, { mustMention: [["stream"]] });
      await expectInvalid(protocol, {}, { model: "qvq-plus-latest", transport: "json", messages: msgs });
    });

    test("empty messages, or a message with no content", async () => {
      await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", messages: [] }, { mentionModel: true });
      await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", messages: [{ role: "user", content: [] }] });
      await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", messages: [{ role: "user", content: "" }] });
      await expectInvalid(protocol, {}, { model: "qwen3-vl-plus", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [] }] });
      // Unknown ids get no model rules, but an empty request is invalid for every model.
      await expectInvalid(protocol, {}, { model: "some-future-model", messages: [] });
    });

    test("unknown ids by prefix: qvq-* gets QVQ's rules", async () => {
      await expectInvalid(protocol, {}, { model: "qvq-ultra-2027-01-01", enableThinking: false, messages: msgs });
      await expectInvalid(protocol, {}, { model: "qvq-ultra-2027-01-01", thinkingBudget: 10, messages: msgs });
      await expectInvalid(protocol, {}, { model: "qvq-ultra-2027-01-01", transport: "json", messages: msgs });
    });

    test("unknown ids by prefix: qwen3-vl-*-thinking is thinking-only, other qwen3-vl-* hybrid", async () => {
      await expectInvalid(protocol, {}, { model: "qwen3-vl-999b-thinking", enableThinking: false, messages: msgs });
      await expectSent(protocol, {}, { model: "qwen3-vl-999b-thinking", thinkingBudget: 64, messages: msgs });
      await expectInvalid(protocol, {}, { model: "qwen3-vl-ultra", thinkingBudget: 64, messages: msgs });
      await expectSent(protocol, {}, { model: "qwen3-vl-ultra", enableThinking: false, messages: msgs });
    });

    test("unknown ids get no region check", async () => {
      await expectSent(protocol, { region: "us" }, { model: "qvq-ultra-2027-01-01", messages: msgs });
      await expectSent(protocol, { region: "intl" }, { model: "qwen3-vl-ultra-us", messages: msgs });
    });

    test("any other id passes through unvalidated", async () => {
      await expectSent(protocol, { region: "us" }, { model: "llama-vision-x", enableThinking: false, thinkingBudget: 7, messages: msgs });
    });
  });
}

// The options cross into the core as JSON (glue.js `encode`): what JSON
// would drop or cannot hold must still be named, never silently ignored.
describe("options JavaScript cannot put in JSON", () => {
  const client = () => new Client({ baseUrl: "http://127.0.0.1:9", maxRetries: 0 });
  const base = { model: "qwen3-vl-plus", messages: msgs };
  const invalid = (fn, pattern) => {
    const err = thrown(fn, "call");
    assert.equal(err.name, "InvalidRequestError", err.message);
    assert.match(err.message, pattern);
  };
  test("a function or a BigInt where a number belongs names the field", () => {
    invalid(() => client().stream({ ...base, temperature: () => 0.5 }), /^temperature must be a number/);
    invalid(() => client().stream({ ...base, maxTokens: 10n }), /^maxTokens must be a number/);
    invalid(() => new Client({ timeoutMs: () => 1 }), /^timeoutMs must be a number/);
  });
  test("a function as signal or extra is refused, not ignored", () => {
    invalid(() => client().stream({ ...base, signal: () => {} }), /^signal must be an AbortSignal/);
    invalid(() => client().stream({ ...base, extra: () => {} }), /^extra must be an object/);
  });
  test("a cycle in extra, and one in the messages", () => {
    const extra = {};
    extra.self = extra;
    invalid(() => client().stream({ ...base, extra }), /^extra must be JSON-serialisable/);
    const item = { text: "x" };
    item.again = item;
    invalid(() => client().stream({ ...base, messages: [{ role: "user", content: [item] }] }), /^the request could not be read as plain data/);
  });
  test("Infinity timeouts and exact numbers survive the trip", async () => {
    assert.doesNotThrow(() => new Client({ timeoutMs: Infinity, idleTimeoutMs: Infinity }));
    invalid(() => new Client({ timeoutMs: NaN }), /^timeoutMs must be a number of milliseconds/);
    // 0.1 + 0.2 is not 0.3: the wire must carry the exact double.
    const id = uid("exact");
    const c = new Client(mockOptions(mock, "openai", { id, maxRetries: 0 }));
    await c.stream({ ...base, temperature: 0.1 + 0.2, topP: 1e-7, seed: 2147483647 }).result().catch(() => {});
    const [rec] = await requestsFor(mock, id);
    const body = rec.body;
    assert.equal(body.temperature, 0.30000000000000004);
    assert.equal(body.top_p, 1e-7);
    assert.equal(body.seed, 2147483647);
  });
});
