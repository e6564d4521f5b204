// Shared by the browser and pack tests: a tiny static file server (the page's
// origin, distinct from the mock's, so every API call is cross-origin and
// CORS is exercised) and a launcher for the engine VR_ENGINE names
// (tests/support/engine.mjs: Chromium by default, Firefox, WebKit).
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { CHROMIUM, ENGINE, ENGINE_NAME, launchEngine } from "../support/engine.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".css": "text/css",
  ".ts": "text/plain",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Serves `mounts` ({ "/url/prefix/": "/dir" }) on 127.0.0.1:0. `headers` are
 * added to every response (e.g. a Content-Security-Policy). `requests`
 * lists the paths asked for, in order.
 */
export async function startStatic(mounts, { headers = {} } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    requests.push(url.pathname);
    let pathname = decodeURIComponent(url.pathname);
    if (pathname.endsWith("/")) pathname += "index.html";
    const prefix = Object.keys(mounts).sort((a, b) => b.length - a.length).find((p) => pathname.startsWith(p));
    if (!prefix) return notFound(res);
    const file = path.join(mounts[prefix], pathname.slice(prefix.length));
    if (!file.startsWith(mounts[prefix]) || !existsSync(file) || !statSync(file).isFile()) return notFound(res);
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      ...headers,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

function notFound(res) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}

export { CHROMIUM, ENGINE, ENGINE_NAME };

export function launchBrowser() {
  return launchEngine();
}

/** A page whose console errors and uncaught exceptions are collected (for failure messages). */
export async function newPage(browser) {
  const page = await browser.newPage();
  const log = [];
  page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.log = log;
  return page;
}
