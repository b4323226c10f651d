#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test Kept. Idempotent: each step
# is skipped when its tool is already there at the right version.
#   scripts/setup.sh            toolchain for building the widget (wasm target,
#                               rust-src, wasm-bindgen, binaryen's wasm-opt,
#                               esbuild, terser, axe-core)
#   scripts/setup.sh --browser  also Debian's Chromium and ChromeDriver (for the tests)
#   scripts/setup.sh --postgres also Debian's PostgreSQL server (for the tests)
# The flags may be combined.
set -euo pipefail
cd "$(dirname "$0")/.."

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
# From the npm registry, into target/npm (git-ignored), run by the machine's Node.js:
# binaryen ships a current wasm-opt (Debian's is too old for today's Rust wasm);
# axe-core is the accessibility checker the end-to-end tests inject into pages;
# esbuild bundles the loader (widget/loader/) and minifies the glue; terser
# minifies the loader, about 80 bytes of brotli smaller than esbuild does (the
# loader runs on every page of a shop and has a 2 kB budget).
NPM_DIR=target/npm
BINARYEN_VERSION=132.0.0
AXE_CORE_VERSION=4.14.1
ESBUILD_VERSION=0.28.2
TERSER_VERSION=5.51.4
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The standard library's source: the widget's build compiles it with the
# immediate-abort panic strategy (scripts/build-widget.sh).
if ! rustup component list --installed | grep -q '^rust-src$'; then
  step "adding the rust-src component"
  rustup component add rust-src
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (from crates.io, a few minutes)"
  # Not --locked: its lock file names a crate version the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

npm_version() { node -p "require('./$NPM_DIR/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [[ $(npm_version binaryen) != "$BINARYEN_VERSION" || $(npm_version axe-core) != "$AXE_CORE_VERSION" \
      || $(npm_version esbuild) != "$ESBUILD_VERSION" || $(npm_version terser) != "$TERSER_VERSION" ]]; then
  step "installing binaryen $BINARYEN_VERSION, axe-core $AXE_CORE_VERSION, esbuild $ESBUILD_VERSION and terser $TERSER_VERSION (npm) into $NPM_DIR"
  mkdir -p "$NPM_DIR"
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --save-exact \
    "binaryen@$BINARYEN_VERSION" "axe-core@$AXE_CORE_VERSION" "esbuild@$ESBUILD_VERSION" "terser@$TERSER_VERSION"
fi

FLAGS=" $* "
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
APT_UPDATED=""
apt_install() {
  [[ -n "$APT_UPDATED" ]] || { $SUDO apt-get update -q; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$@"
}

if [[ "$FLAGS" == *" --postgres "* ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  step "installing Debian's PostgreSQL (the tests start a throw-away cluster of their own)"
  # No cluster of its own: the package would otherwise create and start one.
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/kept.conf >/dev/null
  apt_install postgresql
fi

if [[ "$FLAGS" == *" --browser "* ]] && ! { command -v chromium && command -v chromedriver; } >/dev/null; then
  step "installing Debian's chromium and chromium-driver"
  apt_install chromium chromium-driver
fi
