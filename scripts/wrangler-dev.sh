#!/usr/bin/env bash
# Starts `wrangler dev` (the version pinned in package-lock.json, on the Node of scripts/env.sh).
# Used by scripts/dev.sh and by the end-to-end tests, so both run it the same way; plain
# `npx wrangler dev` in this folder runs the same wrangler.
#
# Until wrangler 4.100, wrangler dev's inspector proxy turned on workerd's Network events even
# with no DevTools attached, and opened a loopback request per event: every ~1-4 KB chunk of an
# upstream answer. A large or chatty answer exhausted the open-file limit ("Too many open
# files") and wedged wrangler dev for every later request (workers-sdk #14191). This script
# used to cap answers by the file limit to dodge that. Since 4.100 the proxy asks for Network
# events only while a DevTools client is attached, so nothing is capped here any more;
# tests/e2e/faults.test.mjs sends large answers in 1 KB chunks at a 1,024 file limit to hold it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
exec npx wrangler dev "$@"
