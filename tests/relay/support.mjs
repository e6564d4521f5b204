// What the relay conformance suite needs besides the relay: a process
// launcher that waits for the `listening on` line and keeps the logs, a
// recording stub upstream, raw HTTP, and a client bound to another loopback
// address.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";

export const OPENAI = "/compatible-mode/v1/chat/completions";
export const DASHSCOPE = "/api/v1/services/aigc/multimodal-generation/generation";
export const ORIGIN = "http://page.example:8080";
export const KEY = "sk-relay-conformance-KEY-0123456789abcdef";

/**
 * Spawns `cmd args`, waits for `listening on http://ADDR:PORT` on stdout
 * (or the regexp given) and returns its URL, the process and its output
 * (stdout + stderr: every log line the relay wrote).
 */
export async function spawnServer(cmd, args, { env = {}, cwd, timeoutMs = 30_000, ready = /listening on (http:\/\/[\d.]+:\d+)/, probe } = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const take = (d) => {
    out += d;
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", take);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd}: no listening line within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    child.stdout.on("data", (d) => {
      take(d);
      const m = ready?.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    if (probe) {
      // A server that prints nothing when ready: poll until it answers.
      const poll = async () => {
        while (child.exitCode === null) {
          try {
            await fetch(probe);
            clearTimeout(timer);
            return resolve(new URL(probe).origin);
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      poll();
    }
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited early (code ${code}, signal ${signal}); output:\n${out}`));
    });
  });
  return {
    url,
    process: child,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/**
 * An upstream that records each request (method, target, headers, body)
 * and answers a short SSE reply with headers that must not come back; with
 * `/redirect` in the path it answers a 302 to `/followed`.
 */
export async function recordingUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, target: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (req.url.includes("followed")) {
        res.writeHead(200, { "content-type": "text/plain" }).end("followed\n");
        return;
      }
      if (breakOff) {
        // Two events, then the connection is cut: no final chunk.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n');
        res.write('data: {"choices":[{"delta":{"content":"b"}}]}\n\n');
        setTimeout(() => res.socket.destroy(), 100);
        return;
      }
      if (redirect) {
        res.writeHead(302, { location: `http://127.0.0.1:${server.address().port}/followed`, "x-request-id": "stub-redirect" }).end();
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "x-request-id": "stub-rid",
        "x-dashscope-request-id": "stub-ds-rid",
        "retry-after": "7",
        "set-cookie": "upstream=secret",
        server: "stub",
        "x-upstream-private": "1",
        "access-control-allow-origin": "*",
      });
      res.end('data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
    });
  });
  let redirect = false;
  let breakOff = false;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    redirectNext(on = true) {
      redirect = on;
    },
    breakNext(on = true) {
      breakOff = on;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Sends `text` as is over TCP; resolves to everything the server sent before closing (or `waitMs`). */
export function raw(url, text, waitMs = 10_000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname);
    let got = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, waitMs);
    s.setEncoding("utf8");
    s.on("data", (d) => (got += d));
    s.on("error", (e) => {
      clearTimeout(timer);
      if (got) resolve(got);
      else reject(e);
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(text);
  });
}

/** A POST over node:http from `localAddress` (another 127.x address: another client). */
export function postFrom(localAddress, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", localAddress, headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it returns a truthy value or `ms` pass (then the last value). */
export async function until(f, ms = 10_000, every = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v || Date.now() > end) return v;
    await sleep(every);
  }
}

export function openaiBody(model, extra = {}) {
  return {
    model,
    messages: [{ role: "user", content: [{ type: "text", text: "Find angle x in the triangle." }] }],
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
}

export function dashscopeBody(model, parameters = {}) {
  return {
    model,
    input: { messages: [{ role: "user", content: [{ text: "Find angle x in the triangle." }] }] },
    parameters: { incremental_output: true, result_format: "message", ...parameters },
  };
}

/** The JSON of each `data:` event (not [DONE]). */
export function events(text) {
  return text
    .split("\n")
    .filter((l) => l.startsWith("data:") && !l.includes("[DONE]"))
    .map((l) => JSON.parse(l.slice(5)));
}

/**
 * An upstream whose replies the test scripts: for either path, a 200 SSE
 * stream of the given reasoning and answer pieces in the path's protocol,
 * then usage (openai: only when the request asked, as the service does;
 * dashscope: cumulative, in every event), unless `stall` keeps the stream
 * open after the text until the client leaves. It records each request's
 * parsed body; `set(script)` changes the next replies.
 */
export async function scriptedUpstream() {
  const seen = [];
  let script = { reasoning: ["thinking "], answer: ["x = 70"], usage: { input: 100, output: 200, reasoning: 50 }, stall: false };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = null;
      }
      seen.push({ target: req.url, body });
      const s = script;
      res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": `scripted-${seen.length}` });
      const pieces = [...s.reasoning.map((t) => ["reasoning_content", t]), ...s.answer.map((t) => ["content", t])];
      const { input, output, reasoning } = s.usage;
      if (req.url.startsWith("/api/")) {
        pieces.forEach(([field, text], i) => {
          // Cumulative usage, growing with each event; the last carries the totals.
          const out = Math.round((output * (i + 1)) / pieces.length);
          const message = field === "content" ? { content: [{ text }], reasoning_content: "" } : { content: [], reasoning_content: text };
          const last = i === pieces.length - 1 && !s.stall;
          res.write(
            `data:${JSON.stringify({
              output: { choices: [{ message: { ...message, role: "assistant" }, finish_reason: last ? "stop" : "null" }] },
              usage: { input_tokens: input, output_tokens: out, output_tokens_details: { reasoning_tokens: Math.min(reasoning, out) }, total_tokens: input + out },
              request_id: "scripted",
            })}\n\n`,
          );
        });
      } else {
        for (const [field, text] of pieces) {
          res.write(`data: ${JSON.stringify({ id: "chatcmpl-s", choices: [{ delta: { [field]: text }, finish_reason: null }], usage: null })}\n\n`);
        }
        if (!s.stall) {
          res.write(`data: ${JSON.stringify({ id: "chatcmpl-s", choices: [{ delta: {}, finish_reason: "stop" }], usage: null })}\n\n`);
          if (body?.stream_options?.include_usage === true) {
            res.write(
              `data: ${JSON.stringify({
                id: "chatcmpl-s",
                choices: [],
                usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output, completion_tokens_details: { reasoning_tokens: reasoning } },
              })}\n\n`,
            );
          }
          res.write("data: [DONE]\n\n");
        }
      }
      if (!s.stall) res.end();
      else stalled.add(res);
      res.on("close", () => stalled.delete(res));
    });
  });
  const stalled = new Set();
  server.on("connection", (c) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    set(next) {
      script = { ...script, ...next };
    },
    /** Writes a comment (no text) to every stalled stream. */
    poke() {
      for (const res of stalled) res.write(": keep-alive\n\n");
    },
    async stop() {
      for (const c of sockets) c.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A v1 client token signed with node:crypto (independently of the relays' code), with any payload. */
export async function signToken(payload, secret) {
  const { createHmac } = await import("node:crypto");
  const p = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `v1.${p}.${createHmac("sha256", secret).update(`v1.${p}`).digest("base64url")}`;
}

/** The usage object of an SSE reply (openai's last chunk or dashscope's last event), or undefined. */
export function usageOf(text) {
  let usage;
  for (const e of events(text)) if (e.usage) usage = e.usage;
  return usage;
}

/**
 * Debian's redis-server on 127.0.0.1 at a free port, nothing saved to
 * disk; `stop()` and `start()` again on the same port (the data is gone,
 * as after a crash without persistence); `cli(...args)` runs redis-cli.
 */
export async function startRedis() {
  const { execFileSync } = await import("node:child_process");
  const port = await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
  let child;
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      const ok = await until(() => {
        try {
          return execFileSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() === "PONG";
        } catch {
          return false;
        }
      }, 10_000);
      if (!ok) throw new Error(`redis-server did not start on ${port}:\n${out}`);
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await gone;
      }
    },
    cli(...args) {
      return execFileSync("redis-cli", ["-p", String(port), ...args.map(String)], { encoding: "utf8" }).trim();
    },
  };
  await redis.start();
  return redis;
}
