// A signed client token for the logged-in student (relay/README.md "Client
// tokens"): pages fetch one here, then send it to /api/relay as
// `Authorization: Bearer …` (the element: its `token` property). The relay
// route accepts it when RELAY_TOKEN_SECRET lists the secret it was signed
// with, and counts the student's budget under its `sub`.
//   RELAY_TOKEN_SECRET  secrets, comma-separated; the first signs (a secret:
//                       never NEXT_PUBLIC_*)
//   VR_DAILY_TOKENS     each student's daily token budget (optional)
import { mintClientToken } from "visual-reasoning/relay";

export const dynamic = "force-dynamic";

const TTL_SECONDS = 600;

/**
 * Who is logged in: replace this with your session (NextAuth's auth(),
 * a cookie your login sets, …) and return the student's stable id, or
 * null. VR_DEMO_SUB stands in for a login so the example runs as is.
 */
async function currentStudent(request) {
  return process.env.VR_DEMO_SUB || null;
}

export async function GET(request) {
  const [secret] = (process.env.RELAY_TOKEN_SECRET ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (!secret) return Response.json({ error: "RELAY_TOKEN_SECRET is not set" }, { status: 500 });
  const sub = await currentStudent(request);
  if (!sub) return Response.json({ error: "log in first" }, { status: 401 });
  const daily = Number(process.env.VR_DAILY_TOKENS) || undefined;
  const token = await mintClientToken({ sub, ttlSeconds: TTL_SECONDS, dailyTokens: daily }, secret);
  return Response.json({ token, expiresIn: TTL_SECONDS }, { headers: { "cache-control": "no-store" } });
}
