#!/usr/bin/env bash
# A longer fuzzing campaign than the test command's (256 cases per property):
#   scripts/fuzz.sh [cases per property, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
PROPTEST_CASES=${1:-100000} cargo test --release --locked --test fuzz
