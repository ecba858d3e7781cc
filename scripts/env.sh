# Sourced by the other scripts: the Node.js this project runs on. Wrangler needs Node >= 22.12
# (the tests use Node 24, the current LTS); where the machine's own is older, scripts/setup.sh
# installs Node 24 from the npm registry into .tools/ and this puts it first on the PATH, for
# the scripts and everything they start (wrangler, the tests, npx).
NODE_VERSION=24.22.3
export PATH="$PWD/.tools/bin:$PATH"
