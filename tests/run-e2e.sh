#!/usr/bin/env bash
# End-to-end tests (what `make test-e2e` runs, after `make dist`): every tests/e2e/*.test.mjs
# under node's built-in test runner, one file at a time. Each file starts its own static HTTP
# server, Kamailio (tests/.run/kamailio-<name>-<pid>) and browser, and stops them in after().
#   bash tests/run-e2e.sh                     all files
#   bash tests/run-e2e.sh tests/e2e/x.test.mjs   chosen files
# Exit status: non-zero when any test fails.
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

die() { echo "run-e2e: $*" >&2; exit 1; }
[[ -f dist/exotelsdk.js && -f dist/npm/index.mjs && -f dist/npm/exotel_voice_bg.wasm ]] \
  || die "dist/ is missing: run 'make dist' (or 'make test-e2e')"
stale=$(find js-shim/src js-shim/build.mjs crates -newer dist/exotelsdk.js \( -name '*.js' -o -name '*.mjs' -o -name '*.rs' -o -name Cargo.toml \) 2>/dev/null | head -n 3)
[[ -z "$stale" ]] || echo "run-e2e: warning: dist/ is older than sources (e.g. ${stale//$'\n'/, }); 'make test-e2e' rebuilds it" >&2
command -v kamailio >/dev/null || die "kamailio not installed (run scripts/setup.sh)"
[[ -d tools/node/node_modules/playwright-core ]] || die "tools/node not installed (run scripts/setup.sh)"
mkdir -p tests/.run

# Safety net for runs that were killed before their after() hooks ran: stop the Kamailio of
# any tests/.run/kamailio-<name>-<pid> whose test process <pid> no longer exists. Live runs
# (another shell running the tests at the same time) are left alone.
reap_orphans() {
  local d pid
  for d in tests/.run/kamailio-*-[0-9]*; do
    [[ -d "$d" ]] || continue
    pid=${d##*-}
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    kill -0 "$pid" 2>/dev/null && continue
    bash scripts/kamailio.sh stop "$d" || true
    rm -rf "$d"
  done
}
reap_orphans
trap reap_orphans EXIT

if (($#)); then files=("$@"); else files=(tests/e2e/*.test.mjs); fi
start=$SECONDS
status=0
log=$(mktemp)
set +e
node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec "${files[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(awk '/^ℹ pass /{print $3}' "$log" | tail -n 1)
failed=$(awk '/^ℹ fail /{print $3}' "$log" | tail -n 1)
rm -f "$log"
echo "run-e2e: ${#files[@]} file(s), $((SECONDS - start)) s, $([[ $status == 0 ]] && echo PASS || echo "FAIL (exit $status)")"
# The closing line CI reads: the plain "N passed, N failed" form.
echo "e2e: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
