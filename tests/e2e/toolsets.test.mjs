// The operator toolsets through the built Worker with the official MCP SDK client, each request
// validated by Prism against the 8.9 REST API spec (zero request-side violations), the
// problem+json paths, and the toolsets absent unless enabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, operatorCalls, problem, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, callTool } from '../support/worker.mjs';
import { startPrism, requestViolations, skip } from '../support/prism.mjs';

const ALL = 'messages,operate,jobs,decisions,deploy,audit';

async function connect(endpoint) {
  const client = new Client({ name: 'toolsets-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
  return client;
}

test('every operator tool sends only spec-valid requests (8.9), through the SDK client', { skip }, async (t) => {
  const up = await startUpstream();
  // Requests are judged (violations logged); answers come from the stand-in as they are.
  const prism = await startPrism('8.9', up.url, { errors: false });
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url, MCP_TOOLSETS: ALL });
  const client = await connect(worker.endpoint);
  t.after(async () => { await client.close(); await worker.close(); prism.close(); await up.close(); });

  const { tools } = await client.listTools();
  assert.equal(tools.length, CAMUNDA_TOOL_COUNT + Object.keys(operatorCalls).length);
  const listed = new Map(tools.map((tool) => [tool.name, tool]));
  assert.deepEqual(Object.keys(operatorCalls).filter((n) => !listed.has(n)), []);
  // Every operator tool has a sample call the stand-in answers: a new tool without one fails here.
  assert.deepEqual(tools.slice(CAMUNDA_TOOL_COUNT).map((t) => t.name).filter((n) => !(n in operatorCalls)), []);
  for (const name of ['cancelProcessInstance', 'deleteResource', 'createDeployment']) {
    assert.deepEqual([listed.get(name).annotations.readOnlyHint, listed.get(name).annotations.destructiveHint], [false, true], name);
  }
  for (const [name, args] of Object.entries(operatorCalls)) {
    const r = await client.callTool({ name, arguments: args });
    assert.equal(r.isError, false, `${name}: ${JSON.stringify(r).slice(0, 400)}`);
  }
  const deployment = up.requests.find((r) => r.path === '/v2/deployments');
  assert.match(deployment.headers['content-type'], /^multipart\/form-data; boundary=camunda-mcp-edge-[0-9a-f]{24}$/);
  assert.match(deployment.raw, /filename="order-process\.bpmn"/);
  // Prism logs violations asynchronously.
  await new Promise((r) => setTimeout(r, 300));
  const violations = requestViolations(prism.log());
  assert.deepEqual(violations, [], `request violations:\n${violations.join('\n')}`);
  const validated = up.requests.length;
  assert.equal(validated, Object.keys(operatorCalls).length);
  t.diagnostic(`${Object.keys(operatorCalls).length} operator tools, ${validated} validated requests, 0 request violations`);

  // The log check does see a bad multipart upload (no resources part).
  const bad = await fetch(`${prism.url}/v2/deployments`, {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="tenantId"\r\n\r\nt\r\n--x--\r\n',
  });
  await bad.text();
  for (let i = 0; i < 100 && requestViolations(prism.log()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(requestViolations(prism.log()).length > 0, 'a bad upload left no violation in the log');
});

test('operator tools report the cluster ProblemDetail as isError', { skip }, async (t) => {
  const up = await startUpstream();
  const prism = await startPrism('8.9', up.url);
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url, MCP_TOOLSETS: ALL });
  t.after(async () => { await worker.close(); prism.close(); await up.close(); });
  const cases = [
    ['correlateMessage', 'POST', '/v2/messages/correlation', 404, 'NOT_FOUND'],
    ['cancelProcessInstance', 'POST', /cancellation$/, 404, 'NOT_FOUND'],
    ['completeJob', 'POST', /completion$/, 409, 'INVALID_STATE'],
    ['updateJob', 'PATCH', /^\/v2\/jobs\/\d+$/, 409, 'INVALID_STATE'],
    ['evaluateDecision', 'POST', '/v2/decision-definitions/evaluation', 404, 'NOT_FOUND'],
    ['createDeployment', 'POST', '/v2/deployments', 400, 'INVALID_ARGUMENT'],
    ['deleteResource', 'POST', /deletion$/, 404, 'NOT_FOUND'],
    ['searchJobs', 'POST', '/v2/jobs/search', 403, 'FORBIDDEN'],
  ];
  for (const [name, method, path, status, title] of cases) {
    const detail = `${title} from the cluster for ${name}`;
    up.script({ method, path, status, json: problem(status, title, detail, '/v2/x') });
    const r = await callTool(worker.endpoint, name, operatorCalls[name]);
    assert.equal(r.isError, true, name);
    assert.equal(r.structuredContent.status, status, `${name}: ${JSON.stringify(r)}`);
    assert.equal(r.structuredContent.detail, detail);
  }
  t.diagnostic(`${cases.length} error answers checked`);
});

test('without MCP_TOOLSETS the operator tools do not exist', async (t) => {
  const up = await startUpstream();
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
  const client = await connect(worker.endpoint);
  t.after(async () => { await client.close(); await worker.close(); await up.close(); });
  assert.equal((await client.listTools()).tools.length, CAMUNDA_TOOL_COUNT);
  const r = await fetch(worker.endpoint, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'cancelProcessInstance', arguments: { processInstanceKey: 1 } } }),
  });
  const body = await r.json();
  assert.deepEqual([body.error.code, body.error.message], [-32602, 'Unknown tool: cancelProcessInstance']);
  assert.equal(up.requests.length, 0);
});
