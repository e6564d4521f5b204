// Shared by the browser and pack tests: a tiny static file server (the page's
// origin, distinct from the mock's, so every API call is cross-origin and
// CORS is exercised) and a Chromium launcher.
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";

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
 * added to every response (e.g. a Content-Security-Policy).
 */
export async function startStatic(mounts, { headers = {} } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
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
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

function notFound(res) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
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
