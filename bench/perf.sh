#!/usr/bin/env bash
# Measurement only: where each Worker's CPU goes on workerd's main thread, native runtime
# included — what V8's own profiler (bench/profile.mjs) cannot see: KJ's event loop and promises,
# the HTTP and fetch code, tcmalloc, V8's runtime and the kernel. For each target: a fresh
# workerd process, a warm-up, then `perf record` of its main thread while wrk loads it (c=10);
# prints CPU µs per request by class, one column per target. V8 writes a symbol map of the code it
# compiles (--perf-basic-prof, set in a copy of each config), so JIT-compiled code splits into
# our wasm (what V8 compiled it to, Liftoff or TurboFan) and JS (glue, src/edge.js, Worker code).
# Usage: bench/perf.sh SECONDS BODY_FILE NAME=CONFIG.capnp:PORT[:BEARER] …  (needs perf; root or
# perf_event_paranoid ≤ 1).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
seconds=$1 body=$2; shift 2
command -v perf >/dev/null || { echo "(perf is not installed: no native profile)"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
HZ=4000
names=()
for spec in "$@"; do
  name=${spec%%=*} rest=${spec#*=}
  IFS=: read -r config port bearer <<<"$rest"
  # Beside the original: its embedded files are named relative to it.
  flagged=$(realpath "${config%.capnp}.perf.capnp")
  sed 's|^const config :Workerd.Config = (|&\n  v8Flags = ["--perf-basic-prof"],|' "$config" > "$flagged"
  grep -q perf-basic-prof "$flagged" || { echo "(perf.sh: $config is not a config it can read)"; exit 1; }
  # Run from the work folder: with the symbol map, V8 also writes an isolate-*-v8.log where it runs.
  (cd "$work" && exec "$OLDPWD/node_modules/.bin/workerd" serve "$flagged") > /dev/null 2>&1 & server=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  load() { BODY_FILE=$body TOKEN=${bearer:-} wrk -t1 -c10 -d"$1s" -s bench/post.lua "http://127.0.0.1:$port/mcp/cluster"; }
  load "$seconds" > /dev/null
  load $((seconds + 1)) > "$work/$name.wrk" & loader=$!
  sleep 0.5
  # The main thread is the process's first task: it runs the isolate and the event loop.
  if ! perf record -q -F $HZ -t "$server" -o "$work/$name.data" -- sleep "$seconds" > /dev/null 2>&1; then
    echo "(perf record failed: no native profile)"; kill "$server" "$loader" 2>/dev/null; exit 0
  fi
  wait "$loader"; kill "$server"
  # Requests served while perf sampled: the load's rate times the sampled seconds.
  awk -v s="$seconds" '/requests in/ {print $1 * s / (s + 1)}' "$work/$name.wrk" > "$work/$name.count"
  perf report -i "$work/$name.data" --no-children --sort dso,sym -g none -F sample,dso,sym 2>/dev/null \
    | grep -v '^#' | grep -v '^$' > "$work/$name.syms"
  rm -f "/tmp/perf-$server.map" "$flagged" # the symbol map V8 wrote for this process, read just now
  names+=("$name")
done
# Per target: CPU µs per request by class of symbol (each perf line: samples, dso, symbol…).
for name in "${names[@]}"; do
  awk -v name="$name" -v per=$((1000000 / HZ)) -v n="$(cat "$work/$name.count")" '
    { sym = ""; for (i = 3; i <= NF; i++) sym = sym " " $i
      # V8 names a wasm function NAME-INDEX-TIER; a JS one ends in its file:line:column.
      if ($2 ~ /JIT/ && sym ~ /-[0-9]+-(liftoff|turbofan)$|wasm-to-js|js-to-wasm/) c = "JIT code: our wasm"
      else if ($2 ~ /JIT/) c = "JIT code: JS (glue, src/edge.js, Worker code)"
      else if ($2 ~ /kernel/) c = "kernel (sockets, syscalls)"
      else if (sym ~ /tcmalloc|TCMalloc/ || $2 ~ /libc/) c = "malloc, memcpy (tcmalloc, libc)"
      else if (sym ~ /Builtins_.*Wasm|wasm::/) c = "V8 wasm runtime (calls in and out, memory)"
      else if (sym ~ /Builtins_/) c = "V8 built-ins (JSON, promises, strings)"
      else if (sym ~ /GlobalHandles|HeapTracer|Wrappable|jsg::Data|CppHeap|cppgc|Heap::|Scavenger|Mark/) c = "handles, JS wrappers of runtime objects, GC"
      else if (sym ~ /v8::/) c = "V8 runtime (API calls, property lookups)"
      else if (sym ~ /kj::/) c = "KJ: event loop, promises, I/O, strings"
      else c = "workerd: HTTP, fetch, headers, streams"
      t[c] += $1; all += $1 }
    END { for (c in t) printf "%s\t%s\t%.0f\n", name, c, t[c] * per / n; printf "%s\t**all**\t%.0f\n", name, all * per / n }
  ' "$work/$name.syms"
done > "$work/table.tsv"
header="| main thread, CPU µs per request |"; rule="|---|"
for name in "${names[@]}"; do header+=" $name |"; rule+="---|"; done
echo "$header"; echo "$rule"
cut -f2 "$work/table.tsv" | awk '!seen[$0]++' | grep -v '^\*\*all' | sort | while read -r class; do
  line="| $class |"
  for name in "${names[@]}"; do
    line+=" $(awk -F'\t' -v n="$name" -v c="$class" '$1 == n && $2 == c {v = $3} END {print v + 0}' "$work/table.tsv") |"
  done
  echo "$line"
done
line="| **all** |"
for name in "${names[@]}"; do line+=" **$(awk -F'\t' -v n="$name" '$1 == n && $2 == "**all**" {print $3}' "$work/table.tsv")** |"; done
echo "$line"
