// The spending control of visual-reasoning/relay (relay/README.md "Client
// tokens" and "Budgets"): signed client tokens, daily token budgets and the
// usage scanner. relay.js imports this module with import() only when a
// relay has tokenSecrets or a budget option, or mintClientToken is called,
// so a relay without them never loads it (and its entry stays small).
// Internal: not an export of the package; relay.js is its only caller.

const json = (value) => JSON.stringify(value);

const enc = new TextEncoder();
const utf8Length = (s) => (typeof s === "string" ? enc.encode(s).length : 0);
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s) => {
  if (!/^[\w-]*$/.test(s)) throw new Error("not base64url");
  return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
};
const hmacKey = (secret) =>
  crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const iso = (secs) => new Date(secs * 1000).toISOString().replace(".000Z", "Z");

/**
 * A signed client token for `claims.sub`, valid from now for
 * `claims.ttlSeconds` (relay/README.md "Client tokens").
 * @param {{ sub: string, ttlSeconds: number, dailyTokens?: number }} claims
 * @param {string} secret
 */
export async function mintClientToken(claims, secret) {
  const { sub, ttlSeconds, dailyTokens } = claims ?? {};
  if (
    typeof sub !== "string" ||
    !sub ||
    utf8Length(sub) > 256 ||
    !(ttlSeconds >= 1 && Number.isSafeInteger(ttlSeconds)) ||
    !(dailyTokens === undefined || (dailyTokens >= 0 && Number.isSafeInteger(dailyTokens))) ||
    typeof secret !== "string" ||
    !secret
  ) {
    throw new TypeError("mintClientToken: needs a sub of 1 to 256 bytes, whole ttlSeconds >= 1 and dailyTokens >= 0, and the secret");
  }
  const now = nowSeconds();
  const payload = { sub, exp: now + ttlSeconds, nbf: now, ...(dailyTokens === undefined ? {} : { dailyTokens }) };
  const signed = `v1.${b64url(enc.encode(json(payload)))}`;
  return `${signed}.${b64url(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(signed)))}`;
}

/**
 * Checks a signed token against every key (all are tried: rotation);
 * resolves to its claims, or to [code, message] naming why not.
 */
async function verifyToken(token, keys) {
  const bad = (why) => ["client_token_malformed", `The client token is malformed (${why}).`];
  if (token.length > 4096) return bad("too long");
  if (!token.startsWith("v1.")) return bad("not a v1 token");
  const parts = token.split(".");
  if (parts.length !== 3) return bad("not three dot-separated parts");
  let sig;
  try {
    sig = unb64url(parts[2]);
  } catch {
    return bad("signature is not base64url");
  }
  const signed = enc.encode(`v1.${parts[1]}`);
  let ok = false;
  for (const key of await keys) ok = (await crypto.subtle.verify("HMAC", key, sig, signed)) || ok;
  if (!ok) return ["client_token_invalid_signature", "The client token's signature does not match (changed, or signed with a secret this relay does not accept)."];
  let c;
  try {
    c = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(unb64url(parts[1])));
  } catch {
    return bad("payload is not JSON");
  }
  const secs = (v) => v === undefined || (Number.isInteger(v) && Math.abs(v) < 1e15);
  if (typeof c?.sub !== "string" || !c.sub || utf8Length(c.sub) > 256) return bad("sub must be a non-empty string of at most 256 bytes");
  if (c.exp === undefined) return bad("exp is missing");
  if (!secs(c.exp) || !secs(c.nbf)) return bad("exp and nbf must be whole Unix seconds");
  if (c.dailyTokens !== undefined && !(Number.isInteger(c.dailyTokens) && c.dailyTokens >= 0 && c.dailyTokens < 9e15)) return bad("dailyTokens must be a whole number >= 0");
  const now = nowSeconds();
  // A minute of clock skew either way.
  if (now > c.exp + 60) return ["client_token_expired", `The client token expired at ${iso(c.exp)}; fetch a fresh one.`];
  if (c.nbf !== undefined && now + 60 < c.nbf) return ["client_token_not_yet_valid", `The client token is not valid before ${iso(c.nbf)}.`];
  return c;
}

/**
 * Reads the usage the upstream reports in a reply as it is forwarded (an
 * SSE stream, or a JSON body copied up to 4 MiB), and the UTF-8 bytes of
 * reasoning and answer text, for the budget (relay/src/meter.rs).
 */
function meter(protocol, sse) {
  const decoder = new TextDecoder();
  let rest = "";
  let data;
  let name = "";
  let total;
  let text = 0;
  const event = (d) => {
    let v;
    try {
      v = JSON.parse(d);
    } catch {
      return;
    }
    if (v === null || typeof v !== "object") return;
    const u = v.usage;
    if (u !== null && typeof u === "object" && !Array.isArray(u)) {
      const n = (x) => (Number.isSafeInteger(x) && x >= 0 ? x : undefined);
      const [i, o] = protocol === "openai" ? [u.prompt_tokens, u.completion_tokens] : [u.input_tokens, u.output_tokens];
      total = n(u.total_tokens) ?? (n(i) ?? 0) + (n(o) ?? 0);
    }
    const c = (protocol === "openai" ? v.choices : v.output?.choices)?.[0];
    for (const m of [c?.delta, c?.message]) {
      for (const t of [m?.reasoning_content, m?.content]) {
        if (Array.isArray(t)) for (const x of t) text += utf8Length(typeof x === "string" ? x : x?.text);
        else text += utf8Length(t);
      }
    }
  };
  return {
    feed(chunk) {
      if (rest.length > 16 << 20) return;
      rest += decoder.decode(chunk, { stream: true });
      if (!sse) return;
      // Complete lines only; a CR at the end may be half of a CRLF.
      const lines = rest.split(/\r\n|\r(?!$)|\n/);
      rest = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data !== undefined && data !== "[DONE]" && name !== "error") event(data);
          data = undefined;
          name = "";
        } else if (line.startsWith("data:")) {
          const v = line.slice(line[5] === " " ? 6 : 5);
          data = data === undefined ? v : `${data}\n${v}`;
        } else if (line.startsWith("event:")) name = line.slice(line[6] === " " ? 7 : 6);
      }
    },
    end(complete) {
      if (!sse && complete && rest.length <= 4 << 20) event(rest);
      rest = "";
      return [total, text];
    },
  };
}

/**
 * The spending control of one relay, from createRelay's checked options:
 * token checks, the budgets that apply to a caller, admission under them
 * and their report (GET /budget). Store failures are thrown, for the
 * relay's fail mode.
 */
export function spending({ tokenSecrets, relayBudget, clientBudget, windowSeconds, maxTokens, store }) {
  // Imported once, lazily (importKey is async).
  let keys;
  const windowEnd = (now) => (Math.floor(now / windowSeconds) + 1) * windowSeconds;
  // Keys outlive their window by an hour: a stream that ends after it still settles there.
  const keyTtl = (now) => windowEnd(now) - now + 3600;

  /**
   * Reserves `est` tokens in every scope, or says which is used up
   * ([kind, limit]), taking back what it had reserved. A reservation is a
   * function that replaces it with the real charge.
   */
  const reserve = async (list, est, now) => {
    const ttl = keyTtl(now);
    const done = [];
    const undo = () => Promise.all(done.map((k) => store.add(k, -est, ttl))).catch(() => {});
    for (const [kind, key, limit] of list) {
      let after;
      try {
        after = await store.add(key, est, ttl);
      } catch (e) {
        await undo();
        throw e;
      }
      if (after - est >= limit) {
        await store.add(key, -est, ttl).catch(() => {});
        await undo();
        return [kind, limit];
      }
      done.push(key);
    }
    return (charge) => {
      if (charge !== est) for (const k of done) store.add(k, charge - est, keyTtl(nowSeconds())).catch(() => {});
    };
  };

  /** The budgets that apply to a caller, client first: [kind, key, limit]. */
  const scopes = (client, daily, now = nowSeconds()) => {
    const w = Math.floor(now / windowSeconds);
    const limit = clientBudget === undefined ? daily : daily === undefined ? clientBudget : Math.min(clientBudget, daily);
    const out = [];
    if (limit !== undefined) out.push(["client", `vr:budget:${w}:${client}`, limit]);
    if (relayBudget !== undefined) out.push(["relay", `vr:budget:${w}:relay`, relayBudget]);
    return out;
  };

  return {
    meter,
    scopes,

    /** A signed token's claims, or [code, message] naming why not (`sent` undefined: none was sent). */
    verify: (sent) =>
      sent === undefined
        ? ["client_token_missing", "This relay needs `Authorization: Bearer <client token>`; none was sent."]
        : verifyToken(sent, (keys ??= Promise.all(tokenSecrets.map(hmacKey)))),

    /**
     * Admits the parsed request body `v` under `budgets`: asks an OpenAI
     * stream for usage, reserves its estimate, and resolves to the
     * reservation's settle function, or to [code, message, retry-after]
     * when a budget is used up.
     */
    async admit(v, protocol, budgets) {
      if (protocol === "openai" && v?.stream === true && v.stream_options?.include_usage !== true) {
        const o = v.stream_options;
        v.stream_options = { ...(o !== null && typeof o === "object" && !Array.isArray(o) ? o : {}), include_usage: true };
      }
      // The estimate: max_tokens as sent (capped), else the cap, else 4096.
      let found;
      for (const o of [v, v?.parameters]) {
        for (const k of ["max_tokens", "max_completion_tokens"]) {
          const n = o?.[k];
          if (Number.isSafeInteger(n) && n >= 0) found = Math.min(found ?? n, n);
        }
      }
      const est = Math.min(1e9, Math.max(1, found === undefined ? maxTokens ?? 4096 : Math.min(found, maxTokens ?? found)));
      const now = nowSeconds();
      const settle = await reserve(budgets, est, now);
      if (!Array.isArray(settle)) return settle;
      const [kind, limit] = settle;
      const reset = windowEnd(now);
      return [
        `${kind}_budget_exhausted`,
        `${kind === "client" ? "Your" : "This site's"} daily token budget (${limit} tokens) is used up; it resets at ${iso(reset)}.`,
        String(Math.max(1, reset - now)),
      ];
    },

    /** The tighter of a caller's budgets (GET /budget's body), or undefined when none applies. */
    async report(client, daily) {
      const now = nowSeconds();
      let best;
      for (const [scope, key, limit] of scopes(client, daily, now)) {
        const remaining = Math.max(0, limit - (await store.add(key, 0, keyTtl(now))));
        if (!best || remaining < best.remaining) best = { scope, limit, remaining, resetAt: iso(windowEnd(now)) };
      }
      return best;
    },
  };
}
