#!/usr/bin/env bash
# Regional egress (issue 26), by simulation (prints figures; asserts nothing): end-to-end latency
# of getTopology (one REST call), resolveIncident (four) and the /mcp/processes list, direct
# (edge → cluster, D per call) against split (edge → egress once over a service binding, D; egress
# → cluster, L per call) at several distances D, and the CPU the hop costs. Both Workers are the
# built gateway under Miniflare; the distance is bench/latency-shim.mjs in front of the stand-in.
# Usage: bench/egress.sh; BENCH_DISTANCES (default "5,80,250" ms), BENCH_LOCAL (L, default 2 ms),
# BENCH_N (default 15 calls per cell), BENCH_WARMUP (3), BENCH_CPU_CALLS (1000), BENCH_ROUNDS (3),
# BENCH_HOP (worker: the delayed edge → egress binding is a JS Worker, the default; node: a Node function).
# Prints a markdown section (bench/egress.mjs says how each figure is taken).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
bash scripts/setup.sh >&2
[ -f build/index.js ] || bash scripts/build.sh >&2
exec node bench/egress.mjs
