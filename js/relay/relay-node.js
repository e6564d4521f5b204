// visual-reasoning/relay/node: serves a fetch handler (createRelay's) on
// node:http. Bodies stream both ways without buffering, a client that goes
// away aborts the Request's signal and cancels the response body, and the
// connection layer gets what the Rust relay has (relay/README.md "Limits
// and timeouts"): a header-read timeout, caps on open connections in total
// and per client address, and one log line for connections that never
// became a request.
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
 * An http.Server serving `handler` with the connection-level limits.
 * @param {import("./relay-node.d.ts").FetchHandler} handler
 * @param {import("./relay-node.d.ts").NodeServerOptions} [options]
 * @returns {import("node:http").Server}
 */
export function createNodeServer(handler, options = {}) {
  const {
    headerTimeoutMs = 10_000,
    maxConnections = 1024,
    maxConnectionsPerIp = 0,
    log = (line) => console.error(line),
  } = options;
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
      keepAliveTimeout: 5_000,
    },
    toNodeListener(handler),
  );
  if (maxConnections > 0) server.maxConnections = maxConnections;
  const perIp = new Map();
  server.on("connection", (socket) => {
    const ip = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, "");
    const n = (perIp.get(ip) ?? 0) + 1;
    if (maxConnectionsPerIp > 0 && n > maxConnectionsPerIp) {
      log(`${stamp()} - - 503 0ms 0B rid=- refused connection (more than ${maxConnectionsPerIp} from one address)`);
      socket.end("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 43\r\n\r\nToo many connections from this address.\r\n\r\n");
      socket.destroySoon?.();
      return;
    }
    perIp.set(ip, n);
    const opened = Date.now();
    socket.once("close", () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
      // A connection that closed without ever sending a whole request
      // head still gets its line: nothing happens unlogged.
      if (!socket._vrRequests && !socket._vrTimedOut && socket.bytesRead > 0) {
        log(`${stamp()} - - - ${Date.now() - opened}ms 0B rid=- client-closed before a request`);
      }
    });
  });
  server.on("request", (req) => {
    req.socket._vrRequests = (req.socket._vrRequests ?? 0) + 1;
  });
  server.on("clientError", (err, socket) => {
    const timedOut = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (timedOut) {
      socket._vrTimedOut = true;
      log(`${stamp()} - - 408 ${headerTimeoutMs}ms 0B rid=- timeout header`);
    }
    if (socket.writable && !socket._vrRequests) {
      const [status, text] = timedOut ? ["408 Request Timeout", "The request head did not arrive in time (--header-timeout)"] : ["400 Bad Request", "Bad request"];
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
    } else {
      socket.destroy();
    }
  });
  return server;
}
