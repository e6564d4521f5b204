// visual-reasoning/relay/node: serves a fetch handler (createRelay's) on
// node:http. Bodies stream both ways without buffering, a client that goes
// away aborts the Request's signal and cancels the response body, and the
// connection layer gets what the Rust relay has (relay/README.md "Limits
// and timeouts"): a header-read timeout, caps on open connections in total
// and per client address, and one log line for connections that never
// became a request.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const stamp = () => new Date().toISOString();

/**
 * A `(req, res)` listener for `http.createServer` that calls `handler`
 * with a WHATWG Request and writes its Response as it is produced.
 * @param {import("./relay-node.d.ts").FetchHandler} handler
 * @returns {import("./relay-node.d.ts").NodeListener}
 */
export function toNodeListener(handler) {
  return async (req, res) => {
    const abort = new AbortController();
    // "close" on the response before it finished: the client went away.
    res.once("close", () => {
      if (!res.writableFinished) abort.abort(new Error("client closed the connection"));
    });
    const target = req.url ?? "/";
    const host = req.headers.host ?? "localhost";
    let url;
    try {
      url = new URL(target.startsWith("/") && !target.startsWith("//") ? target : "/", `http://${host}`);
    } catch {
      url = new URL(target.startsWith("/") && !target.startsWith("//") ? target : "/", "http://localhost");
    }
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      try {
        headers.append(raw[i], raw[i + 1]);
      } catch {
        // A header the fetch API cannot hold: drop it (nothing forwards it).
      }
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    // The request body, one chunk per read: the socket is paused until the
    // relay asks for more, so a slow upstream slows the client down.
    let settled = false;
    const settle = (f) => {
      if (settled) return;
      settled = true;
      try {
        f();
      } catch {
        // Already cancelled by the reader.
      }
    };
    const body = hasBody
      ? new ReadableStream(
          {
            start(controller) {
              req.on("data", (chunk) => {
                if (settled) return;
                controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
                req.pause();
              });
              req.once("end", () => settle(() => controller.close()));
              req.once("error", (e) => settle(() => controller.error(e)));
              req.once("aborted", () => settle(() => controller.error(new Error("client closed the connection"))));
            },
            pull() {
              req.resume();
            },
            cancel() {
              // Read and discard the rest, so that a refusal sent before the
              // body was read (413) reaches the client instead of a reset.
              settled = true;
              req.resume();
            },
          },
          { highWaterMark: 0 },
        )
      : null;
    if (hasBody) {
      // A reply sent before the body was read (413, 403, 429): read and
      // discard the rest, so the client gets the reply rather than a reset
      // (nginx's lingering close), for at most 30 s and 64 MiB.
      res.once("finish", () => {
        if (req.complete) return;
        settled = true;
        let discarded = 0;
        const stop = setTimeout(() => req.socket.destroy(), 30_000);
        stop.unref();
        req.on("data", (chunk) => {
          discarded += chunk.length;
          if (discarded > 64 << 20) req.socket.destroy();
        });
        req.once("end", () => clearTimeout(stop));
        req.once("close", () => clearTimeout(stop));
        req.resume();
      });
    }
    let response;
    try {
      const request = new Request(url, {
        method: req.method,
        headers,
        body,
        signal: abort.signal,
        ...(body ? { duplex: "half" } : {}),
      });
      response = await handler(request, { remoteAddress: req.socket.remoteAddress, target });
    } catch (e) {
      console.error(`${stamp()} relay error: ${e?.name ?? "Error"}: ${e?.message ?? e}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error\n");
      }
      return;
    }
    await writeResponse(response, req, res);
  };
}

async function writeResponse(response, req, res) {
  const headers = [];
  for (const [k, v] of response.headers) {
    // Headers joins repeated set-cookie values; give them back one by one.
    if (k === "set-cookie") for (const c of response.headers.getSetCookie()) headers.push(k, c);
    else headers.push(k, v);
  }
  if (res.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel().catch(() => {});
    res.end();
    return;
  }
  // The head goes out now, not with the first chunk of a reply that may
  // think for a while.
  res.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => reader.cancel(new Error("client closed the connection")).catch(() => {});
  res.once("close", cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) {
        await new Promise((resolve) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
    res.end();
  } catch {
    // The upstream broke off mid-body: end the response abruptly, as the
    // Rust relay does, so the client sees an incomplete body, not a clean end.
    res.destroy();
  } finally {
    res.off("close", cancel);
  }
}

/**
 * The default cap on open connections, as the Rust relay computes it: each
 * relayed stream holds two descriptors (the client's and the upstream's),
 * so half of what the descriptor limit leaves after 128, within 16..10000.
 */
export function defaultMaxConnections() {
  let limit;
  try {
    limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1]);
  } catch {
    // Not Linux: no cheap way to read the limit.
  }
  return limit > 0 ? Math.min(10_000, Math.max(16, Math.floor((limit - 128) / 2))) : 1024;
}

const unavailable = (message) => {
  const body = JSON.stringify({ code: "ModelUnavailable", message, request_id: "-" });
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};
const TIMEOUT_408 =
  "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 58\r\n\r\nThe request head did not arrive in time (--header-timeout)";

/**
 * An http.Server serving `handler` with the Rust relay's connection layer:
 * a header-read timeout (408 when part of a head came; an idle kept-alive
 * connection is closed after it too), caps on open connections in total
 * and per client address (503 and close), and a log line for every
 * connection that never became a request.
 * @param {import("./relay-node.d.ts").FetchHandler} handler
 * @param {import("./relay-node.d.ts").NodeServerOptions} [options]
 * @returns {import("node:http").Server}
 */
export function createNodeServer(handler, options = {}) {
  const {
    headerTimeoutMs = 10_000,
    maxConnections = defaultMaxConnections(),
    maxConnectionsPerIp = 64,
    log = (line) => console.error(line),
  } = options;
  const line = (status, ms, bytes, outcome) => log(`${stamp()} - - ${status} ${ms}ms ${bytes}B rid=- ${outcome}`);
  const server = createServer(
    {
      // Each SSE event is a small write: Nagle would hold it back.
      noDelay: true,
      headersTimeout: headerTimeoutMs || 0,
      // Bodies are timed by the relay itself (bodyTimeoutMs, between
      // chunks); a long upload or a long stream is not a stalled one.
      requestTimeout: 0,
      // How often Node checks headersTimeout (its default is 30 s).
      connectionsCheckingInterval: Math.max(250, Math.min(1000, headerTimeoutMs || 1000)),
      keepAliveTimeout: headerTimeoutMs || 5_000,
    },
    toNodeListener(handler),
  );
  let open = 0;
  const perIp = new Map();
  server.on("connection", (socket) => {
    const ip = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, "");
    const n = (perIp.get(ip) ?? 0) + 1;
    const why =
      maxConnections > 0 && open >= maxConnections
        ? ["max-connections", "The relay is at its connection limit; try again shortly."]
        : maxConnectionsPerIp > 0 && n > maxConnectionsPerIp
          ? ["max-connections-per-ip", "Too many open connections from this address; close some and try again."]
          : undefined;
    if (why) {
      const res = unavailable(why[1]);
      line(503, 0, Buffer.byteLength(res), `refused ${why[0]}`);
      // end(), not destroy(): what the client already sent is read, so the
      // close does not become a reset that discards the 503.
      socket.on("error", () => {});
      socket.end(res);
      socket.resume();
      setTimeout(() => socket.destroy(), 5_000).unref();
      return;
    }
    open += 1;
    perIp.set(ip, n);
    const state = { opened: Date.now(), mark: 0, busy: false, timedOut: false };
    socket._vr = state;
    socket.once("close", () => {
      open -= 1;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
      // The client went away in the middle of a request head.
      if (!state.busy && !state.timedOut && socket.bytesRead > state.mark) {
        line("-", Date.now() - state.opened, 0, "client-closed");
      }
    });
  });
  server.on("request", (req, res) => {
    const state = req.socket._vr;
    if (!state) return;
    state.busy = true;
    res.once("close", () => {
      state.busy = false;
      state.mark = req.socket.bytesRead;
      state.opened = Date.now();
    });
  });
  server.on("clientError", (err, socket) => {
    const state = socket._vr ?? { opened: Date.now(), mark: 0 };
    const waited = Date.now() - state.opened;
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      state.timedOut = true;
      // A head begun and not finished gets its 408; a silent connection
      // is just closed.
      const begun = socket.bytesRead > state.mark;
      if (begun && socket.writable) socket.end(TIMEOUT_408);
      else socket.destroy();
      line(begun ? 408 : "-", waited, begun ? TIMEOUT_408.length : 0, "timeout header");
      return;
    }
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    // Node could not parse the head: 431 for one too large, else 400.
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    const text = status === 431 ? "Request Header Fields Too Large" : "Bad Request";
    state.timedOut = true;
    line(status, waited, 0, `refused ${status}`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
  });
  return server;
}
