# The commands everyone uses. Each installs what it needs first (scripts/setup.sh, idempotent).
SHELL := /bin/bash
export PATH := $(CURDIR)/tools/node/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
KAMAILIO_PORT ?= 5066
DEMO_PORT ?= 8080

.PHONY: setup dist dist-debug test test-core test-wasm test-e2e test-packaging lint bench fuzz demo clean

setup:
	@bash scripts/setup.sh

build/pkg/exotel_voice_bg.wasm: setup $(shell find crates -name '*.rs' -o -name Cargo.toml) Cargo.lock .cargo/config.toml scripts/build-wasm.sh
	bash scripts/build-wasm.sh build/pkg

dist: build/pkg/exotel_voice_bg.wasm
	node js-shim/build.mjs

# The same artefacts with the wasm's name section kept (Rust function names in stack traces and
# profiles instead of wasm-function[N]), into dist-debug/: for debugging, not for shipping.
dist-debug: setup
	bash scripts/build-wasm.sh build/pkg-names --names
	EXOTEL_WASM_PKG=build/pkg-names EXOTEL_DIST=dist-debug node js-shim/build.mjs

lint: dist
	tsc -p tests/types
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p sip-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings

test-core: setup
	cargo test -p sip-core

test-wasm: setup
	bash tests/run-wasm-tests.sh

test-e2e: dist
	bash tests/run-e2e.sh

# The npm package as its users install it: consumer projects (Vite, React, webpack, Next, Node,
# Vitest, tsc) built from the packed tarball and run in Chromium; publint, are-the-types-wrong.
test-packaging: dist
	bash tests/run-packaging.sh

test: lint test-core test-wasm test-e2e test-packaging

bench: dist
	bash tests/run-bench.sh

# Whole-UA fuzzing with protocol invariants, the long run for before a release (not part of
# `make test`, whose `cargo test -p sip-core` has the short one). Prints inputs/s.
FUZZ_INPUTS ?= 10000000
fuzz:
	cargo run --profile fuzz -p sip-core --example ua_fuzz -- --inputs $(FUZZ_INPUTS)

demo: dist
	bash scripts/demo.sh

clean:
	rm -rf build dist dist-debug tests/.run tests/.cache
