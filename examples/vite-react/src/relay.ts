// The relay holds the Model Studio key: the page never sees it. Set
// VITE_RELAY_URL when building (`VITE_RELAY_URL=https://relay.example npm run build`);
// the default is the one `bash scripts/demo.sh` starts.
export const RELAY_URL: string = import.meta.env.VITE_RELAY_URL ?? "http://127.0.0.1:8787";
