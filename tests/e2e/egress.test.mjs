// The regional split (MCP_ROLE=edge|egress) through the built Worker, as two Workers of one build:
// under Miniflare (one workerd, the edge reaching the egress over a service binding, each
// Worker's outbound fetches recorded in Node) and under wrangler dev (`-c wrangler.edge.toml
// -c wrangler.egress.toml -c wrangler.egress-faults.toml`, and the egress alone for hand-overs
// sent straight to it). In both MCP eras where it is about MCP:
//   - a call through the edge reaches the cluster from the egress only, with the same result as
//     a direct call, and the hand-over carries nothing of the caller's the egress does not need;
//     in client-credentials mode the machine token is fetched by the egress too;
//   - governance refusals (unknown tool, read-only route, missing scope, rate limit, bad
//     token) cost no hand-over and no cluster request;
//   - forged, altered, unsigned, expired and replayed hand-overs sent straight to the egress are
//     refused (401 / 409), and the cluster sees nothing of them;
//   - an egress that is down, missing, hanging or answering garbage is a tool error naming the
//     region and the binding, within bounded time, and the next call is fine;
//   - a 10,000-item search, resolveIncident (four REST calls), the process list, getProcessState
//     and a process tool through the hop give the same results as direct.
// "Direct" is the same edge on a region without an egress (ams-1), at the same stand-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream, keys } from '../support/upstream.mjs';
import { startSplit, rpc, logsSettled } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import { startIdp, AUDIENCE } from '../support/idp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The egress's keys, as tests/support/wrangler.egress.toml sets them: the edge signs with the first. */
const SECRETS = fs.readFileSync(path.join(root, 'tests/support/wrangler.egress.toml'), 'utf8')
  .match(/^MCP_EGRESS_SECRET = "([^"]+)"/m)[1].split(',');
const ID = '6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90';
/** A bru-2 cluster served read-only (MCP_READ_ONLY=cluster:…). */
const RO_ID = '0f4e2d6c-8a1b-4c3d-9e5f-7a6b5c4d3e2f';
const route = (region, id = ID, server = 'cluster') => `/${region}/${id}/mcp/${server}`;
/** Through the egress EGRESS_BRU_2, and direct (ams-1 has no egress). */
const HOP = route('bru-2');
const DIRECT = route('ams-1');
const V = '2026-07-28';
const ERAS = ['2025-11-25', V];
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TIMEOUT_MS = 2000;
const WRITE_LIMIT = 3; // as in tests/support/wrangler.edge.toml
const K = Number(keys.INCIDENT_KEY);

let up, idp, closedPort;
const runtimes = {};
/** The wrangler dev egress alone (no edge in front): where forged hand-overs go under wrangler dev. */
let lone;
/** What the Miniflare edge sent through EGRESS_LHR_1 (a tap in Node, then on to the egress). */
const tapped = [];
/** Hand-overs the Miniflare EGRESS_SYD_1 stand-in holds unanswered, released at the end. */
const held = new Set();

/**
 * The Miniflare stand-in for a broken egress behind EGRESS_SYD_1: the same faults as
 * tests/support/egress-faults.mjs under wrangler dev, chosen by the tool handed over, plus one
 * that throws (Miniflare answers that with a 500).
 */
async function brokenEgress(request) {
  let tool;
  try { tool = JSON.parse(await request.text())?.job?.tool?.name; } catch { /* not an envelope */ }
  if (tool === 'getTopology') {
    return new Promise((resolve) => {
      const release = () => { clearTimeout(timer); held.delete(release); resolve(new Response('too late', { status: 503 })); };
      const timer = setTimeout(release, 120_000);
      held.add(release);
    });
  }
  if (tool === 'getIncident') return new Response('not json', { status: 200, headers: { 'content-type': 'application/json' } });
  if (tool === 'searchIncidents') return new Response('egress exploded', { status: 500 });
  if (tool === 'getProcessDefinition') throw new Error('the egress stand-in threw');
  return new Response('no such fault', { status: 404 });
}

before(async () => {
  up = await startUpstream();
  idp = await startIdp();
  closedPort = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
  const edge = {
    CAMUNDA_SAAS_REGIONS: 'bru-2,jfk-1,syd-1,dsm-1,lhr-1,ams-1',
    CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}`,
    CAMUNDA_API_VERSION: '8.10',
    CAMUNDA_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    MCP_PROCESSES: 'true',
    MCP_PROCESSES_LIST_TTL_MS: '0',
    MCP_AUTH_MODE: 'oidc',
    CAMUNDA_UPSTREAM_AUTH: 'forward',
    OIDC_ISSUERS: idp.issuer,
    OIDC_JWKS_URIS: idp.jwksUri,
    OIDC_AUDIENCES: AUDIENCE,
    MCP_READ_ONLY: `cluster:${RO_ID}`,
    MCP_TOOL_SCOPES: 'write=camunda:write',
    MCP_RATE_LIMITS: `read=1000/60,write=${WRITE_LIMIT}/60`,
    MCP_EGRESS_SECRET: SECRETS[0],
    // bru-2: the egress; jfk-1: an egress that is down; syd-1: one that hangs or answers
    // garbage; dsm-1: a binding this Worker does not have; lhr-1 (Miniflare): the egress, tapped.
    MCP_EGRESS_BINDINGS: 'bru-2=EGRESS_BRU_2,jfk-1=EGRESS_JFK_1,syd-1=EGRESS_SYD_1,dsm-1=EGRESS_DSM_1',
  };
  runtimes.miniflare = await startSplit({
    edge: { ...edge, MCP_EGRESS_BINDINGS: `${edge.MCP_EGRESS_BINDINGS},lhr-1=EGRESS_LHR_1` },
    // Not told its region: the tapped lhr-1 binding reaches this egress too.
    egress: { MCP_EGRESS_SECRET: SECRETS.join(',') },
    record: true,
    serviceBindings: {
      EGRESS_JFK_1: { external: { address: `127.0.0.1:${closedPort}`, http: {} } },
      EGRESS_SYD_1: brokenEgress,
      EGRESS_LHR_1: async (request, { forward }) => {
        const body = await request.text();
        tapped.push({ url: request.url, method: request.method, headers: Object.fromEntries(request.headers), body });
        return forward(request, body);
      },
    },
    ratelimits: {
      MCP_READ_LIMITER: { simple: { limit: 1000, period: 60 } },
      MCP_WRITE_LIMITER: { simple: { limit: WRITE_LIMIT, period: 60 } },
    },
  });
  runtimes['wrangler dev'] = await startWranglerDev(edge, {
    configs: ['wrangler.edge.toml', 'wrangler.egress.toml', 'wrangler.egress-faults.toml'],
  });
  lone = await startWranglerDev({}, { configs: ['wrangler.egress.toml'], name: 'camunda-mcp-egress-alone-test' });
});
after(async () => {
  for (const release of [...held]) release();
  for (const r of Object.values(runtimes)) await r?.close();
  await lone?.close();
  await idp?.close();
  await up?.close();
});

// --- MCP in both eras ---------------------------------------------------------------------

let nextId = 1;
/** One request in `era`: the 2026-07-28 lane with its headers and _meta, or the 2025 lane. */
function send(era, url, method, params, headers = {}) {
  const id = nextId++;
  if (era === V) {
    const h = { 'mcp-protocol-version': V, 'mcp-method': method, ...(params?.name ? { 'mcp-name': params.name } : {}), ...headers };
    return rpc(url, { jsonrpc: '2.0', id, method, params: { ...params, _meta: META } }, h);
  }
  return rpc(url, { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }, { 'mcp-protocol-version': era, ...headers });
}
const bearer = (t) => (t ? { authorization: `Bearer ${t}` } : {});
const call = (era, url, t, name, args = {}, headers = {}) =>
  send(era, url, 'tools/call', { name, arguments: args }, { ...bearer(t), ...headers });
/** A tool's CallToolResult (the request must succeed at the MCP level). */
async function result(era, url, t, name, args, headers) {
  const r = await call(era, url, t, name, args, headers);
  assert.equal(r.status, 200, r.text.slice(0, 500));
  assert.ok(r.body.result, r.text.slice(0, 500));
  return r.body.result;
}
/** A token from the IdP for `sub` (unique per test, so rate limits and audit records are its own). */
const token = (sub, scope = 'camunda camunda:write') => idp.token({ scope, edit: (_, p) => { p.sub = sub; p.azp = 'agent-app'; } });
const who = (what, runtime, era) => `${what}-${runtime.replace(' ', '-')}-${era}-${Date.now()}`;

/** A promise that must settle within `ms`, or the test fails instead of hanging. */
async function within(ms, promise) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  try { return await Promise.race([promise, late]); } finally { clearTimeout(timer); }
}

// --- what happened while a test ran ---------------------------------------------------------

/** The JSON log lines among `lines` (wrangler dev may put a prefix before them). */
function jsonLines(lines) {
  const out = [];
  for (const line of lines) {
    const i = line.indexOf('{"log":');
    if (i < 0) continue;
    try { out.push(JSON.parse(line.slice(i))); } catch { /* not one of ours */ }
  }
  return out;
}
const egressLines = (lines) => lines.filter((l) => l.log === 'access' && l.role === 'egress');
const auditOf = (lines, sub) => lines.filter((l) => l.log === 'audit' && l.principal?.sub === sub);

/**
 * Runs `fn` and returns what it led to: its result, the log lines of both Workers, the requests
 * the stand-in cluster received, and (Miniflare) the URLs each Worker fetched. `until(lines)`:
 * wait (bounded) for lines that trail the answers.
 */
/**
 * What `fn` (a request or a few) did: its value, the log lines, and the requests that reached
 * the cluster and left each Worker. By default it waits for the edge's line: an egress writes
 * its line before it answers, and both Workers share one runtime's output, so every egress line
 * of the request is in by then; `until` waits for more.
 */
async function during(rt, fn, until = (lines) => lines.some((l) => !l.role && l.method)) {
  await logsSettled(rt.logs, { quietMs: 60 });
  const from = { log: rt.logs.length, up: up.requests.length, edge: rt.outbound?.edge.length, egress: rt.outbound?.egress.length };
  const value = await fn();
  const lines = () => jsonLines(rt.logs.slice(from.log));
  for (let i = 0; i < 150 && !until(lines()); i++) await new Promise((r) => setTimeout(r, 20));
  await logsSettled(rt.logs, { quietMs: 60 });
  return {
    value,
    lines: lines(),
    upstream: up.requests.slice(from.up),
    outbound: rt.outbound && { edge: rt.outbound.edge.slice(from.edge), egress: rt.outbound.egress.slice(from.egress) },
  };
}

// --- hand-overs made by hand ----------------------------------------------------------------

/** The hand-over key derived from one secret, as the Worker derives it (src/egress/envelope.rs). */
const keyOf = (secret) => crypto.createHash('sha256').update('camunda-mcp-edge handover key v1\0').update(secret).digest();
/** The Authorization header for `body`: HMAC-SHA256 under the derived key, base64url. */
const sign = (secret, body) => `Handover ${crypto.createHmac('sha256', keyOf(secret)).update(body).digest('base64url')}`;
const nonce = () => crypto.randomBytes(16).toString('hex');
/** A well-formed envelope for getTopology on the bru-2 cluster, valid from `issuedMs` for `windowMs`. */
function envelope({ issuedMs = Date.now(), windowMs = 10_000, name = 'getTopology', region = 'bru-2' } = {}) {
  return {
    v: 1, nonce: nonce(), issuedMs, expiresMs: issuedMs + windowMs, binding: 'EGRESS_BRU_2', region, apiVersion: '8.10',
    address: `${up.url}/bru-2/${ID}`, tenant: null, credentials: { forward: null },
    limits: { requestTimeoutMs: 2000, maxUpstreamBytes: 16 * 1024 * 1024, maxResultChars: 100_000, defaultPageLimit: 50 },
    trace: null, job: { tool: { name, arguments: {} } },
  };
}
/** The egress of a runtime, reached straight: Miniflare's own loopback port; under wrangler dev, the egress alone. */
const egressOf = (runtime) => (runtime === 'miniflare' ? runtimes.miniflare.egressUrl : lone.url);
async function handover(runtime, body, headers = {}, { method = 'POST', path: p = '/handover' } = {}) {
  const res = await fetch(egressOf(runtime) + p, {
    method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'GET' ? {} : { body }),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* left as text */ }
  return { status: res.status, json, text };
}

// --- 1. only the egress talks to the cluster --------------------------------------------------

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: a tool call through the edge reaches the cluster from the egress only, with the direct result`, async () => {
    const rt = runtimes[runtime];
    for (const era of ERAS) {
      const sub = who('hop', runtime, era);
      const t = await token(sub);
      const caller = { traceparent: TRACEPARENT, cookie: 'session=caller-cookie-4711', 'user-agent': 'caller-agent/9.9', 'x-caller-note': 'caller-note-0815' };
      const hop = await during(rt, () => result(era, rt.url + HOP, t, 'getTopology', {}, caller),
        (lines) => egressLines(lines).length > 0 && auditOf(lines, sub).length > 0);
      assert.equal(hop.value.isError, false, JSON.stringify(hop.value));
      assert.equal(hop.value.structuredContent.clusterSize, 3);
      assert.deepEqual(hop.upstream.map((r) => [r.method, r.cluster, r.path]), [['GET', `bru-2/${ID}`, '/v2/topology']]);
      // Forward mode: the cluster sees the caller's token, and the trace context, as direct.
      assert.equal(hop.upstream[0].headers.authorization, `Bearer ${t}`);
      assert.equal(hop.upstream[0].headers.traceparent, TRACEPARENT);
      for (const [name, value] of [['cookie', caller.cookie], ['x-caller-note', caller['x-caller-note']]]) {
        assert.notEqual(hop.upstream[0].headers[name], value, `${name} reached the cluster`);
      }
      const [audit] = auditOf(hop.lines, sub);
      assert.equal(audit?.egress, 'EGRESS_BRU_2', JSON.stringify(hop.lines));
      assert.equal(audit.outcome, 'ok');
      // The call's one line is its audit record, with the access line's fields.
      assert.deepEqual([audit.method, audit.status, audit.rpc, audit.upstream], ['POST', 200, 'tools/call', 200]);
      assert.equal(hop.lines.filter((l) => !l.role && l.tool === 'getTopology').length, 1, JSON.stringify(hop.lines));
      const ran = egressLines(hop.lines);
      assert.equal(ran.length, 1, JSON.stringify(hop.lines));
      assert.deepEqual([ran[0].tool, ran[0].egress, ran[0].region, ran[0].upstream], ['getTopology', 'EGRESS_BRU_2', 'bru-2', 200]);

      const direct = await during(rt, () => result(era, rt.url + DIRECT, t, 'getTopology', {}, caller),
        (lines) => auditOf(lines, sub).length > 0);
      assert.deepEqual(hop.value, direct.value);
      assert.deepEqual(direct.upstream.map((r) => r.cluster), [`ams-1/${ID}`]);
      assert.equal(egressLines(direct.lines).length, 0, 'a region without an egress was handed over');
      assert.equal(auditOf(direct.lines, sub)[0]?.egress, undefined);

      if (runtime === 'miniflare') {
        const stand = `${up.url}/`;
        assert.deepEqual(hop.outbound.edge.filter((u) => u.startsWith(stand)), [], 'the edge fetched from the cluster');
        assert.deepEqual(hop.outbound.egress, [`${up.url}/bru-2/${ID}/v2/topology`]);
        assert.deepEqual(direct.outbound.edge.filter((u) => u.startsWith(stand)), [`${up.url}/ams-1/${ID}/v2/topology`]);
        assert.deepEqual(direct.outbound.egress, []);
      }
    }
    if (runtime === 'miniflare') {
      // Over the whole run so far: no bru-2 URL ever left the edge.
      const { outbound } = runtimes.miniflare;
      assert.deepEqual(outbound.edge.filter((u) => u.includes('/bru-2/')), []);
      assert.ok(outbound.egress.every((u) => u.startsWith(`${up.url}/bru-2/`) || u.startsWith(`${up.url}/lhr-1/`)), outbound.egress.join('\n'));
    }
  });
}

test('miniflare: the hand-over carries the call and what the egress needs, nothing else of the caller', async (tc) => {
  const rt = runtimes.miniflare;
  for (const era of ERAS) {
    const t = await token(who('tap', 'miniflare', era));
    const caller = { traceparent: TRACEPARENT, cookie: 'session=caller-cookie-4711', 'user-agent': 'caller-agent/9.9', 'x-caller-note': 'caller-note-0815' };
    tapped.length = 0;
    const r = await result(era, rt.url + route('lhr-1'), t, 'getIncident', { incidentKey: K }, caller);
    assert.equal(r.isError, false, JSON.stringify(r));
    assert.equal(tapped.length, 1);
    const [h] = tapped;
    assert.equal(h.method, 'POST');
    assert.equal(h.url, 'https://egress.internal/handover');
    assert.match(h.headers.authorization, /^Handover [A-Za-z0-9_-]{43}$/);
    assert.equal(h.headers.authorization, sign(SECRETS[0], h.body), 'signed with the first key, over the raw body');
    assert.equal(h.headers['content-type'], 'application/json');
    tc.diagnostic(`${era}: hand-over headers ${Object.keys(h.headers).sort().join(', ')}; envelope ${h.body.length} bytes`);
    for (const name of ['cookie', 'x-caller-note', 'traceparent', 'mcp-protocol-version', 'mcp-method', 'mcp-name', 'accept']) {
      assert.equal(h.headers[name], undefined, `the hand-over carries the caller's ${name}`);
    }
    assert.notEqual(h.headers['user-agent'], caller['user-agent']);
    for (const value of ['caller-cookie-4711', 'caller-agent/9.9', 'caller-note-0815', 'jsonrpc', '_meta', 'io.modelcontextprotocol']) {
      assert.ok(!h.body.includes(value), `the envelope holds ${value}`);
    }
    const e = JSON.parse(h.body);
    assert.deepEqual(Object.keys(e).sort(), Object.keys(envelope()).sort(), 'the envelope is the one tests build by hand');
    assert.equal(e.v, 1);
    assert.match(e.nonce, /^[0-9a-f]{32}$/);
    assert.ok(e.expiresMs > e.issuedMs && e.expiresMs - e.issuedMs <= TIMEOUT_MS, `${e.issuedMs}..${e.expiresMs}`);
    assert.deepEqual([e.binding, e.region, e.apiVersion, e.address, e.tenant], ['EGRESS_LHR_1', 'lhr-1', '8.10', `${up.url}/lhr-1/${ID}`, null]);
    // Forward mode: the caller's token is the cluster's credential, so the egress needs it.
    assert.deepEqual(e.credentials, { forward: `Bearer ${t}` });
    assert.ok(e.limits.requestTimeoutMs < TIMEOUT_MS, 'the egress gets less time than the edge waits');
    assert.equal(e.trace?.parent, TRACEPARENT);
    assert.deepEqual(e.job, { tool: { name: 'getIncident', arguments: { incidentKey: K } } });
  }
});

test('miniflare, client-credentials: the egress fetches the machine token and the caller\'s token goes nowhere', async () => {
  const handed = [];
  const split = await startSplit({
    edge: {
      CAMUNDA_SAAS_REGIONS: 'bru-2',
      CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}`,
      CAMUNDA_UPSTREAM_AUTH: 'client-credentials',
      CAMUNDA_CLIENT_ID: 'gateway-machine',
      CAMUNDA_CLIENT_SECRET: 'machine-secret',
      CAMUNDA_OAUTH_URL: `${idp.issuer}/token`,
      CAMUNDA_TOKEN_AUDIENCE: 'orchestration-api',
      MCP_EGRESS_BINDINGS: 'bru-2=EGRESS_BRU_2',
      MCP_EGRESS_SECRET: SECRETS[0],
    },
    egress: { MCP_EGRESS_SECRET: SECRETS[0] },
    record: true,
    egressBinding: async (request, { forward }) => {
      const body = await request.text();
      handed.push({ headers: Object.fromEntries(request.headers), body });
      return forward(request, body);
    },
  });
  try {
    const from = up.requests.length;
    for (const era of ERAS) {
      const r = await result(era, split.url + HOP, null, 'getTopology', {}, { authorization: 'Bearer the-callers-own-token' });
      assert.equal(r.isError, false, JSON.stringify(r));
    }
    const seen = up.requests.slice(from);
    assert.equal(seen.length, 2);
    const auth = new Set(seen.map((q) => q.headers.authorization));
    assert.equal(auth.size, 1, 'one machine token for both calls');
    const [only] = auth;
    assert.notEqual(only, 'Bearer the-callers-own-token');
    assert.equal(JSON.parse(Buffer.from(only.slice(7).split('.')[1], 'base64url')).iss, idp.issuer);
    const tokenUrl = `${idp.issuer}/token`;
    assert.deepEqual(split.outbound.edge, [], 'the edge fetched something itself');
    assert.deepEqual(split.outbound.egress.filter((u) => u === tokenUrl), [tokenUrl], 'one token fetch, by the egress');
    assert.deepEqual(split.outbound.egress.filter((u) => u !== tokenUrl), [`${up.url}/bru-2/${ID}/v2/topology`, `${up.url}/bru-2/${ID}/v2/topology`]);
    assert.equal(handed.length, 2);
    for (const h of handed) {
      assert.ok(!h.body.includes('the-callers-own-token') && !JSON.stringify(h.headers).includes('the-callers-own-token'));
      const e = JSON.parse(h.body);
      assert.equal(e.credentials.machine?.clientId, 'gateway-machine', h.body);
      assert.equal(e.credentials.machine.tokenUrl, tokenUrl);
    }
  } finally {
    await split.close();
  }
});

// --- 2. refusals at the edge cost nothing -----------------------------------------------------

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: governance refusals cost no hand-over and no cluster request`, async () => {
    const rt = runtimes[runtime];
    for (const era of ERAS) {
      const writer = await token(who('refused', runtime, era));
      const reader = await token(who('reader', runtime, era), 'camunda');
      const cases = [
        ['initialize', () => (era === V ? send(era, rt.url + HOP, 'server/discover', {}, bearer(writer))
          : send(era, rt.url + HOP, 'initialize', { protocolVersion: era, capabilities: {}, clientInfo: { name: 'e2e', version: '1' } }, bearer(writer))), 200, undefined],
        ['tools/list', () => send(era, rt.url + HOP, 'tools/list', {}, bearer(writer)), 200, undefined],
        ['unknown tool', () => call(era, rt.url + HOP, writer, 'nope'), 200, -32602],
        ['write on a read-only cluster', () => call(era, rt.url + route('bru-2', RO_ID), writer, 'completeUserTask', { userTaskKey: K }), 200, -32602],
        ['missing scope', () => call(era, rt.url + HOP, reader, 'createProcessInstance', { processDefinitionId: 'order-process' }), 403, -32001],
        ['no token', () => call(era, rt.url + HOP, null, 'getTopology'), 401, undefined],
        ['a token that is no JWT', () => call(era, rt.url + HOP, 'not-a-jwt', 'getTopology'), 401, undefined],
        ['a token with a forged signature', () => call(era, rt.url + HOP, `${writer.split('.').slice(0, 2).join('.')}.${'A'.repeat(342)}`, 'getTopology'), 401, undefined],
      ];
      for (const [what, fn, status, code] of cases) {
        const { value, lines, upstream, outbound } = await during(rt, fn);
        assert.equal(value.status, status, `${era} ${what}: ${value.text.slice(0, 300)}`);
        if (code !== undefined) assert.equal(value.body.error?.code, code, `${era} ${what}: ${value.text.slice(0, 300)}`);
        if (code === undefined && status === 200) assert.ok(value.body.result, `${era} ${what}: ${value.text.slice(0, 300)}`);
        assert.deepEqual(egressLines(lines), [], `${era} ${what} reached the egress`);
        assert.deepEqual(upstream, [], `${era} ${what} reached the cluster`);
        if (outbound) assert.deepEqual(outbound.egress, [], `${era} ${what}: the egress fetched`);
      }

      // A rate limit: the admitted writes are handed over, the one over the limit is not.
      const limitedWriter = await token(who('limited', runtime, era));
      const admitted = await during(rt, async () => {
        for (let i = 0; i < WRITE_LIMIT; i++) {
          const r = await result(era, rt.url + HOP, limitedWriter, 'assignUserTask', { userTaskKey: K, assignee: 'demo' });
          assert.equal(r.isError, false, JSON.stringify(r));
        }
      }, (lines) => egressLines(lines).length >= WRITE_LIMIT);
      assert.equal(egressLines(admitted.lines).length, WRITE_LIMIT, 'each admitted write is one hand-over');
      assert.equal(admitted.upstream.length, WRITE_LIMIT);
      const limited = await during(rt, () => call(era, rt.url + HOP, limitedWriter, 'assignUserTask', { userTaskKey: K, assignee: 'demo' }));
      assert.equal(limited.value.status, 429, limited.value.text);
      assert.equal(limited.value.body.error.code, -32029);
      assert.deepEqual(egressLines(limited.lines), [], 'a limited call reached the egress');
      assert.deepEqual(limited.upstream, []);
    }
  });
}

// --- 3. hand-overs sent straight to the egress --------------------------------------------------

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: forged, altered, unsigned, expired and replayed hand-overs sent to the egress are refused`, async () => {
    const from = up.requests.length;
    const fresh = () => JSON.stringify(envelope());

    // A hand-over signed here, as an edge signs it, runs: the signing below is the Worker's.
    const good = fresh();
    const ok = await handover(runtime, good, { authorization: sign(SECRETS[0], good) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.upstream, 200);
    assert.equal(ok.json.done.result.structuredContent.clusterSize, 3, ok.text.slice(0, 300));
    // A key being rotated in verifies as well.
    const rotated = fresh();
    assert.equal((await handover(runtime, rotated, { authorization: sign(SECRETS[1], rotated) })).status, 200);
    assert.equal(up.requests.length - from, 2);
    const ran = up.requests.length;

    const refusals = [
      ['replayed', good, { authorization: sign(SECRETS[0], good) }, 409],
      ['unsigned', fresh(), {}, 401],
      ['another secret', ...(() => { const b = fresh(); return [b, { authorization: sign('some-other-secret-of-at-least-32-chars', b) }]; })(), 401],
      ['a bearer token', fresh(), { authorization: 'Bearer x' }, 401],
      ['a made-up MAC', fresh(), { authorization: `Handover ${crypto.randomBytes(32).toString('base64url')}` }, 401],
      ['an empty MAC', fresh(), { authorization: 'Handover ' }, 401],
      // The old MAC on an altered body: a new nonce (to pass as new), another cluster, one more byte.
      ['a new nonce', JSON.stringify({ ...JSON.parse(good), nonce: nonce() }), { authorization: sign(SECRETS[0], good) }, 401],
      ['another address', good.replace(`/bru-2/${ID}`, `/bru-2/${RO_ID}`), { authorization: sign(SECRETS[0], good) }, 401],
      ['a trailing space', `${good} `, { authorization: sign(SECRETS[0], good) }, 401],
      ...(() => {
        const past = JSON.stringify(envelope({ issuedMs: Date.now() - 60_000, windowMs: 5_000 }));
        const future = JSON.stringify(envelope({ issuedMs: Date.now() + 10 * 60_000 }));
        const long = JSON.stringify(envelope({ windowMs: 24 * 3600_000 }));
        const elsewhere = JSON.stringify(envelope({ region: 'jfk-1' }));
        return [
          // wrangler.egress.toml tells the egress its region (bru-2); Miniflare's is not told.
          ...(runtime === 'miniflare' ? [] : [['for another region', elsewhere, { authorization: sign(SECRETS[0], elsewhere) }, 403]]),
          ['expired', past, { authorization: sign(SECRETS[0], past) }, 401],
          ['issued in the future', future, { authorization: sign(SECRETS[0], future) }, 401],
          ['valid for a day', long, { authorization: sign(SECRETS[0], long) }, 401],
          ['signed but not an envelope', 'not json', { authorization: sign(SECRETS[0], 'not json') }, 400],
        ];
      })(),
    ];
    for (const [what, body, headers, status] of refusals) {
      const r = await handover(runtime, body, headers);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.json?.error, 'handover_refused', `${what}: ${r.text}`);
      assert.match(r.json?.reason ?? '', /^[a-z_]+$/, `${what}: a reason code`);
      if (what === 'expired') assert.match(r.json.message, /expired/);
      if (what === 'replayed') assert.match(r.json.message, /replayed/);
    }
    // Not the hand-over path or method.
    assert.equal((await handover(runtime, undefined, {}, { method: 'GET' })).status, 405);
    assert.equal((await handover(runtime, good, { authorization: sign(SECRETS[0], good) }, { method: 'PUT' })).status, 405);
    const mcp = await handover(runtime, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology' } }), {}, { path: '/mcp/cluster' });
    assert.equal(mcp.status, 404, 'an egress has no MCP endpoint');
    assert.equal((await handover(runtime, undefined, {}, { method: 'GET', path: `/bru-2/${ID}/mcp/cluster` })).status, 404);
    const health = await handover(runtime, undefined, {}, { method: 'GET', path: '/healthz' });
    assert.deepEqual([health.status, health.json?.status, health.json?.role], [200, 'ok', 'egress']);
    assert.equal(up.requests.length, ran, 'a refused hand-over reached the cluster');

    if (runtime === 'miniflare') {
      // A real envelope, taken off the service binding, replayed and altered.
      const t = await token(who('replay', runtime, 'x'));
      tapped.length = 0;
      const r = await result('2025-11-25', runtimes.miniflare.url + route('lhr-1'), t, 'getTopology');
      assert.equal(r.isError, false);
      const [{ body, headers }] = tapped;
      const before = up.requests.length;
      const replay = await handover(runtime, body, { authorization: headers.authorization });
      assert.equal(replay.status, 409, replay.text);
      const renonced = await handover(runtime, JSON.stringify({ ...JSON.parse(body), nonce: nonce() }), { authorization: headers.authorization });
      assert.equal(renonced.status, 401, renonced.text);
      const elsewhere = await handover(runtime, body.replace('"getTopology"', '"searchProcessInstances"'), { authorization: headers.authorization });
      assert.equal(elsewhere.status, 401, elsewhere.text);
      assert.equal(up.requests.length, before);
    }
  });
}

// --- 4. a broken egress -------------------------------------------------------------------------

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: an egress down, missing, hanging or answering garbage is a tool error naming it; the next call is fine`, async (tc) => {
    const rt = runtimes[runtime];
    const cases = [
      ['down', 'jfk-1', 'EGRESS_JFK_1', 'getTopology', {}, 502, null],
      ['not bound', 'dsm-1', 'EGRESS_DSM_1', 'getTopology', {}, 502, /could not be reached \(this Worker has no service binding EGRESS_DSM_1\)/],
      ['hanging', 'syd-1', 'EGRESS_SYD_1', 'getTopology', {}, 504, new RegExp(`did not answer within ${TIMEOUT_MS} ms`)],
      ['200, not JSON', 'syd-1', 'EGRESS_SYD_1', 'getIncident', { incidentKey: K }, 502, /not a hand-back/],
      ['500', 'syd-1', 'EGRESS_SYD_1', 'searchIncidents', {}, 502, /HTTP 500/],
      ...(runtime === 'miniflare' ? [['throwing', 'syd-1', 'EGRESS_SYD_1', 'getProcessDefinition', { processDefinitionKey: K }, 502, /HTTP 500/]] : []),
    ];
    for (const era of ERAS) {
      const t = await token(who('faults', runtime, era));
      for (const [what, region, binding, name, args, status, detail] of cases) {
        const { value: r, upstream } = await during(rt, () => within(30_000, result(era, rt.url + route(region), t, name, args)));
        assert.equal(r.isError, true, `${era} ${what}: ${JSON.stringify(r)}`);
        assert.equal(r.structuredContent?.status, status, `${era} ${what}: ${JSON.stringify(r)}`);
        const text = r.content.map((c) => c.text).join('\n');
        assert.ok(text.includes(`region ${region} (${binding})`), `${era} ${what}: ${text}`);
        if (detail) assert.match(r.structuredContent.detail, detail, `${era} ${what}`);
        if (era === V) tc.diagnostic(`${what}: ${r.structuredContent.detail}`);
        assert.deepEqual(upstream, [], `${era} ${what}: the cluster was reached`);
        const next = await within(30_000, result(era, rt.url + HOP, t, 'getTopology'));
        assert.equal(next.isError, false, `${era} after ${what}: ${JSON.stringify(next)}`);
      }
    }
  });
}

// --- 5 and 6. the same results through the hop ------------------------------------------------

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: a 10,000-item search and resolveIncident give the same results through the hop as direct`, async () => {
    const rt = runtimes[runtime];
    for (const era of ERAS) {
      const t = await token(who('same', runtime, era));
      const search = {};
      for (const [via, p] of [['hop', HOP], ['direct', DIRECT]]) {
        search[via] = await during(rt, () => within(60_000, result(era, rt.url + p, t, 'searchProcessInstances', { page: { limit: 10000 } })));
        assert.equal(search[via].value.isError, false, `${via}: ${JSON.stringify(search[via].value).slice(0, 300)}`);
        assert.deepEqual(search[via].upstream.map((r) => r.body.page.limit), [10000]);
      }
      assert.deepEqual(search.hop.value, search.direct.value);
      const kept = search.hop.value.structuredContent.items.length;
      assert.ok(kept > 10 && kept < 10000, String(kept));
      assert.match(search.hop.value.content[1].text, new RegExp(`showing the first ${kept} of the 10000 items`));
      assert.equal(egressLines(search.hop.lines).length, 1);

      // The resolution fails as Camunda's does while the job has no retries left: then the tool
      // reads the incident, gives its job a retry and resolves again, four REST calls.
      const resolution = `/v2/incidents/${keys.INCIDENT_KEY}/resolution`;
      const noRetries = { type: 'about:blank', title: 'INVALID_STATE', status: 409, instance: resolution,
        detail: `Expected to resolve incident with key '${keys.INCIDENT_KEY}', but the job has no retries left` };
      const resolve = {};
      for (const [via, p] of [['hop', HOP], ['direct', DIRECT]]) {
        up.script({ method: 'POST', path: resolution, status: 409, json: noRetries });
        resolve[via] = await during(rt, () => result(era, rt.url + p, t, 'resolveIncident', { incidentKey: K }),
          (lines) => via === 'direct' || egressLines(lines).length > 0);
        assert.equal(resolve[via].value.isError, false, `${via}: ${JSON.stringify(resolve[via].value)}`);
      }
      assert.deepEqual(resolve.hop.value, resolve.direct.value);
      const steps = (q) => q.upstream.map((r) => [r.method, r.path, r.raw]);
      assert.deepEqual(resolve.hop.upstream.map((r) => `${r.method} ${r.path}`), [
        `POST ${resolution}`, `GET /v2/incidents/${keys.INCIDENT_KEY}`, `PATCH /v2/jobs/${keys.JOB_KEY}`, `POST ${resolution}`]);
      assert.deepEqual(steps(resolve.hop), steps(resolve.direct));
      assert.ok(resolve.hop.upstream.every((r) => r.cluster === `bru-2/${ID}`));
      const ran = egressLines(resolve.hop.lines);
      assert.deepEqual(ran.map((l) => l.tool), ['resolveIncident'], 'one hand-over for all of its REST calls');
      if (rt.outbound) assert.equal(resolve.hop.outbound.egress.length, resolve.hop.upstream.length);
    }
  });

  test(`${runtime}: the process list, getProcessState and a process tool of /mcp/processes through the hop equal direct`, async () => {
    const rt = runtimes[runtime];
    for (const era of ERAS) {
      const t = await token(who('processes', runtime, era));
      const list = {};
      for (const [via, region] of [['hop', 'bru-2'], ['direct', 'ams-1']]) {
        list[via] = await during(rt, () => send(era, rt.url + route(region, ID, 'processes'), 'tools/list', {}, bearer(t)),
          (lines) => via === 'direct' || egressLines(lines).length > 0);
        assert.equal(list[via].value.status, 200, list[via].value.text);
        assert.ok(list[via].value.body.result?.tools, list[via].value.text);
      }
      assert.deepEqual(list.hop.value.body.result, list.direct.value.body.result);
      assert.deepEqual(list.hop.value.body.result.tools.map((x) => x.name),
        ['getProcessState', 'requestVacation_2251799813695001', 'reportDamage_2251799813695002']);
      assert.deepEqual(egressLines(list.hop.lines).map((l) => l.tool), ['tools/list']);
      assert.ok(list.hop.upstream.length > 0 && list.hop.upstream.every((r) => r.cluster === `bru-2/${ID}`));
      assert.deepEqual(list.hop.upstream.map((r) => [r.method, r.path, r.raw]), list.direct.upstream.map((r) => [r.method, r.path, r.raw]));

      const state = {};
      for (const [via, region] of [['hop', 'bru-2'], ['direct', 'ams-1']]) {
        state[via] = await during(rt, () => result(era, rt.url + route(region, ID, 'processes'), t, 'getProcessState', { processInstanceKey: Number(keys.INSTANCE_KEY) }),
          (lines) => via === 'direct' || egressLines(lines).length > 0);
        assert.equal(state[via].value.isError, false, JSON.stringify(state[via].value).slice(0, 300));
      }
      assert.deepEqual(state.hop.value, state.direct.value);
      assert.ok(state.hop.upstream.length > 1);
      assert.deepEqual(egressLines(state.hop.lines).map((l) => l.tool), ['getProcessState']);

      // A process tool: a message correlated with a fresh key, the only difference.
      const vacation = 'requestVacation_2251799813695001';
      const started = {};
      for (const [via, region] of [['hop', 'bru-2'], ['direct', 'ams-1']]) {
        started[via] = await during(rt, () => result(era, rt.url + route(region, ID, 'processes'), t, vacation, { employee: 'ada', from: '2026-12-20', to: '2026-12-31' }),
          (lines) => via === 'direct' || egressLines(lines).length > 0);
        assert.equal(started[via].value.isError, false, JSON.stringify(started[via].value).slice(0, 300));
      }
      assert.deepEqual(started.hop.value, started.direct.value);
      assert.equal(String(started.hop.value.structuredContent.processInstanceKey), keys.INSTANCE_KEY);
      const sent = (q) => q.upstream.map((r) => [r.method, r.path, r.body?.correlationKey ? { ...r.body, correlationKey: 'fresh' } : r.body]);
      assert.deepEqual(sent(started.hop), sent(started.direct));
      assert.ok(started.hop.upstream.some((r) => r.path === '/v2/messages/correlation' && r.cluster === `bru-2/${ID}`));
      assert.deepEqual(egressLines(started.hop.lines).map((l) => l.tool), [vacation]);
    }
  });
}
