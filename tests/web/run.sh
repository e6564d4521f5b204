#!/usr/bin/env bash
# The binding layer's browser tests (wasm-bindgen-test) in one engine, against
# the mock upstream (relay --mock), which this script starts on a free
# loopback port and stops afterwards. The test page is served from a fixed
# loopback address so the mock can allow exactly that origin (CORS is
# exercised as in a real page).
#   bash tests/web/run.sh [chrome|firefox|webkit]   (default chrome)
#   chrome   wasm-pack test --headless --chrome (Debian's chromedriver)
#   firefox  wasm-pack test --headless --firefox (geckodriver, Firefox ESR headless)
#   webkit   the same test binaries through wasm-bindgen-test-runner's
#            safaridriver path pointed at WebKitWebDriver (SAFARIDRIVER_REMOTE),
#            which drives WebKitGTK's MiniBrowser inside an Xvfb (xvfb-run):
#            wasm-pack has no WebKitGTK mode, and the runner speaks plain W3C
#            WebDriver to whatever listens there.
#   VR_WEB_TEST_ADDRESS  where wasm-bindgen-test serves the page (default 127.0.0.1:8798)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

engine=${1:-chrome}
case $engine in
  chrome | firefox | webkit) ;;
  *) echo "usage: $0 [chrome|firefox|webkit]" >&2; exit 2 ;;
esac

relay=${VISUAL_REASONING_RELAY:-relay/target/release/visual-reasoning-relay}
if [ ! -x "$relay" ]; then
  cargo build -q --release --manifest-path relay/Cargo.toml
fi

address=${VR_WEB_TEST_ADDRESS:-127.0.0.1:8798}
out=$(mktemp)
"$relay" --mock --listen 127.0.0.1:0 --tokens-per-second 0 \
  --allow-origin "http://$address" >"$out" 2>"$out.err" &
mock=$!
driver=
cleanup() {
  [ -n "$driver" ] && kill "$driver" 2>/dev/null
  kill "$mock" 2>/dev/null
  rm -f "$out" "$out.err" "$out.driver"
}
trap cleanup EXIT

url=
for _ in $(seq 1 150); do
  url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$out")
  [ -n "$url" ] && break
  kill -0 "$mock" 2>/dev/null || { cat "$out.err" >&2; echo "the mock exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the mock printed no 'listening on' line" >&2; exit 1; }
echo "mock upstream at $url; test page at http://$address; engine $engine"

# The URL is compiled into the test (option_env!), so a changed port
# rebuilds only the test crate.
export VR_MOCK_URL=$url
export WASM_BINDGEN_TEST_ADDRESS=$address
# A normal page, not a cross-origin-isolated one: that is what users have.
export WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION=1
cd tests/web

case $engine in
  chrome)
    export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
    wasm-pack test --headless --chrome
    ;;
  firefox)
    GECKODRIVER=${GECKODRIVER:-$(command -v geckodriver || true)}
    [ -n "$GECKODRIVER" ] || { echo "geckodriver not found (bash scripts/setup.sh installs it)" >&2; exit 1; }
    export GECKODRIVER
    wasm-pack test --headless --firefox
    ;;
  webkit)
    command -v WebKitWebDriver >/dev/null || { echo "WebKitWebDriver not found (Debian's webkit2gtk-driver; bash scripts/setup.sh)" >&2; exit 1; }
    command -v xvfb-run >/dev/null || { echo "xvfb-run not found (Debian's xvfb; bash scripts/setup.sh)" >&2; exit 1; }
    # Build first, outside the X server's lifetime.
    cargo test --target wasm32-unknown-unknown --no-run -q
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    export SAFARIDRIVER_REMOTE=http://127.0.0.1:$port
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
    # MiniBrowser has no headless mode: the driver and the browser it starts
    # live inside a private X server; the tests run once it listens.
    xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" bash -c '
      WebKitWebDriver --port="$0" >"$1" 2>&1 &
      wd=$!
      trap "kill $wd 2>/dev/null" EXIT
      for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$0") 2>/dev/null && break
        kill -0 $wd 2>/dev/null || { cat "$1" >&2; echo "WebKitWebDriver exited" >&2; exit 1; }
        sleep 0.1
      done
      cargo test --target wasm32-unknown-unknown
    ' "$port" "$out.driver"
    ;;
esac
