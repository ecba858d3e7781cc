// The page for people at GET /, in a real headless browser (Debian's chromium, driven by
// playwright-core), from the built Worker under Miniflare and under wrangler dev: what it says,
// that it loads nothing beyond itself and shows no secret, and a screenshot kept as a test
// artefact in tests/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/browser.mjs';
import { startUpstream, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'tests/artifacts');
const SECRET = 'cache-secret-that-must-never-show';
let up, browser;
const runtimes = {};

before(async () => {
  up = await startUpstream();
  const vars = {
    CAMUNDA_REST_ADDRESS: up.url,
    CAMUNDA_SAAS_REGIONS: 'bru-2,jfk-1',
    MCP_AUTH_MODE: 'oidc',
    CAMUNDA_UPSTREAM_AUTH: 'forward',
    OIDC_ISSUERS: 'https://login.example.com/realms/camunda',
    OIDC_AUDIENCES: 'zeebe.camunda.io',
    MCP_CACHE_SECRET: SECRET,
    MCP_READ_ONLY: 'region:bru-2',
    MCP_TOOL_SCOPES: 'write=camunda:write',
    MCP_RATE_LIMITS: 'read=300/60,write=30/60',
  };
  runtimes.miniflare = await startWorker(vars, {
    ratelimits: {
      MCP_READ_LIMITER: { simple: { limit: 300, period: 60 } },
      MCP_WRITE_LIMITER: { simple: { limit: 30, period: 60 } },
    },
  });
  runtimes['wrangler dev'] = await startWranglerDev(vars, { config: 'wrangler.governance.toml' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`${runtime}: the page says what this is and how to connect, loads nothing else, shows no secret`, async () => {
    const { url } = runtimes[runtime];
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const cspViolations = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
    try {
      const resp = await page.goto(url + '/', { waitUntil: 'networkidle', timeout: 30_000 });
      assert.equal(resp.status(), 200);
      assert.equal(await page.title(), 'Camunda 8 MCP gateway');
      const text = await page.innerText('body');
      for (const want of [
        `${url}/mcp/cluster`,
        `${url}/{region}/{clusterId}/mcp/cluster`,
        '.mcp.json',
        '"mcpServers"',
        '"type": "http"',
        'npx -y @modelcontextprotocol/inspector@2.12.0 --cli',
        'npx -y @camunda8/cli@4.1.0 mcp-proxy /mcp/cluster',
        'https://login.example.com/realms/camunda',
        `${CAMUNDA_TOOL_COUNT} of ${CAMUNDA_TOOL_COUNT} tools`,
        'region bru-2',
        'camunda:write',
        'write tools: 30 calls per 60 s for each caller',
      ]) {
        assert.ok(text.includes(want), `the page lacks ${JSON.stringify(want)}`);
      }
      const html = await page.content();
      for (const secret of [SECRET, up.url, 'MCP_CACHE_SECRET']) {
        assert.ok(!html.includes(secret), `the page shows ${secret}`);
      }
      // Nothing but the page itself (and the browser's own favicon probe, on the same origin).
      const beyond = requests.filter((r) => r !== url + '/' && r !== url + '/favicon.ico');
      assert.deepEqual(beyond, [], 'the page made requests beyond itself');
      assert.ok(requests.every((r) => r.startsWith(url)), requests.join('\n'));
      assert.deepEqual(cspViolations, []);
      assert.equal(up.requests.filter((r) => r.path.startsWith('/v2/')).length, 0, 'the page called the cluster');
      fs.mkdirSync(artifacts, { recursive: true });
      const shot = path.join(artifacts, `landing-${runtime.replace(' ', '-')}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(fs.statSync(shot).size > 10_000, 'the screenshot is empty');
      console.log(`# screenshot: ${path.relative(root, shot)}`);
    } finally {
      await context.close();
    }
    // Clients that do not ask for HTML keep the JSON 404.
    const json = await fetch(url + '/', { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.equal((await json.json()).error, 'Not Found');
  });
}
