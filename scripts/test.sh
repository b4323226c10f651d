#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds the widget, then runs every
# test: unit and integration tests, the widget's browser tests, and the end-to-end
# tests that drive the real widget in headless Chromium against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup.sh --browser
scripts/build-widget.sh

printf '\n==> workspace tests (unit, integration, end-to-end)\n'
cargo test --workspace --locked

printf '\n==> benchmarks compile (run them with: cargo bench -p kept-server)\n'
cargo build -p kept-server --benches --locked

printf '\n==> widget tests in headless Chromium (wasm-bindgen-test)\n'
CHROMEDRIVER=/usr/bin/chromedriver \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p kept-widget --target wasm32-unknown-unknown --test browser --locked
