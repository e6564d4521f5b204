// The boundary formats (docs/boundary.md), round-tripped through the built
// package in Node: one test per format. The same scenarios run in Chromium
// (tests/browser); init.test.mjs shows a build whose one side changed
// alone refusing to load.
import { after, before, test } from "node:test";
import { fit, kinds, markers, parts, transport } from "../support/contract.mjs";
import { checkKinds, checkMarkers, checkParts, checkTransport } from "../support/contract-checks.mjs";
import { startContractServer } from "../support/contract-server.mjs";
import { startMock } from "../support/mock.mjs";
import { closedPort, loadPkg, rejection } from "./helpers.mjs";
import assert from "node:assert/strict";

const vr = await loadPkg();
let mock;
let server;
let env;
before(async () => {
  mock = await startMock({ allowNoOrigin: true });
  server = await startContractServer();
  env = { mock: mock.url, sse: server.url, closed: `http://127.0.0.1:${await closedPort()}` };
});
after(async () => {
  await mock?.stop();
  await server?.stop();
});

test("error kinds and the error record: each kind its class, with the core's fields and retry rule", async () => {
  checkKinds(await kinds(vr, env));
});

test("option markers: numbers, a Blob, the signal and extra reach the wire; misplaced ones are named", async () => {
  checkMarkers(await markers(vr, env));
});

test("the per-read part string: digits, colons, non-BMP and escaped text arrive whole", async () => {
  checkParts(await parts(vr, env));
});

test("the transport config: url, headers, key, timeouts and retries as the transport applies them", async () => {
  checkTransport(await transport(vr, env));
});

test("the image fit tuple: Node has no canvas, so prepareImage refuses (the tuple is checked in Chromium)", async () => {
  const e = await rejection(fit(vr));
  assert.ok(e instanceof ReferenceError || e instanceof vr.InvalidRequestError, String(e));
});
