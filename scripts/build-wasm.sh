#!/usr/bin/env bash
# Builds the wasm driver into a wasm-bindgen package folder (default build/pkg, which
# js-shim/build.mjs bundles): cargo for wasm32, wasm-bindgen's web glue, wasm-opt.
#   bash scripts/build-wasm.sh [out-dir] [--names]
#     --names  keep the wasm name section (Rust function names in stack traces; larger)
# These are the steps `wasm-pack build --release --target web` ran, done by hand for one flag
# wasm-pack cannot pass: --experimental-reset-state-function, which gives the glue
# __wbg_reset_state(): a fresh instance of the module after a trap, with calls from the dead
# instance's objects and closures refused (js-shim/src/recovery.js).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
out=build/pkg
names=0
for a in "$@"; do
  case "$a" in
    --names) names=1 ;;
    *) out=$a ;;
  esac
done
target=${CARGO_TARGET_DIR:-target}

cargo build -p sip-wasm --lib --release --target wasm32-unknown-unknown
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --experimental-reset-state-function --out-dir "$out" \
  "$target/wasm32-unknown-unknown/release/exotel_voice.wasm"
# wasm-opt 132 from npm binaryen (tools/node; Debian's 108 emits modules that fail to
# instantiate). Similar functions merged before -Oz, -Oz repeated until it stops shrinking, the
# producers and target-features sections (read by no browser) dropped: docs/decisions/0002.
opt=(--merge-similar-functions -Oz --converge --strip-producers --strip-target-features)
((names)) && opt+=(--debuginfo)
wasm-opt "${opt[@]}" "$out/exotel_voice_bg.wasm" -o "$out/exotel_voice_bg.wasm"
