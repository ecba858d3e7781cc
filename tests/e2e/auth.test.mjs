// Edge authentication of the built Worker against a real IdP (oauth2-mock-server) on 127.0.0.1.
// Every refused request must leave the stand-in cluster with zero requests.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, rpc, callTool, COMPATIBILITY_DATE } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import { startIdp, hmacToken, unsignedToken, foreignToken, AUDIENCE } from '../support/idp.mjs';

let up, idp, worker;
const CLUSTER = 'cluster-a';
const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology', arguments: {} } };

function oidcVars(extra = {}) {
  return {
    CAMUNDA_REST_ADDRESS: up.url,
    MCP_AUTH_MODE: 'oidc',
    CAMUNDA_UPSTREAM_AUTH: 'forward',
    OIDC_ISSUERS: idp.issuer,
    OIDC_JWKS_URIS: idp.jwksUri,
    OIDC_AUDIENCES: AUDIENCE,
    OIDC_REQUIRED_SCOPES: 'camunda',
    CAMUNDA_CLUSTER_ID: CLUSTER,
    ...extra,
  };
}

before(async () => {
  up = await startUpstream();
  idp = await startIdp();
  worker = await startWorker(oidcVars());
});
after(async () => {
  await worker?.close();
  await idp?.close();
  await up?.close();
});
beforeEach(() => {
  up.reset();
  Object.assign(idp.relay, { mode: 'ok', delayMs: 0, only: null });
});

const bearer = (t) => ({ authorization: `Bearer ${t}` });

test('valid RS256 and ES256 tokens pass and reach the cluster unchanged', async () => {
  for (const kid of ['rsa-1', 'ec-1']) {
    const t = await idp.token({ kid });
    const r = await rpc(worker.endpoint, call, bearer(t));
    assert.equal(r.status, 200, `${kid}: ${r.text}`);
    assert.equal(r.body.result.isError, false);
    assert.equal(up.requests.at(-1).headers.authorization, `Bearer ${t}`);
  }
});

test('every bad credential is refused at the edge with zero upstream requests', async () => {
  const now = Math.floor(Date.now() / 1000);
  const rsaPem = crypto.createPublicKey({ key: idp.keys.get('rsa-1'), format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const claims = { iss: idp.issuer, aud: AUDIENCE, scope: 'camunda', exp: now + 600 };
  const cases = [
    ['no token', {}, 401, null],
    ['malformed token', bearer('abc.def'), 401, 'invalid_token'],
    ['not a bearer token', { authorization: 'Token abc' }, 401, 'invalid_token'],
    ['alg none', bearer(unsignedToken(claims)), 401, 'invalid_token'],
    ['HS256 signed with the RSA public key', bearer(hmacToken({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' }, claims, rsaPem)), 401, 'invalid_token'],
    ['bad signature', bearer((await idp.token()).replace(/.{8}$/, 'AAAAAAAA')), 401, 'invalid_token'],
    ['unknown kid', bearer(foreignToken(claims)), 401, 'invalid_token'],
    ['expired', bearer(await idp.token({ expiresIn: -3600 })), 401, 'invalid_token'],
    ['nbf in the future', bearer(await idp.token({ edit: (h, p) => { p.nbf = now + 3600; } })), 401, 'invalid_token'],
    ['wrong iss', bearer(await idp.token({ edit: (h, p) => { p.iss = 'https://evil.example.com'; } })), 401, 'invalid_token'],
    ['wrong aud', bearer(await idp.token({ edit: (h, p) => { p.aud = 'other-api'; } })), 401, 'invalid_token'],
    ['missing exp', bearer(await idp.token({ edit: (h, p) => { delete p.exp; } })), 401, 'invalid_token'],
    ['clusterId mismatch', bearer(await idp.token({ edit: (h, p) => { p['https://camunda.com/clusterId'] = 'cluster-b'; } })), 401, 'invalid_token'],
    ['missing scope', bearer(await idp.token({ scope: 'other' })), 403, 'insufficient_scope'],
    ['64 KiB header', bearer('a'.repeat(64 * 1024)), 401, 'invalid_token'],
  ];
  for (const [name, headers, status, error] of cases) {
    const r = await rpc(worker.endpoint, call, headers);
    assert.equal(r.status, status, `${name}: ${r.status} ${r.text}`);
    const challenge = r.headers.get('www-authenticate') ?? '';
    const metadata = `resource_metadata="${worker.url}/.well-known/oauth-protected-resource"`;
    // A missing scope is the MCP step-up form: the error first, then the scopes to ask for.
    const head = status === 403 ? `Bearer error="insufficient_scope", scope="camunda", ${metadata}` : `Bearer ${metadata}`;
    assert.ok(challenge.startsWith(head), `${name}: ${challenge}`);
    if (error) assert.match(challenge, new RegExp(`error="${error}"`), name);
    else assert.doesNotMatch(challenge, /error=/, name);
    assert.ok(!challenge.includes('eyJ'), `${name}: the challenge echoes a token`);
  }
  const inQuery = await rpc(`${worker.endpoint}?access_token=${await idp.token()}`, call);
  assert.equal(inQuery.status, 401);
  assert.match(inQuery.headers.get('www-authenticate'), /error="invalid_request"/);
  assert.deepEqual(up.requests, [], 'a refused request reached the cluster');
});

test('crafted tokens, headers and query keys get a clean 401/403 and reach nothing', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: idp.issuer, aud: AUDIENCE, scope: 'camunda', exp: now + 600 };
  const valid = await idp.token();
  const cases = [
    ['crit header we do not implement', bearer(await idp.token({ edit: (h) => { h.crit = ['b64']; h.b64 = true; } })), 401, /critical header/],
    ['alg with CR/LF and non-Latin-1', bearer(hmacToken({ alg: 'RS\r\n256\u0442', typ: 'JWT', kid: 'x\r\ny' }, claims, 'k')), 401, /algorithm/],
    ['trailing no-break space', { authorization: `Bearer ${valid}\u00a0` }, 401, /malformed token/],
    ['issuer with an extra slash (exact match)', bearer(await idp.token({ edit: (h, p) => { p.iss = `${idp.issuer}/`; } })), 401, /untrusted issuer/],
  ];
  for (const [name, headers, status, description] of cases) {
    const r = await rpc(worker.endpoint, call, headers);
    assert.equal(r.status, status, `${name}: ${r.text}`);
    const challenge = r.headers.get('www-authenticate') ?? '';
    assert.ok([...challenge].every((c) => c >= ' ' && c <= '~'), `${name}: ${JSON.stringify(challenge)}`);
    assert.match(challenge, /error="invalid_token"/, name);
    assert.match(challenge, description, name);
  }
  for (const query of ['access%5Ftoken=x', 'ACCESS_TOKEN=x', 'a=1&access%5ftoken=x']) {
    const r = await rpc(`${worker.endpoint}?${query}`, call, bearer(valid));
    assert.equal(r.status, 401, query);
    assert.match(r.headers.get('www-authenticate'), /error="invalid_request"/, query);
  }
  const origin = await rpc(worker.endpoint, call, { ...bearer(valid), origin: 'http://[::1]:80x' });
  assert.equal(origin.status, 403);
  assert.deepEqual(up.requests, [], 'a refused request reached the cluster');
  // And the next normal request is served.
  assert.equal((await rpc(worker.endpoint, call, bearer(valid))).status, 200);
});

test('under wrangler dev too: valid tokens pass, crafted ones get a clean 401 and reach nothing', async () => {
  const w = await startWranglerDev(oidcVars());
  try {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: idp.issuer, aud: AUDIENCE, scope: 'camunda', exp: now + 600 };
    const valid = await idp.token({ kid: 'ec-1' });
    assert.equal((await rpc(w.endpoint, call, bearer(valid))).status, 200);
    up.reset();
    for (const headers of [
      {},
      bearer(hmacToken({ alg: 'RS\r\n256\u0442', typ: 'JWT', kid: 'x\r\ny' }, claims, 'k')),
      { authorization: `Bearer ${valid}\u00a0` },
      bearer(await idp.token({ edit: (h) => { h.crit = ['b64']; h.b64 = true; } })),
      bearer(await idp.token({ expiresIn: -3600 })),
    ]) {
      const r = await rpc(w.endpoint, call, headers);
      assert.equal(r.status, 401, r.text);
      const challenge = r.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer resource_metadata="/);
      assert.ok([...challenge].every((c) => c >= ' ' && c <= '~'), JSON.stringify(challenge));
    }
    assert.deepEqual(up.requests, []);
  } finally {
    await w.close();
  }
});

test('OIDC_REQUIRE_CLUSTER_CLAIM: a token that names no cluster is refused', async () => {
  const w = await startWorker(oidcVars({ OIDC_REQUIRE_CLUSTER_CLAIM: 'true' }));
  try {
    const none = await rpc(w.endpoint, call, bearer(await idp.token()));
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate'), /names no cluster/);
    const named = await idp.token({ edit: (h, p) => { p['https://camunda.com/clusterId'] = CLUSTER; } });
    assert.equal((await rpc(w.endpoint, call, bearer(named))).status, 200);
    assert.equal(up.requests.length, 1);
  } finally {
    await w.close();
  }
});

test('with two issuers, each reaches only what OIDC_ISSUER_ROUTES binds it to', async () => {
  const other = await startIdp();
  const id = '6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90';
  const w = await startWorker(oidcVars({
    OIDC_ISSUERS: `${idp.issuer},${other.issuer}`, OIDC_JWKS_URIS: `${idp.jwksUri},${other.jwksUri}`,
    OIDC_ISSUER_ROUTES: 'default; region:bru-2', CAMUNDA_SAAS_REGIONS: 'bru-2',
    CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}`, CAMUNDA_CLUSTER_ID: '',
  }));
  try {
    const saas = `${w.url}/bru-2/${id}/mcp/cluster`;
    const a = await idp.token();
    const b = await other.token();
    assert.equal((await rpc(w.endpoint, call, bearer(a))).status, 200);
    assert.equal((await rpc(saas, call, bearer(b))).status, 200);
    up.reset();
    for (const [url, token] of [[saas, a], [w.endpoint, b]]) {
      const r = await rpc(url, call, bearer(token));
      assert.equal(r.status, 401, url);
      assert.match(r.headers.get('www-authenticate'), /may not reach this cluster/);
    }
    assert.deepEqual(up.requests, []);
  } finally {
    await w.close();
    await other.close();
  }
});

test('key sources must be https (loopback only for tests) and settings never leak their values', async () => {
  for (const [vars, name, secret] of [
    [{ OIDC_ISSUERS: 'http://idp.example.com/realms/x' }, 'OIDC_ISSUERS', 'idp.example.com'],
    [{ OIDC_JWKS_URIS: 'http://keys.example.com/jwks' }, 'OIDC_JWKS_URIS', 'keys.example.com'],
    [{ CAMUNDA_REST_ADDRESS: 'https://admin:s3cret@cluster.example.com' }, 'CAMUNDA_REST_ADDRESS', 's3cret'],
  ]) {
    const w = await startWorker(oidcVars(vars));
    try {
      const r = await rpc(w.endpoint, call, bearer(await idp.token()));
      assert.equal(r.status, 500, name);
      assert.match(r.body.error.message, new RegExp(name));
      assert.ok(!r.text.includes(secret), `${name}: ${r.text}`);
      assert.ok(w.logs.some((l) => l.includes(secret)), `${name}: the value belongs in the log`);
    } finally {
      await w.close();
    }
  }
  assert.ok(worker.logs.some((l) => l.includes('cleartext HTTP, accepted only because it is on this machine')));
});

test('a JWKS URI that redirects is not followed: keys come only from the configured place', async () => {
  const redirector = http.createServer((req, res) => { res.writeHead(302, { location: idp.jwksUri }); res.end(); });
  await new Promise((r) => redirector.listen(0, '127.0.0.1', r));
  const w = await startWorker(oidcVars({ OIDC_JWKS_URIS: `http://127.0.0.1:${redirector.address().port}/jwks` }));
  try {
    const r = await rpc(w.endpoint, call, bearer(await idp.token()));
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /signing keys unavailable/);
    assert.deepEqual(up.requests, []);
  } finally {
    await w.close();
    await new Promise((r) => redirector.close(r));
  }
});

test('protected-resource metadata (RFC 9728) at the root and the MCP path', async () => {
  for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp/cluster']) {
    const res = await fetch(worker.url + path);
    assert.equal(res.status, 200, path);
    const doc = await res.json();
    assert.equal(doc.resource, `${worker.url}/mcp/cluster`);
    assert.deepEqual(doc.authorization_servers, [idp.issuer]);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
    assert.deepEqual(doc.scopes_supported, ['camunda']);
  }
});

test('the SDK client works with a bearer header; c8ctl-style retry after 401 succeeds', async () => {
  const client = new Client({ name: 'e2e-auth', version: '1.0.0' });
  const t = await idp.token({ kid: 'ec-1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(worker.endpoint), { requestInit: { headers: bearer(t) } }));
  assert.equal((await client.listTools()).tools.length, CAMUNDA_TOOL_COUNT);
  assert.equal((await client.callTool({ name: 'getClusterStatus', arguments: {} })).content[0].text, 'HEALTHY');
  await client.close();

  // An expired token gets 401; the proxy refreshes its token and retries once.
  const expired = await idp.token({ expiresIn: -3600 });
  assert.equal((await rpc(worker.endpoint, call, bearer(expired))).status, 401);
  assert.equal((await rpc(worker.endpoint, call, bearer(await idp.token()))).status, 200);
});

test('100 parallel requests with a cold key cache cause exactly one JWKS fetch', async () => {
  const cold = await startWorker(oidcVars());
  try {
    idp.relay.delayMs = 200;
    const before = idp.relay.fetches;
    const tokens = await Promise.all(Array.from({ length: 100 }, () => idp.token()));
    const results = await Promise.all(tokens.map((t) => rpc(cold.endpoint, call, bearer(t))));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
    assert.equal(idp.relay.fetches - before, 1);
  } finally {
    await cold.close();
  }
});

test('isolates sharing the Cache API fetch the JWKS once between them', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'jwks-cache-'));
  const before = idp.relay.fetches;
  for (let i = 0; i < 2; i++) {
    const w = await startWorker(oidcVars({ MCP_CACHE_SECRET: 'deployment-secret' }), { cachePersist: store });
    try {
      assert.equal((await rpc(w.endpoint, call, bearer(await idp.token()))).status, 200);
    } finally {
      await w.close();
    }
  }
  assert.equal(idp.relay.fetches - before, 1, 'the second isolate took the keys from the shared cache');
  fs.rmSync(store, { recursive: true, force: true });
});

test('another Worker of the zone cannot plant keys in the shared cache', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'jwks-poison-'));
  // The attacker: any Worker with the same Cache API (same zone) writes its own key set under
  // the public JWKS URL, the name a naive gateway would read.
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'ES256', use: 'sig' };
  const attacker = new Miniflare({
    modules: true, compatibilityDate: COMPATIBILITY_DATE, cachePersist: store,
    script: `export default { async fetch() {
      await caches.default.put(${JSON.stringify(idp.jwksUri)}, new Response(${JSON.stringify(JSON.stringify({ keys: [jwk] }))},
        { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=86400' } }));
      return new Response('planted');
    } }`,
  });
  assert.equal(await (await attacker.dispatchFetch('http://attacker.test/')).text(), 'planted');
  await attacker.dispose();
  const head = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'rsa-1' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ iss: idp.issuer, aud: AUDIENCE, scope: 'camunda', exp: now + 600, 'https://camunda.com/clusterId': CLUSTER })).toString('base64url');
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const w = await startWorker(oidcVars({ MCP_CACHE_SECRET: 'deployment-secret' }), { cachePersist: store });
  try {
    const r = await rpc(w.endpoint, call, bearer(`${head}.${body}.${sig}`));
    assert.equal(r.status, 401, r.text);
    assert.deepEqual(up.requests, []);
    // The real keys still work (fetched from the IdP, not taken from the planted copy).
    assert.equal((await rpc(w.endpoint, call, bearer(await idp.token()))).status, 200);
  } finally {
    await w.close();
    fs.rmSync(store, { recursive: true, force: true });
  }
});

test('key rotation: new keys after one refresh, old verified tokens until they expire', async () => {
  const w = await startWorker(oidcVars());
  try {
    const old = await idp.token({ kid: 'rsa-1' });
    assert.equal((await rpc(w.endpoint, call, bearer(old))).status, 200);
    // The IdP rotates: a new key is published and the old one withdrawn.
    await idp.keys.generate('RS256', { kid: 'rsa-2' });
    idp.relay.only = ['rsa-2', 'ec-1'];
    const before = idp.relay.fetches;
    const fresh = await idp.token({ kid: 'rsa-2' });
    assert.equal((await rpc(w.endpoint, call, bearer(fresh))).status, 200);
    assert.equal(idp.relay.fetches - before, 1, 'one refresh for the new kid');
    assert.equal((await rpc(w.endpoint, call, bearer(old))).status, 200, 'the verified old token still passes');
    // A flood of unknown kids right after costs no further fetch (cooldown).
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 20; i++) {
      const r = await rpc(w.endpoint, call, bearer(foreignToken({ iss: idp.issuer, aud: AUDIENCE, scope: 'camunda', exp: now + 600 }, `random-${i}`)));
      assert.equal(r.status, 401);
    }
    assert.equal(idp.relay.fetches - before, 1, 'random kids caused no extra fetch');
  } finally {
    await w.close();
  }
});

test('JWKS endpoint down or garbage: known keys verify, unknown keys fail closed', async () => {
  for (const mode of ['down', 'garbage']) {
    const w = await startWorker(oidcVars());
    try {
      assert.equal((await rpc(w.endpoint, call, bearer(await idp.token({ kid: 'rsa-1' })))).status, 200);
      idp.relay.mode = mode;
      up.reset();
      assert.equal((await rpc(w.endpoint, call, bearer(await idp.token({ kid: 'ec-1' })))).status, 200, `${mode}: known key`);
      await idp.keys.generate('ES256', { kid: `ec-${mode}` });
      const r = await rpc(w.endpoint, call, bearer(await idp.token({ kid: `ec-${mode}` })));
      assert.equal(r.status, 401, `${mode}: unknown key must fail closed`);
      assert.equal(up.requests.length, 1, 'only the known-key call reached the cluster');
      for (let i = 0; i < 50 && !w.logs.some((l) => l.includes('unknown signing key')); i++) await new Promise((res) => setTimeout(res, 20));
      assert.ok(w.logs.some((l) => l.includes('unknown signing key')), 'the refusal is logged');
    } finally {
      idp.relay.mode = 'ok';
      await w.close();
    }
  }
  // Cold cache and the endpoint down: nothing verifies.
  const w = await startWorker(oidcVars());
  try {
    idp.relay.mode = 'down';
    const r = await rpc(w.endpoint, call, bearer(await idp.token()));
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /signing keys unavailable/);
  } finally {
    await w.close();
  }
});

test('a slow JWKS endpoint fails closed within the fetch timeout', async () => {
  const w = await startWorker(oidcVars());
  try {
    // The keys would arrive after 8 s and verify: a 401 shows the 5 s fetch timeout gave up first.
    idp.relay.delayMs = 8000;
    const r = await rpc(w.endpoint, call, bearer(await idp.token()));
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /signing keys unavailable/);
    assert.deepEqual(up.requests, []);
  } finally {
    await w.close();
  }
});

test('SaaS routing: each cluster path reaches its cluster; a token for another cluster is refused', async () => {
  const [A, B] = ['6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90', '0d9e3b7a-1c2f-4a5b-8e6d-7f4a3c2b1e09'];
  const w = await startWorker(oidcVars({
    CAMUNDA_CLUSTER_ID: '',
    CAMUNDA_SAAS_REGIONS: 'bru-2,jfk-1',
    CAMUNDA_SAAS_URL_TEMPLATE: `${up.url}/{region}/{clusterId}`,
  }));
  try {
    const forCluster = (id) => idp.token({ edit: (h, p) => { p['https://camunda.com/clusterId'] = id; } });
    const at = (region, id) => `${w.url}/${region}/${id}/mcp/cluster`;
    assert.equal((await rpc(at('bru-2', A), call, bearer(await forCluster(A)))).status, 200);
    assert.equal((await rpc(at('jfk-1', B), call, bearer(await forCluster(B)))).status, 200);
    assert.equal((await rpc(at('jfk-1', B), call, bearer(await idp.token()))).status, 200, 'a token naming no cluster');
    assert.deepEqual(up.requests.map((r) => `${r.cluster} ${r.path}`), [`bru-2/${A} /v2/topology`, `jfk-1/${B} /v2/topology`, `jfk-1/${B} /v2/topology`]);

    up.reset();
    const replay = await rpc(at('jfk-1', B), call, bearer(await forCluster(A)));
    assert.equal(replay.status, 401);
    assert.equal(replay.headers.get('www-authenticate').split(',')[0],
      `Bearer resource_metadata="${w.url}/.well-known/oauth-protected-resource/jfk-1/${B}/mcp/cluster"`);
    assert.equal((await rpc(at('ams-3', A), call, bearer(await forCluster(A)))).status, 404, 'region not allowed');
    assert.deepEqual(up.requests, [], 'a refused request reached a cluster');

    const doc = await (await fetch(`${w.url}/.well-known/oauth-protected-resource/jfk-1/${B}/mcp/cluster`)).json();
    assert.equal(doc.resource, `${w.url}/jfk-1/${B}/mcp/cluster`);
    assert.equal((await fetch(`${w.url}/.well-known/oauth-protected-resource/xx-1/${B}/mcp/cluster`)).status, 404);
    assert.ok(w.logs.some((l) => l.includes(`"cluster":"${B}"`) && l.includes('"region":"jfk-1"')), 'the log line names region and cluster');
  } finally {
    await w.close();
  }
});

test('basic mode forwards Basic credentials and turns an upstream 401 into HTTP 401', async () => {
  const w = await startWorker({ CAMUNDA_REST_ADDRESS: up.url, MCP_AUTH_MODE: 'basic' });
  try {
    const missing = await rpc(w.endpoint, call);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate'), /^Basic realm="Camunda"/);
    const basic = { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` };
    assert.equal((await callTool(w.endpoint, 'getTopology', {}, basic)).isError, false);
    assert.equal(up.requests.at(-1).headers.authorization, basic.authorization);
    up.script({ path: '/v2/topology', status: 401, json: { title: 'Unauthorized', status: 401, detail: 'bad credentials' } });
    const refused = await rpc(w.endpoint, call, basic);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate'), /^Basic/);
  } finally {
    await w.close();
  }
});
