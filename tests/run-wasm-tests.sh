#!/usr/bin/env bash
# The driver's tests in real headless Chromium and Firefox ESR (wasm-pack test), with a test
# Kamailio running so the driver registers for real. Called by `make test-wasm`.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PWD/tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Never inherit driver variables: an exported GECKODRIVER makes `--chrome` run Firefox.
unset GECKODRIVER CHROMEDRIVER

RUNDIR=tests/.run/kamailio-wasm
PORT=${SIP_TEST_WS_PORT:-5070}
trap '"$ROOT/scripts/kamailio.sh" stop "$ROOT/$RUNDIR"' EXIT
scripts/kamailio.sh start "$PORT" "$RUNDIR"

export SIP_TEST_WS_PORT=$PORT WASM_BINDGEN_TEST_TIMEOUT=60
cd crates/sip-wasm
wasm-pack test --mode no-install --headless --chrome --chromedriver /usr/bin/chromedriver
wasm-pack test --mode no-install --headless --firefox --geckodriver "$HOME/.cargo/bin/geckodriver"
