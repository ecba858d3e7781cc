// Runs the built Worker (build/index.js + wasm, from scripts/build.sh) in workerd through
// Miniflare on 127.0.0.1, with the given vars. Captures the Worker's log lines.
import { Miniflare } from 'miniflare';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MCP = '/mcp/cluster';
/** wrangler.toml's compatibility date: Miniflare runs the Worker as wrangler dev and deploy do. */
export const COMPATIBILITY_DATE = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8')
  .match(/^compatibility_date = "([^"]+)"/m)[1];

/**
 * `cachePersist`: a folder for the Cache API store, to share it between Worker instances.
 * `ratelimits`: Rate Limiting bindings, as in wrangler.toml: { NAME: { simple: { limit, period } } }.
 * `kvNamespaces`: Workers KV binding names (e.g. ['OAUTH_KV']), kept in memory by Miniflare.
 * `durableObjects`: Durable Object bindings, e.g. { OAUTH_GRANTS: 'GrantObject' } (SQLite-backed,
 * as the migration in wrangler.toml declares them).
 */
export async function startWorker(vars = {}, { cachePersist, ratelimits, kvNamespaces, durableObjects } = {}) {
  const script = path.join(root, 'build/index.js');
  if (!fs.existsSync(script)) throw new Error('build/index.js is missing: run scripts/build.sh first');
  const logs = [];
  const mf = new Miniflare({
    rootPath: path.join(root, 'build'),
    scriptPath: script,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: vars,
    ...(cachePersist ? { cachePersist } : {}),
    // Miniflare wants each binding's namespace_id, as wrangler.toml gives it.
    ...(ratelimits ? {
      ratelimits: Object.fromEntries(Object.entries(ratelimits)
        .map(([name, limit], i) => [name, { namespace_id: String(9000 + i), ...limit }])),
    } : {}),
    ...(kvNamespaces ? { kvNamespaces } : {}),
    ...(durableObjects ? {
      durableObjects: Object.fromEntries(Object.entries(durableObjects)
        .map(([name, className]) => [name, { className, useSQLite: true }])),
    } : {}),
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) {
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop();
          logs.push(...lines.filter(Boolean));
        });
      }
    },
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { url, endpoint: url + MCP, logs, mf, close: () => mf.dispose(), runtime: 'miniflare' };
}

/** POSTs one JSON-RPC message (or raw text) with the headers an MCP client sends. */
export async function rpc(endpoint, message, headers = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof message === 'string' ? message : JSON.stringify(message),
  });
  const text = await res.text();
  let body;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
  return { status: res.status, headers: res.headers, body, text };
}

let nextId = 1;
/** Calls a tool over raw JSON-RPC and returns the CallToolResult (or the JSON-RPC error). */
export async function callTool(endpoint, name, args, headers) {
  const r = await rpc(endpoint, { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } }, headers);
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text}`);
  return r.body.result ?? r.body;
}

/**
 * Waits until `logs` has not grown for `quietMs` (at most `maxMs`): log lines trail the answers
 * a little, so a test that reads the lines of its own requests starts after the previous test's
 * last lines are in.
 */
export async function logsSettled(logs, { quietMs = 200, maxMs = 3000 } = {}) {
  const deadline = Date.now() + maxMs;
  let seen = logs.length;
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 25));
    if (logs.length !== seen) { seen = logs.length; since = Date.now(); }
  }
}
