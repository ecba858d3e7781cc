// The official MCP conformance suite against the built Worker, in baseline mode
// (tests/conformance/baseline.yml lists the scenarios that do not apply, with reasons).
// The suite needs Node 22; npx brings it from the npm registry as the package node@22.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker } from '../support/worker.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('MCP conformance suite: every applicable server scenario passes', { timeout: 600_000 }, async (t) => {
  const up = await startUpstream();
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
  t.after(async () => { await worker.close(); await up.close(); });

  const args = ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/conformance@0.1.16', '--',
    'conformance', 'server', '--url', worker.endpoint,
    '--expected-failures', path.join(root, 'tests/conformance/baseline.yml')];
  const proc = spawn('npx', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const code = await new Promise((resolve) => proc.on('close', resolve));
  const summary = out.slice(out.lastIndexOf('=== SUMMARY ==='));
  t.diagnostic(summary.split('\n').filter((l) => /^(✓|Total|Passed|Expected|Unexpected)/.test(l)).join('\n'));
  assert.equal(code, 0, `conformance failed (exit ${code}):\n${out.slice(-4000)}`);
  for (const s of ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection']) {
    assert.match(summary, new RegExp(`✓ ${s}: [1-9]\\d* passed, 0 failed`), s);
  }
});
