// Every tool through the built Worker against an upstream that validates each request against
// Camunda's REST API v2 OpenAPI spec: Stoplight Prism in proxy mode (with --errors, a request
// violation is answered 422 and so fails the tool call) in front of the stand-in.
// Needs ../shared/camunda/openapi; skips with a message without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, keys, problem, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, callTool } from '../support/worker.mjs';
import { startPrism, requestViolations, skip } from '../support/prism.mjs';

const K = Number(keys.INCIDENT_KEY);
/** Arguments that exercise every mapped field of each tool (the 8.10-only ones are ignored on 8.9). */
const fullCalls = {
  getClusterStatus: {},
  getTopology: {},
  getIncident: { incidentKey: K },
  resolveIncident: { incidentKey: K },
  searchIncidents: {
    filter: { creationTime: { from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00+01:00' }, elementId: 'ChargeCard', errorType: 'JOB_NO_RETRIES', processDefinitionId: 'order-process', processDefinitionKey: keys.DEF_KEY, processInstanceKey: keys.INSTANCE_KEY, state: 'ACTIVE' },
    page: { from: 0, limit: 10 }, sort: [{ field: 'creationTime', order: 'DESC' }, { field: 'state' }],
  },
  getProcessDefinition: { processDefinitionKey: K },
  getProcessDefinitionXml: { processDefinitionKey: K },
  searchProcessDefinitions: {
    filter: { hasStartForm: false, isLatestVersion: true, name: 'Order process', processDefinitionId: 'order-process', processDefinitionKey: keys.DEF_KEY, resourceName: 'order-process.bpmn', state: 'ACTIVE', version: 3, versionTag: 'v3' },
    page: { after: 'WzIyNTE3OTk4MTM2ODUyNDld', limit: 5 }, sort: [{ field: 'version', order: 'DESC' }],
  },
  createProcessInstance: { processDefinitionId: 'order-process', processDefinitionVersion: 3, businessId: 'order-1', tags: ['demo'], variables: { orderId: 'A-1', amount: 10 }, fetchVariables: ['orderId'], requestTimeout: 5000, awaitCompletion: false, tenantId: '<default>' },
  getProcessInstance: { processInstanceKey: K },
  searchProcessInstances: {
    filter: { businessId: 'order-1', endDate: { to: '2027-01-01T00:00:00Z' }, hasIncident: true, processDefinitionId: 'order-process', processDefinitionKey: keys.DEF_KEY, processDefinitionName: 'Order process', processDefinitionVersion: 3, processInstanceKey: keys.INSTANCE_KEY, startDate: { from: '2026-01-01T00:00:00Z' }, state: 'ACTIVE', suspendedDate: { from: '2026-01-01T00:00:00Z' }, tags: ['demo'], variables: [{ name: 'orderId', value: '"A-1"' }] },
    page: { before: 'WzIyNTE3OTk4MTM2OTAwMDFd', limit: 3 }, sort: [{ field: 'startDate', order: 'ASC' }],
  },
  assignUserTask: { userTaskKey: K, assignee: 'demo', assignmentOptions: { action: 'claim', allowOverride: false } },
  completeUserTask: { userTaskKey: K, completionOptions: { action: 'approve', variables: { approved: true } } },
  getUserTask: { userTaskKey: K },
  searchUserTaskVariables: { userTaskKey: K, filter: { name: 'amount' }, sort: [{ field: 'name', order: 'ASC' }], page: { from: 0, limit: 10 }, truncateValues: false },
  searchUserTasks: {
    filter: { assignee: 'demo', businessId: 'order-1', completionDate: { from: '2026-01-01T00:00:00Z' }, creationDate: { from: '2026-01-01T00:00:00Z' }, dueDate: { to: '2027-01-01T00:00:00Z' }, elementId: 'ReviewOrder', elementInstanceKey: '2251799813690120', followUpDate: { from: '2026-01-01T00:00:00Z' }, localVariables: [{ name: 'x', value: '1' }], name: 'Review order', priority: 50, processDefinitionId: 'order-process', processDefinitionKey: keys.DEF_KEY, processInstanceKey: keys.INSTANCE_KEY, processInstanceVariables: [{ name: 'orderId', value: '"A-1"' }], state: 'CREATED', tags: ['t'], userTaskKey: keys.TASK_KEY },
    page: { limit: 10 }, sort: [{ field: 'priority', order: 'DESC' }],
  },
  getVariable: { variableKey: K },
  searchVariables: { filter: { isTruncated: false, name: 'orderId', processInstanceKey: keys.INSTANCE_KEY, scopeKey: keys.INSTANCE_KEY, value: '"A-1"', variableKey: keys.VARIABLE_KEY }, sort: [{ field: 'name' }], page: { limit: 10 }, truncateValues: true },
};

for (const version of ['8.9', '8.10']) {
  const specVersion = version === '8.9' ? '8.9' : '8.10-alpha';
  test(`all ${CAMUNDA_TOOL_COUNT} tools send only spec-valid requests (${version})`, { skip }, async (t) => {
    const up = await startUpstream();
    // The stand-in's answers are 8.9-shaped; against 8.10-alpha only requests are judged.
    const prism = await startPrism(specVersion, up.url, { errors: version === '8.9' });
    const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url, CAMUNDA_API_VERSION: version });
    t.after(async () => { await worker.close(); prism.close(); await up.close(); });

    // 8.10 declares bearer/basic security on every operation; any credential satisfies Prism.
    const auth = { authorization: 'Bearer e2e' };
    for (const [name, args] of Object.entries(fullCalls)) {
      const r = await callTool(worker.endpoint, name, args, auth);
      assert.equal(r.isError, false, `${name}: ${JSON.stringify(r)}`);
    }
    // The unassign branch and the resolve retry dance, through the validator too.
    assert.equal((await callTool(worker.endpoint, 'assignUserTask', { userTaskKey: K }, auth)).isError, false);
    up.script({ method: 'POST', path: /resolution$/, status: 409, json: problem(409, 'INVALID_STATE', `Expected to resolve incident with key '${K}', but the job has no retries left`, `/v2/incidents/${K}/resolution`) });
    const before = up.requests.length;
    assert.equal((await callTool(worker.endpoint, 'resolveIncident', { incidentKey: K }, auth)).isError, false);
    assert.deepEqual(up.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
      `POST /v2/incidents/${K}/resolution`, `GET /v2/incidents/${K}`, `PATCH /v2/jobs/${keys.JOB_KEY}`, `POST /v2/incidents/${K}/resolution`,
    ]);
    assert.deepEqual(up.requests.find((r) => r.method === 'PATCH').body, { changeset: { retries: 1 } });

    const violations = requestViolations(prism.log());
    assert.deepEqual(violations, [], `request violations:\n${violations.join('\n')}`);
    t.diagnostic(`${Object.keys(fullCalls).length} tools, ${up.requests.length} validated requests, 0 request violations`);

    if (version !== '8.9') {
      // Without --errors violations are only logged: show that the log check does see one.
      const bad = await fetch(`${prism.url}/v2/incidents/search`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{"filter":{"state":"BOGUS"}}' });
      await bad.text();
      for (let i = 0; i < 100 && requestViolations(prism.log()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(requestViolations(prism.log()).length > 0, 'a bad request left no violation in the log');
    }
  });
}

test('error answers of each tool kind arrive as isError with the cluster ProblemDetail', { skip }, async (t) => {
  const up = await startUpstream();
  const prism = await startPrism('8.9', up.url);
  const worker = await startWorker({ CAMUNDA_REST_ADDRESS: prism.url });
  t.after(async () => { await worker.close(); prism.close(); await up.close(); });

  const kinds = [
    ['getIncident', { incidentKey: K }, 'GET', /^\/v2\/incidents\/\d+$/],
    ['searchProcessInstances', {}, 'POST', '/v2/process-instances/search'],
    ['createProcessInstance', { processDefinitionId: 'order-process' }, 'POST', '/v2/process-instances'],
    ['assignUserTask', { userTaskKey: K, assignee: 'demo' }, 'POST', /assignment$/],
    ['getProcessDefinitionXml', { processDefinitionKey: K }, 'GET', /xml$/],
  ];
  const statuses = [[400, 'INVALID_ARGUMENT'], [401, 'UNAUTHORIZED'], [403, 'FORBIDDEN'], [404, 'NOT_FOUND'], [409, 'INVALID_STATE'], [500, 'INTERNAL'], [503, 'UNAVAILABLE']];
  let checked = 0;
  for (const [tool, args, method, p] of kinds) {
    for (const [status, title] of statuses) {
      const detail = `${title} from the cluster for ${tool}`;
      up.script({ method, path: p, status, json: problem(status, title, detail, '/v2/x') });
      const r = await callTool(worker.endpoint, tool, args);
      assert.equal(r.isError, true, `${tool} ${status}`);
      assert.equal(r.structuredContent.status, status, `${tool} ${status}: ${JSON.stringify(r)}`);
      assert.equal(r.structuredContent.detail, detail);
      assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
      checked++;
    }
  }
  t.diagnostic(`${checked} error answers checked`);
});

test("the stand-in's sample answers are valid against the 8.9 response schemas", { skip }, async (t) => {
  const up = await startUpstream();
  const prism = await startPrism('8.9', up.url);
  t.after(async () => { prism.close(); await up.close(); });
  const calls = [
    ['GET', '/v2/topology'], ['GET', `/v2/incidents/${K}`], ['POST', '/v2/incidents/search', {}],
    ['GET', `/v2/process-definitions/${K}`], ['POST', '/v2/process-definitions/search', {}],
    ['POST', '/v2/process-instances', { processDefinitionId: 'order-process' }], ['GET', `/v2/process-instances/${K}`],
    ['POST', '/v2/process-instances/search', {}], ['GET', `/v2/user-tasks/${K}`], ['POST', '/v2/user-tasks/search', {}],
    ['POST', `/v2/user-tasks/${K}/variables/search`, {}], ['GET', `/v2/variables/${K}`], ['POST', '/v2/variables/search', {}],
  ];
  for (const [method, p, body] of calls) {
    const res = await fetch(prism.url + p, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: body && JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${p}: ${res.status} ${text}`);
    assert.equal(res.headers.get('sl-violations'), null, `${method} ${p}: ${res.headers.get('sl-violations')}`);
  }
});
