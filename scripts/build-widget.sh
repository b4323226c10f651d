#!/usr/bin/env bash
# Builds the widget into widget/dist, offline:
#   1. cargo builds the wasm (the wasm-release profile: opt-level "z", LTO), with
#      the standard library compiled along with it so that a panic is a bare
#      trap (below);
#   2. wasm-bindgen writes the ES-module glue, without the debug name section;
#   3. binaryen's wasm-opt -Oz shrinks the wasm further;
#   4. esbuild bundles the glue with the loader's second half (widget/loader/show.js)
#      and minifies it; it and the wasm get content-hashed names (cached for a
#      year by browsers and CDNs);
#   5. esbuild bundles the loader and terser minifies it: the whole loader
#      (main.js) as a content-hashed module, the generic kept.js, and
#      kept-shop.js (shop.js), into which the server writes a shop's rules;
#      each learns the hashed names of what it loads;
#   6. every file gets a brotli (.br, quality 11) and a gzip (.gz) twin next to it,
#      for a server that sends precompressed files.
# setup.sh installs rust-src, wasm-bindgen (the version in Cargo.lock), and
# wasm-opt (npm binaryen), esbuild and terser from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_OPT=target/npm/node_modules/binaryen/bin/wasm-opt
ESBUILD=target/npm/node_modules/.bin/esbuild
TERSER=target/npm/node_modules/.bin/terser
[[ -x $WASM_OPT && -x $ESBUILD && -x $TERSER ]] || { echo "wasm-opt, esbuild or terser is missing: run scripts/setup.sh" >&2; exit 1; }
STAGE=target/widget-build
DIST=widget/dist

# panic=immediate-abort: a panic traps at once, without the standard library's
# panic machinery (message formatting, locations, the panic hook), which on
# wasm32-unknown-unknown writes to a stderr that goes nowhere anyway: 6.8 kB of
# the widget's brotli bytes (README). The strategy needs the standard library
# rebuilt with it (-Zbuild-std); both are unstable, allowed on this stable
# toolchain by RUSTC_BOOTSTRAP=1 for this one build only, as the Linux kernel
# builds its Rust. A toolchain that changes them fails here, loudly. With them,
# -Zlocation-detail=none drops the file names and lines panics would carry: a
# trap prints none.
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
  cargo build -p kept-widget --target wasm32-unknown-unknown --profile wasm-release --locked \
  -Zbuild-std=std,panic_abort

rm -rf "$STAGE" && mkdir -p "$STAGE"
wasm-bindgen target/wasm32-unknown-unknown/wasm-release/kept_widget.wasm \
  --target web --out-dir "$STAGE" --out-name kept-widget \
  --no-typescript --remove-name-section --remove-producers-section
# Rust enables these wasm features by default; binaryen must be told it may keep them.
# --low-memory-unused lets binaryen fold constant offsets into loads and stores
# (-0.3 kB): true here, as Rust's wasm puts its stack first, below the data at
# 1 MiB, so the lowest kilobyte is touched only by a stack a thousand times
# deeper than the widget's. --converge repeats -Oz while it still gains;
# --strip-target-features drops a section only tools read.
node "$WASM_OPT" -Oz --converge --low-memory-unused --strip-debug --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$STAGE/kept-widget_bg.wasm" -o "$STAGE/kept-widget_bg.opt.wasm"

# The glue, with the loader's second half (show.js: what kept.js imports only
# when something is to be shown or sent), minified: its imports keep their
# names (the wasm calls them by name).
"$ESBUILD" widget/loader/show.js --bundle --alias:kept-glue="./$STAGE/kept-widget.js" \
  --minify --format=esm --log-level=warning --outfile="$STAGE/kept-widget.min.js"

hash() { sha256sum "$1" | cut -c1-16; }
GLUE="kept-widget.$(hash "$STAGE/kept-widget.min.js").js"
WASM="kept-widget_bg.$(hash "$STAGE/kept-widget_bg.opt.wasm").wasm"

rm -rf "$DIST" && mkdir -p "$DIST"
cp "$STAGE/kept-widget.min.js" "$DIST/$GLUE"
cp "$STAGE/kept-widget_bg.opt.wasm" "$DIST/$WASM"
# The loader, minified by terser, not esbuild, which every page runs: 4 %
# smaller after brotli. Three files of it, each learning the hashed names of
# what it loads: the whole loader as a module (main.js, content-hashed, which
# the shop's loader hands pages it does not settle alone over to); kept.js,
# the generic loader (the whole loader run on its script tag); and
# kept-shop.js, the loader of a shop's snippet, into which the server writes
# the shop's rules for kept.js?key=… (server/src/http/shop_loader.rs).
minify() { # entry, format, output
  "$ESBUILD" "widget/loader/$1" --bundle --format="$2" --target=es2017 \
    --log-level=warning --outfile="$STAGE/bundle.js"
  "$TERSER" "$STAGE/bundle.js" $([[ $2 == esm ]] && echo --module) --compress passes=3 \
    --mangle toplevel --format ascii_only=true --output "$STAGE/min.js"
  sed -e "s/__KEPT_GLUE__/$GLUE/" -e "s/__KEPT_WASM__/$WASM/" -e "s/__KEPT_FULL__/${FULL:-}/" \
    "$STAGE/min.js" > "$3"
  ! grep -q "__KEPT_GLUE__\|__KEPT_WASM__\|__KEPT_FULL__" "$3" || { echo "$3: a hashed name left unwritten" >&2; exit 1; }
}
minify main.js esm "$STAGE/kept-full.js"
FULL="kept-full.$(hash "$STAGE/kept-full.js").js"
cp "$STAGE/kept-full.js" "$DIST/$FULL"
minify generic.js iife "$DIST/kept.js"
minify shop.js iife "$DIST/kept-shop.js"
# Each loader names what it loads (a placeholder the minifier had dropped
# would leave none).
names() { # file, the hashed names it must hold
  local file=$1; shift
  for name in "$@"; do
    grep -q "$name" "$DIST/$file" || { echo "$file does not name $name" >&2; exit 1; }
  done
}
names "$FULL" "$GLUE" "$WASM"
names kept.js "$GLUE" "$WASM"
names kept-shop.js "$GLUE" "$WASM" "$FULL"
# The server writes a shop's rules in place of this string (server/src/http/shop_loader.rs).
[[ $(grep -o '"__KEPT_SHOP__"' "$DIST/kept-shop.js" | wc -l) == 1 ]] || { echo "kept-shop.js must have one \"__KEPT_SHOP__\" slot" >&2; exit 1; }

# Node's zlib has brotli: no extra tool. Text mode for JS, generic for wasm.
node - "$DIST" <<'JS'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const dir = process.argv[2];
for (const name of fs.readdirSync(dir)) {
  const file = path.join(dir, name), raw = fs.readFileSync(file);
  const mode = name.endsWith('.js') ? zlib.constants.BROTLI_MODE_TEXT : zlib.constants.BROTLI_MODE_GENERIC;
  fs.writeFileSync(file + '.br', zlib.brotliCompressSync(raw, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: mode,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
  fs.writeFileSync(file + '.gz', zlib.gzipSync(raw, { level: 9 }));
}
JS
ls -l "$DIST"
