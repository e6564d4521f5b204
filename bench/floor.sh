#!/usr/bin/env bash
# Weighs the core alone (bench/floor): raw / gzip -9 after the package's
# wasm-opt, as shipped (the reply side and the root at opt-level 3, the
# request side at "s"), and with all three crates at "s" and at "z".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for level in 3 s z; do
  if [ "$level" = 3 ]; then set --; label="as shipped"; else
    label="all at $level"
    value="\"$level\""
    set -- --config "profile.release.package.visual-reasoning.opt-level=$value" \
      --config "profile.release.package.visual-reasoning-replies.opt-level=$value" \
      --config "profile.release.package.visual-reasoning-requests.opt-level=$value"
  fi
  cargo build -q --release --target wasm32-unknown-unknown "$@" \
    --manifest-path bench/floor/Cargo.toml --target-dir target/floor-$level
  node_modules/.bin/wasm-opt -O3 "target/floor-$level/wasm32-unknown-unknown/release/vr_floor.wasm" -o "$out/f.wasm"
  printf 'core alone, %-10s: %6d B raw, %6d B gzip -9\n' "$label" \
    "$(wc -c < "$out/f.wasm")" "$(gzip -9c "$out/f.wasm" | wc -c)"
done
