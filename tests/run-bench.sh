#!/usr/bin/env bash
# Benchmark (what `make bench` runs, after `make dist`): prints bundle sizes, time to
# 'registered' in Chromium against a private local Kamailio, memory held by the SDK, call and
# in-call timings, and the SIP parser's ns per message over ../shared/sip-corpus.
# Numbers only, no pass/fail; exits non-zero only when the measurement itself could not run.
#   BENCH_RUNS=N bash tests/run-bench.sh   (default 7 runs per timing)
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

die() { echo "run-bench: $*" >&2; exit 1; }
[[ -f dist/exotelsdk.js && -f dist/npm/index.mjs && -f dist/npm/exotel_voice_bg.wasm ]] \
  || die "dist/ is missing: run 'make dist' (or 'make bench')"
for tool in gzip brotli kamailio kamcmd; do
  command -v "$tool" >/dev/null || die "$tool not installed (run scripts/setup.sh)"
done
mkdir -p tests/.run
node tests/bench/bench.mjs
echo
CORPUS=${CORPUS:-$ROOT/../shared/sip-corpus}
cargo run -q --release -p sip-core --example parse_bench -- "$CORPUS"
