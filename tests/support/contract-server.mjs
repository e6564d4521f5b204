// The contract tests' upstream (tests/support/contract.mjs): a loopback HTTP
// server answering what the mock cannot — a reply whose texts stress the
// per-read part string, and any path prefix — and recording what arrived
// (path and headers, Authorization unredacted). CORS open to any origin,
// preflights included, so a page can call it too.
import http from "node:http";
import { partsBody } from "./contract.mjs";

const OPENAI_STREAM =
  'data: {"id":"chatcmpl-c","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}\n\n' +
  'data: {"id":"chatcmpl-c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
const DASHSCOPE_STREAM =
  'data:{"output":{"choices":[{"message":{"content":[{"text":"ok"}],"role":"assistant"},"finish_reason":"stop"}]},"request_id":"c-1"}\n\n';
const OPENAI_JSON = JSON.stringify({ id: "chatcmpl-c", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] });
const DASHSCOPE_JSON = JSON.stringify({ output: { choices: [{ message: { role: "assistant", content: [{ text: "ok" }] }, finish_reason: "stop" }] }, request_id: "c-1" });

export async function startContractServer() {
  const records = [];
  const body = partsBody();
  const server = http.createServer((req, res) => {
    const cors = {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "POST, GET",
      "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
      "access-control-expose-headers": "*",
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    if (req.method === "GET" && req.url === "/__records") {
      res.writeHead(200, { ...cors, "content-type": "application/json" });
      res.end(JSON.stringify(records));
      return;
    }
    req.resume();
    req.on("end", () => {
      records.push({ method: req.method, path: req.url, headers: { ...req.headers } });
      const dashscope = req.url.includes("/api/v1/");
      const stream = (req.headers.accept ?? "").includes("text/event-stream");
      res.writeHead(200, { ...cors, "content-type": stream ? "text/event-stream" : "application/json" });
      if (req.url.startsWith("/parts/")) res.end(body);
      else if (stream) res.end(dashscope ? DASHSCOPE_STREAM : OPENAI_STREAM);
      else res.end(dashscope ? DASHSCOPE_JSON : OPENAI_JSON);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
