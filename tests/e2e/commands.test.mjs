// Every command we show people, run as written. The README's Quick start and Connecting clients
// sections and the page at / (as this gateway serves it) are read for their commands and client
// files; the gateway runs the way the Quick start says (`scripts/dev.sh --demo`: wrangler dev on
// 127.0.0.1:8787 with the stand-in cluster), and each command then runs against it:
// - `npx` commands must name an exact version (`npx -y pkg@1.2.3`: an unpinned name runs whatever
//   is latest, or whoever registers it) and are run; their answers must list or call the tools;
// - client files must be JSON; each server in them is reached: a `url` over HTTP, a `command`
//   as the stdio server the client would start, both answering initialize and tools/list.
// A command this test does not know how to run fails it: nothing is shown unchecked.
// docs/views.md's command for trying the process view by hand runs too, with the page it serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rpc } from '../support/worker.mjs';
import { launchChromium } from '../support/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BASE = 'http://127.0.0.1:8787';
const ENDPOINT = `${BASE}/mcp/cluster`;
let dev;
let output = '';
// Commands run from an empty folder, as a user's shell would be anywhere.
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'commands-'));

/** Starts a command line in bash with the project's Node first on the PATH. */
function shell(line, { stdin = 'ignore' } = {}) {
  return spawn('bash', ['-c', line], {
    cwd,
    stdio: [stdin, 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, PATH: `${path.join(root, '.tools/bin')}:${process.env.PATH}`, npm_config_yes: 'true' },
  });
}

/** Runs a command to its end within `ms`; its stdout and stderr. */
async function run(line, ms = 120_000) {
  const child = shell(line);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, ms);
  const code = await new Promise((r) => child.on('exit', r));
  clearTimeout(timer);
  return { code, out, err };
}

/** A stdio MCP server started by `line`: initialize, then tools/list; its tool names. */
async function stdioTools(line) {
  const child = shell(line, { stdin: 'pipe' });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const waiting = new Map();
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    try { const msg = JSON.parse(l); waiting.get(msg.id)?.(msg); } catch { /* a log line */ }
  });
  const ask = (id, method, params) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${line}: no answer to ${method} within 90 s:\n${err.slice(-2000)}`)), 90_000);
    waiting.set(id, (msg) => { clearTimeout(timer); resolve(msg); });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });
  try {
    const init = await ask(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'commands-test', version: '1' } });
    assert.ok(init.result?.serverInfo, JSON.stringify(init));
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const list = await ask(2, 'tools/list', {});
    return list.result.tools.map((t) => t.name);
  } finally {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
  }
}

/** The fenced blocks (```sh / ```json) of one `## ` section of the README. */
function readmeBlocks(heading) {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has no section ${heading}`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map((m) => ({ kind: m[1], text: m[2] }));
}

/** Shell lines of a block: continuations joined, comments and blank lines dropped. */
function lines(text) {
  return text.replace(/\\\n\s*/g, '').split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

const entities = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
/** The `<pre>` blocks of the page at /, as a person copies them. */
async function pageBlocks() {
  const html = await (await fetch(`${BASE}/`, { headers: { accept: 'text/html' } })).text();
  return [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/g)]
    .map((m) => m[1].replace(/&(amp|lt|gt|quot|#39);/g, (e) => entities[e]))
    .map((text) => ({ kind: text.trimStart().startsWith('{') ? 'json' : 'sh', text }));
}

/** The package an `npx` line runs, which must be pinned to an exact version. */
function npxPackage(line) {
  const m = line.match(/(?:^|\s)npx\s+-y\s+(@?[^\s@]+)@(\d+\.\d+\.\d+)\s/);
  assert.ok(m, `not an npx command pinned to an exact version (npx -y pkg@1.2.3): ${line}`);
  return { name: m[1], version: m[2] };
}

/**
 * @camunda8/cli 4.1.0 (the only version published) depends on
 * @camunda8/orchestration-cluster-api ^10.0.0-alpha.43, which the registry this machine
 * reaches does not carry (it has up to 9.1.5), so c8ctl cannot be installed here. What can be
 * checked is checked: the package and version exist, ship the c8ctl binary, accept this Node,
 * and have the mcp-proxy command.
 */
async function checkUninstallableC8ctl({ name, version }) {
  const view = await run(`npm view ${name}@${version} bin engines.node --json`, 60_000);
  assert.equal(view.code, 0, view.err);
  const info = JSON.parse(view.out);
  assert.ok(info.bin?.c8ctl, JSON.stringify(info));
  const registry = 'package/dist/framework/command-registry.js';
  const pack = await run(`npm pack ${name}@${version} --silent && tar xzf *.tgz && grep -c '"mcp-proxy": {' ${registry}`, 60_000);
  assert.equal(pack.code, 0, `${name}@${version} has no mcp-proxy command: ${pack.err}`);
}

/** Runs one shell line shown to people. */
async function runShell(line) {
  if (/^scripts\/test\.sh\b/.test(line)) return; // the command that runs this suite: CI runs it
  if (/^scripts\/dev\.sh --demo$/.test(line)) {
    assert.match(output, /Ready on http:\/\/127\.0\.0\.1:8787/, 'scripts/dev.sh --demo is what serves these tests');
    return;
  }
  const pkg = npxPackage(line);
  if (pkg.name === '@camunda8/cli') {
    assert.match(line, /^CAMUNDA_REST_ADDRESS=http:\/\/127\.0\.0\.1:8787 npx -y @camunda8\/cli@[\d.]+ mcp-proxy \/mcp\/cluster$/);
    return checkUninstallableC8ctl(pkg);
  }
  if (pkg.name === '@modelcontextprotocol/inspector') {
    const { code, out, err } = await run(line);
    assert.equal(code, 0, `${line}\n${err.slice(-2000)}`);
    const answer = JSON.parse(out);
    if (line.includes('--method tools/list')) {
      assert.ok(answer.tools.some((t) => t.name === 'getTopology'), out.slice(0, 300));
    } else {
      assert.notEqual(answer.isError, true, out.slice(0, 300));
      assert.ok(answer.content?.length, out.slice(0, 300));
    }
    return;
  }
  assert.fail(`a command this test does not know how to run: ${line}`);
}

/** Reaches every server of a client file shown to people. */
async function runClientFile(text) {
  const file = JSON.parse(text);
  const servers = Object.values(file.mcpServers ?? file.servers ?? {});
  assert.ok(servers.length, `no servers in ${text}`);
  for (const server of servers) {
    if (server.url) {
      assert.equal(server.url, ENDPOINT);
      const init = await rpc(server.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      assert.equal(init.status, 200, init.text);
      const list = await rpc(server.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
      assert.ok(list.body.result.tools.some((t) => t.name === 'getTopology'));
    } else {
      const line = [server.command, ...server.args].map((a) => (/^[\w@./:=-]+$/.test(a) ? a : `'${a}'`)).join(' ');
      npxPackage(`${line} `);
      const tools = await stdioTools(line);
      assert.ok(tools.includes('getTopology'), tools.join(','));
    }
  }
}

before(async () => {
  dev = spawn('bash', ['scripts/dev.sh', '--demo'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  for (const s of [dev.stdout, dev.stderr]) s.on('data', (d) => { output += d; });
  for (const deadline = Date.now() + 180_000; !/Ready on http:\/\/127\.0\.0\.1:8787/.test(output); await new Promise((r) => setTimeout(r, 200))) {
    if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`scripts/dev.sh --demo did not start:\n${output.slice(-3000)}`);
  }
});
after(async () => {
  if (dev?.exitCode === null) {
    try { process.kill(-dev.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => { const t = setTimeout(r, 10_000); dev.on('exit', () => { clearTimeout(t); r(); }); });
  }
  fs.rmSync(cwd, { recursive: true, force: true });
});

for (const section of ['Quick start', 'Connecting clients']) {
  test(`README, ${section}: every command and client file works as written`, async () => {
    const blocks = readmeBlocks(section);
    assert.ok(blocks.length, `no commands in ${section}`);
    for (const block of blocks) {
      if (block.kind === 'json') await runClientFile(block.text);
      else for (const line of lines(block.text)) await runShell(line);
    }
  });
}

test('the page at /: every command and client file works as written', async () => {
  const blocks = await pageBlocks();
  assert.ok(blocks.length >= 5, `only ${blocks.length} blocks on the page`);
  for (const block of blocks) {
    if (block.kind === 'json') await runClientFile(block.text);
    else for (const line of lines(block.text)) await runShell(line);
  }
});

/** The one shell command of a section of a page in docs/. */
function docsCommand(file, heading) {
  const doc = fs.readFileSync(path.join(root, 'docs', file), 'utf8');
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/${file} has no section "${heading}"`);
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  assert.equal(blocks.length, 1, `one command in "${heading}"`);
  return blocks[0];
}

test('docs/views.md, Try it without an Apps host: the page it serves draws a demo definition', async () => {
  const line = docsCommand('views.md', 'Try it without an Apps host');
  assert.equal(line, `node tests/support/apps-host/server.mjs ${ENDPOINT}`);
  // As the docs say: in the project's folder.
  const child = spawn('bash', ['-c', line], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let printed = '';
  child.stdout.on('data', (d) => { printed += d; });
  child.stderr.on('data', (d) => { printed += d; });
  const browser = await launchChromium();
  try {
    for (const deadline = Date.now() + 30_000; !/open (http\S+)/.test(printed); await new Promise((r) => setTimeout(r, 100))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the host did not start:\n${printed}`);
    }
    const address = printed.match(/open (http\S+)/)[1];
    // A key the demo cluster has: the latest order process.
    const found = await fetch('http://127.0.0.1:18080/v2/process-definitions/search', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { processDefinitionId: 'order-process', isLatestVersion: true } }),
    }).then((r) => r.json());
    const key = found.items[0].processDefinitionKey;
    const page = await browser.newPage();
    await page.goto(address, { timeout: 30_000 });
    await page.waitForSelector('#ask:not([hidden])', { timeout: 30_000 });
    await page.selectOption('#ask-tool', 'showProcessDefinition');
    await page.fill('#ask-args', JSON.stringify({ processDefinitionKey: key }));
    await page.click('#ask button');
    const proxy = await (await page.waitForSelector('iframe.cmv-app', { timeout: 30_000 })).contentFrame();
    const view = await (await proxy.waitForSelector('iframe', { state: 'attached', timeout: 30_000 })).contentFrame();
    await view.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.state), null, { timeout: 30_000 });
    const drawn = await view.evaluate(() => ({
      state: document.documentElement.dataset.state,
      message: document.getElementById('cmv-message').textContent,
      shapes: document.querySelectorAll('g.djs-shape').length,
    }));
    assert.equal(drawn.state, 'ready', drawn.message);
    assert.ok(drawn.shapes >= 5, `the diagram has its shapes: ${drawn.shapes}`);
  } finally {
    await browser.close();
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
  }
});
