// The built Worker, in workerd, driven over real HTTP by the official MCP TypeScript SDK client
// and by raw requests, against the stand-in Camunda upstream on 127.0.0.1.
import { test, before, after } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, sampleCalls, topology, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, rpc, callTool, logsSettled } from '../support/worker.mjs';

let up, worker;

before(async () => {
  up = await startUpstream();
  worker = await startWorker({ CAMUNDA_REST_ADDRESS: `${up.url}/v2/`, CAMUNDA_REQUEST_TIMEOUT_MS: '1000' });
});
after(async () => {
  await worker?.close();
  await up?.close();
});

async function sdkClient(headers = {}) {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(worker.endpoint), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

test(`the SDK client initializes, lists ${CAMUNDA_TOOL_COUNT} tools and calls the first two`, async () => {
  const client = await sdkClient({ authorization: 'Bearer e2e-token' });
  try {
    assert.equal(client.getServerVersion().name, 'Camunda 8 Orchestration API MCP Server');
    assert.ok(client.getServerCapabilities().tools);
    const { tools } = await client.listTools();
    assert.equal(tools.length, CAMUNDA_TOOL_COUNT);
    assert.equal(tools[0].name, 'getClusterStatus');

    up.reset();
    const status = await client.callTool({ name: 'getClusterStatus', arguments: {} });
    assert.deepEqual(status.content, [{ type: 'text', text: 'HEALTHY' }]);
    const topo = await client.callTool({ name: 'getTopology', arguments: {} });
    assert.equal(topo.isError, false);
    assert.deepEqual(topo.structuredContent, topology);
    assert.deepEqual(JSON.parse(topo.content[0].text), topology);
    assert.deepEqual(up.requests.map((r) => [r.method, r.path, r.headers.authorization]), [
      ['GET', '/v2/status', 'Bearer e2e-token'],
      ['GET', '/v2/topology', 'Bearer e2e-token'],
    ]);
  } finally {
    await client.close();
  }
});

test('every tool answers through the SDK client with sample data', async () => {
  const client = await sdkClient();
  try {
    const calls = sampleCalls;
    for (const [name, args] of Object.entries(calls)) {
      const r = await client.callTool({ name, arguments: args });
      assert.equal(r.isError, false, `${name}: ${JSON.stringify(r)}`);
      assert.ok(r.content[0].text.length > 0, name);
    }
  } finally {
    await client.close();
  }
});

test('a 10,000-item search is capped for the model, and searches get a default page size', async () => {
  up.reset();
  const r = await callTool(worker.endpoint, 'searchProcessInstances', { page: { limit: 10000 } });
  assert.equal(r.isError, false);
  assert.equal(up.requests[0].body.page.limit, 10000);
  const kept = r.structuredContent.items.length;
  assert.ok(kept > 10 && kept < 10000, String(kept));
  assert.ok(JSON.stringify(r.structuredContent).length <= 100000);
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
  assert.match(r.content[1].text, new RegExp(`showing the first ${kept} of the 10000 items`));

  await callTool(worker.endpoint, 'searchProcessInstances', {});
  assert.deepEqual(up.requests[1].body, { page: { limit: 50 } });
});

test('HTTP status rules of stateless Streamable HTTP', async () => {
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  const get = await fetch(worker.endpoint, { headers: { accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
  assert.equal((await fetch(worker.endpoint, { method: 'DELETE' })).status, 405);
  assert.equal((await rpc(worker.endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
  assert.equal((await rpc(worker.endpoint, ping, { accept: 'application/json' })).status, 406);
  assert.equal((await rpc(worker.endpoint, ping, { 'mcp-protocol-version': '2020-01-01' })).status, 400);
  assert.equal((await rpc(worker.endpoint, ping, { 'mcp-protocol-version': '2025-11-25' })).status, 200);
  assert.equal((await rpc(worker.endpoint, ping, { origin: 'http://evil.example.com' })).status, 403);
  assert.equal((await rpc(worker.endpoint, 'x'.repeat(4 * 1024 * 1024 + 10))).status, 413);
  const parse = await rpc(worker.endpoint, '{"jsonrpc":');
  assert.equal(parse.body.error.code, -32700);
  const batch = await rpc(worker.endpoint, [ping]);
  assert.equal(batch.body.error.code, -32600);
  assert.match(batch.body.error.message, /batch/);
  assert.equal((await rpc(worker.endpoint, { ...ping, id: null })).body.error.code, -32600);
  assert.equal((await rpc(worker.endpoint, { ...ping, method: 'nope' })).body.error.code, -32601);
  const unknown = await rpc(worker.endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'nope' } });
  assert.deepEqual(unknown.body.error, { code: -32602, message: 'Unknown tool: nope' });
  const other = await fetch(`${worker.url}/v2/topology`);
  assert.equal(other.status, 404);
  assert.match((await other.json()).message, /POST \/mcp\/cluster/);
  assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
});

test('upstream failures are tool errors with a ProblemDetail, and the next call recovers', async () => {
  up.reset();
  up.script({ path: '/v2/status', status: 503, json: { title: 'Service Unavailable', status: 503 } });
  assert.equal((await callTool(worker.endpoint, 'getClusterStatus', {})).content[0].text, 'UNHEALTHY');

  up.script({ path: '/v2/topology', status: 401, json: { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Token expired', instance: '/v2/topology' } });
  let r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.detail, 'Token expired');

  up.script({ path: '/v2/topology', hang: true });
  r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.structuredContent.status, 504);
  assert.match(r.structuredContent.detail, /within 1000 ms/);

  up.script({ path: '/v2/topology', stallMidBody: true, json: topology });
  r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.structuredContent.status, 504, JSON.stringify(r));

  up.script({ path: '/v2/topology', breakMidBody: true, json: topology });
  r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.structuredContent.status, 502, JSON.stringify(r));
  assert.match(r.structuredContent.detail, /broke while reading/);

  up.script({ path: '/v2/topology', text: 'not json', type: 'application/json' });
  r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.structuredContent.status, 502);
  assert.match(r.structuredContent.detail, /not valid JSON/);

  r = await callTool(worker.endpoint, 'getTopology', {});
  assert.equal(r.isError, false);
});

test('an unreachable cluster is a 502 ProblemDetail naming the address', async () => {
  const closed = await startUpstream();
  const address = closed.url;
  await closed.close();
  const w = await startWorker({ CAMUNDA_REST_ADDRESS: address });
  try {
    const r = await callTool(w.endpoint, 'getTopology', {});
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.status, 502);
    assert.ok(r.structuredContent.detail.includes(address), r.structuredContent.detail);
  } finally {
    await w.close();
  }
});

test('a bad setting is refused clearly on every request', async () => {
  const w = await startWorker({ CAMUNDA_REST_ADDRESS: 'localhost:8080' });
  try {
    const r = await rpc(w.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(r.status, 500);
    assert.match(r.body.error.message, /CAMUNDA_REST_ADDRESS/);
  } finally {
    await w.close();
  }
});

test('one structured log line per request (a tool call\'s is its audit record), without tokens or bodies', async () => {
  await logsSettled(worker.logs);
  const before = worker.logs.length;
  await callTool(worker.endpoint, 'getTopology', {}, { authorization: 'Bearer secret-token-123' });
  await rpc(worker.endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
  for (let i = 0; i < 50 && worker.logs.length < before + 2; i++) await new Promise((r) => setTimeout(r, 20));
  await logsSettled(worker.logs);
  const lines = worker.logs.slice(before).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.log), ['audit', 'access'], worker.logs.slice(before).join('\n'));
  assert.deepEqual([lines[0].tool, lines[0].outcome, lines[0].principal], ['getTopology', 'ok', 'anonymous']);
  assert.equal(lines[0].status, 200);
  assert.equal(lines[0].upstream, 200);
  assert.equal(typeof lines[0].ms, 'number');
  assert.equal(lines[1].status, 202);
  assert.equal(lines[1].outcome, undefined, 'only a tool call is audited');
  assert.ok(!worker.logs.join('\n').includes('secret-token-123'));
  assert.ok(!worker.logs.join('\n').includes('brokers'));
});

test('SaaS routes through the runtime: malformed paths are 404 and reach nothing', async () => {
  const id = '6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90';
  const w = await startWorker({ CAMUNDA_SAAS_REGIONS: 'bru-2', CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}` });
  // Raw request targets, sent as written (fetch would normalise them first).
  const raw = (target) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: new URL(w.url).port, method: 'POST', path: target, headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream',
    } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology' } }));
  });
  try {
    up.reset();
    assert.equal(await raw(`/bru-2/${id}/mcp/cluster`), 200);
    assert.equal(up.requests[0].cluster, `bru-2/${id}`);
    up.reset();
    // Dot segments, even percent-encoded, are resolved by the runtime before routing (WHATWG URL
    // rules): this is `/mcp/cluster`, never a SaaS cluster — and with SaaS routing on and no
    // CAMUNDA_REST_ADDRESS, that endpoint is not served at all.
    assert.equal(await raw('/bru-2/%2e%2e/mcp/cluster'), 404);
    assert.equal(await raw('/mcp/cluster'), 404);
    assert.deepEqual(up.requests, []);
    for (const target of [
      `/bru-2/${id}%2F..%2Fx/mcp/cluster`, `/bru-2%2F${id}/mcp/cluster`,
      `/evil.example.com@bru-2/${id}/mcp/cluster`, `/bru-2/${id}@evil.example.com/mcp/cluster`,
      `/br%D1%83-2/${id}/mcp/cluster`, `/bru-2/%EF%BC%96${id.slice(1)}/mcp/cluster`, `/bru-2/${id.toUpperCase()}/mcp/cluster`,
      `/bru-2/${id}0/mcp/cluster`, `/bru-2/${'a'.repeat(4000)}/mcp/cluster`, `/jfk-1/${id}/mcp/cluster`,
      `/bru-2/../${id}/mcp/cluster`, `/bru-2/${id}/x/../../mcp/cluster`, `//bru-2/${id}/mcp/cluster`,
    ]) {
      assert.equal(await raw(target), 404, target);
    }
    assert.deepEqual(up.requests, []);
  } finally {
    await w.close();
  }
});
