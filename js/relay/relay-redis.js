// visual-reasoning/relay/redis: a RelayStore in Redis, so that replicas
// (Node, Deno, Bun; Rust ones too) share budgets and per-client limits. A
// small RESP2 client over node:net (node:tls for rediss://), which Deno and
// Bun provide as well: no dependency. Keys, values, expiry and the Lua
// script are the Rust relay's (relay/README.md "Shared state in Redis");
// the script is relay/redis/store.lua, inlined here by
// scripts/build-relay.mjs.
import net from "node:net";
import tls from "node:tls";
import { Buffer } from "node:buffer";

/* global VR_STORE_LUA, VR_STORE_LUA_SHA1 */
/** The Lua script both relays run, byte for byte relay/redis/store.lua. */
export const STORE_SCRIPT = VR_STORE_LUA;
const SHA = VR_STORE_LUA_SHA1;

const encode = (args) => {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n`, a, "\r\n");
  return parts.join("");
};

/**
 * One RESP2 reply from `buf` at `at`: [value, next offset], or undefined
 * when it is not all there yet. Errors are Error values, not thrown.
 */
function parse(buf, at, depth = 0) {
  const end = buf.indexOf("\r\n", at);
  if (end < 0 || depth > 8) {
    if (buf.length - at > 1 << 20 || depth > 8) throw new Error("bad reply from Redis");
    return undefined;
  }
  const line = buf.toString("utf8", at + 1, end);
  const next = end + 2;
  switch (buf[at]) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new Error(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: {
      // $
      const n = Number(line);
      if (n < 0) return [null, next];
      if (!(n <= 1 << 20)) throw new Error("bad reply from Redis");
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString("utf8", next, next + n), next + n + 2];
    }
    case 42: {
      // *
      const n = Number(line);
      if (n < 0) return [null, next];
      if (!(n <= 1024)) throw new Error("bad reply from Redis");
      const out = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, pos, depth + 1);
        if (!r) return undefined;
        out.push(r[0]);
        pos = r[1];
      }
      return [out, pos];
    }
    default:
      throw new Error("bad reply from Redis");
  }
}

/**
 * A RelayStore in the Redis at `url` (`redis://[user:password@]host[:port][/db]`,
 * or `rediss://` for TLS). Every call is bounded by `timeoutMs` (connecting
 * included); a broken connection fails the calls waiting on it, and the next
 * call reconnects (after a failed connect, calls fail at once for 500 ms).
 * @param {string} url
 * @param {{ timeoutMs?: number }} [options]
 * @returns {import("./relay.d.ts").RelayStore & { close(): void }}
 */
export function redisStore(url, { timeoutMs = 1000 } = {}) {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new TypeError(`redisStore: need redis://host[:port][/db], not ${u.protocol}//`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port || 6379);
  const user = decodeURIComponent(u.username);
  const password = u.password === "" ? undefined : decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, "");
  if (db && !/^\d+$/.test(db)) throw new TypeError("redisStore: the path must be a database number");
  let conn; // Promise of { socket, waiting }
  let failedAt = 0;

  const open = () =>
    new Promise((resolve, reject) => {
      const socket = u.protocol === "rediss:" ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
      socket.setNoDelay(true);
      const c = { socket, waiting: [] };
      let buf = Buffer.alloc(0);
      const fail = (e) => {
        if (conn && c.promise === conn) conn = undefined;
        for (const w of c.waiting.splice(0)) w.reject(e);
        socket.destroy();
        reject(e);
      };
      socket.once(u.protocol === "rediss:" ? "secureConnect" : "connect", () => resolve(c));
      socket.on("error", (e) => fail(new Error(`${host}:${port}: ${e.code ?? e.message}`)));
      socket.on("close", () => fail(new Error("connection closed")));
      socket.on("data", (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        let at = 0;
        try {
          for (let r; (r = parse(buf, at)); ) {
            at = r[1];
            c.waiting.shift()?.resolve(r[0]);
          }
        } catch (e) {
          return fail(e);
        }
        buf = buf.subarray(at);
      });
    });

  const send = (c, args) =>
    new Promise((resolve, reject) => {
      c.waiting.push({ resolve, reject });
      c.socket.write(encode(args));
    });

  const connect = async () => {
    if (Date.now() - failedAt < 500) throw new Error("unreachable (retrying shortly)");
    try {
      const c = await open();
      if (password !== undefined) {
        const r = await send(c, user ? ["AUTH", user, password] : ["AUTH", password]);
        if (r instanceof Error) throw new Error(`AUTH refused: ${r.message}`);
      }
      if (db) {
        const r = await send(c, ["SELECT", db]);
        if (r instanceof Error) throw new Error(`SELECT refused: ${r.message}`);
      }
      return c;
    } catch (e) {
      failedAt = Date.now();
      throw e;
    }
  };

  const call = (args) => {
    let timer;
    const p = (async () => {
      if (!conn) {
        const pending = connect();
        conn = pending;
        pending.then((c) => (c.promise = pending)).catch(() => (conn === pending ? (conn = undefined) : 0));
      }
      const c = await conn;
      return send(c, args);
    })();
    return Promise.race([
      p,
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          // A connection that does not answer is as good as broken.
          conn?.then((c) => c.socket.destroy(), () => {});
          conn = undefined;
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const script = async (key, args) => {
    let r = await call(["EVALSHA", SHA, "1", key, ...args]);
    if (r instanceof Error && r.message.startsWith("NOSCRIPT")) r = await call(["EVAL", STORE_SCRIPT, "1", key, ...args]);
    if (r instanceof Error) throw new Error(`script: ${r.message}`);
    if (typeof r !== "number") throw new Error("script: unexpected reply");
    return r;
  };

  return {
    add: (key, delta, ttlSeconds) => script(key, ["add", String(Math.trunc(delta)), String(Math.max(1, Math.ceil(ttlSeconds)))]),
    take: async (key, count, capacity, perSecond) => (await script(key, ["take", String(count), String(capacity), String(perSecond)])) / 1000,
    close() {
      conn?.then((c) => c.socket.destroy(), () => {});
      conn = undefined;
    },
  };
}
