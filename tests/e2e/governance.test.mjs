// Governance through the built Worker, under Miniflare and under wrangler dev, with a real IdP
// and real Rate Limiting bindings: tool gating per route, per-tool scopes (list and the 403
// step-up challenge), explicit hints, rate limits (429 with Retry-After, per caller), and the
// audit record of every tool call. Every refusal must leave the stand-in cluster untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, sampleCalls } from '../support/upstream.mjs';
import { startWorker, rpc, logsSettled } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import { startIdp, AUDIENCE } from '../support/idp.mjs';

const BRU = '/bru-2/6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90/mcp/cluster';
const JFK = '/jfk-1/6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90/mcp/cluster';
const WRITE_LIMIT = 3; // as in tests/support/wrangler.governance.toml
const V = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };
let up, idp;
const runtimes = {};

before(async () => {
  up = await startUpstream();
  idp = await startIdp();
  const vars = {
    CAMUNDA_REST_ADDRESS: up.url,
    CAMUNDA_SAAS_REGIONS: 'bru-2,jfk-1',
    CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}`,
    MCP_AUTH_MODE: 'oidc',
    CAMUNDA_UPSTREAM_AUTH: 'forward',
    OIDC_ISSUERS: idp.issuer,
    OIDC_JWKS_URIS: idp.jwksUri,
    OIDC_AUDIENCES: AUDIENCE,
    MCP_READ_ONLY: 'region:bru-2',
    MCP_TOOLS_DENY: 'getProcessDefinitionXml',
    MCP_TOOL_SCOPES: 'write=camunda:write,resolveIncident=camunda:incidents',
    MCP_TOOL_HINTS: 'explicit',
    MCP_AUDIT_ARGUMENTS: 'keys',
    MCP_RATE_LIMITS: `read=1000/60,write=${WRITE_LIMIT}/60`,
  };
  runtimes.miniflare = await startWorker(vars, {
    ratelimits: {
      MCP_READ_LIMITER: { simple: { limit: 1000, period: 60 } },
      MCP_WRITE_LIMITER: { simple: { limit: WRITE_LIMIT, period: 60 } },
    },
  });
  runtimes['wrangler dev'] = await startWranglerDev(vars, { config: 'wrangler.governance.toml' });
});
after(async () => {
  for (const r of Object.values(runtimes)) await r.close();
  await idp?.close();
  await up?.close();
});

let nextId = 1;
const token = (sub, scope) => idp.token({ scope, edit: (_, p) => { p.sub = sub; p.azp = 'agent-app'; } });
const bearer = (t) => ({ authorization: `Bearer ${t}` });
const list = async (url, t) => (await rpc(url, { jsonrpc: '2.0', id: nextId++, method: 'tools/list' }, bearer(t))).body.result.tools;
const call = (url, t, name, args = sampleCalls[name]) =>
  rpc(url, { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } }, bearer(t));

/** Requests the stand-in received while `fn` ran. */
async function upstreamDuring(fn) {
  const from = up.requests.length;
  const result = await fn();
  return { result, requests: up.requests.slice(from) };
}

/**
 * The audit records of `sub` logged while `fn` ran. Log lines trail the answers a little, so a
 * record of an earlier test's last call may arrive in this window: only `sub`'s count.
 */
async function audited(runtime, fn, count, sub) {
  await logsSettled(runtime.logs);
  const from = runtime.logs.length;
  await fn();
  const records = () => runtime.logs.slice(from).filter((l) => l.startsWith('{"log":"audit"'))
    .map((l) => JSON.parse(l)).filter((r) => r.principal?.sub === sub);
  for (let i = 0; i < 100 && records().length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return { records: records(), text: runtime.logs.slice(from).join('\n') };
}

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: gating per route — denied and read-only tools are absent and unknown, at no cost`, async () => {
    const { url } = runtimes[runtime];
    const writer = await token(`writer-${runtime}`, 'camunda:write camunda:incidents');
    const names = (await list(url + '/mcp/cluster', writer)).map((t) => t.name);
    assert.equal(names.length, 17);
    assert.ok(!names.includes('getProcessDefinitionXml'));
    const bru = (await list(url + BRU, writer)).map((t) => t.name);
    const jfk = (await list(url + JFK, writer)).map((t) => t.name);
    assert.equal(bru.length, 13, 'bru-2 is read-only: 14 reads less the denied one');
    assert.equal(jfk.length, 17);
    for (const [path, name] of [['/mcp/cluster', 'getProcessDefinitionXml'], [BRU, 'completeUserTask']]) {
      const { result, requests } = await upstreamDuring(() => call(url + path, writer, name));
      assert.equal(result.status, 200);
      assert.deepEqual([result.body.error.code, result.body.error.message], [-32602, `Unknown tool: ${name}`]);
      assert.equal(requests.length, 0, `${name} at ${path} reached the cluster`);
    }
    const { result, requests } = await upstreamDuring(() => call(url + JFK, writer, 'completeUserTask'));
    assert.equal(result.body.result.isError, false, result.text);
    assert.deepEqual(requests.map((r) => r.cluster), ['jfk-1/6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90']);
  });

  test(`${runtime}: scopes — a caller lists only what it may call; anything else is a 403 step-up`, async () => {
    const { url } = runtimes[runtime];
    const endpoint = url + '/mcp/cluster';
    const reader = await token(`reader-${runtime}`, 'camunda');
    const names = (await list(endpoint, reader)).map((t) => t.name);
    assert.equal(names.length, 13, 'reads only');
    const modern = await rpc(endpoint, { jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: META } },
      { ...bearer(reader), 'mcp-protocol-version': V, 'mcp-method': 'tools/list' });
    assert.equal(modern.body.result.cacheScope, 'private');
    assert.equal(modern.body.result.tools.length, 13);

    const { result, requests } = await upstreamDuring(() => call(endpoint, reader, 'createProcessInstance'));
    assert.equal(result.status, 403);
    assert.equal(result.headers.get('www-authenticate'),
      `Bearer error="insufficient_scope", scope="camunda:write", resource_metadata="${url}/.well-known/oauth-protected-resource", ` +
      'error_description="the token lacks the scope camunda:write needed for createProcessInstance"');
    assert.equal(result.body.error.code, -32001);
    assert.equal(requests.length, 0);
    // The same refusal in the 2026-07-28 lane.
    const modernCall = await upstreamDuring(() => rpc(endpoint,
      { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'createProcessInstance', arguments: sampleCalls.createProcessInstance, _meta: META } },
      { ...bearer(reader), 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'createProcessInstance' }));
    assert.equal(modernCall.result.status, 403, modernCall.result.text);
    assert.match(modernCall.result.headers.get('www-authenticate'), /^Bearer error="insufficient_scope", scope="camunda:write"/);
    assert.equal(modernCall.result.body.id, 10);
    assert.equal(modernCall.requests.length, 0);

    // camunda:write opens the writes, but resolveIncident has a rule of its own.
    const writer = await token(`writer2-${runtime}`, 'camunda:write');
    const resolve = await upstreamDuring(() => call(endpoint, writer, 'resolveIncident'));
    assert.equal(resolve.result.status, 403);
    assert.match(resolve.result.headers.get('www-authenticate'), /scope="camunda:incidents"/);
    assert.equal(resolve.requests.length, 0);
    const create = await upstreamDuring(() => call(endpoint, writer, 'createProcessInstance'));
    assert.equal(create.result.body.result.isError, false);
    assert.equal(create.requests.length, 1);
  });

  test(`${runtime}: explicit hints on every listed tool`, async () => {
    const { url } = runtimes[runtime];
    const tools = await list(url + JFK, await token(`hints-${runtime}`, 'camunda:write camunda:incidents'));
    for (const t of tools) {
      for (const h of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
        assert.equal(typeof t.annotations[h], 'boolean', `${t.name}.${h}`);
      }
    }
  });

  test(`${runtime}: rate limit — call ${WRITE_LIMIT + 1} of a write is 429 with Retry-After; others unaffected`, async () => {
    const { url } = runtimes[runtime];
    const endpoint = url + '/mcp/cluster';
    const run = Date.now();
    const alice = await token(`alice-${runtime}-${run}`, 'camunda:write');
    const bob = await token(`bob-${runtime}-${run}`, 'camunda:write');
    for (let i = 0; i < WRITE_LIMIT; i++) {
      const r = await call(endpoint, alice, 'assignUserTask');
      assert.equal(r.status, 200, `call ${i + 1}: ${r.text}`);
    }
    const { result, requests } = await upstreamDuring(() => call(endpoint, alice, 'assignUserTask'));
    assert.equal(result.status, 429, result.text);
    assert.equal(result.headers.get('retry-after'), '60');
    assert.equal(result.body.error.code, -32029);
    assert.equal(result.body.error.data.limit, 'MCP_WRITE_LIMITER');
    assert.match(result.body.error.message, /3 calls per 60 s/);
    assert.equal(requests.length, 0, 'a limited call reached the cluster');
    // Another caller, and alice's reads, are unaffected.
    assert.equal((await call(endpoint, bob, 'assignUserTask')).status, 200);
    assert.equal((await call(endpoint, alice, 'getTopology')).status, 200);
  });

  test(`${runtime}: one audit record per tool call — who, what, outcome; never values or tokens`, async () => {
    const { url } = runtimes[runtime];
    const endpoint = url + '/mcp/cluster';
    const sub = `auditor-${runtime}-${Date.now()}`;
    const t = await token(sub, 'camunda');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { records, text } = await audited(runtimes[runtime], async () => {
      await rpc(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getIncident', arguments: { incidentKey: 2251799813690077 } } },
        { ...bearer(t), traceparent });
      await call(endpoint, t, 'createProcessInstance', { processDefinitionId: 'payroll', variables: { iban: 'DE89370400440532013000' } });
      await call(endpoint, t, 'getProcessDefinitionXml');
      await rpc(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, bearer(t));
    }, 3, sub);
    assert.deepEqual(records.map((r) => [r.tool, r.outcome]), [
      ['getIncident', 'ok'],
      ['createProcessInstance', 'refused:insufficient_scope'],
      ['getProcessDefinitionXml', 'refused:unknown_tool'],
    ]);
    const [ok, refused] = records;
    assert.deepEqual(ok.principal, { iss: idp.issuer, sub, client_id: 'agent-app' });
    assert.equal(ok.upstream, 200);
    assert.equal(ok.traceparent, traceparent);
    assert.equal(typeof ok.ms, 'number');
    assert.ok(!Number.isNaN(Date.parse(ok.time)));
    assert.deepEqual(refused.argumentKeys, ['processDefinitionId', 'variables']);
    assert.equal(refused.upstream, undefined, 'nothing to say: left out');
    for (const secret of ['DE89370400440532013000', 'payroll', t.split('.')[1]]) {
      assert.ok(!text.includes(secret), `the log holds ${secret}`);
    }
  });
}

test('no binding, no limit: said once in the log at start', async () => {
  const w = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(w.endpoint, 'x', 'getTopology')).status, 200);
    for (let i = 0; i < 50 && !w.logs.some((l) => l.includes('MCP_WRITE_LIMITER')); i++) await new Promise((r) => setTimeout(r, 20));
    const notes = w.logs.filter((l) => l.includes('binding, so'));
    assert.equal(notes.length, 2, w.logs.join('\n'));
    assert.match(notes.join('\n'), /no MCP_READ_LIMITER binding, so read tools are not rate-limited/);
  } finally {
    await w.close();
  }
});
