// The launchers' connection layer (issue 18): header and body timeouts,
// the 413 that reaches the client, connection caps, and a log line for
// each, for both launchers (the Rust binary and the JS one on Node).
import assert from "node:assert/strict";
import net from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { startMock } from "../support/mock.mjs";
import { OPENAI, ORIGIN, openaiBody, sleep, until } from "./support.mjs";
import { TARGETS } from "./targets.mjs";

/** A raw connection: write, and collect what comes back until the server closes it. */
function connect(url) {
  const { hostname, port } = new URL(url);
  const s = net.connect(Number(port), hostname);
  const c = { socket: s, text: "", closedAt: undefined };
  s.setEncoding("latin1");
  s.on("data", (d) => (c.text += d));
  s.on("error", () => {});
  c.closed = new Promise((resolve) => s.on("close", () => resolve((c.closedAt = performance.now()))));
  c.ready = new Promise((resolve) => s.once("connect", resolve));
  return c;
}

for (const target of [TARGETS.node, TARGETS.rust]) {
  describe(`relay connection layer: ${target.name}`, () => {
    let mock;
    const running = [];
    before(async () => {
      mock = await startMock({ allowNoOrigin: true });
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((r) => r.stop()));
    });
    after(async () => {
      await mock?.stop();
    });
    async function relay(o) {
      const r = await target.start({ upstream: mock.url, allowOrigins: [ORIGIN], ...o });
      running.push(r);
      return r;
    }
    const lines = (r) => r.output().split("\n");

    test("a head that stalls gets 408 and is closed in time; a silent connection is closed; /healthz stays fast", async () => {
      const r = await relay({ headerTimeoutMs: 3000 });
      const slow = connect(r.url);
      const silent = connect(r.url);
      await Promise.all([slow.ready, silent.ready]);
      const t0 = performance.now();
      slow.socket.write("POST /compatible-mode/v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
      // Meanwhile the relay answers everyone else at once.
      const h0 = performance.now();
      const health = await fetch(`${r.url}/healthz`);
      assert.equal(health.status, 200);
      // Well before the 3 s a stalled head is given: not queued behind it.
      assert.ok(performance.now() - h0 < 2000, "/healthz answered while a head stalled");
      assert.equal(slow.closedAt, undefined, "the stalled head had its time");
      await Promise.all([slow.closed, silent.closed].map((p) => Promise.race([p, sleep(10_000)])));
      assert.ok(slow.closedAt !== undefined && silent.closedAt !== undefined, "both were closed");
      assert.ok(slow.closedAt - t0 < 9000, `closed after ${slow.closedAt - t0} ms`);
      assert.match(slow.text, /^HTTP\/1\.1 408 /);
      assert.equal(silent.text, "", "a silent connection gets no 408, only a close");
      const log = await until(() => lines(r).filter((l) => l.endsWith("timeout header")).length >= 2 && lines(r), 3000);
      assert.ok(log, r.output());
      assert.ok(log.some((l) => / - - 408 \d+ms \d+B rid=- timeout header$/.test(l)), r.output());
      assert.ok(log.some((l) => / - - - \d+ms 0B rid=- timeout header$/.test(l)), r.output());
    });

    for (const [kind, options] of [
      ["streamed", {}],
      ["read whole (maxTokens)", { maxTokens: 100 }],
    ]) {
      test(`a request body that stalls gets 408 (${kind})`, async () => {
        const r = await relay({ bodyTimeoutMs: 1000, ...options });
        const c = connect(r.url);
        await c.ready;
        const body = JSON.stringify(openaiBody("qwen3-vl-plus"));
        c.socket.write(
          `POST ${OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
        );
        const t0 = performance.now();
        // The head and the body may come in separate reads: wait for both.
        await Promise.race([until(() => c.text.includes("\r\n\r\n") && c.text.includes("request_timeout"), 8000), c.closed]);
        assert.match(c.text, /^HTTP\/1\.1 408 /, c.text.slice(0, 300));
        assert.ok(performance.now() - t0 < 6000);
        assert.match(c.text, /request_timeout/);
        c.socket.destroy();
        assert.ok(await until(() => lines(r).some((l) => / 408 \d+ms .* timeout body$/.test(l)), 3000), r.output());
      });
    }

    for (const chunked of [false, true]) {
      test(`a body over the cap gets a 413 that reaches the client (${chunked ? "chunked" : "Content-Length"})`, async () => {
        const r = await relay({ maxBodyBytes: 4096 });
        const c = connect(r.url);
        await c.ready;
        const size = 4 * 1024 * 1024;
        const head = `POST ${OPENAI} HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\n${chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${size}`}\r\n\r\n`;
        c.socket.write(head);
        const piece = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < size && !c.socket.destroyed; sent += piece.length) {
          const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
          if (!c.socket.write(data)) await new Promise((res) => c.socket.once("drain", res).once("close", res));
        }
        if (chunked && !c.socket.destroyed) c.socket.write("0\r\n\r\n");
        await Promise.race([until(() => c.text.includes("\r\n\r\n"), 10_000), c.closed]);
        assert.match(c.text, /^HTTP\/1\.1 413 /, `got: ${JSON.stringify(c.text.slice(0, 200))}`);
        c.socket.destroy();
        assert.equal((await mock.requests()).length, 0, "nothing reached the upstream");
        assert.ok(await until(() => lines(r).some((l) => / 413 \d+ms .* refused 413$/.test(l)), 3000), r.output());
      });
    }

    test("connections over the per-address cap get 503 and are closed", async () => {
      const r = await relay({ maxConnectionsPerIp: 2 });
      const held = [connect(r.url), connect(r.url)];
      await Promise.all(held.map((c) => c.ready));
      await sleep(100);
      const third = connect(r.url);
      await third.ready;
      third.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      await Promise.race([third.closed, sleep(5000)]);
      assert.match(third.text, /^HTTP\/1\.1 503 /);
      assert.match(third.text, /retry-after: 1/i);
      assert.match(third.text, /ModelUnavailable/);
      assert.ok(lines(r).some((l) => / - - 503 0ms \d+B rid=- refused max-connections-per-ip$/.test(l)), r.output());
      for (const c of held) c.socket.destroy();
      // Once they are gone, the address may connect again.
      assert.ok(await until(async () => (await fetch(`${r.url}/healthz`).catch(() => null))?.status === 200, 5000));
    });
  });
}
