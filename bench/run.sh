#!/usr/bin/env bash
# Benchmark (prints figures; asserts nothing). Runs workerd directly, not wrangler dev's proxy,
# with three targets on 127.0.0.1, each loaded by wrk for a fixed time:
#   ours   - the built gateway Worker: tools/call getTopology
#   relay  - bench/relay.mjs: the same single upstream fetch and nothing else (the floor)
#   stand-in alone - GET /v2/topology on the stand-in upstream that both call
# Also prints the upload size (wrangler deploy --dry-run). Usage: bench/run.sh [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
bash scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f build/index.js ] || bash scripts/build.sh

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

UP=18090; GW=18091; RELAY=18092
node tests/support/upstream.mjs --port $UP > "$work/upstream.log" 2>&1 & pids+=($!)

cp build/index.js build/index_bg.wasm bench/relay.mjs "$work/"
cat > "$work/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "gateway", worker = .gateway),
    (name = "relay", worker = .relay),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [
    (name = "gw", address = "127.0.0.1:$GW", http = (), service = "gateway"),
    (name = "rl", address = "127.0.0.1:$RELAY", http = (), service = "relay"),
  ],
);
const gateway :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "index.js"),
    (name = "index_bg.wasm", wasm = embed "index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-20",
  bindings = [(name = "CAMUNDA_REST_ADDRESS", text = "http://127.0.0.1:$UP")],
  globalOutbound = "loopback",
);
const relay :Workerd.Worker = (
  modules = [(name = "relay.mjs", esModule = embed "relay.mjs")],
  compatibilityDate = "2026-04-20",
  bindings = [(name = "CAMUNDA_REST_ADDRESS", text = "http://127.0.0.1:$UP")],
  globalOutbound = "loopback",
);
CAPNP
node_modules/.bin/workerd serve "$work/config.capnp" > "$work/workerd.log" 2>&1 & pids+=($!)

for port in $UP $GW $RELAY; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology","arguments":{}}}' > "$work/body.json"
curl -sf -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  --data @"$work/body.json" "http://127.0.0.1:$GW/mcp/cluster" | grep -q '"isError":false' \
  || { echo "gateway did not answer getTopology"; cat "$work/workerd.log"; exit 1; }

# Prints "req/s p50 p99" for one wrk run (latencies in ms).
measure() {
  local url=$1 conns=$2 script=$3
  local out
  out=$(BODY_FILE="$work/body.json" wrk -t1 -c"$conns" -d"${DURATION}s" --latency ${script:+-s "$script"} "$url")
  if echo "$out" | grep -qE "Non-2xx|Socket errors"; then echo "$out" >&2; fi
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%s %s %s\n' "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")"
}
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }

echo "# getTopology, ${DURATION}s per run, wrk -t1, workerd $(node_modules/.bin/workerd --version | awk '{print $2}'), $(nproc) cores"
printf '%-16s %4s %10s %9s %9s\n' target conc "req/s" "p50 ms" "p99 ms"
declare -A rps
for c in 1 10; do
  for target in ours relay standin; do
    case $target in
      ours) line=$(measure "http://127.0.0.1:$GW/mcp/cluster" "$c" bench/post.lua) ;;
      relay) line=$(measure "http://127.0.0.1:$RELAY/" "$c" bench/post.lua) ;;
      standin) line=$(measure "http://127.0.0.1:$UP/v2/topology" "$c" "") ;;
    esac
    read -r r p50 p99 <<<"$line"
    rps[$target$c]=$r
    printf '%-16s %4s %10s %9s %9s\n' "$target" "$c" "$r" "$p50" "$p99"
  done
done
for c in 1 10; do
  awk -v a="${rps[ours$c]}" -v b="${rps[relay$c]}" -v c="$c" 'BEGIN { printf "ours / floor (relay) at c=%s: %.2f\n", c, a/b }'
done

npx wrangler deploy --dry-run --outdir "$work/dist" 2>&1 | grep -E "Total Upload" || true
printf 'wasm gzip -9: %s bytes\n' "$(gzip -9 -c build/index_bg.wasm | wc -c)"
