// The demo data set (scripts/dev.sh --demo) through the built Worker: distinct keys that link
// up, and searches that honour the filter, sort and paging the gateway sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.mjs';
import { startWorker, callTool } from '../support/worker.mjs';

let up, worker;
before(async () => {
  up = await startUpstream({ demo: true });
  worker = await startWorker({ CAMUNDA_REST_ADDRESS: up.url });
});
after(async () => {
  await worker?.close();
  await up?.close();
});

const tool = async (name, args) => {
  const r = await callTool(worker.endpoint, name, args);
  assert.equal(r.isError, false, `${name}: ${JSON.stringify(r).slice(0, 500)}`);
  return r.structuredContent;
};

test('incidents are distinct and lead to instances that exist and have them', async () => {
  const { items, page } = await tool('searchIncidents', { filter: { state: 'ACTIVE' } });
  assert.equal(items.length, 4);
  assert.equal(page.totalItems, 4);
  assert.equal(new Set(items.map((i) => i.incidentKey)).size, 4, 'incident keys are distinct');
  assert.ok(new Set(items.map((i) => i.errorType)).size >= 3, 'incidents of different types');
  for (const incident of items) {
    const instance = await tool('getProcessInstance', { processInstanceKey: Number(incident.processInstanceKey) });
    assert.equal(String(instance.processInstanceKey), String(incident.processInstanceKey));
    assert.equal(instance.hasIncident, true);
    assert.equal(instance.state, 'ACTIVE');
  }
  const resolved = await tool('searchIncidents', { filter: { state: 'RESOLVED' } });
  assert.equal(resolved.items.length, 1);
});

test('instances in every state; filter, sort and cursor paging as asked', async () => {
  const states = new Set(up.demo.instances.map((i) => i.state));
  assert.deepEqual([...states].sort(), ['ACTIVE', 'COMPLETED', 'TERMINATED']);
  const args = {
    filter: { state: 'ACTIVE', processDefinitionId: 'order-process' },
    sort: [{ field: 'startDate', order: 'DESC' }],
    page: { limit: 2 },
  };
  const first = await tool('searchProcessInstances', args);
  const expected = up.demo.instances.filter((i) => i.state === 'ACTIVE' && i.processDefinitionId === 'order-process');
  assert.equal(first.page.totalItems, expected.length);
  assert.equal(first.items.length, 2);
  assert.ok(first.items.every((i) => i.state === 'ACTIVE' && i.processDefinitionId === 'order-process'));
  assert.ok(first.items[0].startDate > first.items[1].startDate, 'sorted by startDate, newest first');
  const second = await tool('searchProcessInstances', { ...args, page: { limit: 2, after: first.page.endCursor } });
  assert.equal(second.items.length, 2);
  assert.ok(first.items[1].startDate > second.items[0].startDate, 'the next page continues the order');
  const keys = new Set([...first.items, ...second.items].map((i) => String(i.processInstanceKey)));
  assert.equal(keys.size, 4, 'pages do not overlap');
  // Sent as the gateway sends it: the paging reached the stand-in unchanged.
  const sent = up.requests.filter((r) => r.path === '/v2/process-instances/search').at(-1).body;
  assert.deepEqual(sent.page, { limit: 2, after: first.page.endCursor });
});

test('definitions in several versions; the latest of each process', async () => {
  const all = await tool('searchProcessDefinitions', {});
  assert.equal(all.items.length, 6);
  const latest = await tool('searchProcessDefinitions', { filter: { isLatestVersion: true }, sort: [{ field: 'processDefinitionId' }] });
  assert.deepEqual(latest.items.map((d) => [d.processDefinitionId, d.version]),
    [['customer-onboarding', 1], ['invoice-approval', 2], ['order-process', 3]]);
  const xml = await callTool(worker.endpoint, 'getProcessDefinitionXml', { processDefinitionKey: Number(latest.items[1].processDefinitionKey) });
  assert.match(xml.content[0].text, /id="invoice-approval"/);
});

test('user tasks assigned and not; variables belong to their instance; writes take effect', async () => {
  const mine = await tool('searchUserTasks', { filter: { assignee: 'demo', state: 'CREATED' } });
  assert.equal(mine.items.length, 2);
  assert.ok(mine.items.every((t) => t.assignee === 'demo' && t.state === 'CREATED'));
  const open = up.demo.tasks.filter((t) => t.state === 'CREATED' && t.assignee === null);
  assert.ok(open.length >= 2, 'some tasks are unassigned');

  const task = mine.items[0];
  const vars = await tool('searchUserTaskVariables', { userTaskKey: Number(task.userTaskKey) });
  assert.ok(vars.items.length >= 2);
  assert.ok(vars.items.every((v) => String(v.processInstanceKey) === String(task.processInstanceKey)));
  const one = await tool('getVariable', { variableKey: Number(vars.items[0].variableKey) });
  assert.equal(one.name, vars.items[0].name);
  const amounts = await tool('searchVariables', { filter: { name: 'amount' } });
  assert.ok(amounts.items.length >= 10 && amounts.items.every((v) => v.name === 'amount'));

  const target = open[0];
  await callTool(worker.endpoint, 'assignUserTask', { userTaskKey: Number(target.userTaskKey), assignee: 'maria' });
  assert.equal((await tool('getUserTask', { userTaskKey: Number(target.userTaskKey) })).assignee, 'maria');
  const missing = await callTool(worker.endpoint, 'getIncident', { incidentKey: 1 });
  assert.equal(missing.isError, true, 'unknown keys are 404s, not made-up items');
});

// The process view's data (issue 25): every demo process has a real diagram, and every instance
// a place in it where its token is, with the elements and flows it went through.

/** Elements each demo process must draw (the demo's incidents and user tasks sit on them). */
const DRAWN = {
  'order-process': ['OrderReceived', 'ChargeCard', 'AwaitPayment', 'ReviewOrder', 'OrderDone'],
  'invoice-approval': ['AmountGateway', 'ApproveInvoice'],
  'customer-onboarding': ['CreateAccount', 'WelcomeCall'],
};
const instanceOf = (businessId) => up.demo.instances.find((i) => i.businessId === businessId);

test('every demo definition has a diagram: a shape for each element, an edge for each flow', async () => {
  for (const d of up.demo.definitions) {
    const r = await callTool(worker.endpoint, 'getProcessDefinitionXml', { processDefinitionKey: Number(d.processDefinitionKey) });
    assert.equal(r.isError, false, JSON.stringify(r).slice(0, 300));
    const xml = r.content[0].text;
    assert.match(xml, new RegExp(`<bpmn:process id="${d.processDefinitionId}"`));
    assert.match(xml, new RegExp(`<bpmndi:BPMNPlane id="[^"]+" bpmnElement="${d.processDefinitionId}"`));
    for (const id of DRAWN[d.processDefinitionId]) {
      assert.match(xml, new RegExp(`<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"`), `${d.processDefinitionId} draws ${id}`);
    }
    const flows = [...xml.matchAll(/<bpmn:sequenceFlow id="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(flows.length >= 4, `${d.processDefinitionId} has flows`);
    for (const f of flows) assert.match(xml, new RegExp(`<bpmndi:BPMNEdge id="${f}_di" bpmnElement="${f}">\\s*<di:waypoint `));
  }
});

// The operate toolset reads element instances and their statistics: a second Worker with it,
// started by the first test that needs it (a second root `before` would not wait for the first).
let operate;
after(async () => {
  await operate?.close();
});
const operateTool = async (name, args) => {
  operate ??= await startWorker({ CAMUNDA_REST_ADDRESS: up.url, MCP_TOOLSETS: 'operate' });
  const r = await callTool(operate.endpoint, name, args);
  assert.equal(r.isError, false, `${name}: ${JSON.stringify(r).slice(0, 500)}`);
  return r.structuredContent;
};
/** Where an instance's tokens are: [elementId, active, incidents] of each element that has one. */
const tokens = async (instance) => {
  const { items } = await operateTool('getProcessInstanceStatistics', { processInstanceKey: Number(instance.processInstanceKey) });
  return items.filter((s) => s.active + s.incidents > 0).map((s) => [s.elementId, s.active, s.incidents]);
};

test('instances wait where their incident or user task is; the path they took is completed', async () => {
  const stuck = instanceOf('order-1004');
  assert.equal(stuck.processDefinitionVersion, 3);
  assert.deepEqual(await tokens(stuck), [['ChargeCard', 0, 1]], 'an incident on the service task');
  const reviewing = instanceOf('order-1007');
  assert.equal(reviewing.processDefinitionVersion, 3);
  assert.deepEqual(await tokens(reviewing), [['ReviewOrder', 1, 0]], 'waits at the user task');
  assert.deepEqual(await tokens(instanceOf('INV-2026-301')), [['AmountGateway', 0, 1]]);
  assert.deepEqual(await tokens(instanceOf('CUST-78')), [['WelcomeCall', 1, 0]]);
  assert.deepEqual(await tokens(instanceOf('order-1003')), [], 'a completed instance has no token');

  // The waiting element instance is the user task's, and the steps before it are completed.
  const key = reviewing.processInstanceKey;
  const { items } = await operateTool('searchElementInstances', { filter: { processInstanceKey: key }, sort: [{ field: 'startDate' }] });
  assert.deepEqual(items.map((e) => [e.elementId, e.state]), [
    ['OrderReceived', 'COMPLETED'], ['ChargeCard', 'COMPLETED'], ['AwaitPayment', 'COMPLETED'], ['ReviewOrder', 'ACTIVE'],
  ]);
  assert.deepEqual(items.map((e) => e.type), ['START_EVENT', 'SERVICE_TASK', 'INTERMEDIATE_CATCH_EVENT', 'USER_TASK']);
  assert.equal(new Set(items.map((e) => String(e.elementInstanceKey))).size, items.length, 'element instance keys are distinct');
  const task = up.demo.tasks.find((t) => t.processInstanceKey === key);
  assert.equal(String(items[3].elementInstanceKey), task.elementInstanceKey);
  const incident = up.demo.incidents.find((i) => i.processInstanceKey === stuck.processInstanceKey);
  const [charging] = (await operateTool('searchElementInstances', { filter: { processInstanceKey: stuck.processInstanceKey, state: 'ACTIVE' } })).items;
  assert.deepEqual([charging.elementId, charging.hasIncident, String(charging.incidentKey)], ['ChargeCard', true, incident.incidentKey]);
});

test('order-process v3 has tokens on several elements', async () => {
  const v3 = up.demo.definitions.find((d) => d.processDefinitionId === 'order-process' && d.version === 3);
  const { items } = await operateTool('searchElementInstances', { filter: { processDefinitionKey: v3.processDefinitionKey, state: 'ACTIVE' } });
  const where = new Set(items.map((e) => e.elementId));
  assert.ok(where.size >= 3, `tokens on ${[...where]}`);
  for (const id of ['ChargeCard', 'AwaitPayment', 'ReviewOrder']) assert.ok(where.has(id), `a token at ${id}`);
});

test('the stand-in answers the view endpoints consistently, and 404 for unknown keys', async () => {
  const rest = async (method, path, body) => {
    const res = await fetch(up.url + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    return { status: res.status, json: await res.json() };
  };
  const i = instanceOf('order-1007');
  const flows = await rest('GET', `/v2/process-instances/${i.processInstanceKey}/sequence-flows`);
  assert.deepEqual(flows.json.items.map((f) => f.elementId), ['Flow_Charge', 'Flow_Charged', 'Flow_Paid']);
  assert.ok(flows.json.items.every((f) => f.processInstanceKey === i.processInstanceKey && f.processDefinitionId === 'order-process'));
  const stuck = instanceOf('order-1004');
  const incidents = await rest('POST', `/v2/process-instances/${stuck.processInstanceKey}/incidents/search`, { filter: { state: 'ACTIVE' } });
  assert.deepEqual(incidents.json.items.map((x) => x.elementId), ['ChargeCard']);
  const v3 = up.demo.definitions.find((d) => d.processDefinitionId === 'order-process' && d.version === 3);
  const stats = await rest('POST', `/v2/process-definitions/${v3.processDefinitionKey}/statistics/element-instances`, {});
  const at = Object.fromEntries(stats.json.items.map((s) => [s.elementId, s]));
  assert.equal(at.ChargeCard.incidents, 1);
  assert.equal(at.ReviewOrder.active, 2);
  assert.equal(at.AwaitPayment.active, 1);
  assert.equal(at.OrderDone.completed, 1);
  for (const [method, path] of [['GET', '/v2/process-instances/1/statistics/element-instances'], ['GET', '/v2/process-instances/1/sequence-flows'],
    ['POST', '/v2/process-instances/1/incidents/search'], ['POST', '/v2/process-definitions/1/statistics/element-instances']]) {
    assert.equal((await rest(method, path, method === 'POST' ? {} : undefined)).status, 404, path);
  }
});

test('resolving an incident clears it from its instance: the token stays, without the incident', async () => {
  const i = instanceOf('INV-2026-301');
  const incident = up.demo.incidents.find((x) => x.processInstanceKey === i.processInstanceKey && x.state === 'ACTIVE');
  assert.equal((await callTool(worker.endpoint, 'resolveIncident', { incidentKey: Number(incident.incidentKey) })).isError, false);
  assert.deepEqual(await tokens(i), [['AmountGateway', 1, 0]]);
  assert.equal((await tool('getProcessInstance', { processInstanceKey: Number(i.processInstanceKey) })).hasIncident, false);
});
