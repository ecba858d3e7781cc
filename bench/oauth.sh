#!/usr/bin/env bash
# The cost of an oauth-mode tool call (prints figures; asserts nothing): getTopology with a
# signed-in person's gateway token, against the same call without auth, in interleaved rounds.
# Targets, each its own Miniflare workerd process (its KV and Durable Objects simulated inside
# it, so their CPU is counted with the gateway's):
#   none    - the built gateway, MCP_AUTH_MODE=none (the floor)
#   oauth   - the built gateway in oauth mode: every call asks the grant's Durable Object
#   oauth-b - BENCH_AB=<dir>: another build in oauth mode (e.g. one that read grants from KV)
# Usage: bench/oauth.sh [seconds per run]; BENCH_ROUNDS (default 3), BENCH_CONNS (default 10).
# On Cloudflare the object runs in its own isolate, often elsewhere: its CPU is not the edge
# Worker's, and its round trip is one location hop; locally both are on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh
UP=18190
prepare
declare -A port=([none]=18191 [oauth]=18192 [oauth-b]=18193) pid token dir=([none]=build [oauth]=build)
targets="none oauth"
if [ -n "${BENCH_AB:-}" ]; then dir[oauth-b]=$BENCH_AB; targets+=" oauth-b"; fi
for t in $targets; do
  mode=oauth; [ "$t" = none ] && mode=none
  start_target "$t" "${dir[$t]}" $mode
done
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology","arguments":{}}}' > "$work/topology.json"
for t in $targets; do
  curl -sf -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    ${token[$t]:+-H "authorization: Bearer ${token[$t]}"} --data @"$work/topology.json" \
    "http://127.0.0.1:${port[$t]}/mcp/cluster" | grep -q '"isError":false' \
    || { echo "no getTopology answer from $t" >&2; cat "$work/$t.log" >&2; exit 1; }
done

run() { measure "$1" "http://127.0.0.1:${port[$1]}/mcp/cluster" "$2" "$work/topology.json" "${token[$1]}"; }
declare -A rps cpu p50s p99s errs
# shellcheck disable=SC2086
interleave $targets

echo "## oauth mode: the cost of a tool call"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores; Miniflare $(node -p "require('./node_modules/miniflare/package.json').version")," \
  "wrk -t1, ${DURATION} s per run, $ROUNDS interleaved rounds; getTopology, one signed-in person's token throughout." \
  "CPU µs/req: user+system time of the target's workerd process (gateway, KV and Durable Objects) ÷ requests."
echo
# shellcheck disable=SC2086
target_table $targets
echo
for c in $CONNS; do
  echo "- c=$c: CPU per call, oauth ÷ none $(figure cpu oauth-$c none-$c); p50 latency, oauth ÷ none $(figure p50s oauth-$c none-$c)"
  [ -z "${BENCH_AB:-}" ] || echo "- c=$c: oauth-b ($BENCH_AB) ÷ none: CPU $(figure cpu oauth-b-$c none-$c), p50 $(figure p50s oauth-b-$c none-$c); oauth-b ÷ oauth: CPU $(figure cpu oauth-b-$c oauth-$c), p50 $(figure p50s oauth-b-$c oauth-$c)"
done
