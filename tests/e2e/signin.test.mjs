// Interactive sign-in (MCP_AUTH_MODE=oauth) end to end, under Miniflare and wrangler dev: the
// TypeScript SDK client's own OAuth support (discovery → dynamic registration → authorize →
// token → tools/call), the consent page approved in headless Chromium, oauth2-mock-server as the
// organisation's IdP, Workers KV for the records. The cluster stand-in must see the person's own
// IdP token, never the gateway's. The same with mcp-remote 0.15.1, the stdio bridge of desktop
// clients. Then client-credentials mode: 100 parallel calls, one token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import readline from 'node:readline';
import net from 'node:net';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/browser.mjs';
import { OAuth2Server } from 'oauth2-mock-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker, rpc } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import * as signin from '../support/signin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'tests/artifacts');
let up, idp, browser, receiver;
const runtimes = {};
const tokenRequests = [];
// While set, the IdP's first token answer of a sign-in says the person's token expires in 30 s,
// so the gateway must refresh it on the next tool call.
let shortLivedPerson = false;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/**
 * Where the MCP client is sent back to: records each authorization response. `pages` are served
 * as they are (an attacker's page on this other origin).
 */
async function startReceiver() {
  const hits = [];
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://receiver');
    res.writeHead(200, { 'content-type': 'text/html' });
    if (pages.has(url.pathname)) return res.end(pages.get(url.pathname));
    hits.push(url);
    res.end('<p>You may close this window.</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { url: `${origin}/callback`, origin, hits, pages, close: () => new Promise((r) => server.close(r)) };
}

/** The SDK's OAuthClientProvider, kept in memory as a desktop client keeps it on disk. */
class Provider {
  constructor(redirectUrl) { this.redirect = redirectUrl; this.saved = {}; }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() {
    return {
      client_name: 'SDK test client', redirect_uris: [this.redirect], token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    };
  }
  clientInformation() { return this.saved.client; }
  saveClientInformation(c) { this.saved.client = c; }
  tokens() { return this.saved.tokens; }
  saveTokens(t) { this.saved.tokens = t; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.saved.verifier = v; }
  codeVerifier() { return this.saved.verifier; }
}

/** A loopback port nobody listens on now (mcp-remote takes its callback port as an argument). */
async function freePort() {
  const probe = http.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * mcp-remote as a desktop client runs it: a child process speaking MCP over stdio. Its sign-in
 * state goes to a fresh directory; `BROWSER=true` makes its browser launch a no-op, the test's
 * Chromium opens the URL it prints instead. Every wait is bounded and reports its stderr.
 */
async function startMcpRemote(endpoint) {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-remote-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'node_modules/mcp-remote/dist/proxy.js'), endpoint, String(port)], {
    env: { ...process.env, MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true', DISPLAY: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const waiting = new Map();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    waiting.get(msg.id)?.(msg);
  });
  const waitFor = async (pattern, ms) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const m = stderr.match(pattern);
      if (m) return m;
      if (child.exitCode !== null) break;
    }
    throw new Error(`mcp-remote: no ${pattern} within ${ms} ms (exit ${child.exitCode}):\n${stderr}`);
  };
  let nextId = 1;
  const request = (method, params) => {
    const id = nextId++;
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mcp-remote: no answer to ${method}:\n${stderr}`)), 20_000);
      waiting.set(id, (msg) => { clearTimeout(timer); resolve(msg); });
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answer;
  };
  const notify = (method) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
  const close = async () => {
    child.kill();
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    fs.rmSync(configDir, { recursive: true, force: true });
  };
  return { port, waitFor, request, notify, close };
}

const register = (base, address) => signin.register(base, receiver.url, address);
const codeFor = (base) => signin.codeFor(base, receiver.url);
const signedIn = (base) => signin.signedIn(base, receiver.url);
const { redeem, refreshWith } = signin;

const topology = (endpoint, token) => rpc(endpoint,
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology', arguments: {} } },
  { authorization: `Bearer ${token}` });

/** A loopback listener that counts connections: proof that nothing was fetched from it. */
async function listener() {
  let connections = 0;
  const server = net.createServer((socket) => { connections += 1; socket.destroy(); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, count: () => connections, close: () => new Promise((r) => server.close(r)) };
}

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  up = await startUpstream();
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  idp.service.on('beforeResponse', (resp, req) => {
    if (req.path !== '/token') return;
    tokenRequests.push(req.body);
    if (shortLivedPerson && req.body.grant_type === 'authorization_code') resp.body.expires_in = 30;
  });
  await idp.start(0, '127.0.0.1');
  receiver = await startReceiver();
  const vars = {
    CAMUNDA_REST_ADDRESS: up.url,
    MCP_AUTH_MODE: 'oauth',
    OAUTH_UPSTREAM_ISSUER: idp.issuer.url,
    OAUTH_UPSTREAM_CLIENT_ID: 'camunda-mcp-gateway',
    OAUTH_UPSTREAM_CLIENT_SECRET: 'gateway-secret-at-the-idp',
    OAUTH_KV_KEY: 'a-test-vault-key-of-more-than-32-characters',
  };
  runtimes.miniflare = await startWorker(vars, {
    kvNamespaces: ['OAUTH_KV'],
    durableObjects: { OAUTH_GRANTS: 'GrantObject' },
    // As in tests/support/wrangler.oauth.toml.
    ratelimits: { OAUTH_REGISTER_LIMITER: { simple: { limit: 20, period: 60 } } },
  });
  runtimes['wrangler dev'] = await startWranglerDev(vars, { config: 'wrangler.oauth.toml' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  for (const r of Object.values(runtimes)) await r.close();
  await receiver?.close();
  await idp?.stop();
  await up?.close();
});

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: a person connects the SDK client through the browser and calls tools as themselves`, async () => {
    const { endpoint } = runtimes[runtime];
    const provider = new Provider(receiver.url);
    const first = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider });
    await assert.rejects(new Client({ name: 'signin-test', version: '1.0.0' }).connect(first), UnauthorizedError);
    assert.ok(provider.saved.client?.client_id, 'registered dynamically');
    const authorize = provider.authorizationUrl;
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('resource'), endpoint);

    const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    const page = await context.newPage();
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    const trail = [];
    page.on('response', (r) => trail.push(`${r.status()} ${r.url()}`));
    page.on('requestfailed', (r) => trail.push(`failed ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(authorize.href);
    assert.equal(await page.textContent('#client'), 'SDK test client');
    assert.equal(await page.textContent('#redirect-uri'), receiver.url, 'the full redirect URI');
    assert.match(await page.textContent('#client-trust'), /unverified/);
    await page.screenshot({ path: path.join(artifacts, `signin-consent-${runtime.replace(' ', '-')}.png`) });
    const hits = receiver.hits.length;
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(receiver.url), { timeout: 15_000 }),
      page.click('button[value=approve]'),
    ]).catch((e) => { throw new Error(`${e.message}\n${trail.join('\n')}\n${violations.join('\n')}`); });
    await context.close();
    assert.deepEqual(violations, []);
    const back = receiver.hits[hits];
    assert.equal(back.searchParams.get('iss'), new URL(endpoint).origin, 'RFC 9207 iss');
    await first.finishAuth(back.searchParams.get('code'));
    const gatewayToken = provider.saved.tokens.access_token;
    assert.ok(provider.saved.tokens.refresh_token);

    const transport = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider });
    const client = new Client({ name: 'signin-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'getClusterStatus'));
    up.requests.length = 0;
    const result = await client.callTool({ name: 'getTopology', arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result));
    const seen = up.requests.at(-1).headers.authorization;
    assert.ok(seen?.startsWith('Bearer '), 'the cluster got a bearer token');
    const upstreamToken = seen.slice(7);
    assert.notEqual(upstreamToken, gatewayToken, 'never the token the MCP client sent');
    assert.equal(claims(upstreamToken).iss, idp.issuer.url, "the person's token from their IdP");
    assert.equal(claims(upstreamToken).sub, 'johndoe');
    await client.close();

    // Refresh rotation through the token endpoint, then replay of the old refresh token.
    const tokenUrl = new URL('/token', endpoint);
    const refresh = (token) => fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: provider.saved.client.client_id }),
    });
    const old = provider.saved.tokens.refresh_token;
    const rotated = await (await refresh(old)).json();
    assert.ok(rotated.access_token && rotated.refresh_token !== old, JSON.stringify(rotated));
    const replay = await refresh(old);
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error, 'invalid_grant');
    const before = up.requests.length;
    const revoked = await rpc(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${rotated.access_token}` });
    assert.equal(revoked.status, 401, 'replay revoked the grant');
    assert.equal(up.requests.length, before);
  });

  test(`${runtime}: mcp-remote signs in through the browser and its tool calls carry the person's token`, async () => {
    const { endpoint } = runtimes[runtime];
    const remote = await startMcpRemote(endpoint);
    try {
      const [, authorizeUrl] = await remote.waitFor(/Please authorize this client by visiting:\s+(\S+)/, 30_000);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(authorizeUrl);
      assert.match(await page.textContent('body'), /MCP CLI Proxy/, 'the consent page names the client');
      await Promise.all([
        page.waitForURL((u) => u.port === String(remote.port), { timeout: 15_000 }),
        page.click('button[value=approve]'),
      ]);
      await context.close();
      await remote.waitFor(/Proxy established successfully/, 30_000);

      const init = await remote.request('initialize', {
        protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'desktop-client', version: '1.0.0' },
      });
      assert.ok(init.result?.serverInfo, JSON.stringify(init));
      remote.notify('notifications/initialized');
      const list = await remote.request('tools/list', {});
      assert.ok(list.result.tools.some((t) => t.name === 'getTopology'), JSON.stringify(list).slice(0, 300));
      up.requests.length = 0;
      const call = await remote.request('tools/call', { name: 'getTopology', arguments: {} });
      assert.notEqual(call.result?.isError, true, JSON.stringify(call));
      const seen = up.requests.at(-1)?.headers.authorization;
      assert.ok(seen?.startsWith('Bearer '), 'the cluster got a bearer token');
      assert.equal(claims(seen.slice(7)).iss, idp.issuer.url, "the person's token from their IdP");
      assert.equal(claims(seen.slice(7)).sub, 'johndoe');
    } finally {
      await remote.close();
    }
  });

  test(`${runtime}: the consent page refuses a form without this browser's CSRF cookie`, async () => {
    const { url } = runtimes[runtime];
    const reg = await fetch(`${url}/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [receiver.url], client_name: 'Forger' }),
    }).then((r) => r.json());
    const q = new URLSearchParams({
      response_type: 'code', client_id: reg.client_id, redirect_uri: receiver.url, state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const pageHtml = await (await fetch(`${url}/authorize?${q}`)).text();
    const consent = pageHtml.match(/name="consent" value="([^"]+)"/)[1];
    const csrf = pageHtml.match(/name="csrf" value="([0-9a-f]+)"/)[1];
    // Right token, but not from the browser that opened the page (no cookie): refused.
    const forged = await fetch(`${url}/authorize`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ consent, csrf, decision: 'approve' }),
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.get('location'), null);
    // A redirect URI that is not the client's: an error page, never a redirect.
    const open = await fetch(`${url}/authorize?${new URLSearchParams({ ...Object.fromEntries(q), redirect_uri: 'https://evil.example/cb' })}`, { redirect: 'manual' });
    assert.equal(open.status, 400);
    assert.equal(open.headers.get('location'), null);
  });
  test(`${runtime}: of parallel refreshes with one refresh token exactly one wins, and the reuse ends the grant`, async () => {
    const { url, endpoint } = runtimes[runtime];
    const { clientId, tokens } = await signedIn(url);
    const answers = await Promise.all(Array.from({ length: 6 }, () => refreshWith(url, clientId, tokens.refresh_token)));
    const won = answers.filter((a) => a.status === 200);
    assert.equal(won.length, 1, answers.map((a) => a.status).join(','));
    for (const a of answers.filter((x) => x.status !== 200)) assert.equal((await a.json()).error, 'invalid_grant');
    const fresh = await won[0].json();
    const before = up.requests.length;
    for (const token of [tokens.access_token, fresh.access_token]) {
      assert.equal((await topology(endpoint, token)).status, 401, 'every token of the grant is dead');
    }
    assert.equal((await refreshWith(url, clientId, fresh.refresh_token)).status, 400);
    assert.equal(up.requests.length, before);
  });

  test(`${runtime}: of parallel redemptions of one code exactly one gets tokens`, async () => {
    const { url, endpoint } = runtimes[runtime];
    const held = await codeFor(url);
    const answers = await Promise.all(Array.from({ length: 6 }, () => redeem(url, held)));
    const won = answers.filter((a) => a.status === 200);
    assert.equal(won.length, 1, answers.map((a) => a.status).join(','));
    // The replays carried the verifier: the grant is revoked (RFC 6749 §4.1.2).
    const { access_token: access } = await won[0].json();
    assert.equal((await topology(endpoint, access)).status, 401);
  });

  test(`${runtime}: tool calls that need the person's refresh race a rotation: one IdP refresh, both stand`, async () => {
    const { url, endpoint } = runtimes[runtime];
    shortLivedPerson = true;
    const { clientId, tokens } = await signedIn(url).finally(() => { shortLivedPerson = false; });
    tokenRequests.length = 0;
    up.requests.length = 0;
    const [rotation, ...calls] = await Promise.all([
      refreshWith(url, clientId, tokens.refresh_token),
      ...Array.from({ length: 6 }, () => topology(endpoint, tokens.access_token)),
    ]);
    assert.equal(rotation.status, 200);
    // Calls the object took before the rotation went through; after it, their token is retired.
    const statuses = calls.map((c) => c.status);
    assert.ok(statuses.every((s) => s === 200 || s === 401), statuses.join(','));
    const rotated = await rotation.json();
    const next = await topology(endpoint, rotated.access_token);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.notEqual(next.body.result.isError, true);
    // One refresh at the IdP in all: whoever refreshed first, the rotation kept the person's new
    // token and the calls after it used that one.
    assert.equal(tokenRequests.filter((b) => b.grant_type === 'refresh_token').length, 1);
    assert.equal((await refreshWith(url, clientId, rotated.refresh_token)).status, 200, 'the rotation was not overwritten');
  });

  test(`${runtime}: revoking ends the grant at once`, async () => {
    const { url, endpoint } = runtimes[runtime];
    const { tokens } = await signedIn(url);
    assert.equal((await topology(endpoint, tokens.access_token)).status, 200);
    const revoked = await fetch(`${url}/revoke`, { method: 'POST', headers: FORM, body: new URLSearchParams({ token: tokens.refresh_token }) });
    assert.equal(revoked.status, 200);
    const before = up.requests.length;
    assert.equal((await topology(endpoint, tokens.access_token)).status, 401);
    assert.equal(up.requests.length, before);
  });

  test(`${runtime}: an authorization error for a client nobody vouches for is a page, never a redirect`, async () => {
    const { url } = runtimes[runtime];
    const { body: reg } = await register(url);
    const hits = receiver.hits.length;
    for (const extra of [{ response_type: 'token' }, { code_challenge_method: 'plain' }, { resource: 'https://evil.example/mcp' }]) {
      const q = new URLSearchParams({
        response_type: 'code', client_id: reg.client_id, redirect_uri: receiver.url, state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...extra,
      });
      const res = await fetch(`${url}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /Scripted client/);
    }
    assert.equal(receiver.hits.length, hits, 'the phishing page was never reached');
  });

  test(`${runtime}: client metadata URLs that name this machine in any spelling are refused without a connection`, async () => {
    const { url } = runtimes[runtime];
    const ear = await listener();
    const p = ear.port;
    try {
      for (const id of [
        `https://127.0.0.1:${p}/c.json`, `http://127.0.0.1:${p}/c.json`, `https://localhost:${p}/c.json`,
        `https://2130706433:${p}/c.json`, `https://0x7f000001:${p}/c.json`, `https://0x7f.1:${p}/c.json`,
        `https://0177.0.0.1:${p}/c.json`, `https://127.1:${p}/c.json`, `https://127.0.0.1.:${p}/c.json`,
        `https://[::1]:${p}/c.json`, `https://[::ffff:127.0.0.1]:${p}/c.json`, `https://[::ffff:7f00:1]:${p}/c.json`,
        `https://%31%32%37.0.0.1:${p}/c.json`, `https://127%2E0%2E0%2E1:${p}/c.json`, `https://１２７.０.０.１:${p}/c.json`,
        `https://127。0。0。1:${p}/c.json`, `https://app.example\\@127.0.0.1:${p}/c.json`, `https:\\\\127.0.0.1:${p}/c.json`,
        `https://x.localhost:${p}/c.json`, `https://app.example/../c.json`, `https://0:${p}/c.json`,
        `https://169.254.169.254/latest/meta-data`, `https://[fd00::1]/c.json`, `https://100.64.0.1/c.json`,
      ]) {
        const q = new URLSearchParams({
          response_type: 'code', client_id: id, redirect_uri: receiver.url,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
        });
        const res = await fetch(`${url}/authorize?${q}`, { redirect: 'manual' });
        assert.equal(res.status, 400, id);
        assert.equal(res.headers.get('location'), null, id);
      }
      assert.equal(ear.count(), 0, 'no connection was attempted');
    } finally {
      await ear.close();
    }
  });

  test(`${runtime}: the sign-in cookie is __Host-; a consent posted from another site is refused`, async () => {
    const { url } = runtimes[runtime];
    const held = await codeFor(url);
    for (const attr of ['__Host-mcp_login_', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']) {
      assert.ok(held.setCookie.includes(attr), `${held.setCookie} lacks ${attr}`);
    }
    // An attacker's page on another origin of this machine (a sibling site) auto-submits a
    // consent it obtained itself: the browser says where the form came from, and it is refused.
    const { body: reg } = await register(url);
    const q = new URLSearchParams({
      response_type: 'code', client_id: reg.client_id, redirect_uri: receiver.url,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const html = await (await fetch(`${url}/authorize?${q}`)).text();
    const field = (name) => html.match(new RegExp(`name="${name}" value="([^"]+)"`))[1];
    receiver.pages.set('/attack', `<form id="f" method="post" action="${url}/authorize">
      <input name="consent" value="${field('consent')}"><input name="csrf" value="${field('csrf')}">
      <input name="decision" value="approve"></form><script>document.getElementById('f').submit()</script>`);
    const context = await browser.newContext();
    const page = await context.newPage();
    const answered = page.waitForResponse((r) => r.url() === `${url}/authorize`, { timeout: 15_000 });
    await page.goto(`${receiver.origin}/attack`);
    const res = await answered;
    assert.equal(res.status(), 403);
    assert.equal(res.headers().location, undefined);
    await context.close();
  });

  test(`${runtime}: a burst of registrations from one address meets 429 with Retry-After`, async () => {
    const { url } = runtimes[runtime];
    const answers = [];
    for (let i = 0; i < 25; i += 1) answers.push(await register(url, '198.51.100.23'));
    const statuses = answers.map((a) => a.status);
    const first = statuses.indexOf(429);
    assert.ok(first >= 0, statuses.join(','));
    assert.ok(statuses.slice(0, first).every((s) => s === 201) && statuses.slice(first).every((s) => s === 429), statuses.join(','));
    assert.equal(answers[first].headers.get('retry-after'), '60');
    assert.equal(answers[first].body.error, 'slow_down');
  });
}

test('client-credentials: 100 parallel calls share one token; the caller\'s token never goes upstream', async () => {
  tokenRequests.length = 0;
  const worker = await startWorker({
    CAMUNDA_REST_ADDRESS: up.url,
    CAMUNDA_UPSTREAM_AUTH: 'client-credentials',
    CAMUNDA_CLIENT_ID: 'gateway-machine',
    CAMUNDA_CLIENT_SECRET: 'machine-secret',
    CAMUNDA_OAUTH_URL: `${idp.issuer.url}/token`,
    CAMUNDA_TOKEN_AUDIENCE: 'orchestration-api',
  });
  try {
    up.requests.length = 0;
    const call = () => rpc(worker.endpoint,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology', arguments: {} } },
      { authorization: 'Bearer the-callers-own-token' });
    const answers = await Promise.all(Array.from({ length: 100 }, call));
    assert.ok(answers.every((a) => a.status === 200 && a.body.result && !a.body.result.isError), JSON.stringify(answers[0].body));
    assert.equal(tokenRequests.filter((b) => b.grant_type === 'client_credentials').length, 1, 'one token fetch');
    const headers = new Set(up.requests.map((r) => r.headers.authorization));
    assert.equal(headers.size, 1);
    const [only] = headers;
    assert.notEqual(only, 'Bearer the-callers-own-token');
    assert.equal(claims(only.slice(7)).iss, idp.issuer.url);
  } finally {
    await worker.close();
  }
});

test('client-credentials: the IdP down is a tool error that says so, nothing reaches the cluster', async () => {
  const worker = await startWorker({
    CAMUNDA_REST_ADDRESS: up.url,
    CAMUNDA_UPSTREAM_AUTH: 'client-credentials',
    CAMUNDA_CLIENT_ID: 'gateway-machine',
    CAMUNDA_CLIENT_SECRET: 'machine-secret',
    CAMUNDA_OAUTH_URL: 'http://127.0.0.1:9/token',
  });
  try {
    up.requests.length = 0;
    const r = await rpc(worker.endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'getTopology', arguments: {} } });
    assert.equal(r.body.result.isError, true);
    assert.match(JSON.stringify(r.body.result), /could not get its own token/);
    assert.equal(up.requests.length, 0);
  } finally {
    await worker.close();
  }
});
