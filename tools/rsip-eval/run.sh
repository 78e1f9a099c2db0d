#!/usr/bin/env bash
# Reproduces every number in docs/decisions/0001-message-layer.md.
#
#   cd tools/rsip-eval && ./run.sh            # corpus check + wasm sizes + dependency tree
#   cd tools/rsip-eval && COLD=1 ./run.sh     # ... + cold wasm32 build times (fresh target dirs)
#
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen CLI 0.2.130, wasm-opt 132 (the npm
# binaryen build; Debian's binaryen 108 produces broken modules), gzip, brotli, node (smoke test).
# Outputs go to $CARGO_TARGET_DIR/out (outside the repo); the summary is printed to stdout.
set -euo pipefail
cd "$(dirname "$0")"

ROOT=$(cd ../.. && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/rsip-eval}
OUT=${OUT:-$CARGO_TARGET_DIR/out}
CORPUS=${CORPUS:-/work/shared/sip-corpus}
WASM_OPT=${WASM_OPT:-$ROOT/tools/node/node_modules/.bin/wasm-opt}
WASM_BINDGEN=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
TARGET=wasm32-unknown-unknown
mkdir -p "$OUT"

die() { echo "run.sh: $*" >&2; exit 1; }
rustup target list --installed | grep -qx "$TARGET" || die "missing rustup target $TARGET"
[ -x "$WASM_BINDGEN" ] || die "wasm-bindgen CLI not found"
"$WASM_BINDGEN" --version | grep -q ' 0\.2\.130' || die "wasm-bindgen CLI must be 0.2.130 (got: $("$WASM_BINDGEN" --version))"
[ -x "$WASM_OPT" ] || die "wasm-opt not found at $WASM_OPT (set WASM_OPT=)"
"$WASM_OPT" --version | grep -q 'version 132' || die "need wasm-opt 132, got: $("$WASM_OPT" --version)"
command -v brotli >/dev/null || die "brotli CLI missing (apt-get install brotli)"

gz() { gzip -9 -c "$1" | wc -c; }
br() { brotli -q 11 -c "$1" | wc -c; }
sz() { stat -c %s "$1"; }

# ---------------------------------------------------------------- 1. correctness
echo "== 1. correctness: rsip on $CORPUS + extra cases" >&2
cargo build --quiet --release --features with-rsip --bin corpus
"$CARGO_TARGET_DIR/release/corpus" "$CORPUS" | tee "$OUT/corpus.md"
echo

# ---------------------------------------------------------------- 2. size
# variant name : cargo features
VARIANTS=("baseline:" "rsip:with-rsip" "rsip-typed-all:with-rsip,typed-all")
declare -A ROW
for v in "${VARIANTS[@]}"; do
  name=${v%%:*}; feats=${v#*:}
  echo "== 2. size: building $name (features: ${feats:-none})" >&2
  cargo build --quiet --release --target $TARGET --lib ${feats:+--features "$feats"}
  d="$OUT/$name"; rm -rf "$d"; mkdir -p "$d"
  cp "$CARGO_TARGET_DIR/$TARGET/release/rsip_eval.wasm" "$d/cargo.wasm"
  "$WASM_BINDGEN" --target web --out-dir "$d/pkg" "$d/cargo.wasm"
  "$WASM_OPT" -Oz "$d/pkg/cargo_bg.wasm" -o "$d/opt.wasm"
  cp "$d/opt.wasm" "$d/pkg/cargo_bg.wasm"     # ship the optimized module with the glue
  js="$d/pkg/cargo.js"
  ROW[$name]="| $name | $(sz "$d/cargo.wasm") | $(sz "$d/opt.wasm") | $(gz "$d/opt.wasm") | $(br "$d/opt.wasm") | $(br "$js") | $(( $(br "$d/opt.wasm") + $(br "$js") )) |"
done

# Smoke test: load each optimized module in node through the generated glue and parse the corpus.
echo "== 2b. smoke: optimized modules under node" >&2
for v in "${VARIANTS[@]}"; do
  name=${v%%:*}; d="$OUT/$name/pkg"
  cp "$d/cargo.js" "$d/cargo.mjs"
  node --input-type=module -e "
    import { readFileSync, readdirSync } from 'node:fs';
    const m = await import('$d/cargo.mjs');
    m.initSync({ module: readFileSync('$d/cargo_bg.wasm') });
    const files = readdirSync('$CORPUS').filter(f => f.endsWith('.sip')).sort();
    let parsed = 0, contactOk = 0, withContact = 0;
    for (const f of files) {
      const s = readFileSync('$CORPUS/' + f, 'utf8');
      const r = m.parse(s);
      if (r !== 0xffffffff) parsed++;
      if (/^(contact|m)\s*:/im.test(s)) { withContact++; if (r !== 0xffffffff && (r & 1)) contactOk++; }
    }
    console.log('smoke $name: ' + parsed + '/' + files.length + ' parsed, typed Contact ok in ' + contactOk + '/' + withContact + ' messages with a Contact');
  " | tee "$OUT/$name/smoke.txt"
done
echo

# ---------------------------------------------------------------- 3. deps + build time
cargo tree --target $TARGET -e normal --features with-rsip > "$OUT/tree-rsip.txt"
cargo tree --target $TARGET -e normal > "$OUT/tree-baseline.txt"
ndeps() { cargo tree --target $TARGET -e normal,build --prefix none $1 | sed 's/ (\*)//' | sort -u | grep -vc '^rsip-eval '; }
NDEPS_RSIP=$(ndeps "--features with-rsip")
NDEPS_BASE=$(ndeps "")

COLD_ROWS=""
if [ "${COLD:-0}" = 1 ]; then
  for v in "baseline:" "rsip:with-rsip"; do
    name=${v%%:*}; feats=${v#*:}
    for prof in release dev; do
      t="$CARGO_TARGET_DIR/cold-$name-$prof"; rm -rf "$t"
      echo "== 3. cold build: $name ($prof profile)" >&2
      load=$(cut -d' ' -f1 /proc/loadavg)
      s=$(date +%s.%N)
      CARGO_TARGET_DIR="$t" cargo build --quiet --profile "$prof" --target $TARGET --lib ${feats:+--features "$feats"}
      e=$(date +%s.%N)
      units=$(find "$t" -name '*.rlib' | wc -l)
      COLD_ROWS+="| $name | $prof | $(awk "BEGIN{printf \"%.1f\", $e - $s}") s | $units | $load |"$'\n'
      rm -rf "$t"
    done
  done
fi

# ---------------------------------------------------------------- summary
echo "## wasm32 size (release: opt-level=z, lto, codegen-units=1, panic=abort; wasm-bindgen --target web; wasm-opt 132 -Oz)"
echo
echo "| variant | cargo .wasm B | after wasm-opt B | gzip -9 B | brotli -q 11 B | JS glue brotli B | wasm+JS brotli B |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for v in "${VARIANTS[@]}"; do echo "${ROW[${v%%:*}]}"; done
b=$(br "$OUT/baseline/opt.wasm"); r=$(br "$OUT/rsip/opt.wasm"); ra=$(br "$OUT/rsip-typed-all/opt.wasm")
echo
echo "rsip delta over baseline (brotli): +$((r - b)) B (Contact only), +$((ra - b)) B (Contact+From+To+Via+CSeq)"
echo "budget: whole slice JS+wasm <= 98304 B (96 KiB) brotli, goal 49152 B (48 KiB)"
echo
cat "$OUT"/*/smoke.txt
echo
echo "## dependencies for $TARGET (cargo tree -e normal,build; excluding rsip-eval itself)"
echo
echo "baseline: $NDEPS_BASE crates; with rsip: $NDEPS_RSIP crates"
echo
echo '```'
cat "$OUT/tree-rsip.txt"
echo '```'
if [ -n "$COLD_ROWS" ]; then
  echo
  echo "## cold wasm32 build of the probe (fresh target dir, registry already downloaded, $(nproc) cores)"
  echo
  echo "| variant | profile | wall time | .rlib artifacts (host+wasm) | 1-min load avg at start |"
  echo "|---|---|---:|---:|---:|"
  printf '%s' "$COLD_ROWS"
fi
