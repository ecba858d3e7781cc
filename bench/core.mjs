// Measurement only: what our core costs per getTopology with workerd taken away. Runs the built
// Worker (build/index.js and its wasm) and bench/shell.mjs (ours without its core) in this Node
// process, one request after another, with `fetch` answering the stand-in's topology from memory:
// no sockets, no runtime but V8 and Node's Request/Response. Ours − shell is then the core
// (our Rust as V8 compiles it, and its glue) alone; bench/run.sh measures the same difference
// inside workerd, where it is several times larger.
//
//   node bench/core.mjs [BUILD_DIR] [REQUESTS_PER_ROUND] [ROUNDS]
//
// Prints µs per request of each, interleaved rounds, medians and spread, and the difference.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { topology } from '../tests/support/upstream.mjs';

const [dir = 'build', perRound = '5000', roundCount = '7'] = process.argv.slice(2);
const ANSWER = JSON.stringify(topology);
const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology', arguments: {} } });
const ENV = { CAMUNDA_REST_ADDRESS: 'http://127.0.0.1:8080', MCP_AUTH_MODE: 'none' };

globalThis.fetch = async () => new Response(ANSWER, { headers: { 'content-type': 'application/json' } });
const log = console.log;
console.log = () => {}; // both write one line per request; Node's console is not workerd's
console.warn = () => {};

/**
 * The Worker's bundle as a module Node can load: `cloudflare:workers` gives way to a plain base
 * class and the wasm import to a compiled module read from disk. Fails if the bundle's shape changed.
 */
async function loadOurs(buildDir) {
  let text = readFileSync(path.join(buildDir, 'index.js'), 'utf8');
  const swap = (pattern, replacement) => {
    const next = text.replace(pattern, replacement);
    if (next === text) throw new Error(`bench/core.mjs: ${pattern} not found in ${buildDir}/index.js`);
    text = next;
  };
  swap(/import\s*\{\s*WorkerEntrypoint(?:\s+as\s+(\w+))?\s*\}\s*from\s*"cloudflare:workers";?/,
    (_, alias) => `class ${alias ?? 'WorkerEntrypoint'} { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }`);
  const wasm = JSON.stringify(path.resolve(buildDir, 'index_bg.wasm'));
  swap(/import\s*(\w+)\s*from\s*"\.\/index_bg\.wasm";?/,
    (_, name) => `import { readFileSync as __read } from "node:fs"; const ${name} = new WebAssembly.Module(__read(${wasm}));`);
  swap(/addEventListener\(/, 'globalThis.addEventListener?.(');
  const work = mkdtempSync(path.join(tmpdir(), 'core-'));
  try {
    writeFileSync(path.join(work, 'ours.mjs'), text);
    const { default: Entry } = await import(path.join(work, 'ours.mjs'));
    return (request) => new Entry({ waitUntil() {} }, ENV).fetch(request);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// src/edge.js is an ES module in a package without "type": "module"; Node says so once per run.
process.removeAllListeners('warning');
process.on('warning', (w) => w.code === 'MODULE_TYPELESS_PACKAGE_JSON' || console.error(w));
const { default: shell } = await import('./shell.mjs');
const targets = { ours: await loadOurs(dir), shell: (request) => shell.fetch(request, ENV) };

function request() {
  return new Request('http://127.0.0.1:8787/mcp/cluster', {
    method: 'POST',
    body: BODY,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(BODY.length) },
  });
}

async function run(serve, n) {
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) await (await serve(request())).arrayBuffer();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / n;
}

const check = await (await targets.ours(request())).text();
if (!check.includes('"isError":false')) throw new Error(`ours did not answer getTopology: ${check.slice(0, 300)}`);
// V8 compiles the hot paths first, and tiers our wasm up on background threads: not charged.
for (const serve of Object.values(targets)) await run(serve, 10_000);

const samples = { ours: [], shell: [], core: [] };
for (let r = 0; r < Number(roundCount); r++) {
  // Alternate which goes first: garbage one leaves may be collected during the other's run.
  const first = r % 2 ? 'shell' : 'ours';
  const took = { [first]: await run(targets[first], Number(perRound)) };
  const second = first === 'ours' ? 'shell' : 'ours';
  took[second] = await run(targets[second], Number(perRound));
  const { ours, shell: bare } = took;
  samples.ours.push(ours);
  samples.shell.push(bare);
  samples.core.push(ours - bare);
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const cell = (v) => `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`;
log(`CPU µs per getTopology in Node ${process.version} (V8 ${process.versions.v8}), ${roundCount} interleaved rounds of ${perRound}:` +
  ` ours ${cell(samples.ours)}, shell ${cell(samples.shell)}; the core and its glue (ours − shell, per round) ${cell(samples.core)}.`);
