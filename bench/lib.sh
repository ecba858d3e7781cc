# Shared by bench/run.sh and bench/oauth.sh (sourced): one wrk run against one workerd process,
# read as req/s, latency and CPU per request; medians, spreads and ratios of interleaved rounds.
# measure reads DURATION and the pid table of the script that sources this.

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
