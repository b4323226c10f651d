#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds the widget, then runs every
# test: unit and integration tests, the widget's browser tests, and the end-to-end
# tests that drive the real widget in headless Chromium against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup.sh --browser --postgres
scripts/build-widget.sh

printf '\n==> a throw-away PostgreSQL cluster for the tests\n'
KEPT_TEST_POSTGRES=$(scripts/pg-test-cluster.sh start)
export KEPT_TEST_POSTGRES
trap 'scripts/pg-test-cluster.sh stop' EXIT
echo "$KEPT_TEST_POSTGRES"

printf '\n==> the loader'"'"'s targeting rules against their table of cases (node --test)\n'
node --test widget/loader/

printf '\n==> workspace tests (unit, integration, end-to-end)\n'
cargo test --workspace --locked

printf '\n==> benchmarks compile (run them with cargo bench, see the README)\n'
# With the dev profile, so the test build is reused rather than rebuilt for release.
cargo build -p kept-server -p kept-e2e --benches --profile dev --locked

printf '\n==> widget tests in headless Chromium (wasm-bindgen-test)\n'
CHROMEDRIVER=/usr/bin/chromedriver \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p kept-widget --target wasm32-unknown-unknown --test browser --locked
