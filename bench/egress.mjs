// Regional egress (issue 26), measured by simulation (prints figures; asserts nothing): the same
// built Worker run direct (one edge Worker fetching the cluster itself) and split (an edge Worker
// handing each admitted tool call over a service binding to an egress Worker next to the cluster),
// with delays standing in for the distance.
//
//   direct: client → edge ──(D per REST call)──> stand-in cluster
//   split:  client → edge ──(D, once: the service binding)──> egress ──(L per REST call)──> stand-in
//
// D is the caller-to-cluster distance (the edge runs where the caller is), L the local hop from
// the egress to its cluster. Every delay is one whole round trip, spent before the request goes
// on: a latency shim (bench/latency-shim.mjs) in front of the stand-in holds each REST request
// D ms (direct) or L ms (the egress's), and the edge's service binding holds each hand-over D ms.
// Expected: direct ≈ steps × D, split ≈ D + steps × L.
//
// The delayed binding (BENCH_HOP): `worker` (default) binds the edge to a small JS Worker in the
// same workerd that waits D, then passes the request on over its own service binding to the
// egress; `node` binds it to a Node function (a Miniflare function service binding) that waits D,
// then hands the request to the egress through Miniflare (mf.getWorker). The Node function costs
// the hop ~4–5 ms of loopback HTTP of its own (measured at D = 0), the Worker ~0.3 ms: hence the
// default.
//
// Then the CPU the hop costs: getTopology with no delays, direct against split (a plain
// worker-to-worker service binding, as on Cloudflare), each target its own Miniflare (one workerd
// process, both Workers of a split inside it), user+system time read from /proc in interleaved
// rounds.
//
// node bench/egress.mjs   (bench/egress.sh: the same, with the toolchain and a build first)
// Env: BENCH_DISTANCES (default "5,80,250" ms), BENCH_LOCAL (L, default 2 ms), BENCH_N (timed
// calls per cell, default 15), BENCH_WARMUP (default 3), BENCH_CPU_CALLS (calls per target per
// round, default 1000), BENCH_ROUNDS (default 3), BENCH_HOP (worker | node).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startUpstream, sampleCalls, problem } from '../tests/support/upstream.mjs';
import { COMPATIBILITY_DATE, builtWorker, logLines } from '../tests/support/worker.mjs';
import { startShim } from './latency-shim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// workerd serves the build's files from below its working directory.
process.chdir(root);

const num = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`);
  return v;
};
const DISTANCES = (process.env.BENCH_DISTANCES ?? '5,80,250').split(/[\s,]+/).filter(Boolean).map(Number);
if (DISTANCES.some((d) => !Number.isFinite(d) || d < 0)) throw new Error('BENCH_DISTANCES: numbers of ms, comma-separated');
const LOCAL = num('BENCH_LOCAL', 2);
const N = Math.max(1, num('BENCH_N', 15));
const WARMUP = num('BENCH_WARMUP', 3);
const CPU_CALLS = Math.max(1, num('BENCH_CPU_CALLS', 1000));
const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 3));
const HOP = process.env.BENCH_HOP ?? 'worker';
if (!['worker', 'node'].includes(HOP)) throw new Error('BENCH_HOP: worker or node');

const REGION = 'bru-2';
const CLUSTER = '6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90'; // a lowercase UUID, as src/routes.rs wants
const BINDING = 'EGRESS_BRU_2';
const EGRESS = 'egress-bru-2';
const SECRET = 'bench-egress-secret-of-more-than-32-characters';
const CLUSTER_PATH = `/${REGION}/${CLUSTER}/mcp/cluster`;
const PROCESSES_PATH = `/${REGION}/${CLUSTER}/mcp/processes`;
const INCIDENT = sampleCalls.resolveIncident.incidentKey;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the Workers ----------------------------------------------------------------------------

function worker(name, bindings, serviceBindings) {
  return {
    name,
    ...builtWorker(),
    bindings,
    ...(serviceBindings ? { serviceBindings } : {}),
  };
}

/** The edge's settings: SaaS routing of bru-2 to `clusterUrl`, /mcp/processes on, no auth. */
function edgeVars(clusterUrl, split) {
  return {
    MCP_AUTH_MODE: 'none',
    CAMUNDA_SAAS_REGIONS: REGION,
    CAMUNDA_SAAS_URL_TEMPLATE: `${clusterUrl}/{region}/{clusterId}`,
    MCP_PROCESSES: 'true',
    CAMUNDA_API_VERSION: '8.10',
    MCP_PROCESSES_LIST_TTL_MS: '0',
    ...(split ? { MCP_EGRESS_BINDINGS: `${REGION}=${BINDING}`, MCP_EGRESS_SECRET: SECRET } : {}),
  };
}

/**
 * The delayed binding as a Worker (BENCH_HOP=worker): waits the delay, then hands the request on
 * unchanged over its own service binding. `http://bench-hop.control/?delay=MS` (sent from Node
 * through Miniflare, never by the edge) sets the delay and answers { delay, count }.
 */
const HOP_WORKER = `let delay = 0, count = 0;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.hostname === 'bench-hop.control') {
      if (url.searchParams.has('delay')) delay = Number(url.searchParams.get('delay'));
      return Response.json({ delay, count });
    }
    count += 1;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return env.EGRESS.fetch(request);
  },
};`;

/**
 * The edge → egress hop of the latency table, as BENCH_HOP says: { workers (the Workers it adds
 * beside the edge and the egress), binding (the edge's designator), attach(target),
 * setDelay(ms), count() }.
 */
function delayedHop() {
  if (HOP === 'worker') {
    let control;
    const ask = async (query = '') => (await control.fetch(`http://bench-hop.control/${query}`)).json();
    return {
      label: 'a JS Worker beside them that waits, then passes the request on over a service binding',
      workers: [{ name: 'bench-hop', modules: true, script: HOP_WORKER, compatibilityDate: COMPATIBILITY_DATE, serviceBindings: { EGRESS } }],
      binding: 'bench-hop',
      async attach(target) { control = await target.mf.getWorker('bench-hop'); },
      async setDelay(ms) { await ask(`?delay=${ms}`); },
      async count() { return (await ask()).count; },
    };
  }
  // The envelope is small: it is read whole here, then sent on with the same URL and headers;
  // the egress's answer streams back as it comes.
  let delay = 0;
  let count = 0;
  let egress;
  return {
    label: 'a Node function service binding that waits, then hands the request to the egress through Miniflare',
    workers: [],
    binding: async (request, mf) => {
      count += 1;
      const body = ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer();
      if (delay > 0) await sleep(delay);
      egress ??= await mf.getWorker(EGRESS);
      return egress.fetch(request.url, { method: request.method, headers: request.headers, body });
    },
    async attach() {},
    async setDelay(ms) { delay = ms; },
    async count() { return count; },
  };
}

/** The pids of this process's workerd children (Miniflare starts one per instance). */
function workerdChildren() {
  const pids = new Set();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(workerd)')) pids.add(Number(entry));
    } catch { /* gone */ }
  }
  return pids;
}

const started = [];
/** One Miniflare (one workerd process) with `workers`, the first served on 127.0.0.1. */
async function startTarget(name, workers) {
  const before = workerdChildren();
  const logs = []; // the Workers' last log lines, shown if something fails
  const keep = (line) => { logs.push(line); if (logs.length > 200) logs.shift(); };
  const mf = new Miniflare({
    workers,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: logLines(keep),
  });
  started.push(mf);
  const url = (await mf.ready).href.replace(/\/$/, '');
  const pids = [...workerdChildren()].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`${name}: expected one new workerd process, found ${pids.length}`);
  return { name, mf, url, pid: pids[0], logs };
}

// ---- calls ----------------------------------------------------------------------------------

let nextId = 1;
/** POSTs one JSON-RPC request; { ms, status, body, text }, ms from send to the last byte. */
async function rpc(url, method, params) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, ...(params ? { params } : {}) });
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { ms, status: res.status, body: parsed, text };
}

/**
 * The measured operations: what each sends, how it is prepared (resolveIncident: the stand-in
 * answers its first resolution "no retries left", so the tool takes its long way: resolve, read
 * the incident, give the job a retry, resolve again) and what a good answer is.
 */
const OPERATIONS = [
  {
    name: 'getTopology',
    path: CLUSTER_PATH,
    send: (url) => rpc(url, 'tools/call', { name: 'getTopology', arguments: sampleCalls.getTopology }),
    ok: (r) => r.body?.result?.isError === false,
  },
  {
    name: 'resolveIncident',
    path: CLUSTER_PATH,
    prepare: (up) => {
      up.reset();
      up.script({
        method: 'POST', path: /\/resolution$/, status: 409,
        json: problem(409, 'INVALID_STATE', `Expected to resolve incident with key '${INCIDENT}', but the job has no retries left`,
          `/v2/incidents/${INCIDENT}/resolution`),
      });
    },
    send: (url) => rpc(url, 'tools/call', { name: 'resolveIncident', arguments: sampleCalls.resolveIncident }),
    ok: (r) => r.body?.result?.isError === false,
  },
  {
    name: 'processes tools/list',
    path: PROCESSES_PATH,
    send: (url) => rpc(url, 'tools/list'),
    ok: (r) => Array.isArray(r.body?.result?.tools) && r.body.result.tools.length > 1,
  },
];

function fail(target, op, r) {
  const err = new Error(`${target.name}: ${op.name} answered ${r.status}: ${r.text.slice(0, 600)}\n`
    + `last log lines:\n${target.logs.slice(-10).join('\n')}`);
  err.bench = true;
  throw err;
}

// ---- figures --------------------------------------------------------------------------------

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => { const s = sorted(xs); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const spread = (xs, digits = 0) => { const s = sorted(xs); return `${s[0].toFixed(digits)}–${s[s.length - 1].toFixed(digits)}`; };
const cell = (xs, digits = 0) => `${median(xs).toFixed(digits)} (${spread(xs, digits)})`;
/** The counts of one call over all calls: "4", or "3–4" when they differed. */
const counts = (xs) => { const s = sorted(xs); return s[0] === s[s.length - 1] ? String(s[0]) : `${s[0]}–${s[s.length - 1]}`; };

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; } })();
const cpuTicks = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
};

// ---- run ------------------------------------------------------------------------------------

async function main() {
  const closers = [];
  try {
    const up = await startUpstream();
    closers.push(() => up.close());
    const shim = async (delayMs) => { const s = await startShim({ target: up.url, delayMs }); closers.push(() => s.close()); return s; };
    const shimDirect = await shim(0);
    const shimSplit = await shim(LOCAL);
    const shimNative = await shim(0);

    const hop = delayedHop();
    const egressWorker = () => worker(EGRESS, { MCP_ROLE: 'egress', MCP_EGRESS_SECRET: SECRET });
    const direct = await startTarget('direct', [worker('edge', edgeVars(shimDirect.url, false))]);
    const split = await startTarget('split', [
      worker('edge', edgeVars(shimSplit.url, true), { [BINDING]: hop.binding }), egressWorker(), ...hop.workers,
    ]);
    await hop.attach(split);
    // The split as Cloudflare runs it: the edge bound to the egress itself, nothing in between.
    // Its CPU against direct's is the hop's own (measured below, with no delays).
    const native = await startTarget('split-native', [worker('edge', edgeVars(shimNative.url, true), { [BINDING]: EGRESS }), egressWorker()]);

    // Each target answers each operation, and the split's calls go through the egress.
    for (const op of OPERATIONS) {
      for (const [target, s] of [[direct, shimDirect], [split, shimSplit], [native, shimNative]]) {
        op.prepare?.(up);
        const before = s.count;
        const hopsBefore = await hop.count();
        const r = await op.send(target.url + op.path);
        if (!op.ok(r)) fail(target, op, r);
        if (s.count === before) throw new Error(`${target.name}: ${op.name} made no request to the cluster`);
        if (target === split && (await hop.count()) === hopsBefore) {
          throw new Error(`split: ${op.name} answered without a hand-over to ${BINDING} (MCP_EGRESS_BINDINGS not honoured?)`);
        }
      }
    }
    await latencyTable(up, direct, split, shimDirect, shimSplit, hop);
    console.log();
    await cpuTable(up, direct, split, native, shimDirect, shimSplit, shimNative, hop);
  } finally {
    for (const mf of started) await mf.dispose().catch(() => {});
    for (const close of closers) await close().catch(() => {});
  }
}

async function latencyTable(up, direct, split, shimDirect, shimSplit, hop) {
  // Warm-up with no delays, not recorded: V8 compiles each Worker's hot paths in its first calls,
  // which the first distance's cells would otherwise carry.
  process.stderr.write('egress bench: warm-up\n');
  shimDirect.delayMs = 0;
  shimSplit.delayMs = 0;
  await hop.setDelay(0);
  for (let i = 0; i < 50; i++) {
    for (const op of OPERATIONS) {
      for (const target of [direct, split]) {
        op.prepare?.(up);
        const r = await op.send(target.url + op.path);
        if (!op.ok(r)) fail(target, op, r);
      }
    }
  }
  const rows = [];
  for (const D of DISTANCES) {
    shimDirect.delayMs = D;
    await hop.setDelay(D);
    shimSplit.delayMs = LOCAL;
    for (const op of OPERATIONS) {
      process.stderr.write(`egress bench: ${op.name} at ${D} ms\n`);
      const ms = { direct: [], split: [] };
      const steps = { direct: [], split: [] };
      const hops = [];
      for (let i = 0; i < WARMUP + N; i++) {
        for (const [target, shim] of [[direct, shimDirect], [split, shimSplit]]) {
          op.prepare?.(up);
          const before = shim.count;
          const hopsBefore = target === split ? await hop.count() : 0;
          const r = await op.send(target.url + op.path);
          if (!op.ok(r)) fail(target, op, r);
          if (i < WARMUP) continue;
          ms[target.name].push(r.ms);
          steps[target.name].push(shim.count - before);
          if (target === split) hops.push((await hop.count()) - hopsBefore);
        }
      }
      rows.push({ op, D, ms, steps, hops });
    }
  }
  up.reset();

  console.log('## Regional egress: direct against split (issue 26)');
  console.log();
  console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores; Miniflare ${miniflareVersion()},`
    + ` the built Worker in both roles, the stand-in cluster (tests/support/upstream.mjs) behind a latency shim (bench/latency-shim.mjs).`
    + ` Distance D: each REST call of a direct edge, and each hand-over of a split edge to its egress, is held D ms`
    + ` (the edge's service binding is ${hop.label}); each REST call of the egress is held L = ${LOCAL} ms.`
    + ' Steps: the REST calls one tool call made (counted at the shim).'
    + ` Each cell: the median of ${N} sequential calls after ${WARMUP} warm-up calls (and 50 of each with no delay first), direct and split interleaved, min–max in brackets;`
    + ` end to end, client to answer, on 127.0.0.1 (so each cell also holds a few ms of local work the predictions leave out).`);
  console.log();
  console.log('| tool | steps | distance | direct ms | split ms | predicted direct (steps×D) | predicted split (D + steps×L) |');
  console.log('|---|---|---|---|---|---|---|');
  const notes = [];
  for (const { op, D, ms, steps, hops } of rows) {
    const s = median(steps.direct);
    const stepCell = counts(steps.direct) === counts(steps.split) ? counts(steps.direct) : `${counts(steps.direct)} direct, ${counts(steps.split)} split`;
    console.log(`| ${op.name} | ${stepCell} | ${D} ms | ${cell(ms.direct)} | ${cell(ms.split)} | ${Math.round(s * D)} | ${Math.round(D + s * LOCAL)} |`);
    if (counts(hops) !== '1') notes.push(`${op.name} at ${D} ms: ${counts(hops)} hand-overs per split call (expected 1)`);
  }
  console.log();
  console.log(notes.length ? `Hand-overs: ${notes.join('; ')}.` : 'Every split call was one hand-over to the egress; the direct edge made no hand-over.');
}

async function cpuTable(up, direct, split, native, shimDirect, shimSplit, shimNative, hop) {
  shimDirect.delayMs = 0;
  shimSplit.delayMs = 0;
  shimNative.delayMs = 0;
  await hop.setDelay(0);
  const op = OPERATIONS[0];
  const targets = [direct, native, split];
  const run = async (target, calls) => {
    const wall = [];
    const before = cpuTicks(target.pid);
    for (let i = 0; i < calls; i++) {
      const r = await op.send(target.url + op.path);
      if (!op.ok(r)) fail(target, op, r);
      wall.push(r.ms);
    }
    const ticks = cpuTicks(target.pid) - before;
    return { us: (ticks / CLK_TCK) * 1e6 / calls, p50: median(wall) };
  };
  // Warm-up, not recorded: V8 compiles each Worker's hot paths during its first calls.
  process.stderr.write('egress bench: CPU warm-up\n');
  for (const t of targets) await run(t, Math.min(CPU_CALLS, 300));
  const us = Object.fromEntries(targets.map((t) => [t.name, []]));
  const p50 = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`egress bench: CPU round ${round} of ${ROUNDS}\n`);
    for (const t of targets) {
      const r = await run(t, CPU_CALLS);
      us[t.name].push(r.us);
      p50[t.name].push(r.p50);
    }
  }
  up.reset();
  const perRound = (a, b, f) => us[a].map((x, i) => f(x, us[b][i]));
  console.log('### The CPU of the hop');
  console.log();
  console.log(`getTopology with no added delay: ${CPU_CALLS} sequential calls per target per round, ${ROUNDS} interleaved rounds after a warm-up;`
    + ` CPU µs/call: user+system time of the target's workerd process (/proc, ${1000 / CLK_TCK} ms ticks) ÷ calls —`
    + ' a split runs its edge and its egress in one workerd process, so its figure is both Workers.'
    + ' Miniflare\'s own entry Worker is in every figure alike. Medians of the rounds, min–max in brackets.');
  console.log();
  console.log('| target | CPU µs/call | p50 ms |');
  console.log('|---|---|---|');
  const label = {
    direct: 'direct (edge fetches the cluster)',
    'split-native': 'split, worker-to-worker service binding (as on Cloudflare)',
    split: `split through the latency table's delayed binding (BENCH_HOP=${HOP}), no delay`,
  };
  for (const t of targets) console.log(`| ${label[t.name]} | ${cell(us[t.name])} | ${cell(p50[t.name], 2)} |`);
  console.log();
  const diff = perRound('split-native', 'direct', (a, b) => a - b);
  const ratio = perRound('split-native', 'direct', (a, b) => a / b);
  const diffFn = perRound('split', 'direct', (a, b) => a - b);
  console.log(`- The hop (split with a service binding − direct, per round): **${cell(diff)} µs per call**,`
    + ` split ÷ direct ${cell(ratio, 2)}. Through the latency table's delayed binding: ${cell(diffFn)} µs`
    + ` (the simulation's own ${HOP === 'node' ? 'loopback HTTP through Node' : 'extra Worker'} included, not a cost on Cloudflare).`);
}

function miniflareVersion() {
  return JSON.parse(fs.readFileSync(path.join(root, 'node_modules/miniflare/package.json'), 'utf8')).version;
}

const stop = async () => { for (const mf of started) await mf.dispose().catch(() => {}); process.exit(130); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
main().catch((e) => {
  console.error(e.bench ? e.message : e);
  process.exit(1);
});
