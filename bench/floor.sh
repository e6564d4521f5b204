#!/usr/bin/env bash
# Weighs the core alone (bench/floor): raw / gzip -9 after the package's
# wasm-opt, at the crate's opt-level 3 (shipped), "s" and "z".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for level in 3 s z; do
  [ "$level" = 3 ] && value=3 || value="\"$level\""
  cargo build -q --release --target wasm32-unknown-unknown \
    --config "profile.release.package.visual-reasoning.opt-level=$value" \
    --manifest-path bench/floor/Cargo.toml --target-dir target/floor-$level
  node_modules/.bin/wasm-opt -O3 "target/floor-$level/wasm32-unknown-unknown/release/vr_floor.wasm" -o "$out/f.wasm"
  printf 'core alone, opt-level %s: %6d B raw, %6d B gzip -9\n' "$level" \
    "$(wc -c < "$out/f.wasm")" "$(gzip -9c "$out/f.wasm" | wc -c)"
done
