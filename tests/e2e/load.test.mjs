// Load and size faults through the built Worker: bounded request counts, 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker, callTool } from '../support/worker.mjs';

let up, worker;
before(async () => {
  up = await startUpstream();
  worker = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
});
after(async () => {
  await worker?.close();
  await up?.close();
});

/** Resident memory (MiB) of this test's workerd processes, for the diagnostic output. */
function workerdRssMiB() {
  try {
    const out = execFileSync('ps', ['-eo', 'ppid,rss,comm'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes('workerd')).map((l) => Number(l.trim().split(/\s+/)[1]) / 1024).reduce((a, b) => a + b, 0);
  } catch {
    return NaN;
  }
}

test('10,000 tool calls at concurrency 50: no failures, every call reaches the cluster once', async (t) => {
  up.reset();
  const total = 10_000;
  const concurrency = 50;
  let next = 0;
  let failures = 0;
  const rssBefore = workerdRssMiB();
  async function lane() {
    while (next < total) {
      const i = next++;
      const tool = i % 2 ? 'getTopology' : 'searchProcessInstances';
      const r = await callTool(worker.endpoint, tool, {}).catch(() => null);
      if (!r || r.isError !== false) failures++;
    }
  }
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  assert.equal(failures, 0);
  assert.equal(up.requests.length, total);
  t.diagnostic(`${total} calls in ${Date.now() - started} ms; workerd RSS ${rssBefore.toFixed(0)} → ${workerdRssMiB().toFixed(0)} MiB`);
});

test('a 50 MB upstream body is refused within the cap, and the next call succeeds', async () => {
  up.script({ path: '/v2/topology', bodyBytes: 50 * 1024 * 1024 });
  const r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.status, 502);
  assert.match(r.structuredContent.detail, /larger than 16777216 bytes/);
  assert.equal((await callTool(worker.endpoint, 'getTopology', {})).isError, false);
});

test('upstream 500, 502 and 503 without problem details become clear tool errors', async () => {
  for (const status of [500, 502, 503]) {
    up.script({ path: '/v2/incidents/search', status, text: 'upstream connect error or disconnect/reset before headers' });
    const r = await callTool(worker.endpoint, 'searchIncidents', {});
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.status, status);
    assert.match(r.structuredContent.detail, new RegExp(`HTTP ${status}: upstream connect error`));
  }
  assert.equal((await callTool(worker.endpoint, 'searchIncidents', {})).isError, false);
});
