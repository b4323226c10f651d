#!/usr/bin/env bash
# Builds the widget into widget/dist (kept.js, kept-widget.js, kept-widget_bg.wasm),
# offline: trunk uses the wasm-bindgen that setup.sh installed and fetches nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release --offline
ls -l widget/dist
