// /mcp/processes through the built Worker with the official MCP SDK clients (2025 and
// 2026-07-28 lanes), each request validated by Prism against the 8.10-alpha spec: the list of
// start events marked as tools, a call that starts an instance, a removed tool, getProcessState,
// and the paths that are not served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, keys } from '../support/upstream.mjs';
import { startWorker, rpc } from '../support/worker.mjs';
import { startPrism, requestViolations, skip } from '../support/prism.mjs';

const V = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };

test('processes as tools: list, start, removed, state — spec-valid requests (8.10-alpha)', { skip }, async (t) => {
  const up = await startUpstream();
  const prism = await startPrism('8.10-alpha', up.url, { errors: false });
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url, CAMUNDA_API_VERSION: '8.10', MCP_PROCESSES: 'true', MCP_PROCESSES_LIST_TTL_MS: '5000' });
  const endpoint = `${worker.url}/mcp/processes`;
  const client = new Client({ name: 'processes-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers: { authorization: 'Bearer e2e' } } }));
  t.after(async () => { await client.close(); await worker.close(); prism.close(); await up.close(); });

  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((x) => x.name), ['getProcessState', 'requestVacation_2251799813695001', 'reportDamage_2251799813695002']);
  const vacation = tools[1];
  assert.equal(vacation.title, 'requestVacation');
  assert.match(vacation.description, /^Files a vacation request.*\n\n## Inputs\nemployee/s);
  assert.deepEqual(vacation.outputSchema.required, ['processInstanceKey']);

  const started = await client.callTool({ name: vacation.name, arguments: { employee: 'ada', from: '2026-12-20', to: '2026-12-31' } });
  assert.equal(started.isError, false, JSON.stringify(started));
  assert.equal(String(started.structuredContent.processInstanceKey), keys.INSTANCE_KEY);
  const correlation = up.requests.find((r) => r.path === '/v2/messages/correlation');
  assert.equal(correlation.body.name, 'vacation-requested');
  assert.deepEqual(correlation.body.variables, { employee: 'ada', from: '2026-12-20', to: '2026-12-31' });
  assert.match(correlation.body.correlationKey, /^[0-9a-f-]{36}$/);

  const removed = await rpc(endpoint, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'orderLunch_2251799813695003', arguments: {} } });
  assert.deepEqual([removed.body.error.code, removed.body.error.message], [-32602, 'Tool orderLunch_2251799813695003 has been removed. Please refresh the tool list.']);

  const state = await client.callTool({ name: 'getProcessState', arguments: { processInstanceKey: Number(keys.INSTANCE_KEY) } });
  assert.equal(state.isError, false, JSON.stringify(state));
  assert.equal(state.structuredContent.state, 'ACTIVE');
  assert.ok(state.structuredContent.variables.length > 0 && state.structuredContent.incidents.length > 0);

  // The modern lane: same list, with the cache time and a private scope.
  const modern = await rpc(endpoint, { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: META } },
    { 'mcp-protocol-version': V, 'mcp-method': 'tools/list', authorization: 'Bearer e2e' });
  assert.equal(modern.status, 200, modern.text);
  assert.deepEqual([modern.body.result.ttlMs, modern.body.result.cacheScope, modern.body.result.tools.length], [5000, 'private', 3]);

  await new Promise((r) => setTimeout(r, 300));
  const violations = requestViolations(prism.log());
  assert.deepEqual(violations, [], `request violations:\n${violations.join('\n')}`);
  const searches = up.requests.filter((r) => r.path === '/v2/message-subscriptions/search').length;
  t.diagnostic(`${up.requests.length} validated requests (${searches} subscription searches: the list was read once), 0 request violations`);
  assert.equal(searches, 3, 'one list read, then one lookup per process tool call');
});

test('where /mcp/processes is not served, it says why', async (t) => {
  const up = await startUpstream();
  const off = await startWorker({ CAMUNDA_REST_ADDRESS: up.url, CAMUNDA_API_VERSION: '8.10' });
  const old = await startWorker({ CAMUNDA_REST_ADDRESS: up.url, MCP_PROCESSES: 'true' });
  t.after(async () => { await off.close(); await old.close(); await up.close(); });
  const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
  const a = await rpc(`${off.url}/mcp/processes`, list);
  assert.equal(a.status, 404);
  assert.match(a.body.message, /MCP_PROCESSES=true/);
  const b = await rpc(`${old.url}/mcp/processes`, list);
  assert.equal(b.status, 404);
  assert.match(b.body.message, /Camunda 8\.10/);
  assert.equal(up.requests.length, 0);
});
