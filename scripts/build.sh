#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm). Uses the locally installed wasm-bindgen and
# wasm-opt: worker-build would otherwise try to download them.
set -euo pipefail
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
exec worker-build --release "$@"
