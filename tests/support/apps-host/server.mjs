// Serves the MCP Apps test host on two loopback origins, as a web host and its sandbox domain:
// the host page (host.html + host.js, bundled for the browser with esbuild into a temp dir) on
// http://127.0.0.1:PORT1, the sandbox proxy (sandbox.html + sandbox.js) on http://localhost:PORT2,
// so the two have different origins, as the spec requires. The proxy page carries the spec's
// restrictive default CSP (for a view that declares no `_meta.ui.csp`), which its inner srcdoc
// frame — the view — inherits.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/** MCP Apps 2026-01-26, "Host Behavior" and "Content Security Policy Enforcement", for no `ui.csp`. */
export const DEFAULT_VIEW_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function serve(files) {
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const file = files[pathname === '/' ? '/host.html' : pathname];
    if (!file || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', ...file.headers });
    res.end(file.body());
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return { server, sockets };
}

/**
 * Bundles host.js and starts both origins. Returns { url(endpoint, options), hostOrigin,
 * sandboxUrl, close }. `url` builds the host page's address for an MCP endpoint.
 */
export async function startAppsHost() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cmv-apps-host-'));
  await build({
    entryPoints: [path.join(here, 'host.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: path.join(out, 'host.js'),
    logLevel: 'error',
  });
  const read = (p) => () => fs.readFileSync(p);
  const host = serve({
    '/host.html': { type: 'text/html; charset=utf-8', body: read(path.join(here, 'host.html')) },
    '/host.js': { type: 'text/javascript; charset=utf-8', body: read(path.join(out, 'host.js')) },
  });
  const sandbox = serve({
    '/sandbox.html': {
      type: 'text/html; charset=utf-8',
      body: read(path.join(here, 'sandbox.html')),
      headers: { 'content-security-policy': DEFAULT_VIEW_CSP },
    },
    '/sandbox.js': { type: 'text/javascript; charset=utf-8', body: read(path.join(here, 'sandbox.js')) },
  });
  const hostPort = await listen(host.server);
  const sandboxPort = await listen(sandbox.server);
  const hostOrigin = `http://127.0.0.1:${hostPort}`;
  // Another host name for the same loopback address: another origin (and another site).
  const sandboxUrl = `http://localhost:${sandboxPort}/sandbox.html`;
  return {
    hostOrigin,
    sandboxUrl,
    url(endpoint, { theme = 'light', era = 'legacy' } = {}) {
      return `${hostOrigin}/host.html?${new URLSearchParams({ endpoint, sandbox: sandboxUrl, theme, era })}`;
    },
    async close() {
      for (const { server, sockets } of [host, sandbox]) {
        for (const s of sockets) s.destroy();
        await new Promise((r) => server.close(r));
      }
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}

// By hand: `node tests/support/apps-host/server.mjs <MCP endpoint>` serves the host until Ctrl-C
// and prints its address; the page offers a form to call a tool that has a view.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const endpoint = process.argv[2] ?? 'http://127.0.0.1:8787/mcp/cluster';
  const apps = await startAppsHost();
  console.log(`[apps-host] MCP Apps test host for ${endpoint}: open ${apps.url(endpoint)}`);
}
