#!/usr/bin/env bash
# Installs the pinned toolchain this project needs, only where it is missing. Idempotent.
# Sources: rustup (wasm32 target), crates.io (worker-build, wasm-bindgen-cli), npm (Node.js where the
# machine's is older than 22.12, package-lock.json),
# PyPI (the Python MCP client, in .venv), Debian (chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
PYTHON_MCP_VERSION=2.3.0       # the Python MCP client of tests/e2e/clients.test.mjs

say() { printf '[setup] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
# Node >= 22.12 (wrangler's floor); else Node $NODE_VERSION from the npm registry into .tools/.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null; then
  say "installing Node.js $NODE_VERSION into .tools/ (the machine has $(node --version 2>/dev/null || echo none))"
  case $(uname -m) in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  npm install --prefix .tools --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-$arch@$NODE_VERSION"
  mkdir -p .tools/bin
  ln -sf "../node_modules/node-linux-$arch/bin/node" .tools/bin/node
fi
# npm ci when node_modules is older than the lockfile (or missing).
if ! [ node_modules/.package-lock.json -nt package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Debian's Chromium, for the test of the page for people (tests/e2e/page.test.mjs).
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium (headless browser tests)"
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo -n); fi
  "${sudo[@]}" apt-get install -y --no-install-recommends chromium >/dev/null \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y --no-install-recommends chromium >/dev/null; } \
    || say "could not install chromium (needs root or sudo): tests/e2e/page.test.mjs will fail"
fi
# A local venv for the Python MCP client the end-to-end tests run.
if [ "$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" != "$PYTHON_MCP_VERSION" ]; then
  say "installing the Python MCP client mcp==$PYTHON_MCP_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "mcp==$PYTHON_MCP_VERSION"
fi
