#!/usr/bin/env bash
# Benchmark (prints figures; asserts nothing). Runs workerd directly, not wrangler dev's proxy,
# one workerd process per target so that each one's CPU time can be read from /proc:
#   ours      - the built gateway Worker            ours-oidc - the same, with bearer JWTs checked
#   peer      - bench/peer/worker.mjs: the official MCP TypeScript SDK, stateless, same tools
#   peer-oidc - the same peer, checking bearer JWTs with jose
#   relay     - bench/relay.mjs: the single upstream fetch and nothing else (the floor)
#   same-work - bench/same-work.mjs: what ours does for getTopology, as a plain JS Worker
#   stand-in  - the upstream alone (tests/support/upstream.mjs; answers memoised)
# Every target runs on 127.0.0.1 and is loaded by wrk (one thread) for a fixed time. Also prints
# the native cost of our result shaping and the peak memory of a 10,000-item search result.
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

UP=18090; JWKS=18089
declare -A port=([same-work]=18099 [ours]=18091 [relay]=18092 [peer]=18093 [ours-oidc]=18094 [peer-oidc]=18095 [mem]=18096
  [load-ours]=18097 [load-peer]=18098 [mem-js]=18100)
declare -A pid
node tests/support/upstream.mjs --port $UP > "$work/upstream.log" 2>&1 & pids+=($!); pid[standin]=$!
node bench/auth-tokens.mjs "$work/tokens.json" 1
node bench/jwks.mjs "$work/tokens.json" $JWKS & pids+=($!)
ISSUER=$(node -p "require('$work/tokens.json').issuer")
TOKEN=$(node -p "require('$work/tokens.json').RS256[0]")

cp build/index.js build/index_bg.wasm bench/relay.mjs bench/same-work.mjs "$work/"
node_modules/.bin/esbuild bench/peer/worker.mjs --bundle --format=esm --platform=neutral \
  --main-fields=module,main --conditions=workerd,worker,browser --log-level=error --outfile="$work/peer.mjs"
OIDC="(name = \"OIDC_ISSUERS\", text = \"$ISSUER\"), (name = \"OIDC_AUDIENCES\", text = \"zeebe.camunda.io\"),"
OIDC+=" (name = \"OIDC_JWKS_URIS\", text = \"http://127.0.0.1:$JWKS/jwks\"), (name = \"OIDC_JWKS_URI\", text = \"http://127.0.0.1:$JWKS/jwks\")"
GATEWAY_MODULES='(name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm")'
PEER_MODULE='(name = "peer.mjs", esModule = embed "peer.mjs")'
SAME_WORK_MODULE='(name = "same-work.mjs", esModule = embed "same-work.mjs")'
NO_AUTH='(name = "MCP_AUTH_MODE", text = "none")'
# serve NAME MODULES [BINDINGS] [FLAGS]: one workerd process with one Worker on ${port[NAME]}.
serve() {
  cat > "$work/$1.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "w", worker = (modules = [$2], compatibilityDate = "2026-04-20", compatibilityFlags = [${4:-}],
      bindings = [(name = "CAMUNDA_REST_ADDRESS", text = "http://127.0.0.1:$UP")${3:+, $3}], globalOutbound = "loopback")),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [(name = "s", address = "127.0.0.1:${port[$1]}", http = (), service = "w")],
);
CAPNP
  node_modules/.bin/workerd serve "$work/$1.capnp" > "$work/$1.log" 2>&1 & pids+=($!); pid[$1]=$!
}
for name in ours mem load-ours; do serve $name "$GATEWAY_MODULES" "$NO_AUTH"; done
serve ours-oidc "$GATEWAY_MODULES" "(name = \"MCP_AUTH_MODE\", text = \"oidc\"), $OIDC"
for name in peer load-peer; do serve $name "$PEER_MODULE" '' '"nodejs_compat"'; done
serve peer-oidc "$PEER_MODULE" "$OIDC" '"nodejs_compat"'
for name in same-work mem-js; do serve $name "$SAME_WORK_MODULE" '' '"nodejs_compat"'; done
serve relay '(name = "relay.mjs", esModule = embed "relay.mjs")'
for p in $UP $JWKS "${port[@]}"; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done

call() { printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2"; }
call getTopology '{}' > "$work/topology.json"
call searchProcessInstances '{"page":{"limit":100}}' > "$work/search100.json"
call searchProcessInstances '{"page":{"limit":10000}}' > "$work/search10000.json"
echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' > "$work/list.json"
post() { # post URL BODY_FILE [TOKEN] -> response body
  curl -sf -X POST -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    ${3:+-H "authorization: Bearer $3"} --data @"$2" "$1"
}
for target in ours peer ours-oidc peer-oidc; do
  token=; [[ $target == *oidc ]] && token=$TOKEN
  post "http://127.0.0.1:${port[$target]}/mcp/cluster" "$work/topology.json" "$token" | grep -q '"isError":false' \
    || { echo "no getTopology answer from $target" >&2; cat "$work/$target.log" >&2; exit 1; }
done

to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "req/s p50 p99 cpu-µs-per-request errors" for one wrk run against one target process.
measure() {
  local target=$1 url=$2 conns=$3 body=$4 token=${5:-} out before after
  before=$(cpu_ticks "${pid[$target]}")
  if [ -n "$body" ]; then
    out=$(BODY_FILE="$body" TOKEN="$token" wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s bench/post.lua "$url")
  else
    out=$(wrk -t1 -c"$conns" -d"${DURATION}s" --latency "$url")
  fi
  after=$(cpu_ticks "${pid[$target]}")
  local errors requests
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {e=1} END {print e ? "yes" : "no"}')
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  printf '%s %s %s %s %s\n' "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")" "$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")" \
    "$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')" "$errors"
}

echo "# Benchmark results"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "workerd $(node_modules/.bin/workerd --version | awk '{print $2}'), wrk -t1, ${DURATION} s per run, one workerd process per target."
echo "Peer: @modelcontextprotocol/sdk $(node -p "require('./node_modules/@modelcontextprotocol/sdk/package.json').version") (stateless, JSON responses);" \
  "peer-oidc checks tokens with jose $(node -p "require('./node_modules/jose/package.json').version"). The oidc rows send one valid RS256 token throughout."
echo "CPU µs/req: user+system time of the target's workerd process over the run ÷ requests served (10 ms tick resolution)."
echo
echo "| scenario | target | c | req/s | p50 ms | p99 ms | CPU µs/req | errors |"
echo "|---|---|---|---|---|---|---|---|"
declare -A rps cpu
for scenario in topology list search100 oidc; do
  for c in 1 10 50; do
    case $scenario in
      topology) targets="ours peer same-work relay standin" ;;
      oidc) targets="ours-oidc peer-oidc" ;;
      *) targets="ours peer" ;;
    esac
    for target in $targets; do
      case $target in
        relay|same-work) line=$(measure "$target" "http://127.0.0.1:${port[$target]}/" "$c" "$work/topology.json") ;;
        standin) line=$(measure standin "http://127.0.0.1:$UP/v2/topology" "$c" "") ;;
        *oidc) line=$(measure "$target" "http://127.0.0.1:${port[$target]}/mcp/cluster" "$c" "$work/topology.json" "$TOKEN") ;;
        *) line=$(measure "$target" "http://127.0.0.1:${port[$target]}/mcp/cluster" "$c" "$work/$scenario.json") ;;
      esac
      read -r r p50 p99 us err <<<"$line"
      rps[$scenario-$target-$c]=$r
      cpu[$scenario-$target-$c]=$us
      echo "| $scenario | $target | $c | $r | $p50 | $p99 | $us | $err |"
    done
  done
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "Ratios of req/s (CPU µs per request, peer ÷ ours, in brackets):"
echo
for c in 1 10 50; do
  echo "- c=$c: ours/floor (topology) $(ratio "${rps[topology-ours-$c]}" "${rps[topology-relay-$c]}")," \
    "same-work/floor $(ratio "${rps[topology-same-work-$c]}" "${rps[topology-relay-$c]}"), ours/same-work $(ratio "${rps[topology-ours-$c]}" "${rps[topology-same-work-$c]}");" \
    "ours/peer: topology $(ratio "${rps[topology-ours-$c]}" "${rps[topology-peer-$c]}") ($(ratio "${cpu[topology-peer-$c]}" "${cpu[topology-ours-$c]}"))," \
    "tools/list $(ratio "${rps[list-ours-$c]}" "${rps[list-peer-$c]}") ($(ratio "${cpu[list-peer-$c]}" "${cpu[list-ours-$c]}"))," \
    "100-item search $(ratio "${rps[search100-ours-$c]}" "${rps[search100-peer-$c]}") ($(ratio "${cpu[search100-peer-$c]}" "${cpu[search100-ours-$c]}"))," \
    "oidc getTopology $(ratio "${rps[oidc-ours-oidc-$c]}" "${rps[oidc-peer-oidc-$c]}") ($(ratio "${cpu[oidc-peer-oidc-$c]}" "${cpu[oidc-ours-oidc-$c]}"))"
done
echo

# Peak memory of one 10,000-item search: growth of the peak RSS (VmHWM) of a workerd process
# that has served only a warm-up call, against the size of the cluster's answer; for ours and for
# the same work in plain JS.
size=$(curl -s -X POST --data '{"page":{"limit":10000}}' "http://127.0.0.1:$UP/v2/process-instances/search" | wc -c)
echo "## 10,000-item search result"
echo
hwm() { awk '/VmHWM/ {print $2 * 1024}' "/proc/${pid[$1]}/status"; }
for target in mem mem-js; do
  post "http://127.0.0.1:${port[$target]}/mcp/cluster" "$work/topology.json" > /dev/null
  before=$(hwm $target)
  result=$(post "http://127.0.0.1:${port[$target]}/mcp/cluster" "$work/search10000.json" | wc -c)
  after=$(hwm $target)
  name=ours; [ $target = mem-js ] && name="same-work (JS)"
  echo "- workerd, $name: the cluster's answer $size B; the result $result B (capped at 100,000 characters);" \
    "peak RSS grew by $((after - before)) B = $(ratio $((after - before)) "$size")x the answer."
done
echo "- Native (examples/result_bench.rs, same Rust code, counting allocator):"
echo
cargo run --quiet --release --example result_bench
echo
echo "## Memory under sustained load"
echo
echo "100-item searches at c=50 in blocks of ${DURATION} s against fresh workerd processes; resident memory after each block."
echo
echo "| target | RSS at start, then after each block (MiB @ requests served) |"
echo "|---|---|"
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/${pid[$1]}/status"; }
for target in load-ours load-peer; do
  line="$(rss $target)"; served=0
  for _ in 1 2 3 4 5 6; do
    out=$(BODY_FILE="$work/search100.json" wrk -t1 -c50 -d"${DURATION}s" -s bench/post.lua "http://127.0.0.1:${port[$target]}/mcp/cluster")
    served=$((served + $(echo "$out" | awk '/requests in/ {print $1}')))
    line+=", $(rss $target) @ $served"
  done
  echo "| ${target#load-} | $line |"
done
echo
echo "- Upload: $(npx wrangler deploy --dry-run --outdir "$work/dist" 2>&1 | grep -oE 'Total Upload: .*' || echo 'n/a')"
echo "- wasm gzip -9: $(gzip -9 -c build/index_bg.wasm | wc -c) bytes"
