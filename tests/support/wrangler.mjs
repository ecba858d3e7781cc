// Runs the built Worker under `wrangler dev` (what users run locally) on 127.0.0.1, with the
// same interface as startWorker in worker.mjs, so a test can drive both runtimes. wrangler dev
// puts its own proxy in front of workerd and routes the Worker's outbound fetches through it,
// which is where faults only it shows come from.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MCP = '/mcp/cluster';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts wrangler dev through scripts/wrangler-dev.sh, as scripts/dev.sh does. `fileLimit`
 * lowers the open-file hard limit first (as on machines and containers with a 1,024 limit).
 * `config`: another wrangler config in tests/support (e.g. one with rate-limit bindings).
 * `configs`: several, run as Workers of one wrangler dev (`-c a -c b`): the first is served on
 * the port and gets `vars`; the others run beside it with their own config's vars, reached only
 * through the first one's service bindings (as the edge reaches its egress).
 * `name`: the Worker's name instead of the config's (`--name`).
 */
export async function startWranglerDev(vars = {}, { readyMs = 60_000, fileLimit, config = 'wrangler.test.toml', configs, name } = {}) {
  const port = await freePort();
  const args = [...(configs ?? [config]).flatMap((c) => ['-c', path.join(root, 'tests/support', c)]),
    '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'log', '--show-interactive-dev-session=false'];
  if (name) args.push('--name', name);
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const limit = fileLimit ? `ulimit -n ${Number(fileLimit)}; ` : '';
  const script = `${limit}exec bash scripts/wrangler-dev.sh "$@"`;
  const proc = spawn('bash', ['-c', script, 'wrangler-dev', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  const logs = [];
  let output = '';
  let ready;
  const isReady = new Promise((resolve) => { ready = resolve; });
  for (const s of [proc.stdout, proc.stderr]) {
    let buf = '';
    s.on('data', (d) => {
      output += d;
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) {
        if (line.includes(`Ready on http://127.0.0.1:${port}`)) ready();
        if (line.trim()) logs.push(line.trim());
      }
    });
  }
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const timer = new Promise((resolve) => setTimeout(resolve, readyMs, 'timeout'));
  const outcome = await Promise.race([isReady, exited.then(() => 'exited'), timer]);
  const close = async () => {
    if (proc.exitCode === null) {
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
      const killer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(killer);
    }
  };
  if (outcome) {
    await close();
    throw new Error(`wrangler dev did not start (${outcome}):\n${output.slice(-3000)}`);
  }
  const url = `http://127.0.0.1:${port}`;
  return { url, endpoint: url + MCP, logs, close, runtime: 'wrangler dev' };
}
