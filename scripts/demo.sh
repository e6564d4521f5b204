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
if [ -n "${DASHSCOPE_API_KEY:-}" ]; then
  exec "$relay" --region "${VR_REGION:-intl}" --static www/dist --listen "$listen" \
    --allow-origin "http://$listen"
else
  exec "$relay" --mock --static www/dist --listen "$listen"
fi
