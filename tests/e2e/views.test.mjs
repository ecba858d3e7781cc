// The process view (MCP App, io.modelcontextprotocol/ui 2026-01-26) in a real browser, as a web
// host shows it: headless Chromium opens the test host page (tests/support/apps-host), whose MCP
// client connects to the built Worker (MCP_TOOLSETS=views, the stand-in cluster with its demo
// data), calls the model-visible tool, reads the view with resources/read and mounts it through a
// sandbox proxy on another origin under the spec's default CSP; the official AppBridge forwards
// the tool's input and result and the view's own calls of its app-only tools. Then the rendered
// SVG is checked against what the stand-in holds: tokens, incidents, the path taken, per-element
// counts, every shape of the diagram. A view that draws nothing fails. Bad input (an unknown key,
// XML without layout, a cluster error) must show a clear message in the view and give the model
// an isError result. Under Miniflare and wrangler dev; screenshots go to tests/artifacts/, and with UPDATE_DOCS=1 to docs/images/ (README).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/browser.mjs';
import { startUpstream, problem, BPMN_XML_NO_LAYOUT } from '../support/upstream.mjs';
import { startWorker } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';
import { startAppsHost } from '../support/apps-host/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'tests/artifacts');
// The README's pictures are refreshed on demand (UPDATE_DOCS=1), so a test run leaves the tree clean.
const images = process.env.UPDATE_DOCS === '1' ? path.join(root, 'docs/images') : null;
const VIEW_URI = 'ui://camunda/process-view';
const MODEL_TOOLS = ['showProcessDefinition', 'showProcessInstance'];
const APP_TOOLS = ['viewProcessDefinitionState', 'viewProcessDiagram', 'viewProcessInstanceState'];
const WAIT = 30_000; // the longest any single wait may take

let up, apps, browser;
const runtimes = {};

before(async () => {
  up = await startUpstream({ demo: true });
  const vars = { CAMUNDA_REST_ADDRESS: up.url, MCP_TOOLSETS: 'views' };
  runtimes.miniflare = await startWorker(vars);
  runtimes['wrangler dev'] = await startWranglerDev(vars);
  apps = await startAppsHost();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await apps?.close();
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

// ---- The demo data, picked by what it is, not by literal keys

const instanceOf = (key) => up.demo.instances.find((i) => i.processInstanceKey === key);

/** An active instance with an open incident on ChargeCard. */
function incidentInstance() {
  const incident = up.demo.incidents.find((i) => i.state === 'ACTIVE' && i.elementId === 'ChargeCard'
    && instanceOf(i.processInstanceKey)?.state === 'ACTIVE');
  assert.ok(incident, 'the demo has an open incident on ChargeCard');
  return { instance: instanceOf(incident.processInstanceKey), incident };
}

/** An active instance without incidents whose token waits at the user task ReviewOrder. */
function waitingInstance() {
  const task = up.demo.tasks.find((t) => t.state === 'CREATED' && t.elementId === 'ReviewOrder'
    && instanceOf(t.processInstanceKey)?.state === 'ACTIVE' && !instanceOf(t.processInstanceKey).hasIncident);
  assert.ok(task, 'the demo has an instance waiting at ReviewOrder');
  return instanceOf(task.processInstanceKey);
}

/** The order-process definition with the most active instances: tokens spread over its elements. */
function busyDefinition() {
  const active = new Map();
  for (const i of up.demo.instances) {
    if (i.processDefinitionId === 'order-process' && i.state === 'ACTIVE') active.set(i.processDefinitionKey, (active.get(i.processDefinitionKey) ?? 0) + 1);
  }
  const [key] = [...active.entries()].sort((a, b) => b[1] - a[1])[0];
  return up.demo.definitions.find((d) => d.processDefinitionKey === key);
}

/** A key no demo item has. */
function unknownKey() {
  const keys = up.demo.instances.map((i) => BigInt(i.processInstanceKey));
  return String(keys.reduce((a, b) => (a > b ? a : b)) + 1_000_000n);
}

/** Asks the stand-in itself (not through the gateway): what the view must show. */
async function cluster(method, p, body) {
  const res = await fetch(up.url + p, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(WAIT),
  });
  assert.equal(res.status, 200, `${method} ${p}`);
  return (res.headers.get('content-type') ?? '').includes('json') ? res.json() : res.text();
}

const shapesIn = (xml) => (xml.match(/<(?:[\w-]+:)?BPMNShape\b/g) ?? []).length;

// ---- The host page and the view in it

/** Opens the test host page against `runtime`'s Worker, speaking `era` (legacy|modern);
 * records console lines and CSP reports. */
async function openHost(runtime, era) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  await page.goto(apps.url(runtimes[runtime].endpoint, { era }), { timeout: WAIT });
  await page.waitForFunction(() => window.cmvHost && (window.cmvHost.connected || window.cmvHost.error), null, { timeout: WAIT });
  const error = await page.evaluate(() => window.cmvHost.error);
  assert.equal(error, null, `the host could not connect to the Worker:\n${error}\n${consoleLines.join('\n')}`);
  const version = await page.evaluate(() => window.cmvHost.protocolVersion);
  assert.equal(version, era === 'modern' ? '2026-07-28' : '2025-11-25', 'the host spoke the era under test');
  return { page, consoleLines, close: () => context.close() };
}

/** Rejects after `ms`: every wait on the page is bounded. */
const bounded = (promise, ms, what) => Promise.race([promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))]);

/** The view's own frame: the proxy's inner iframe, inside the frame the host mounted. */
async function viewFrame(page) {
  const proxy = await (await page.waitForSelector('iframe.cmv-app', { timeout: WAIT })).contentFrame();
  const inner = await proxy.waitForSelector('iframe', { state: 'attached', timeout: WAIT });
  return inner.contentFrame();
}

/** What the host recorded for the view on screen (timings, calls, links, sizes, the result). */
const record = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.cmvHost.current)));

/**
 * Calls `tool` through the host page and waits until the view is drawn or has said why not.
 * Returns { rec, view, frame }, where `view` is what the view shows (see inspect).
 */
async function show(page, tool, args) {
  await bounded(page.evaluate(([t, a]) => window.cmvHost.show(t, a).then(() => null), [tool, args]), 2 * WAIT, `show ${tool}`);
  const frame = await viewFrame(page);
  await frame.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.state), null, { timeout: WAIT });
  // The host hears of the drawing (or the failure) from the view's log line a moment later.
  await page.waitForFunction(() => window.cmvHost.current.timings.drawn || window.cmvHost.current.timings.viewError, null, { timeout: WAIT });
  return { rec: await record(page), view: await inspect(frame), frame };
}

/** The view as a person sees it: state, message, markers and overlays per element, shapes, list. */
function inspect(frame) {
  return frame.evaluate(() => {
    const markers = {};
    for (const g of document.querySelectorAll('g.djs-element')) {
      const m = (g.getAttribute('class') ?? '').split(/\s+/).filter((c) => c.startsWith('cmv-'));
      if (m.length) markers[g.dataset.elementId] = m;
    }
    const overlays = {};
    for (const o of document.querySelectorAll('.djs-overlays')) {
      const count = o.querySelector('.cmv-count');
      const badge = o.querySelector('.cmv-incident-badge');
      if (count || badge) overlays[o.dataset.containerId] = { count: count?.textContent ?? null, badge: badge?.textContent ?? null, title: badge?.title ?? null };
    }
    const mark = document.querySelector('.bjs-powered-by');
    const box = mark?.getBoundingClientRect();
    const style = mark && getComputedStyle(mark);
    return {
      state: document.documentElement.dataset.state,
      message: document.getElementById('cmv-message').textContent.trim(),
      markers,
      overlays,
      // Labels are shapes too (id "<element>_label"); the diagram's BPMNShapes are the rest.
      shapes: [...document.querySelectorAll('g.djs-shape')].filter((g) => !g.dataset.elementId.endsWith('_label')).length,
      list: [...document.querySelectorAll('#cmv-list li')].map((li) => li.textContent),
      watermark: mark ? {
        href: mark.href,
        shown: style.display !== 'none' && style.visibility !== 'hidden' && Number(style.opacity) >= 0.5
          && box.width >= 20 && box.height >= 10 && box.right <= innerWidth && box.bottom <= innerHeight,
      } : null,
    };
  });
}

/** The message the view must show for an isError result: the problem's detail, else the text. */
const problemText = (result) => result.structuredContent?.detail
  || result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n').trim();

const has = (view, id, marker) => (view.markers[id] ?? []).includes(marker);

/** The drawing is the demo's diagram: data-state ready, every BPMNShape of its XML drawn. */
async function assertDrawn(view, definitionKey, what) {
  assert.equal(view.state, 'ready', `${what}: the view did not draw (${view.message})`);
  const xml = await cluster('GET', `/v2/process-definitions/${definitionKey}/xml`);
  const expected = shapesIn(xml);
  assert.ok(expected >= 5, 'the demo diagram has a layout');
  assert.equal(view.shapes, expected, `${what}: shapes drawn vs BPMNShapes in the XML`);
  assert.ok(view.watermark?.shown, `${what}: the bpmn.io watermark is visible`);
}

/** The tool call as the model sees it: a short text, and never the BPMN XML. */
function assertModelResult(result, what) {
  const text = JSON.stringify(result);
  for (const xml of ['<?xml', '<bpmn:', 'BPMNShape', 'bpmndi']) assert.ok(!text.includes(xml), `${what}: the model's result carries ${xml}`);
  assert.ok(result.content?.[0]?.text?.length > 10, `${what}: a text summary for the model`);
}

function logTimings(runtime, what, rec) {
  const t = rec.timings;
  const ms = (x) => (x === undefined ? '–' : `${Math.round(x - t.callStart)} ms`);
  console.log(`# ${runtime}, ${what}: tool call → diagram drawn ${ms(t.drawn)} (result ${ms(t.result)}, view read ${ms(t.resource)}, `
    + `proxy ready ${ms(t.proxyReady)}, view initialized ${ms(t.initialized)}); view ${rec.resource.bytes} bytes`);
}

async function screenshot(page, file) {
  // Let the host apply the view's last size-changed before the picture.
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe.cmv-app');
    const s = window.cmvHost.current.sizes.at(-1);
    return f && s && Math.abs(f.clientHeight - s.height) < 2;
  }, null, { timeout: WAIT });
  fs.mkdirSync(artifacts, { recursive: true });
  const shot = path.join(artifacts, file);
  await page.locator('iframe.cmv-app').screenshot({ path: shot, timeout: WAIT });
  assert.ok(fs.statSync(shot).size > 10_000, `${file} is empty`);
  if (images) fs.copyFileSync(shot, path.join(images, file));
  console.log(`# screenshot: ${path.relative(root, shot)}${images ? ' (and docs/images/)' : ''}`);
}

for (const [runtime, era] of [['miniflare', 'legacy'], ['miniflare', 'modern'], ['wrangler dev', 'legacy'], ['wrangler dev', 'modern']]) {
  test(`${runtime}, ${era} era: the process view in a web host`, { timeout: 300_000 }, async (t) => {
    const { page, consoleLines, close } = await openHost(runtime, era);
    let stale = [];
    // One set of screenshots per run, and none of a view older than src/view/.
    const pictures = () => runtime === 'miniflare' && era === 'legacy' && stale.length === 0;
    try {
      await t.test('the host offers the model the show tools and keeps the view tools for the view', async () => {
        const host = await page.evaluate(() => ({ tools: window.cmvHost.tools, model: window.cmvHost.modelTools, appOnly: window.cmvHost.appOnlyTools }));
        for (const name of MODEL_TOOLS) assert.ok(host.model.includes(name), `${name} is offered to the model`);
        assert.deepEqual([...host.appOnly].sort(), APP_TOOLS, 'exactly the view tools are hidden from the model');
        for (const name of [...MODEL_TOOLS, ...APP_TOOLS]) {
          assert.equal(host.tools.find((x) => x.name === name).resourceUri, VIEW_URI, `${name} names the view`);
        }
        // Camunda's own tools stay as they are: no view of their own.
        const others = host.tools.filter((x) => ![...MODEL_TOOLS, ...APP_TOOLS].includes(x.name));
        assert.ok(others.every((x) => x.resourceUri === null), JSON.stringify(others.filter((x) => x.resourceUri)));
      });

      await t.test('(a) an instance with an incident on ChargeCard: red, with its badge and message', async () => {
        const { instance, incident } = incidentInstance();
        const { rec, view, frame } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
        assert.notEqual(rec.result.isError, true, problemText(rec.result));
        assertModelResult(rec.result, 'showProcessInstance');
        assert.equal(rec.resource.mimeType, 'text/html;profile=mcp-app');
        // Whether the Worker serves src/view/ as it is now (the screenshots must show that).
        const served = await page.evaluate(() => window.cmvHost.lastHtml);
        stale = ['view.js', 'view.css', 'body.html'].filter((f) => !served.includes(fs.readFileSync(path.join(root, 'src/view', f), 'utf8')));
        await assertDrawn(view, instance.processDefinitionKey, 'incident instance');
        assert.ok(has(view, 'ChargeCard', 'cmv-incident'), `ChargeCard is not marked: ${JSON.stringify(view.markers)}`);
        const open = up.demo.incidents.filter((i) => i.processInstanceKey === instance.processInstanceKey && i.elementId === 'ChargeCard' && i.state === 'ACTIVE');
        assert.equal(view.overlays.ChargeCard?.badge, String(open.length), 'the incident badge counts the open incidents');
        assert.ok(view.overlays.ChargeCard.title.includes(incident.errorMessage), 'the badge carries the message');
        assert.ok(view.list.some((line) => line.includes(incident.errorMessage)), 'the message is listed under the diagram');
        // Only the elements with an open incident are red.
        const red = Object.keys(view.markers).filter((id) => has(view, id, 'cmv-incident')).sort();
        assert.deepEqual(red, [...new Set(up.demo.incidents.filter((i) => i.processInstanceKey === instance.processInstanceKey && i.state === 'ACTIVE').map((i) => i.elementId))].sort());
        // The view asked for its data through the host: the XML and the state, nothing else.
        assert.deepEqual(rec.appCalls.map((c) => c.tool).sort(), ['viewProcessDiagram', 'viewProcessInstanceState']);
        assert.deepEqual(rec.refused, []);
        assert.ok(rec.sizes.length > 0 && rec.sizes.at(-1).height > 360 && rec.sizes.at(-1).height < 900, `size-changed: ${JSON.stringify(rec.sizes)}`);
        logTimings(`${runtime}, ${era}`, 'incident instance', rec);
        if (pictures()) await screenshot(page, 'process-view-instance.png');

        // The bpmn.io watermark's link goes through the host (ui/open-link).
        await frame.click('.bjs-powered-by', { timeout: WAIT });
        await page.waitForFunction(() => window.cmvHost.current.links.length > 0, null, { timeout: WAIT });
        assert.match((await record(page)).links[0], /^https?:\/\/bpmn\.io\/?$/);
        // Refresh asks for the state again (not the XML) and draws it again.
        await frame.click('#cmv-fit', { timeout: WAIT });
        await frame.click('#cmv-refresh', { timeout: WAIT });
        await page.waitForFunction(() => window.cmvHost.current.appCalls.length === 3, null, { timeout: WAIT });
        await frame.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: WAIT });
        const again = await record(page);
        assert.deepEqual(again.appCalls.map((c) => c.tool), [...rec.appCalls.map((c) => c.tool), 'viewProcessInstanceState']);
        assert.ok(has(await inspect(frame), 'ChargeCard', 'cmv-incident'), 'still red after the refresh');

        // The person switches the host to dark: the view follows, redrawn with its markers.
        const colours = () => frame.evaluate(() => {
          const shape = document.querySelector('[data-element-id="ReviewOrder"] .djs-visual > rect');
          return { theme: document.documentElement.dataset.theme, fill: shape && getComputedStyle(shape).fill };
        });
        const light = await colours();
        assert.ok(light.fill && light.theme !== 'dark', `ReviewOrder is drawn in the light theme: ${JSON.stringify(light)}`);
        await page.evaluate(() => window.cmvHost.setTheme('dark'));
        await frame.waitForFunction(() => document.documentElement.dataset.theme === 'dark', null, { timeout: WAIT });
        // Redrawn in the dark theme's colours, with the markers put back.
        await frame.waitForFunction((lightFill) => {
          const shape = document.querySelector('[data-element-id="ReviewOrder"] .djs-visual > rect');
          return document.documentElement.dataset.state === 'ready' && shape && getComputedStyle(shape).fill !== lightFill
            && document.querySelector('[data-element-id="ChargeCard"].cmv-incident');
        }, light.fill, { timeout: WAIT });
        assert.equal((await colours()).theme, 'dark');
        await page.evaluate(() => window.cmvHost.setTheme('light'));
        await frame.waitForFunction(() => document.documentElement.dataset.theme === 'light', null, { timeout: WAIT });
      });

      await t.test('the Worker serves the view as src/view/ has it', () => {
        assert.deepEqual(stale, [], `the built Worker serves older src/view/ files: rebuild it (scripts/build.sh)`);
      });

      await t.test('(b) an instance waiting at ReviewOrder: its token, and the path it took', async () => {
        const instance = waitingInstance();
        const { rec, view } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
        assert.notEqual(rec.result.isError, true, problemText(rec.result));
        assertModelResult(rec.result, 'showProcessInstance');
        await assertDrawn(view, instance.processDefinitionKey, 'waiting instance');
        assert.ok(has(view, 'ReviewOrder', 'cmv-active'), `ReviewOrder is not marked: ${JSON.stringify(view.markers)}`);
        assert.equal(view.overlays.ReviewOrder?.count, '1', 'one token at ReviewOrder');
        assert.ok(!Object.keys(view.markers).some((id) => has(view, id, 'cmv-incident')), 'no incident marked');
        // As the cluster counts them: completed elements and the sequence flows taken.
        const stats = await cluster('GET', `/v2/process-instances/${instance.processInstanceKey}/statistics/element-instances`);
        const completed = stats.items.filter((s) => s.completed > 0).map((s) => s.elementId);
        assert.ok(completed.length >= 2, 'the demo instance went through elements before ReviewOrder');
        for (const id of completed) assert.ok(has(view, id, 'cmv-completed'), `${id} is not marked completed`);
        const flows = (await cluster('GET', `/v2/process-instances/${instance.processInstanceKey}/sequence-flows`)).items.map((f) => f.elementId);
        assert.ok(flows.length >= 2, 'the demo instance took sequence flows');
        for (const id of flows) assert.ok(has(view, id, 'cmv-completed'), `the flow ${id} taken is not marked`);
        logTimings(`${runtime}, ${era}`, 'waiting instance', rec);
      });

      await t.test('(c) a definition: counts of active and incident instances on several elements', async () => {
        const definition = busyDefinition();
        const { rec, view } = await show(page, 'showProcessDefinition', { processDefinitionKey: definition.processDefinitionKey });
        assert.notEqual(rec.result.isError, true, problemText(rec.result));
        assertModelResult(rec.result, 'showProcessDefinition');
        await assertDrawn(view, definition.processDefinitionKey, 'definition');
        assert.deepEqual(rec.appCalls.map((c) => c.tool).sort(), ['viewProcessDefinitionState', 'viewProcessDiagram']);
        const stats = await cluster('POST', `/v2/process-definitions/${definition.processDefinitionKey}/statistics/element-instances`, {});
        const active = stats.items.filter((s) => s.active > 0);
        const incidents = stats.items.filter((s) => s.incidents > 0);
        assert.ok(active.length >= 2, 'the demo definition has tokens on several elements');
        for (const s of active) {
          assert.ok(has(view, s.elementId, 'cmv-active'), `${s.elementId} is not marked active`);
          assert.equal(view.overlays[s.elementId]?.count, String(s.active), `the count on ${s.elementId}`);
        }
        for (const s of incidents) {
          assert.ok(has(view, s.elementId, 'cmv-incident'), `${s.elementId} is not marked red`);
          assert.equal(view.overlays[s.elementId]?.badge, String(s.incidents), `the incident count on ${s.elementId}`);
        }
        const counted = Object.values(view.overlays).filter((o) => o.count || o.badge).length;
        assert.equal(counted, new Set([...active, ...incidents].map((s) => s.elementId)).size, 'counts on exactly the busy elements');
        logTimings(`${runtime}, ${era}`, 'definition', rec);
        if (pictures()) await screenshot(page, 'process-view-definition.png');
      });

      await t.test('(e) an unknown key: a clear message in the view, isError for the model', async () => {
        const key = unknownKey();
        const { rec, view } = await show(page, 'showProcessInstance', { processInstanceKey: key });
        assert.equal(rec.result.isError, true);
        assert.equal(view.state, 'error');
        assert.equal(view.message, problemText(rec.result));
        assert.ok(view.message.includes(key) || /not found/i.test(view.message), view.message);
        assert.equal(view.shapes, 0);
        assert.deepEqual(rec.appCalls, [], 'nothing to load for an error');
      });

      await t.test('(e) XML without diagram layout: a clear message in the view, isError for the model', async () => {
        const { instance } = incidentInstance();
        try {
          // Whichever call reads the XML (the summary's names, or the view's diagram) gets no layout.
          for (let i = 0; i < 2; i++) up.script({ method: 'GET', path: /\/xml$/, text: BPMN_XML_NO_LAYOUT, type: 'text/xml', status: 200 });
          const { rec, view } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
          assert.equal(rec.result.isError, true, 'the model hears the view cannot draw it');
          assert.equal(view.state, 'error');
          assert.match(view.message, /layout/i);
          assert.equal(view.shapes, 0);
        } finally {
          up.reset();
        }
      });

      await t.test('(e) a cluster error: a clear message in the view, isError for the model', async () => {
        const { instance } = incidentInstance();
        const detail = 'The cluster is restarting: try again in a minute';
        try {
          for (let i = 0; i < 3; i++) {
            up.script({ method: 'GET', path: /^\/v2\/process-instances\/\d+$/, status: 503,
              json: problem(503, 'Service Unavailable', detail, `/v2/process-instances/${instance.processInstanceKey}`) });
          }
          const { rec, view } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
          assert.equal(rec.result.isError, true);
          assert.equal(view.state, 'error');
          assert.equal(view.message, problemText(rec.result));
          assert.ok(view.message.length > 10, view.message);
        } finally {
          up.reset();
        }
      });

      await t.test('(e) a failing app-only call: the view says so', async () => {
        const instance = waitingInstance();
        try {
          // Only the view's state tool reads the sequence flows.
          for (let i = 0; i < 3; i++) {
            up.script({ method: 'GET', path: /\/sequence-flows$/, status: 503,
              json: problem(503, 'Service Unavailable', 'The cluster is restarting', '/v2/process-instances/x/sequence-flows') });
          }
          const { rec, view } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
          assert.notEqual(rec.result.isError, true, problemText(rec.result));
          assert.ok(rec.appCalls.some((c) => c.tool === 'viewProcessInstanceState'));
          assert.equal(view.state, 'error');
          assert.match(view.message, /^Cannot load the current state: \S/);
        } finally {
          up.reset();
        }
      });

      await t.test('the host refuses a view\'s call of a tool not callable by apps; teardown', async () => {
        const instance = waitingInstance();
        const { frame } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
        // The gateway marks no tool model-only: the host pretends one is, and an unknown one.
        await page.evaluate(() => window.cmvHost.treatAsModelOnly(['showProcessDefinition']));
        try {
          const answers = await frame.evaluate(async ([key, ms]) => {
            const ask = (id, name) => new Promise((resolve) => {
              const timer = setTimeout(() => resolve({ timeout: name }), ms);
              window.addEventListener('message', function listener(e) {
                if (e.data?.id !== id) return;
                clearTimeout(timer);
                window.removeEventListener('message', listener);
                resolve(e.data);
              });
              window.parent.postMessage({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { processDefinitionKey: key } } }, '*');
            });
            return [await ask('probe-1', 'showProcessDefinition'), await ask('probe-2', 'noSuchTool')];
          }, [instance.processDefinitionKey, WAIT]);
          for (const a of answers) assert.ok(a.error && !a.result, JSON.stringify(a));
          assert.match(answers[0].error.message, /not callable by apps/);
          const rec = await record(page);
          assert.deepEqual(rec.refused, ['showProcessDefinition', 'noSuchTool']);
          assert.ok(!rec.appCalls.some((c) => c.tool === 'showProcessDefinition' || c.tool === 'noSuchTool'));
        } finally {
          await page.evaluate(() => window.cmvHost.treatAsModelOnly([]));
        }
        await page.evaluate(() => window.cmvHost.unmount('the test is done'));
        const last = await page.evaluate(() => window.cmvHost.views.at(-1));
        assert.equal(last.tornDown, true, `ui/resource-teardown was not answered: ${last.teardownError}`);
      });

      await t.test('the view ran under the default CSP without breaking it, and the CSP holds', async () => {
        const violations = consoleLines.filter((l) => /Content Security Policy|Refused to/i.test(l));
        assert.deepEqual(violations, []);
        const errors = consoleLines.filter((l) => l.startsWith('[pageerror]'));
        assert.deepEqual(errors, []);
        // The inherited policy reaches the view: a network request from it is refused.
        const instance = waitingInstance();
        const { frame } = await show(page, 'showProcessInstance', { processInstanceKey: instance.processInstanceKey });
        const blocked = await frame.evaluate((url) => new Promise((resolve) => {
          document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
          window.fetch(url).catch(() => {});
          setTimeout(() => resolve(null), 5000);
        }), `${up.url}/v2/topology`);
        assert.equal(blocked, 'connect-src');
      });
    } finally {
      await close();
    }
  });
}
