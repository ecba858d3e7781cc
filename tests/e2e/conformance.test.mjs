// The official MCP conformance suites of both eras against the same built Worker endpoint, in
// baseline mode: 0.1.16 for MCP 2025-11-25 (tests/conformance/baseline.yml) and
// 0.2.0-alpha.12 for 2026-07-28 (baseline-2026-07-28.yml). Each baseline lists the scenarios
// that do not apply, with reasons. The suites need Node 22 or newer: they run on the project's
// Node (scripts/env.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker } from '../support/worker.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let up, worker;

before(async () => {
  up = await startUpstream();
  worker = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
});
after(async () => {
  await worker?.close();
  await up?.close();
});

/** Runs one suite; returns its exit code, the summary, and the output folder. */
async function conformance(version, extra) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
  const args = ['-y', '-p', `@modelcontextprotocol/conformance@${version}`, '--',
    'conformance', 'server', '--url', worker.endpoint, '-o', out, ...extra];
  const proc = spawn('npx', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
  let text = '';
  proc.stdout.on('data', (d) => { text += d; });
  proc.stderr.on('data', (d) => { text += d; });
  const code = await new Promise((resolve) => proc.on('close', resolve));
  return { code, text, summary: text.slice(text.lastIndexOf('=== SUMMARY ===')), out };
}

/** The checks one scenario recorded in the suite's output folder. */
function checks(out, scenario) {
  const dir = fs.readdirSync(out).find((d) => d.startsWith(`server-${scenario}-`));
  return JSON.parse(fs.readFileSync(path.join(out, dir, 'checks.json'), 'utf8'));
}

const scenarioLine = (s) => new RegExp(`✓ ${s}: [1-9]\\d* passed, 0 failed`);

test('MCP 2025-11-25 conformance (0.1.16): every applicable scenario passes', { timeout: 600_000 }, async (t) => {
  const r = await conformance('0.1.16', ['--expected-failures', path.join(root, 'tests/conformance/baseline.yml')]);
  t.diagnostic(r.summary.split('\n').filter((l) => /^(✓|Total)/.test(l)).join('\n'));
  assert.equal(r.code, 0, `conformance failed (exit ${r.code}):\n${r.text.slice(-4000)}`);
  for (const s of ['server-initialize', 'ping', 'tools-list', 'resources-list', 'prompts-list', 'dns-rebinding-protection']) {
    assert.match(r.summary, scenarioLine(s), s);
  }
});

test('MCP 2026-07-28 conformance (0.2.0-alpha.12): every applicable scenario passes', { timeout: 600_000 }, async (t) => {
  const r = await conformance('0.2.0-alpha.12', ['--requirements', '2026-07-28',
    '--expected-failures', path.join(root, 'tests/conformance/baseline-2026-07-28.yml')]);
  t.diagnostic(r.summary.split('\n').filter((l) => /^(✓|Total)/.test(l)).join('\n'));
  assert.equal(r.code, 0, `conformance failed (exit ${r.code}):\n${r.text.slice(-4000)}`);
  for (const s of ['tools-list', 'caching', 'http-header-validation', 'dns-rebinding-protection',
    'resources-list', 'prompts-list', 'sep-2164-resource-not-found']) {
    assert.match(r.summary, scenarioLine(s), s);
  }
  // server-stateless is in the baseline only for its fixture-tool checks: everything else in it
  // must pass.
  const stateless = checks(r.out, 'server-stateless');
  const failed = stateless.filter((c) => c.status === 'FAILURE');
  assert.ok(stateless.filter((c) => c.status === 'SUCCESS').length >= 21, JSON.stringify(stateless));
  assert.deepEqual(failed.map((c) => c.id).sort(), [
    'sep-2575-http-server-no-independent-requests-on-stream', 'sep-2575-missing-capability-http-400',
    'sep-2575-server-no-log-without-loglevel', 'sep-2575-server-rejects-undeclared-capability',
  ]);
  assert.ok(failed.every((c) => c.details?.untestable === true), JSON.stringify(failed));
});
