// The process view's protocol (toolset `views`, MCP Apps extension io.modelcontextprotocol/ui)
// through the built Worker, under Miniflare and under wrangler dev, in both MCP eras: the
// extension in the capabilities, the view as a resource (served without any upstream request),
// the tools' _meta.ui, unknown views, and every REST call of the views' tools validated against
// Camunda's 8.9 spec by Prism. The view drawn in a browser is tests/e2e/views.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, keys, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, rpc } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import { startPrism, requestViolations, skip } from '../support/prism.mjs';

const V = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };
const VIEW = 'ui://camunda/process-view';
const MIME = 'text/html;profile=mcp-app';
const EXTENSION = 'io.modelcontextprotocol/ui';
const VIEW_TOOLS = {
  showProcessInstance: ['model', 'app'], showProcessDefinition: ['model', 'app'],
  viewProcessDiagram: ['app'], viewProcessInstanceState: ['app'], viewProcessDefinitionState: ['app'],
};
/** One call of each view tool, with arguments the stand-in's sample data answers. */
const viewCalls = {
  showProcessInstance: { processInstanceKey: keys.INSTANCE_KEY },
  showProcessDefinition: { processDefinitionKey: keys.DEF_KEY },
  viewProcessDiagram: { processDefinitionKey: keys.DEF_KEY },
  viewProcessInstanceState: { processInstanceKey: keys.INSTANCE_KEY },
  viewProcessDefinitionState: { processDefinitionKey: keys.DEF_KEY },
};

let up;
const runtimes = {};
before(async () => {
  up = await startUpstream();
  const vars = { CAMUNDA_REST_ADDRESS: up.url, MCP_TOOLSETS: 'views' };
  runtimes.miniflare = await startWorker(vars);
  runtimes['wrangler dev'] = await startWranglerDev(vars);
});
after(async () => {
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

/** A 2026-07-28 request as a modern client sends it; `headers` override. */
function modern(endpoint, method, params = {}, headers = {}) {
  const name = params.name ?? params.uri;
  const h = { 'mcp-protocol-version': V, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}), ...headers };
  return rpc(endpoint, { jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: META } }, h);
}

/** What an SDK client sees of the views: capabilities, resources, the view, the tools' _meta. */
async function seen(client, transport, negotiated) {
  await client.connect(transport);
  try {
    const before = up.requests.length;
    const { resources } = await client.listResources();
    const { contents } = await client.readResource({ uri: VIEW });
    const upstream = up.requests.length - before;
    const { tools } = await client.listTools();
    const shown = await client.callTool({ name: 'showProcessInstance', arguments: { processInstanceKey: keys.INSTANCE_KEY } });
    return { version: negotiated(client), caps: client.getServerCapabilities(), resources, contents, upstream, tools, shown };
  } finally {
    await client.close();
  }
}

const clients = {
  '2025-11-25': (endpoint) => seen(new ClientV1({ name: 'apps-e2e', version: '1.0.0' }),
    new TransportV1(new URL(endpoint)), (c) => c.transport.protocolVersion),
  '2026-07-28': (endpoint) => seen(
    new ClientV2({ name: 'apps-e2e', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } }),
    new TransportV2(new URL(endpoint)), (c) => c.getNegotiatedProtocolVersion()),
};

for (const runtime of ['miniflare', 'wrangler dev']) {
  for (const [era, connect] of Object.entries(clients)) {
    test(`${runtime}, ${era}: the extension, the view as a resource, and the tools that name it`, async () => {
      const { version, caps, resources, contents, upstream, tools, shown } = await connect(runtimes[runtime].endpoint);
      assert.equal(version, era, 'the client spoke the era under test');
      assert.deepEqual(caps.extensions?.[EXTENSION], { mimeTypes: [MIME] });
      assert.ok(caps.resources, 'resources are advertised');
      assert.deepEqual(resources.map((r) => [r.uri, r.mimeType]), [[VIEW, MIME]]);
      assert.equal(contents.length, 1);
      assert.equal(contents[0].mimeType, MIME);
      assert.match(contents[0].text, /^<!DOCTYPE html>/);
      assert.match(contents[0].text, /bjs-powered-by/, 'bpmn-js and its watermark are inlined');
      assert.equal(upstream, 0, 'the view and the resource list cost no upstream request');
      // Camunda's tools stay as they are; the views' tools name the view, with who may call them.
      assert.ok(tools.slice(0, CAMUNDA_TOOL_COUNT).every((t) => !t._meta));
      const views = Object.fromEntries(tools.slice(CAMUNDA_TOOL_COUNT).map((t) => [t.name, t._meta]));
      assert.deepEqual(Object.keys(views), Object.keys(VIEW_TOOLS));
      for (const [name, visibility] of Object.entries(VIEW_TOOLS)) {
        assert.deepEqual(views[name].ui, { resourceUri: VIEW, visibility }, name);
        assert.equal(views[name]['ui/resourceUri'], VIEW, name);
      }
      assert.equal(shown.isError, false, JSON.stringify(shown).slice(0, 400));
      assert.match(shown.content[0].text, /^Process instance \d+ of "Order process"/);
      assert.doesNotMatch(JSON.stringify(shown), /bpmn:definitions/, 'the XML stays out of the model\'s context');
    });
  }

  test(`${runtime}: 2026-07-28 rules for the view: caching hints, Mcp-Name, unknown views`, async () => {
    const { endpoint } = runtimes[runtime];
    const list = (await modern(endpoint, 'resources/list')).body.result;
    assert.equal(list.resultType, 'complete');
    assert.ok(list.ttlMs > 0 && list.cacheScope === 'public');
    const read = await modern(endpoint, 'resources/read', { uri: VIEW });
    assert.equal(read.status, 200);
    assert.equal(read.body.result.resultType, 'complete');
    assert.ok(read.body.result.ttlMs > 0 && read.body.result.cacheScope === 'public');
    assert.equal(read.body.result.contents[0].uri, VIEW);
    const wrongName = await modern(endpoint, 'resources/read', { uri: VIEW }, { 'mcp-name': 'ui://camunda/other' });
    assert.equal(wrongName.status, 400);
    assert.equal(wrongName.body.error.code, -32020);
    for (const uri of ['ui://camunda/nothing', 'ui://camunda/process-view?x=1']) {
      const legacy = await rpc(endpoint, { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri } });
      assert.equal(legacy.body.error.code, -32602, uri);
      assert.equal(legacy.body.error.data.uri, uri);
      const modernUnknown = await modern(endpoint, 'resources/read', { uri });
      assert.equal(modernUnknown.body.error.code, -32602, uri);
    }
  });
}

test('every REST call of the views\' tools is spec-valid (8.9)', { skip }, async (t) => {
  const stand = await startUpstream();
  const prism = await startPrism('8.9', stand.url, { errors: false });
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url, MCP_TOOLSETS: 'views' });
  t.after(async () => { await worker.close(); prism.close(); await stand.close(); });
  for (const [name, args] of Object.entries(viewCalls)) {
    const r = (await rpc(worker.endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } })).body.result;
    assert.equal(r.isError, false, `${name}: ${JSON.stringify(r).slice(0, 400)}`);
  }
  await new Promise((r) => setTimeout(r, 300)); // Prism logs violations asynchronously
  const violations = requestViolations(prism.log());
  assert.deepEqual(violations, [], `request violations:\n${violations.join('\n')}`);
  const paths = new Set(stand.requests.map((r) => `${r.method} ${r.path.replace(/\d{6,}/g, '{key}')}`));
  assert.deepEqual([...paths].sort(), [
    'GET /v2/process-definitions/{key}', 'GET /v2/process-definitions/{key}/xml',
    'GET /v2/process-instances/{key}', 'GET /v2/process-instances/{key}/sequence-flows',
    'GET /v2/process-instances/{key}/statistics/element-instances',
    'POST /v2/process-definitions/{key}/statistics/element-instances',
    'POST /v2/process-instances/{key}/incidents/search',
  ]);
  t.diagnostic(`${Object.keys(viewCalls).length} view tools, ${stand.requests.length} validated requests, 0 request violations`);
});
