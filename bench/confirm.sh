#!/usr/bin/env bash
# The cost of a confirmed tool call (MCP_CONFIRM_WRITES=elicit; prints figures, asserts nothing):
# resolveIncident from a 2026-07-28 client, in interleaved rounds, as
#   plain   - the call on a gateway without confirmations (the floor)
#   ask     - the first round on a confirming gateway: the question and a signed state, no
#             cluster request
#   accept  - the retry with the person's accept: the state checked, then the call
# each target's CPU per request read from its own workerd process (Miniflare).
# Usage: bench/confirm.sh [seconds per run]; BENCH_ROUNDS (default 3), BENCH_CONNS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh
UP=18290
prepare
declare -A port=([plain]=18291 [confirm]=18292) pid token
start_target plain build none
start_target confirm build confirm
pid[ask]=${pid[confirm]}; pid[accept]=${pid[confirm]}; port[ask]=${port[confirm]}; port[accept]=${port[confirm]}
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}}}'
CALL='"name":"resolveIncident","arguments":{"incidentKey":"2251799813685249"}'
HEADERS='mcp-protocol-version=2026-07-28;mcp-method=tools/call;mcp-name=resolveIncident'
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{%s,%s}}' "$CALL" "$META" > "$work/ask.json"
cp "$work/ask.json" "$work/plain.json"
state=$(curl -sf -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/call' -H 'mcp-name: resolveIncident' \
  --data @"$work/ask.json" "http://127.0.0.1:${port[confirm]}/mcp/cluster" | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).result.requestState))')
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{%s,%s,"requestState":"%s","inputResponses":{"confirm":{"action":"accept","content":{}}}}}' \
  "$CALL" "$META" "$state" > "$work/accept.json"
# An accepted state may be replayed within its expiry (300 s): each request runs the call.
run() { measure "$1" "http://127.0.0.1:${port[$1]}/mcp/cluster" "$2" "$work/$1.json" "" "$HEADERS"; }
targets="plain ask accept"
declare -A rps cpu p50s p99s errs
# shellcheck disable=SC2086
interleave $targets
echo "## MCP_CONFIRM_WRITES: the cost of a confirmed call"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores; Miniflare $(node -p "require('./node_modules/miniflare/package.json').version"), wrk -t1, ${DURATION} s per run, $ROUNDS interleaved rounds; resolveIncident (its REST calls on the stand-in) from a 2026-07-28 client that can elicit."
echo
# shellcheck disable=SC2086
target_table $targets
echo
for c in $CONNS; do
  echo "- c=$c: CPU per request, accept ÷ plain $(figure cpu accept-$c plain-$c), ask ÷ plain $(figure cpu ask-$c plain-$c)"
done
