#!/usr/bin/env bash
# Runs the product: builds the widget and starts the server with the demo shop.
# Open http://127.0.0.1:8080/demo (shop page), /kiosk/pk_demo (kiosk), /dashboard (owner).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup.sh
scripts/build-widget.sh
exec cargo run --release --locked -p kept-server -- --db kept-demo.db --listen "${KEPT_LISTEN:-127.0.0.1:8080}" --demo "$@"
