// Ask before acting (MCP_CONFIRM_WRITES=elicit) through the built Worker, under Miniflare and
// wrangler dev: the TypeScript SDK v2 client and the Python mcp 2.x client, in the 2026-07-28
// lane, with an elicitation handler that accepts — the stand-in cluster sees exactly one request, after the person was
// asked — and one that declines — the cluster sees none. A raw retry with a state changed by one
// byte is refused with nothing upstream; a client without elicitation and the 2025 lane run the
// call as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker, rpc, callTool } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';

const V = '2026-07-28';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Python `mcp` 2.x client (tests/clients/python_confirm.py) answering `action`. */
function pythonPerson(endpoint, action) {
  return new Promise((resolve, reject) => {
    execFile(path.join(root, '.venv/bin/python'), [path.join(root, 'tests/clients/python_confirm.py'), endpoint, action],
      { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}
let up;
const runtimes = {};

before(async () => {
  up = await startUpstream();
  const vars = {
    CAMUNDA_REST_ADDRESS: up.url,
    MCP_CONFIRM_WRITES: 'elicit',
    MCP_CONFIRM_SECRET: 'an-end-to-end-confirmation-secret-of-32+',
  };
  runtimes.miniflare = await startWorker(vars);
  runtimes['wrangler dev'] = await startWranglerDev(vars);
});
after(async () => {
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

/** A v2 client in the 2026-07-28 lane whose person answers `action`; records what was asked. */
async function person(endpoint, action) {
  const client = new Client({ name: 'confirm-e2e', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: 'auto' } });
  const asked = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(request.params);
    return action === 'accept' ? { action, content: {} } : { action };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
  return { client, asked };
}

const incident = { incidentKey: '2251799813685249' };

/** The REST requests one resolveIncident makes (a multi-step tool), from the 2025 lane. */
async function requestsOfOneCall(endpoint) {
  up.reset();
  const r = await callTool(endpoint, 'resolveIncident', incident);
  assert.notEqual(r.isError, true, JSON.stringify(r));
  const n = up.requests.length;
  up.reset();
  assert.ok(n >= 1);
  return n;
}

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: an accepted resolveIncident reaches the cluster once, after the person was asked`, async () => {
    const perCall = await requestsOfOneCall(runtimes[runtime].endpoint);
    const { client, asked } = await person(runtimes[runtime].endpoint, 'accept');
    try {
      up.reset();
      const result = await client.callTool({ name: 'resolveIncident', arguments: incident });
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.equal(asked.length, 1);
      assert.equal(asked[0].mode, 'form');
      assert.match(asked[0].message, /resolveIncident/);
      assert.match(asked[0].message, /2251799813685249/);
      assert.equal(up.requests.length, perCall, 'the call ran exactly once');
    } finally {
      await client.close();
    }
  });

  test(`${runtime}: a declined call reaches nothing and says it was not done`, async () => {
    const { client, asked } = await person(runtimes[runtime].endpoint, 'decline');
    try {
      up.reset();
      const result = await client.callTool({ name: 'resolveIncident', arguments: incident });
      assert.equal(result.isError, true);
      assert.match(result.content[0].text, /declined/);
      assert.equal(asked.length, 1);
      assert.equal(up.requests.length, 0, 'nothing reached the cluster');
      // Reads are not covered: no question.
      const topology = await client.callTool({ name: 'getTopology', arguments: {} });
      assert.notEqual(topology.isError, true);
      assert.equal(asked.length, 1);
    } finally {
      await client.close();
    }
  });

  test(`${runtime}: the Python mcp client: accepted runs once, declined runs nothing`, async () => {
    const { endpoint } = runtimes[runtime];
    const perCall = await requestsOfOneCall(endpoint);
    const accepted = await pythonPerson(endpoint, 'accept');
    assert.equal(accepted.protocolVersion, V);
    assert.equal(accepted.asked.length, 1);
    assert.equal(accepted.isError, false, accepted.text);
    assert.equal(up.requests.length, perCall);
    up.reset();
    const declined = await pythonPerson(endpoint, 'decline');
    assert.equal(declined.isError, true);
    assert.match(declined.text, /declined/);
    assert.equal(up.requests.length, 0);
  });

  test(`${runtime}: a changed state is refused; clients that cannot ask and the 2025 lane run as before`, async () => {
    const { endpoint } = runtimes[runtime];
    const perCall = await requestsOfOneCall(endpoint);
    const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
    const headers = { 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'resolveIncident' };
    const ask = (params) => rpc(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'resolveIncident', arguments: incident, _meta: meta, ...params } }, headers);
    up.reset();
    const first = await ask({});
    assert.equal(first.body.result.resultType, 'input_required');
    const state = first.body.result.requestState;
    const bent = (state[3] === 'A' ? 'B' : 'A') + state.slice(1);
    const refused = await ask({ requestState: state.slice(0, 3) + bent[0] + state.slice(4), inputResponses: { confirm: { action: 'accept' } } });
    assert.equal(refused.body.error.code, -32602, JSON.stringify(refused.body));
    assert.equal(up.requests.length, 0);
    // Without the elicitation capability, and in the 2025 lane: runs at once.
    const plain = await rpc(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'resolveIncident', arguments: incident, _meta: { ...meta, 'io.modelcontextprotocol/clientCapabilities': {} } } }, headers);
    assert.equal(plain.body.result.resultType, 'complete');
    const legacy = await callTool(endpoint, 'resolveIncident', incident);
    assert.notEqual(legacy.isError, true, JSON.stringify(legacy));
    assert.equal(up.requests.length, 2 * perCall);
  });
}
