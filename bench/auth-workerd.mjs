// Auth cost inside workerd (run directly, not through a proxy): sequential `ping`s, interleaving
// a never-seen token (cold: parse, WebCrypto signature, claims), a repeated token (warm: the
// verified-token cache) and a gateway without auth, so that drift cancels out. The differences
// of the mean latencies are the auth cost per request.
// node bench/auth-workerd.mjs TOKENS.json   (run by bench/auth.sh)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMPATIBILITY_DATE } from '../tests/support/worker.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const jwks = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
  res.end(JSON.stringify(data.jwks));
});
await new Promise((r) => jwks.listen(0, '127.0.0.1', r));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-bench-'));
for (const f of ['index.js', 'index_bg.wasm']) fs.copyFileSync(path.join(root, 'build', f), path.join(dir, f));
const [OPEN, GATED] = [18291, 18292];
const text = (o) => Object.entries(o).map(([k, v]) => `(name = "${k}", text = "${v}")`).join(', ');
const worker = (bindings) => `(modules = [(name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm")],
  compatibilityDate = "${COMPATIBILITY_DATE}", bindings = [${text(bindings)}], globalOutbound = "loopback")`;
fs.writeFileSync(path.join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "open", worker = ${worker({ CAMUNDA_API_VERSION: '8.9' })}),
    (name = "gated", worker = ${worker({
      MCP_AUTH_MODE: 'oidc', OIDC_ISSUERS: data.issuer, OIDC_AUDIENCES: 'zeebe.camunda.io',
      OIDC_JWKS_URIS: `http://127.0.0.1:${jwks.address().port}/jwks`,
    })}),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [
    (name = "o", address = "127.0.0.1:${OPEN}", http = (), service = "open"),
    (name = "g", address = "127.0.0.1:${GATED}", http = (), service = "gated"),
  ],
);`);
const workerd = spawn(path.join(root, 'node_modules/.bin/workerd'), ['serve', path.join(dir, 'config.capnp')], { stdio: 'ignore' });

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
function ping(port, token) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp/cluster', method: 'POST', agent, headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1000) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

try {
  for (let i = 0; i < 100; i++) {
    try { await ping(OPEN); await ping(GATED, data.RS256[0]); await ping(GATED, data.ES256[0]); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  for (const alg of ['RS256', 'ES256']) {
    const tokens = data[alg].slice(1);
    let cold = 0, warm = 0, none = 0;
    for (const t of tokens) {
      cold += await ping(GATED, t);
      warm += await ping(GATED, data[alg][0]);
      none += await ping(OPEN);
    }
    const n = tokens.length;
    console.log(`workerd ${alg}: cold +${((cold - none) / n).toFixed(0)} µs, warm +${((warm - none) / n).toFixed(1)} µs per request over no auth (${(none / n).toFixed(0)} µs per ping; ${n} interleaved rounds)`);
  }
} finally {
  workerd.kill();
  jwks.close();
  agent.destroy();
}
