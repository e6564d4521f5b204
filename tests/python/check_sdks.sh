#!/usr/bin/env bash
# The official Python SDKs (openai, dashscope; pinned) stream from the mock
# upstream through the relay and print reasoning then answer. Exits non-zero
# on any error. Needs python3 (venv) and the release relay binary (built
# here if missing). VR_VENV picks the venv directory (default .venv).
set -euo pipefail
cd "$(dirname "$0")/../.."

OPENAI_VERSION=3.51.0
DASHSCOPE_VERSION=2.0.2

relay=relay/target/release/visual-reasoning-relay
[ -x "$relay" ] || cargo build -q --release --manifest-path relay/Cargo.toml

venv=${VR_VENV:-.venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "openai==$OPENAI_VERSION" "dashscope==$DASHSCOPE_VERSION"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts the binary with "$@", waits for its "listening on" line and sets
# `url`. Not called in $(…): the pid must reach this shell's `pids`, or the
# EXIT trap cannot stop the server.
start() {
  local name=$1; shift
  "$relay" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    if url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/$name.out" 2>/dev/null); then
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$tmp/$name.err" >&2; return 1
}

# The mock plays Model Studio; the relay in front of it holds a (fake) key
# and, like any server-side use, allows requests without an Origin.
start mock --mock --listen 127.0.0.1:0 --tokens-per-second 2000 --allow-no-origin
mock_url=$url
DASHSCOPE_API_KEY=sk-relay-held-key start relay --upstream "$mock_url" \
  --listen 127.0.0.1:0 --allow-no-origin
relay_url=$url

status=0
RELAY_URL=$relay_url "$venv/bin/python" tests/python/check_sdks.py || status=$?

# The key the relay holds must not show up in its log.
if grep -q sk-relay-held-key "$tmp/relay.err"; then
  echo "FAIL: the relay logged its key" >&2; status=1
fi
echo "-- relay log:"; cat "$tmp/relay.err"
exit $status
