#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm). Uses the locally installed wasm-bindgen and
# wasm-opt: worker-build would otherwise try to download them.
# Options are worker-build's (e.g. --no-opt for fast loops, -d DIR for another output directory).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
out=build optimised=yes
args=("$@")
for i in "${!args[@]}"; do
  case ${args[$i]} in
    -d|--out-dir) out=${args[$((i + 1))]} ;;
    --out-dir=*) out=${args[$i]#--out-dir=} ;;
    --no-opt) optimised=no ;;
  esac
done
worker-build --release "$@"
# The upload carries no name section (97 KB raw, 28 KB gzip); a trace then shows
# wasm-function[N]. Stripped here, after wasm-bindgen: Cargo's `strip = true` would also drop the
# target_features section wasm-bindgen reads. --no-opt builds keep the names (for profiling).
if [ "$optimised" = yes ]; then
  "$WASM_OPT_BIN" "$out/index_bg.wasm" --strip-debug -o "$out/index_bg.wasm"
fi
