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
