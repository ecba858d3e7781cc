// Measurement only: where each Worker's CPU goes, from V8's own sampling profiler. For each
// target, starts workerd with the inspector on, warms it up, then loads it with wrk (c=10, as
// bench/run.sh does) while the profiler samples, and prints the self time per request by kind
// — our wasm, JS, runtime APIs called from JS, GC, the runtime's C++ outside any JS frame — side
// by side, then each target's heaviest functions.
//
// Usage: node bench/profile.mjs SECONDS BODY_FILE NAME=CONFIG.capnp:PORT:INSPECTOR_PORT[:BEARER] …
// (bench/run.sh writes the configs and calls this). PROFILE_OUT=DIR keeps each raw profile as
// DIR/NAME.cpuprofile (DevTools opens them). Sampling costs CPU itself and a console.log costs
// more with an inspector attached, so the shares are what to compare, not run.sh's totals.
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
// ws comes with miniflare (pinned by the lockfile); Node 20 has no WebSocket client of its own.
import WebSocket from 'ws';

const [seconds, bodyFile, ...specs] = process.argv.slice(2);
const SAMPLING_US = 100;
const TOP = 12;
// The rows of the table, in this order.
const KINDS = ['wasm (our Rust)', 'JS (wasm-bindgen glue, src/edge.js, Worker code)', 'runtime APIs called from JS',
  'console.log', 'runtime C++ outside JS (HTTP, I/O, event loop)', 'GC'];
const [WASM, JS, API, LOG, NATIVE, GC] = KINDS;

const results = [];
for (const spec of specs) {
  const [, name, config, port, inspector, bearer = ''] = /^([^=]+)=([^:]+):(\d+):(\d+)(?::(.*))?$/.exec(spec);
  const workerd = spawn('node_modules/.bin/workerd', ['serve', config, `--inspector-addr=127.0.0.1:${inspector}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    await waitFor(`http://127.0.0.1:${port}/`);
    load(port, bearer); // warm-up, not profiled: V8 compiles the hot paths first
    let requests = 0;
    const profile = await profiled(inspector, () => (requests = load(port, bearer)));
    if (process.env.PROFILE_OUT) writeFileSync(`${process.env.PROFILE_OUT}/${name}.cpuprofile`, JSON.stringify(profile));
    results.push({ name, requests, ...summarise(profile) });
  } finally {
    workerd.kill();
  }
}
report(results);

/** Runs `work` (blocking) while the profiler samples the Worker; returns the profile. */
async function profiled(inspector, work) {
  const socket = new WebSocket(`ws://127.0.0.1:${inspector}/w`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  const pending = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
    await send('Profiler.start');
    work();
    return (await send('Profiler.stop')).profile;
  } finally {
    socket.close();
  }
}

/** wrk against the Worker, blocking; returns the requests served. */
function load(port, bearer) {
  const out = execFileSync('wrk', ['-t1', '-c10', `-d${seconds}s`, '-s', 'bench/post.lua', `http://127.0.0.1:${port}/mcp/cluster`], {
    env: { ...process.env, BODY_FILE: bodyFile, TOKEN: bearer, EXTRA_HEADERS: '' },
    encoding: 'utf8',
  });
  return Number(/(\d+) requests in/.exec(out)[1]);
}

/** Self time (µs) by kind and by function; a frame's kind can depend on its caller. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, byId.get(n.id));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const kinds = new Map(KINDS.map((k) => [k, 0]));
  const functions = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    const k = kind(node.callFrame, parentOf.get(id)?.callFrame);
    if (k === 'idle') continue;
    kinds.set(k, kinds.get(k) + us);
    const { functionName, url } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/.*\//, '')}`.trim();
    functions.set(name, { kind: k, us: (functions.get(name)?.us ?? 0) + us });
  }
  return { kinds, functions };
}

function kind({ functionName: name, url }, parent) {
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return GC;
  if (name === '(program)') return NATIVE;
  if (url.startsWith('wasm://') || name.startsWith('js-to-wasm') || name.startsWith('wasm-to-js')) return WASM;
  if (url) return JS;
  // console.log is the one runtime API without a name in V8's profile; it is called from
  // wasm-bindgen's `__wbg_log_…` import (ours) or from the Worker's code (the JS targets). Where
  // V8 records its frame without a caller (it does, in some builds), it lands in API instead.
  if (!name && parent && (parent.url || parent.functionName.startsWith('__wbg_log'))) return LOG;
  return API;
}

function report(results) {
  const perRequest = (r, us) => (us / r.requests).toFixed(0);
  const busy = (r) => [...r.kinds.values()].reduce((a, b) => a + b, 0);
  console.log(`| self time, µs per request (sampled every ${SAMPLING_US} µs) | ${results.map((r) => r.name).join(' | ')} |`);
  console.log(`|---|${results.map(() => '---').join('|')}|`);
  for (const k of KINDS) console.log(`| ${k} | ${results.map((r) => perRequest(r, r.kinds.get(k))).join(' | ')} |`);
  console.log(`| **all (not idle)** | ${results.map((r) => `**${perRequest(r, busy(r))}**`).join(' | ')} |`);
  for (const r of results) {
    const top = [...r.functions].sort((a, b) => b[1].us - a[1].us).slice(0, TOP);
    console.log(`\n${r.name}, heaviest functions (${r.requests} requests): ` +
      top.map(([name, f]) => `\`${name.replace(/::h[0-9a-f]{16}/, '').replaceAll('`', "'").slice(0, 80)}\` ${perRequest(r, f.us)}`).join(', '));
  }
}

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not answer`);
}
