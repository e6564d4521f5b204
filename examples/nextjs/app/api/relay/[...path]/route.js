// The visual-reasoning relay as a Next.js App Router route handler: pages
// use `new Client({ baseUrl: "/api/relay" })` (or the element's
// base-url="/api/relay"), and the relay adds the Model Studio key, which
// stays on the server. Configuration from the environment:
//   DASHSCOPE_API_KEY   the key (required; a secret: never NEXT_PUBLIC_*)
//   VR_REGION           intl | us | cn (default intl)
//   VR_ALLOW_ORIGINS    other origins allowed, space-separated (the site's own is allowed)
//   VR_CLIENT_TOKEN     a static token pages must send (optional)
//   RELAY_TOKEN_SECRET  secrets of signed client tokens, comma-separated
//                       (optional; app/api/relay-token mints them)
//   VR_TRUST_FORWARDED_FOR  1 to count clients by X-Forwarded-For (default: on
//                       Vercel, whose proxy overwrites it; `next start` passes
//                       on whatever the client sent, so only behind a proxy)
//   VR_RELAY_OPTIONS    any other createRelay options, as JSON (e.g. {"maxTokens": 4096})
import { createRelay } from "visual-reasoning/relay";

// Never prerendered or cached: every request is a live relay call.
export const dynamic = "force-dynamic";
// On Vercel, how long a stream may last (seconds; within your plan's limit).
export const maxDuration = 300;

let relay;
function handle(request) {
  // Made on first use, not at import: `next build` imports this module
  // without the key.
  relay ??= createRelay({
    apiKey: process.env.DASHSCOPE_API_KEY,
    region: process.env.VR_REGION || undefined,
    allowOrigins: (process.env.VR_ALLOW_ORIGINS ?? "").split(/\s+/).filter(Boolean),
    allowSameOrigin: true,
    clientToken: process.env.VR_CLIENT_TOKEN || undefined,
    tokenSecrets: (process.env.RELAY_TOKEN_SECRET ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    basePath: "/api/relay",
    // A route handler gets no peer address: the per-client limits count
    // callers by X-Forwarded-For where a proxy in front sets it.
    trustForwardedFor: process.env.VR_TRUST_FORWARDED_FOR
      ? process.env.VR_TRUST_FORWARDED_FOR === "1"
      : Boolean(process.env.VERCEL),
    ...JSON.parse(process.env.VR_RELAY_OPTIONS || "{}"),
  });
  return relay(request);
}

export const GET = handle;
export const POST = handle;
export const OPTIONS = handle;
export const PUT = handle;
export const DELETE = handle;
export const PATCH = handle;
