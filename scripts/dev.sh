#!/usr/bin/env bash
# Runs the gateway locally with `wrangler dev` on http://127.0.0.1:8787/mcp/cluster.
#   scripts/dev.sh          upstream: CAMUNDA_REST_ADDRESS from wrangler.toml (C8 Run: http://localhost:8080)
#   scripts/dev.sh --demo   also starts the stand-in Camunda REST API with a small coherent data set
#                           (tests/support/demo.mjs; not a real cluster) on 127.0.0.1:18080, points
#                           the gateway at it and turns on the process view (MCP_TOOLSETS=views)
# Extra arguments go to wrangler dev (e.g. --var CAMUNDA_REST_ADDRESS:http://host:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
bash scripts/setup.sh

args=()
if [ "${1:-}" = "--demo" ]; then
  shift
  node tests/support/upstream.mjs --port 18080 --demo &
  standin=$!
  trap 'kill $standin 2>/dev/null' EXIT
  args+=(--var CAMUNDA_REST_ADDRESS:http://127.0.0.1:18080 --var MCP_TOOLSETS:views)
fi
echo "[dev] MCP endpoint: http://127.0.0.1:8787/mcp/cluster" >&2
bash scripts/wrangler-dev.sh --ip 127.0.0.1 --port 8787 "${args[@]}" "$@"
