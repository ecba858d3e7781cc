# Shared by bench/run.sh and bench/oauth.sh (sourced): one wrk run against one workerd process,
# read as req/s, latency and CPU per request; medians, spreads and ratios of interleaved rounds.
# measure reads DURATION and the pid table of the script that sources this. Sourcing it also
# sets the settings every benchmark shares: seconds per run (the script's first argument), rounds
# and connections.

DURATION=${1:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-10}
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "req/s p50 p99 cpu-µs-per-request errors" for one wrk run against one target process.
measure() {
  local target=$1 url=$2 conns=$3 body=$4 token=${5:-} extra=${6:-} out before after
  before=$(cpu_ticks "${pid[$target]}")
  if [ -n "$body" ]; then
    out=$(BODY_FILE="$body" TOKEN="$token" EXTRA_HEADERS="$extra" wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s bench/post.lua "$url")
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
# median VALUES… / spread VALUES… ("min–max") of one figure's rounds.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "%s", NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s–%s", lo, hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# per_round OP A_KEY B_KEY: the ratio A ÷ B of each round (OP: cpu or rps), space-separated.
per_round() {
  local -n table=$1
  local a=(${table[$2]}) b=(${table[$3]}) out=() i
  for i in "${!a[@]}"; do out+=("$(ratio "${a[$i]}" "${b[$i]}")"); done
  echo "${out[@]}"
}
figure() { local v; v=$(per_round "$@"); echo "$(median $v) ($(spread $v))"; } # shellcheck disable=SC2086

# interleave TARGETS...: a warm-up run of each target (V8 compiles hot paths in its first
# thousands of requests: not charged to whichever ran first), then $ROUNDS rounds of
# `run TARGET CONNS` (the caller's) for each target and each of $CONNS, into the caller's
# tables rps, cpu, p50s, p99s and errs, keyed TARGET-CONNS.
interleave() {
  local t c round r p50 p99 us err k
  echo "warm-up" >&2
  for t in "$@"; do run "$t" 10 > /dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    for c in $CONNS; do
      for t in "$@"; do
        read -r r p50 p99 us err <<<"$(run "$t" "$c")"
        k=$t-$c
        rps[$k]+="$r "; cpu[$k]+="$us "; p50s[$k]+="$p50 "; p99s[$k]+="$p99 "
        if [ "$err" = yes ]; then errs[$k]=yes; fi
      done
    done
  done
}

# target_table TARGETS...: the markdown table of those targets' medians (spread in brackets).
target_table() {
  local t c k
  echo "| target | c | CPU µs/req | req/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|---|---|"
  for c in $CONNS; do
    for t in "$@"; do
      k=$t-$c
      # shellcheck disable=SC2086
      echo "| $t | $c | $(median ${cpu[$k]}) ($(spread ${cpu[$k]})) | $(median ${rps[$k]}) ($(spread ${rps[$k]}))" \
        "| $(median ${p50s[$k]}) ($(spread ${p50s[$k]})) | $(median ${p99s[$k]}) | ${errs[$k]:-no} |"
    done
  done
}

# prepare: what a Miniflare bench needs first (the toolchain, wrk, a built Worker), a work folder
# and the list `pids` of what it starts, both cleared at exit, and the stand-in cluster on $UP.
prepare() {
  bash scripts/setup.sh >&2
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >&2
  [ -f build/index.js ] || bash scripts/build.sh >&2
  work=$(mktemp -d)
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
  node tests/support/upstream.mjs --port "$UP" > "$work/upstream.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$UP/" && break; sleep 0.1; done
}

# start_target NAME BUILD_DIR MODE: bench/oauth.mjs serving that build on ${port[NAME]}; sets
# pid[NAME] (its workerd process) and token[NAME] (a signed-in person's, in oauth mode).
start_target() {
  local line
  mkfifo "$work/$1.ready"
  node bench/oauth.mjs "$2" "${port[$1]}" "http://127.0.0.1:$UP" "$3" > "$work/$1.ready" 2> "$work/$1.log" & pids+=($!)
  read -r line < "$work/$1.ready" || { cat "$work/$1.log" >&2; exit 1; }
  pid[$1]=$(node -p "JSON.parse(process.argv[1]).pid" "$line")
  token[$1]=$(node -p "JSON.parse(process.argv[1]).token" "$line")
}
