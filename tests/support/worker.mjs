// Runs the built Worker (build/index.js + wasm, from scripts/build.sh) in workerd through
// Miniflare on 127.0.0.1, with the given vars. Captures the Worker's log lines. startSplit runs
// the regional split: an edge and an egress of the same build, joined by a service binding.
import { Miniflare, fetch as miniflareFetch } from 'miniflare';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MCP = '/mcp/cluster';
/** wrangler.toml's compatibility date: Miniflare runs the Worker as wrangler dev and deploy do. */
export const COMPATIBILITY_DATE = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8')
  .match(/^compatibility_date = "([^"]+)"/m)[1];

/** The built Worker as Miniflare runs it: its modules, the wasm, wrangler.toml's compatibility date. */
export function builtWorker() {
  const script = path.join(root, 'build/index.js');
  if (!fs.existsSync(script)) throw new Error('build/index.js is missing: run scripts/build.sh first');
  return {
    rootPath: path.join(root, 'build'),
    scriptPath: script,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
  };
}

/** Miniflare's `handleRuntimeStdio`: each whole, non-empty line of the Workers' output to `keep`. */
export function logLines(keep) {
  return (stdout, stderr) => {
    for (const s of [stdout, stderr]) {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop();
        lines.filter(Boolean).forEach(keep);
      });
    }
  };
}

/**
 * `cachePersist`: a folder for the Cache API store, to share it between Worker instances.
 * `ratelimits`: Rate Limiting bindings, as in wrangler.toml: { NAME: { simple: { limit, period } } }.
 * `kvNamespaces`: Workers KV binding names (e.g. ['OAUTH_KV']), kept in memory by Miniflare.
 * `durableObjects`: Durable Object bindings, e.g. { OAUTH_GRANTS: 'GrantObject' } (SQLite-backed,
 * as the migration in wrangler.toml declares them).
 */
export async function startWorker(vars = {}, { cachePersist, ratelimits, kvNamespaces, durableObjects } = {}) {
  const logs = [];
  const mf = new Miniflare({
    ...builtWorker(),
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
    handleRuntimeStdio: logLines((line) => logs.push(line)),
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { url, endpoint: url + MCP, logs, mf, close: () => mf.dispose(), runtime: 'miniflare' };
}

/** The egress Worker's name in startSplit's Miniflare (as in tests/support/wrangler.egress.toml, less the suffix). */
export const EGRESS_WORKER = 'egress-bru-2';

/**
 * Runs the regional split of the built Worker (build/index.js + wasm) in one Miniflare: the
 * public edge (`edge` vars) and an egress (`egress` vars, with MCP_ROLE=egress) as two Workers of
 * the same build, the edge reaching the egress over the service binding `binding`. Both Workers'
 * log lines land in `logs` (one workerd, no prefixes: the egress's access line says
 * `"role":"egress"`).
 *
 * `egressBinding`: what `binding` is bound to. By default the egress Worker itself (a real
 * service binding). A Node function `(request, { forward, mf }) => Response` runs for every
 * hand-over instead (`forward(request, body?)` hands it on to the egress, URL and all, with
 * `body` when the function read the request's already; a function that throws answers 500, as
 * Miniflare makes it). Any other Miniflare service designator is used as
 * given, e.g. `{ external: { address: '127.0.0.1:9', http: {} } }` for an egress that is down.
 * `serviceBindings`: more service bindings of the edge, designators as above (functions get the
 * same `{ forward, mf }`).
 * `record`: both Workers' outbound fetches go through Node, which records each URL in
 * `outbound.edge` / `outbound.egress` before sending it on unchanged.
 * `ratelimits`: Rate Limiting bindings of the edge, as startWorker takes them.
 *
 * The egress has no public route; it also listens on its own loopback port (`egressUrl`), so a
 * test can send it what some other Worker or a stranger could: `egressFetch(path, init)`.
 */
export async function startSplit({ edge = {}, egress = {}, binding = 'EGRESS_BRU_2', egressBinding, serviceBindings = {},
  record = false, ratelimits } = {}) {
  const logs = [];
  const outbound = { edge: [], egress: [] };
  let mf;
  let egressWorker;
  /** Hands a request on to the egress Worker as a service binding would (same URL, method, headers, body). */
  const forward = async (request, body) => {
    egressWorker ??= await mf.getWorker(EGRESS_WORKER);
    if (body === undefined && !['GET', 'HEAD'].includes(request.method)) body = await request.arrayBuffer();
    return egressWorker.fetch(request.url, { method: request.method, headers: request.headers, body });
  };
  const designator = (d) => (typeof d === 'function' ? (request) => d(request, { forward, mf }) : d);
  const recorder = (list) => async (request) => { list.push(request.url); return miniflareFetch(request); };
  const common = builtWorker();
  mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: logLines((line) => logs.push(line)),
    workers: [
      {
        ...common,
        name: 'edge',
        bindings: edge,
        serviceBindings: Object.fromEntries([
          [binding, egressBinding === undefined ? EGRESS_WORKER : designator(egressBinding)],
          ...Object.entries(serviceBindings).map(([name, d]) => [name, designator(d)]),
        ]),
        ...(ratelimits ? {
          ratelimits: Object.fromEntries(Object.entries(ratelimits)
            .map(([name, limit], i) => [name, { namespace_id: String(9000 + i), ...limit }])),
        } : {}),
        ...(record ? { outboundService: recorder(outbound.edge) } : {}),
      },
      {
        ...common,
        name: EGRESS_WORKER,
        bindings: { MCP_ROLE: 'egress', ...egress },
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
        ...(record ? { outboundService: recorder(outbound.egress) } : {}),
      },
    ],
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  const egressUrl = (await mf.unsafeGetDirectURL(EGRESS_WORKER)).href.replace(/\/$/, '');
  return {
    url,
    endpoint: (p = MCP) => url + p,
    egressUrl,
    egressFetch: (p, init) => fetch(egressUrl + p, init),
    logs,
    outbound,
    mf,
    close: () => mf.dispose(),
    runtime: 'miniflare',
  };
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
