#!/usr/bin/env bash
# Starts `wrangler dev`. Used by scripts/dev.sh and by the end-to-end tests, so both run it the
# same way.
#
# Why a script: wrangler dev attaches an inspector to workerd with Network events on, and its
# inspector proxy makes one new loopback HTTP request per inspector message. workerd reports
# about every 4 KB of an upstream body as a message, so one 4 MB cluster answer opens ~1,000
# sockets within a second. Past the process's hard open-file limit that fails with "Too many
# open files", and the proxy then reports the failure with yet another request: a loop that
# wedges wrangler dev for every later request (tests/e2e/faults.test.mjs). Node raises its soft
# limit to the hard one by itself, so only a low hard limit (ulimit -Hn) is a problem. There,
# answers are capped at about a quarter of the limit's worth of messages (hard limit x 1 KiB),
# so an over-large answer is a clear 502 tool error instead of a wedge. A CAMUNDA_MAX_RESPONSE_BYTES
# given as --var still wins. Deployed Workers and plain workerd have no such inspector.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
hard=$(ulimit -Hn)
cap=()
if [ "$hard" != unlimited ] && [ "$hard" -lt 16384 ]; then
  bytes=$((hard * 1024))
  echo "[dev] the open-file hard limit is $hard: under wrangler dev, cluster answers are capped at" \
       "$bytes bytes (scripts/wrangler-dev.sh says why); raise 'ulimit -Hn' to 16384 to lift this." >&2
  cap=(--var "CAMUNDA_MAX_RESPONSE_BYTES:$bytes")
fi
exec npx wrangler dev "${cap[@]}" "$@"
