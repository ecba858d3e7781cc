#!/usr/bin/env bash
# Benchmark (prints figures; asserts nothing). Runs workerd directly, not wrangler dev's proxy,
# with these targets on 127.0.0.1, each loaded by wrk (one thread) for a fixed time:
#   ours    - the built gateway Worker
#   peer    - bench/peer/worker.mjs: the official MCP TypeScript SDK, stateless, same tools
#   relay   - bench/relay.mjs: the single upstream fetch and nothing else (the floor)
#   stand-in- the upstream alone
# Prints a markdown report (bench/RESULTS.md is one). Usage: bench/run.sh [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
bash scripts/setup.sh >&2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >&2
[ -f build/index.js ] || bash scripts/build.sh >&2

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

UP=18090; GW=18091; RELAY=18092; PEER=18093
node tests/support/upstream.mjs --port $UP > "$work/upstream.log" 2>&1 & pids+=($!)

cp build/index.js build/index_bg.wasm bench/relay.mjs "$work/"
node_modules/.bin/esbuild bench/peer/worker.mjs --bundle --format=esm --platform=neutral \
  --main-fields=module,main --conditions=workerd,worker,browser --log-level=error --outfile="$work/peer.mjs"
cat > "$work/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "gateway", worker = .gateway),
    (name = "relay", worker = .relay),
    (name = "peer", worker = .peer),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [
    (name = "gw", address = "127.0.0.1:$GW", http = (), service = "gateway"),
    (name = "rl", address = "127.0.0.1:$RELAY", http = (), service = "relay"),
    (name = "pr", address = "127.0.0.1:$PEER", http = (), service = "peer"),
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
const peer :Workerd.Worker = (
  modules = [(name = "peer.mjs", esModule = embed "peer.mjs")],
  compatibilityDate = "2026-04-20",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [(name = "CAMUNDA_REST_ADDRESS", text = "http://127.0.0.1:$UP")],
  globalOutbound = "loopback",
);
CAPNP
node_modules/.bin/workerd serve "$work/config.capnp" > "$work/workerd.log" 2>&1 & pids+=($!)
for port in $UP $GW $RELAY $PEER; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

call() { printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2"; }
call getTopology '{}' > "$work/topology.json"
call searchProcessInstances '{"page":{"limit":100}}' > "$work/search100.json"
echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' > "$work/list.json"
for target in "$GW/mcp/cluster" "$PEER/mcp"; do
  curl -sf -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    --data @"$work/topology.json" "http://127.0.0.1:$target" | grep -q '"isError":false' \
    || { echo "no getTopology answer from $target" >&2; cat "$work/workerd.log" >&2; exit 1; }
done

to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }
# "req/s p50 p99 errors" for one wrk run.
measure() {
  local url=$1 conns=$2 body=$3 out
  if [ -n "$body" ]; then
    out=$(BODY_FILE="$body" wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s bench/post.lua "$url")
  else
    out=$(wrk -t1 -c"$conns" -d"${DURATION}s" --latency "$url")
  fi
  local errors
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {e=1} END {print e ? "yes" : "no"}')
  printf '%s %s %s %s\n' "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")" "$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")" "$errors"
}

echo "# Benchmark results"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; workerd $(node_modules/.bin/workerd --version | awk '{print $2}'), wrk -t1, ${DURATION} s per run."
echo "Peer: @modelcontextprotocol/sdk $(node -p "require('./node_modules/@modelcontextprotocol/sdk/package.json').version") (stateless, JSON responses)."
echo
echo "| scenario | target | c | req/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
declare -A rps
for scenario in topology list search100; do
  for c in 1 10 50; do
    targets="ours peer"
    [ "$scenario" = topology ] && targets="ours peer relay standin"
    for target in $targets; do
      case $target in
        ours) line=$(measure "http://127.0.0.1:$GW/mcp/cluster" "$c" "$work/$scenario.json") ;;
        peer) line=$(measure "http://127.0.0.1:$PEER/mcp" "$c" "$work/$scenario.json") ;;
        relay) line=$(measure "http://127.0.0.1:$RELAY/" "$c" "$work/topology.json") ;;
        standin) line=$(measure "http://127.0.0.1:$UP/v2/topology" "$c" "") ;;
      esac
      read -r r p50 p99 err <<<"$line"
      rps[$scenario-$target-$c]=$r
      echo "| $scenario | $target | $c | $r | $p50 | $p99 | $err |"
    done
  done
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for c in 1 10 50; do
  echo "- c=$c: ours/floor (topology) $(ratio "${rps[topology-ours-$c]}" "${rps[topology-relay-$c]}");" \
    "ours/peer: topology $(ratio "${rps[topology-ours-$c]}" "${rps[topology-peer-$c]}")," \
    "tools/list $(ratio "${rps[list-ours-$c]}" "${rps[list-peer-$c]}")," \
    "100-item search $(ratio "${rps[search100-ours-$c]}" "${rps[search100-peer-$c]}")"
done
echo
echo "- Upload: $(npx wrangler deploy --dry-run --outdir "$work/dist" 2>&1 | grep -oE 'Total Upload: .*' || echo 'n/a')"
echo "- wasm gzip -9: $(gzip -9 -c build/index_bg.wasm | wc -c) bytes"
