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
