#!/usr/bin/env bash
# Installs everything the tests and the demo need, from nothing, idempotently:
# the wasm32 target, wasm-pack and the wasm-bindgen CLI matching Cargo.toml,
# the three browser engines with their WebDriver servers (Debian's Chromium +
# ChromeDriver, Firefox ESR + geckodriver pinned from crates.io, WebKitGTK's
# WebKitWebDriver + MiniBrowser, and Xvfb for MiniBrowser, which has no
# headless mode), CJK fonts, and the pinned npm packages (among them the
# Deno, Bun and workerd runtimes the relay tests run in: npm `deno`, `bun`,
# `workerd`, whose binaries come inside their platform packages, so npm's
# blocked install scripts are not needed), and Debian's
# redis-server for the relays' shared-store tests.
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

# The shared-store tests start Debian's redis-server themselves (on a free
# loopback port, nothing saved); redis-tools brings redis-cli.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "apt-get install redis-server"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq redis-server redis-tools >/dev/null
  # Only the tests' own servers: not the system service the package starts.
  as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

# The runtimes' binaries, straight from their platform packages (the
# wrappers' postinstall scripts do not run). A half-extracted package has
# been seen once: check, and reinstall what is missing.
runtime_bins=(node_modules/@deno/linux-x64-glibc/deno node_modules/@oven/bun-linux-x64/bin/bun
  node_modules/@cloudflare/workerd-linux-64/bin/workerd)
for bin in "${runtime_bins[@]}"; do
  if [ ! -x "$bin" ]; then
    log "$bin missing: reinstalling the npm packages"
    rm -rf node_modules/@deno node_modules/@oven node_modules/@cloudflare
    npm install --no-audit --no-fund --no-save
    break
  fi
done
for bin in "${runtime_bins[@]}"; do
  [ -x "$bin" ] || { echo "setup: $bin is missing after npm install" >&2; exit 1; }
done

# The examples' packages (examples/*/package-lock.json: Next.js, React,
# Vite…, pinned) into npm's cache: the tests install each example from the
# packed tarball with --prefer-offline.
for lock in examples/*/package-lock.json; do
  name=$(basename "$(dirname "$lock")")
  stamp=node_modules/.vr-example-$name-cached
  [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ] && continue
  log "npm cache add (examples/$name)"
  node -e '
    const lock = require("./" + process.argv[1]);
    const fits = (list, v) => !list || list.includes(v);
    for (const [where, p] of Object.entries(lock.packages)) {
      if (!where.startsWith("node_modules/") || p.link || !p.version || p.resolved?.startsWith("file:")) continue;
      if (!fits(p.os, process.platform) || !fits(p.cpu, process.arch) || (p.libc && !p.libc.includes("glibc"))) continue;
      console.log(where.slice(where.lastIndexOf("node_modules/") + 13) + "@" + p.version);
    }' "$lock" | xargs -r npm cache add --no-audit --no-fund
  touch "$stamp"
done
