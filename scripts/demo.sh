#!/usr/bin/env bash
# The demo, from nothing: installs, builds pkg/ and the site, then serves the
# tutoring page through the relay on http://127.0.0.1:8787.
#   - without DASHSCOPE_API_KEY: the relay's mock upstream answers (offline);
#   - with DASHSCOPE_API_KEY: it relays to Model Studio (region VR_REGION,
#     default intl); the key stays in the relay, the page never sees it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

VR_SETUP_BROWSER=0 bash scripts/setup.sh
bash scripts/build.sh
node_modules/.bin/vite build --config www/vite.config.js --logLevel warn
cargo build --release --manifest-path relay/Cargo.toml

listen=${VR_LISTEN:-127.0.0.1:8787}
relay=relay/target/release/visual-reasoning-relay
# Pages the relay serves itself (--static) are always allowed. Other pages
# that may call it: VR_ALLOW_ORIGIN (space-separated). The mock spends no
# key, so it also lets in the embed snippet opened as a file (Origin: null)
# or served by `python3 -m http.server 8000`.
origins=()
for o in ${VR_ALLOW_ORIGIN:-}; do origins+=(--allow-origin "$o"); done
if [ -n "${DASHSCOPE_API_KEY:-}" ]; then
  exec "$relay" --region "${VR_REGION:-intl}" --static www/dist --listen "$listen" "${origins[@]}"
else
  exec "$relay" --mock --static www/dist --listen "$listen" "${origins[@]}" \
    --allow-origin null --allow-origin http://127.0.0.1:8000 --allow-origin http://localhost:8000
fi
