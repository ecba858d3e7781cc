// Cold start (measurement only): time from launching a workerd process with one Worker to that
// Worker's first complete answer to a getTopology call, for each target, interleaved (A, B, C,
// A, B, C…) over N fresh starts. Every start is a new process, so each first answer includes
// module compilation, instantiation and the first request's setup (for ours: config, tool list).
// Usage: node bench/cold.mjs <starts> <body.json> name=config.capnp:port ...
// Prints one line per target: "<name> <median ms> <min ms> <max ms>".
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const [starts, bodyFile, ...targets] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile);
const workerd = new URL('../node_modules/.bin/workerd', import.meta.url).pathname;

async function firstAnswer(config, port) {
  const started = performance.now();
  const child = spawn(workerd, ['serve', config], { stdio: 'ignore' });
  try {
    for (const deadline = started + 20_000; performance.now() < deadline;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/mcp/cluster`, {
          method: 'POST', body,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        });
        const text = await res.text();
        // An MCP result, or the relay's raw topology.
        if (res.ok && (text.includes('"result"') || text.includes('"brokers"'))) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${config}: no answer within 20 s`);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r)));
  }
}

const times = Object.fromEntries(targets.map((t) => [t.split('=')[0], []]));
for (let i = 0; i < Number(starts); i++) {
  for (const t of targets) {
    const [name, rest] = t.split('=');
    const [config, port] = rest.split(':');
    times[name].push(await firstAnswer(config, port));
  }
}
for (const [name, ms] of Object.entries(times)) {
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  console.log(name, median.toFixed(1), ms[0].toFixed(1), ms.at(-1).toFixed(1));
}
