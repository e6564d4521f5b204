// The JS relay under Deno.serve, as relay/README.md "Deploy: Deno" shows it;
// options from RELAY_OPTIONS (JSON), the key from DASHSCOPE_API_KEY.
const { createRelay } = await import(Deno.env.get("RELAY_MODULE") ?? "visual-reasoning/relay");

const relay = createRelay({ ...JSON.parse(Deno.env.get("RELAY_OPTIONS") ?? "{}"), apiKey: Deno.env.get("DASHSCOPE_API_KEY") });
Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  (request, info) => relay(request, { remoteAddress: info.remoteAddr.hostname }),
);
