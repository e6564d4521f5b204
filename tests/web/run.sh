#!/usr/bin/env bash
# The binding layer's browser tests: wasm-bindgen-test in headless Chromium
# against the mock upstream (relay --mock), which this script starts on a
# free loopback port and stops afterwards. The test page is served from a
# fixed loopback address so the mock can allow exactly that origin (CORS
# is exercised as in a real page).
#   VR_WEB_TEST_ADDRESS  where wasm-bindgen-test serves the page (default 127.0.0.1:8798)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

relay=${VISUAL_REASONING_RELAY:-relay/target/release/visual-reasoning-relay}
if [ ! -x "$relay" ]; then
  cargo build -q --release --manifest-path relay/Cargo.toml
fi

address=${VR_WEB_TEST_ADDRESS:-127.0.0.1:8798}
out=$(mktemp)
"$relay" --mock --listen 127.0.0.1:0 --tokens-per-second 0 \
  --allow-origin "http://$address" >"$out" 2>"$out.err" &
mock=$!
trap 'kill "$mock" 2>/dev/null; rm -f "$out" "$out.err"' EXIT

url=
for _ in $(seq 1 150); do
  url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$out")
  [ -n "$url" ] && break
  kill -0 "$mock" 2>/dev/null || { cat "$out.err" >&2; echo "the mock exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the mock printed no 'listening on' line" >&2; exit 1; }
echo "mock upstream at $url; test page at http://$address"

# The URL is compiled into the test (option_env!), so a changed port
# rebuilds only the test crate.
export VR_MOCK_URL=$url
export WASM_BINDGEN_TEST_ADDRESS=$address
# A normal page, not a cross-origin-isolated one: that is what users have.
export WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION=1
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
cd tests/web
wasm-pack test --headless --chrome
