// Both MCP eras on one endpoint of the built Worker, as raw HTTP, under Miniflare and under
// wrangler dev: every 2026-07-28 rule (server/discover, _meta, the three headers, removed
// methods, resultType, caching hints, serverInfo, base64 header values, ids on errors), a
// legacy initialize right after a modern request, W3C trace context reaching the cluster, and
// Camunda 8.10 physical-tenant routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, rpc } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';

const V = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let up;
const runtimes = {};

before(async () => {
  up = await startUpstream();
  const vars = { CAMUNDA_REST_ADDRESS: up.url, CAMUNDA_API_VERSION: '8.10' };
  runtimes.miniflare = await startWorker(vars);
  runtimes['wrangler dev'] = await startWranglerDev(vars);
});
after(async () => {
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

/** A 2026-07-28 request as a modern client sends it; `headers` override or (null) remove. */
function modern(endpoint, method, params = {}, headers = {}, id = 7) {
  const h = { 'mcp-protocol-version': V, 'mcp-method': method, ...(params.name ? { 'mcp-name': params.name } : {}), ...headers };
  for (const [k, v] of Object.entries(h)) if (v === null) delete h[k];
  return rpc(endpoint, { jsonrpc: '2.0', id, method, params: { ...params, _meta: params._meta ?? META } }, h);
}

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: server/discover, tools/list and tools/call in the 2026-07-28 lane`, async () => {
    const { endpoint } = runtimes[runtime];
    const discover = await modern(endpoint, 'server/discover');
    assert.equal(discover.status, 200);
    const d = discover.body.result;
    assert.equal(d.resultType, 'complete');
    assert.deepEqual(d.supportedVersions, [V, '2025-11-25', '2025-06-18', '2025-03-26']);
    assert.ok(d.capabilities.tools);
    assert.ok(d.ttlMs > 0 && d.cacheScope === 'public');
    assert.equal(d._meta['io.modelcontextprotocol/serverInfo'].name, 'Camunda 8 Orchestration API MCP Server');

    const list = (await modern(endpoint, 'tools/list')).body.result;
    assert.equal(list.tools.length, CAMUNDA_TOOL_COUNT);
    assert.equal(list.resultType, 'complete');
    assert.ok(Number.isInteger(list.ttlMs) && list.cacheScope === 'public');

    up.reset();
    const call = await modern(endpoint, 'tools/call', { name: 'getTopology', arguments: {} }, { traceparent: TRACEPARENT });
    assert.equal(call.status, 200);
    assert.equal(call.body.result.resultType, 'complete');
    assert.equal(call.body.result.isError, false);
    assert.equal(call.body.result.structuredContent.clusterSize, 3);
    assert.equal(up.requests[0].headers.traceparent, TRACEPARENT);
    assert.ok(!call.headers.get('mcp-session-id'));

    // Trace context from _meta (the 2026-07-28 way) wins over a header.
    up.reset();
    const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await modern(endpoint, 'tools/call', { name: 'getTopology', _meta: { ...META, traceparent: other, tracestate: 'a=1' } }, { traceparent: TRACEPARENT });
    assert.equal(up.requests[0].headers.traceparent, other);
    assert.equal(up.requests[0].headers.tracestate, 'a=1');

    // A non-ASCII header value in the spec's base64 form is decoded before comparing.
    const b64 = `=?base64?${Buffer.from('getTopology').toString('base64')}?=`;
    assert.equal((await modern(endpoint, 'tools/call', { name: 'getTopology' }, { 'mcp-name': b64 })).status, 200);
  });

  test(`${runtime}: every 2026-07-28 refusal has its status and code, echoes the id and reaches nothing`, async () => {
    const { endpoint } = runtimes[runtime];
    const call = { name: 'getTopology' };
    const cases = [
      ['_meta missing', () => rpc(endpoint, { jsonrpc: '2.0', id: 'm1', method: 'server/discover', params: {} }, { 'mcp-protocol-version': V, 'mcp-method': 'server/discover' }), 400, -32602],
      ['clientCapabilities missing', () => modern(endpoint, 'server/discover', { _meta: { 'io.modelcontextprotocol/protocolVersion': V } }, {}, 'm1'), 400, -32602],
      ['version header missing', () => modern(endpoint, 'tools/call', call, { 'mcp-protocol-version': null }, 'm1'), 400, -32020],
      ['version header differs from _meta', () => modern(endpoint, 'tools/call', { ...call, _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' } }, {}, 'm1'), 400, -32020],
      ['version not served', () => modern(endpoint, 'tools/call', { ...call, _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '1900-01-01' } }, { 'mcp-protocol-version': '1900-01-01' }, 'm1'), 400, -32022],
      ['Mcp-Method missing', () => modern(endpoint, 'tools/call', call, { 'mcp-method': null }, 'm1'), 400, -32020],
      ['Mcp-Method in other case', () => modern(endpoint, 'tools/call', call, { 'mcp-method': 'TOOLS/CALL' }, 'm1'), 400, -32020],
      ['Mcp-Name missing', () => modern(endpoint, 'tools/call', call, { 'mcp-name': null }, 'm1'), 400, -32020],
      ['Mcp-Name differs', () => modern(endpoint, 'tools/call', call, { 'mcp-name': 'resolveIncident' }, 'm1'), 400, -32020],
      ['ping removed', () => modern(endpoint, 'ping', {}, {}, 'm1'), 404, -32601],
      ['initialize in the modern lane', () => modern(endpoint, 'initialize', {}, {}, 'm1'), 404, -32601],
      ['logging/setLevel removed', () => modern(endpoint, 'logging/setLevel', { level: 'info' }, {}, 'm1'), 404, -32601],
      ['unknown method', () => modern(endpoint, 'unknown/x', {}, {}, 'm1'), 404, -32601],
      ['unknown tool', () => modern(endpoint, 'tools/call', { name: 'nope' }, {}, 'm1'), 200, -32602],
    ];
    up.reset();
    for (const [what, send, status, code] of cases) {
      const r = await send();
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.body.error.code, code, `${what}: ${r.text}`);
      assert.equal(r.body.id, 'm1', what);
    }
    const unsupported = await cases[4][1]();
    assert.deepEqual(unsupported.body.error.data, { supported: [V, '2025-11-25', '2025-06-18', '2025-03-26'], requested: '1900-01-01' });
    assert.deepEqual(up.requests, []);
  });

  test(`${runtime}: a 2025 client right after a modern request, and unknown versions learn what is served`, async () => {
    const { endpoint } = runtimes[runtime];
    assert.equal((await modern(endpoint, 'server/discover')).status, 200);
    const init = await rpc(endpoint, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c8ctl', version: '2' } } });
    assert.equal(init.status, 200);
    assert.equal(init.body.result.protocolVersion, '2025-11-25');
    assert.equal(init.body.result.resultType, undefined);
    const list = await rpc(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': '2025-11-25' });
    assert.equal(list.body.result.tools.length, CAMUNDA_TOOL_COUNT);
    assert.equal(list.body.result.ttlMs, undefined);
    const ping = await rpc(endpoint, { jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-protocol-version': '2025-06-18' });
    assert.deepEqual(ping.body.result, {});
    const old = await rpc(endpoint, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { 'mcp-protocol-version': '2024-11-05' });
    assert.equal(old.status, 400);
    assert.equal(old.body.error.code, -32022);
    assert.ok(old.body.error.data.supported.includes('2025-11-25'));
    assert.equal(old.body.id, 4);
  });

  test(`${runtime}: a member given twice is refused, in the envelope and in tool arguments`, async () => {
    const { endpoint } = runtimes[runtime];
    up.reset();
    const envelope = await rpc(endpoint, '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"getTopology"}}');
    assert.equal(envelope.status, 400);
    assert.equal(envelope.body.error.code, -32600);
    assert.match(envelope.body.error.message, /duplicate field `method`/);
    const params = await rpc(endpoint, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getTopology","name":"resolveIncident"}}');
    assert.equal(params.body.error.code, -32602);
    assert.equal(params.body.id, 2);
    for (const args of ['{"incidentKey":1,"incidentKey":2}', '{"processDefinitionId":"p","variables":{"a":1,"b":{"c":1,"c":2}}}']) {
      const tool = args.includes('variables') ? 'createProcessInstance' : 'getIncident';
      const r = await rpc(endpoint, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"${tool}","arguments":${args}}}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.result.isError, true, r.text);
      assert.match(r.body.result.content[0].text, /duplicate member/);
    }
    assert.deepEqual(up.requests, []);
    // Process variables pass through to the cluster exactly as sent.
    const variables = '{"order":{"id":"A-1","lines":[{"sku":"x","qty":2}]},"big":9007199254740993}';
    const ok = await rpc(endpoint, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"createProcessInstance","arguments":{"processDefinitionId":"p","variables":${variables}}}}`);
    assert.equal(ok.body.result.isError, false, ok.text);
    assert.ok(up.requests[0].raw.includes(`"variables":${variables}`), up.requests[0].raw);
  });

  test(`${runtime}: physical tenants route to the tenant's REST prefix; bad ids reach nothing`, async () => {
    const { url } = runtimes[runtime];
    up.reset();
    for (const path of ['/physical-tenants/eu-west-1/mcp/cluster', '/mcp/physical-tenants/eu-west-1/cluster']) {
      const r = await modern(url + path, 'tools/call', { name: 'getTopology', arguments: {} });
      assert.equal(r.status, 200, path);
      assert.equal(r.body.result.isError, false, path);
    }
    assert.deepEqual(up.requests.map((r) => [r.tenant, r.path]), [['eu-west-1', '/v2/topology'], ['eu-west-1', '/v2/topology']]);
    up.reset();
    const status = await modern(`${url}/physical-tenants/eu-west-1/mcp/cluster`, 'tools/call', { name: 'getClusterStatus' });
    assert.equal(status.body.result.content[0].text, 'HEALTHY');
    assert.deepEqual(up.requests.map((r) => [r.tenant, r.path]), [['eu-west-1', '/v2/topology']]);
    up.reset();
    for (const path of ['/physical-tenants/EU/mcp/cluster', '/physical-tenants/a%40b/mcp/cluster', '/physical-tenants/a/b/mcp/cluster',
      `/physical-tenants/${'x'.repeat(65)}/mcp/cluster`, '/physical-tenants/%2e%2e%2fx/mcp/cluster']) {
      const r = await modern(url + path, 'tools/call', { name: 'getTopology' });
      assert.equal(r.status, 404, path);
    }
    assert.deepEqual(up.requests, []);
  });
}
