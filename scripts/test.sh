#!/usr/bin/env bash
# Every test of the project, from nothing: installs what is missing
# (scripts/setup.sh), then runs the core's host tests, the relay's tests,
# builds pkg/, and runs the browser (wasm-bindgen-test, Playwright), Node,
# type, packaging, end-to-end and Python SDK tests; the browser ones again in
# Firefox ESR and WebKitGTK. Each step runs even if an
# earlier one failed; the exit status is non-zero if any failed.
#   VR_FUZZ_CASES   cases for the arbitrary-bytes fuzz properties (default 20000)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TERM_COLOR=never

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  printf '\n==== %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); printf '==== ok: %s (%ss)\n' "$name" $((SECONDS - t0))
  else
    failed=$((failed + 1)); failures+=("$name"); printf '==== FAILED: %s (%ss)\n' "$name" $((SECONDS - t0))
  fi
}

step "core: cargo fmt --check" cargo fmt --all -- --check
step "core: clippy (host)" cargo clippy --workspace --all-targets -q -- -D warnings
step "core: clippy (wasm32)" cargo clippy --workspace --target wasm32-unknown-unknown -q -- -D warnings
step "core: clippy (wasm32, npm build features)" cargo clippy --target wasm32-unknown-unknown --features bare -q -- -D warnings
step "core: cargo test" cargo test -q
step "core: fuzz properties (${VR_FUZZ_CASES:-20000} cases)" \
  env PROPTEST_CASES="${VR_FUZZ_CASES:-20000}" cargo test -q --release --test fuzz --test sse_props
step "relay: cargo fmt --check" cargo fmt --manifest-path relay/Cargo.toml -- --check
step "relay: clippy" cargo clippy -q --all-targets --manifest-path relay/Cargo.toml -- -D warnings
step "relay: build" cargo build -q --release --manifest-path relay/Cargo.toml
step "relay: cargo test" cargo test -q --release --manifest-path relay/Cargo.toml
step "package: build pkg/" bash scripts/build.sh
step "package: tsc --checkJs (src/web/js, against the built wasm-bindgen types)" \
  node_modules/.bin/tsc -p src/web/js
step "element: tsc --checkJs (js/element)" node_modules/.bin/tsc -p js/element
step "binding: wasm-pack test --headless --chrome" bash tests/web/run.sh
step "binding: wasm-bindgen tests in Firefox ESR" bash tests/web/run.sh firefox
step "binding: wasm-bindgen tests in WebKitGTK" bash tests/web/run.sh webkit
step "www: vite build" node_modules/.bin/vite build --config www/vite.config.js --logLevel warn
step "node + browser + types + pack + e2e + examples tests" \
  node --test --test-concurrency=1 tests/node/ tests/types/ tests/browser/ tests/pack/ tests/e2e/ tests/examples/
step "client in Deno, Bun and workerd (the packed package: auto and main entries)" \
  node --test --test-concurrency=1 tests/runtimes/
# The same page, Worker and end-to-end tests in the other two engines (WebDriver).
step "browser + e2e tests in Firefox ESR" env VR_ENGINE=firefox node --test --test-concurrency=1 tests/browser/ tests/e2e/
step "browser + e2e tests in WebKitGTK" env VR_ENGINE=webkit node --test --test-concurrency=1 tests/browser/ tests/e2e/
step "python SDKs through the relay" bash tests/python/check_sdks.sh
step "relay conformance: Rust binary; JS relay on Node, Deno, Bun, workerd, Next.js" \
  node --test --test-concurrency=1 tests/relay/

printf '\n'
for f in "${failures[@]}"; do printf 'failed step: %s\n' "$f"; done
printf 'steps: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
