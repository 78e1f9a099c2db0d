#!/usr/bin/env bash
# Packaging tests (what `make test-packaging` runs, after `make dist`): `npm pack` of dist/npm,
# then fresh consumer projects (tests/packaging/projects/*) installed from that tarball under
# tests/.cache/packaging (npm install runs again only when a project's package.json changes),
# built, served and loaded in Chromium against a test Kamailio: Vite 8, 7 and 6 (build, dev;
# React StrictMode), webpack 5, Next (build + start, dev), Node require/import, Vitest + jsdom,
# tsc (5.9 and 7) on guide-style code in ESM and CommonJS projects, publint and
# are-the-types-wrong. Prints what each project ships.
#   bash tests/run-packaging.sh                          all
#   bash tests/run-packaging.sh tests/packaging/x.test.mjs   chosen files
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
die() { echo "run-packaging: $*" >&2; exit 1; }
[[ -f dist/npm/package.json && -f dist/npm/index.mjs ]] || die "dist/ is missing: run 'make dist' (or 'make test-packaging')"
command -v kamailio >/dev/null || die "kamailio not installed (run scripts/setup.sh)"
CACHE=tests/.cache/packaging
mkdir -p "$CACHE" tests/.run
rm -rf "$CACHE/sizes"
start=$SECONDS
tgz=$(cd dist/npm && npm pack --silent --pack-destination "$ROOT/$CACHE" | tail -n 1)
mv -f "$CACHE/$tgz" "$CACHE/exotel-voice-sdk.tgz"
echo "run-packaging: packed $tgz ($(stat -c %s "$CACHE/exotel-voice-sdk.tgz") B)"
if (($#)); then files=("$@"); else files=(tests/packaging/*.test.mjs); fi
status=0
log=$(mktemp)
set +e
node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec "${files[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
node tests/packaging/sizes.mjs
passed=$(awk '/^ℹ pass /{print $3}' "$log" | tail -n 1)
failed=$(awk '/^ℹ fail /{print $3}' "$log" | tail -n 1)
skipped=$(awk '/^ℹ skipped /{print $3}' "$log" | tail -n 1)
rm -f "$log"
echo "run-packaging: ${#files[@]} file(s), $((SECONDS - start)) s, $([[ $status == 0 ]] && echo PASS || echo "FAIL (exit $status)")"
echo "packaging: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
