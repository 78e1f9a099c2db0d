#!/usr/bin/env bash
# Installs everything `make demo` and `make test` need, idempotently: each step is skipped when it
# is already satisfied, so a second run takes seconds. Only package registries are used
# (Debian, crates.io, npm). See ../shared/reference/toolchain.md for why each pin is what it is.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1

log() { printf '[setup +%ss] %s\n' "$SECONDS" "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# 1. Debian packages. No `binaryen` (its wasm-opt 108 emits modules that fail to instantiate)
#    and no `sipp` (not in bookworm; one unknown name makes apt install nothing: SIPp is
#    `sip-tester`). rtpengine-daemon, baresip-core and sip-tester are the SBC topology of
#    tests/e2e/sbc-*.test.mjs (media relay, plain SIP phone, scripted SIP peer);
#    kamailio-outbound-modules is the RFC 5626 edge of tests/e2e/outbound-edge.test.mjs.
apt_pkgs=(chromium chromium-driver firefox-esr kamailio kamailio-websocket-modules
          kamailio-extra-modules kamailio-outbound-modules brotli ca-certificates build-essential
          rtpengine-daemon baresip-core sip-tester)
command -v node >/dev/null || apt_pkgs+=(nodejs npm)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's kamailio and rtpengine-daemon packages enable system services; the tests start
# their own instances.
for svc in kamailio rtpengine-daemon; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

# 2. Rust target for the browser.
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# 3. Cargo-installed tools. The wasm-bindgen CLI must equal the crate version in Cargo.lock,
#    or wasm-pack silently spends minutes building another one.
cargo_tool() { # crate binary version
  local have=""
  [[ -x "$HOME/.cargo/bin/$2" ]] && have=$("$HOME/.cargo/bin/$2" --version 2>/dev/null | awk 'NR==1{print $2}')
  [[ "$have" == "$3" ]] && return 0
  log "cargo install $1 $3 (have '${have:-none}')"
  cargo install --locked --force "$1" --version "$3" || cargo install --force "$1" --version "$3"
}
cargo_tool wasm-bindgen-cli wasm-bindgen "$WASM_BINDGEN_VERSION"
cargo_tool wasm-pack wasm-pack "$WASM_PACK_VERSION"
cargo_tool geckodriver geckodriver "$GECKODRIVER_VERSION"

# 4. npm tools, pinned by tools/node/package-lock.json: wasm-opt (binaryen), esbuild, the browser
#    drivers and the far-end SIP stack for tests.
if ! (cd tools/node && npm ls --depth=0 >/dev/null 2>&1); then
  log "npm ci in tools/node"
  (cd tools/node && npm ci --no-audit --no-fund)
fi
log "tools ready: $(wasm-bindgen --version 2>/dev/null), $(wasm-pack --version 2>/dev/null), $(tools/node/node_modules/.bin/wasm-opt --version)"
