#!/usr/bin/env bash
# Runs every test: lint, native unit and integration tests, then the built Worker end to end
# (MCP SDK client, stand-in Camunda upstream, OpenAPI request validation, MCP conformance).
# Installs what it needs first (scripts/setup.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

step() { printf '\n== %s\n' "$*"; }

bash scripts/setup.sh
if [ ! -d ../shared/camunda ]; then
  echo "NOTE: ../shared is not beside this clone: the snapshot comparisons (tests/snapshot.rs) and the" \
       "OpenAPI spec tests (Prism: spec, toolsets and processes in tests/e2e/) are skipped; everything else runs."
fi

step "format and lint (host and wasm32)"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --all-targets --locked --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test --locked

step "build the Worker"
bash scripts/build.sh

step "end-to-end tests against the built Worker"
node --test --test-concurrency=1 'tests/e2e/*.test.mjs'
