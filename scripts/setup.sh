#!/usr/bin/env bash
# Installs everything the tests and the demo need, from nothing, idempotently:
# the wasm32 target, wasm-pack and the wasm-bindgen CLI matching Cargo.toml,
# the three browser engines with their WebDriver servers (Debian's Chromium +
# ChromeDriver, Firefox ESR + geckodriver pinned from crates.io, WebKitGTK's
# WebKitWebDriver + MiniBrowser, and Xvfb for MiniBrowser, which has no
# headless mode), CJK fonts, and the pinned npm packages.
#   VR_SETUP_BROWSER=0  skip the browsers (the demo alone does not need them)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack"
  cargo install wasm-pack --locked --version 0.15.1
fi

# wasm-pack would try to download this CLI (no such network here) and then
# build it itself; doing it up front keeps its output readable. The version
# must equal the crate's pinned wasm-bindgen; --locked fails on this registry.
wb=$(sed -n 's/^wasm-bindgen = { *version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml | head -n1)
if [ -n "$wb" ] && [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb" ]; then
  log "cargo install wasm-bindgen-cli $wb"
  cargo install wasm-bindgen-cli --version "$wb"
fi

if [ "${VR_SETUP_BROWSER:-1}" = 1 ]; then
  # Debian's own builds, at the release's current (security-updated) versions.
  debs=()
  for pair in chromium:chromium chromedriver:chromium-driver firefox-esr:firefox-esr \
              WebKitWebDriver:webkit2gtk-driver Xvfb:xvfb xvfb-run:xvfb xauth:xauth; do
    command -v "${pair%%:*}" >/dev/null || debs+=("${pair#*:}")
  done
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || debs+=(fonts-noto-cjk)
  if [ ${#debs[@]} -gt 0 ]; then
    log "apt-get install ${debs[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${debs[@]}" >/dev/null
  fi
  # Firefox's WebDriver server (wasm-pack test --firefox, tests/support/webdriver.mjs).
  geckodriver_version=0.36.0
  if [ "$(geckodriver --version 2>/dev/null | awk 'NR == 1 {print $2}')" != "$geckodriver_version" ]; then
    log "cargo install geckodriver $geckodriver_version"
    cargo install geckodriver --locked --version "$geckodriver_version"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi
