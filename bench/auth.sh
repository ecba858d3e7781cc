#!/usr/bin/env bash
# Auth benchmark (prints figures; asserts nothing): per-request cost of a bearer JWT, cold (first
# sight of a token) and warm (verified-token cache), natively (jwt-compact) and inside workerd
# (WebCrypto). Usage: bench/auth.sh [tokens per algorithm]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
bash scripts/setup.sh
[ -f build/index.js ] || bash scripts/build.sh
tokens=$(mktemp)
trap 'rm -f "$tokens"' EXIT
node bench/auth-tokens.mjs "$tokens" "${1:-1000}"
cargo run --quiet --release --example auth_bench -- "$tokens"
node bench/auth-workerd.mjs "$tokens"
