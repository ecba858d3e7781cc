// A loopback HTTP proxy that adds distance: every request is held `delayMs` before it is
// forwarded to the target origin, so one request through the shim costs one simulated round
// trip of `delayMs` (all of it on the way in; the answer streams back at once). Bodies stream both
// ways (nothing is buffered, so a large answer starts arriving as the target sends it), hop-by-hop
// headers are dropped, and both the shim and its target are on 127.0.0.1 only.
//
//   import { startShim } from './latency-shim.mjs'
//   const shim = await startShim({ target: 'http://127.0.0.1:8080', delayMs: 80 });
//   shim.url; shim.count; shim.delayMs = 5; await shim.close();
//
//   node bench/latency-shim.mjs --target http://127.0.0.1:8080 --delay 80 [--port 9080]
//
// `count` is the number of requests forwarded so far; `delayMs` can be changed while it runs.
// Bounded: a request that already passed this shim (a loop back into itself) is refused with 508,
// a target that does not answer within `timeoutMs` (default 60 s) becomes a 504.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** RFC 9110 §7.6.1: meant for one connection, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);
const MARK = 'x-latency-shim';

/** The headers of `raw` (Node's [name, value, …] list) that may cross a proxy, plus `extra`. */
function forwardable(raw, extra = {}) {
  const named = new Set();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') {
      for (const token of raw[i + 1].split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name) || name in extra) continue;
    out.push(raw[i], raw[i + 1]);
  }
  for (const [name, value] of Object.entries(extra)) out.push(name, value);
  return out;
}

/**
 * Starts the shim on 127.0.0.1:`port` (0: any free port) in front of `target` (an http origin on
 * the loopback). Returns { url, close, count, delayMs } (`count` and `delayMs` live).
 */
export async function startShim({ target, delayMs = 0, port = 0, timeoutMs = 60_000 } = {}) {
  const origin = new URL(target);
  if (origin.protocol !== 'http:' || !LOOPBACK.has(origin.hostname)) {
    throw new Error(`latency shim: the target must be an http origin on 127.0.0.1, not ${target}`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set();
  const timers = new Set();
  let count = 0;
  let delay = Number(delayMs);
  let self = '';

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    if (req.headers[MARK] === self) { // the target is this shim, or leads back to it
      res.writeHead(508, { 'content-type': 'text/plain' }).end('latency shim: loop detected\n');
      req.resume();
      return;
    }
    const timer = setTimeout(forward, delay);
    timers.add(timer);
    // A caller that gives up while its request is held: nothing is forwarded.
    res.on('close', () => { clearTimeout(timer); timers.delete(timer); });

    function forward() {
      timers.delete(timer);
      if (res.destroyed) return;
      count += 1;
      const headers = forwardable(req.rawHeaders, { host: origin.host, [MARK]: self });
      const out = http.request({
        host: origin.hostname.replace(/^\[|\]$/g, ''), port: origin.port || 80, method: req.method,
        path: req.url, headers, agent, timeout: timeoutMs,
      }, (answer) => {
        res.writeHead(answer.statusCode, answer.statusMessage, forwardable(answer.rawHeaders));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      });
      out.on('timeout', () => out.destroy(new Error('timeout')));
      out.on('error', (e) => {
        if (res.headersSent) return res.destroy();
        const status = e.message === 'timeout' ? 504 : 502;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`latency shim: ${e.message}\n`);
      });
      res.on('close', () => { if (!res.writableFinished) out.destroy(); });
      req.pipe(out);
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  self = url;
  return {
    url,
    get count() { return count; },
    get delayMs() { return delay; },
    set delayMs(ms) { delay = Number(ms); },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

// CLI: one shim until interrupted.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
  };
  const target = arg('--target');
  if (!target) {
    console.error('usage: node bench/latency-shim.mjs --target http://127.0.0.1:PORT [--delay MS] [--port N]');
    process.exit(2);
  }
  const shim = await startShim({ target, delayMs: Number(arg('--delay', 0)), port: Number(arg('--port', 0)) });
  console.log(`[latency-shim] ${shim.url} -> ${target}, +${shim.delayMs} ms per request`);
  const stop = async () => { await shim.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
