// A stand-in for a Camunda 8.9 cluster's REST API v2, for tests and the local demo. It is NOT a
// Camunda cluster: it answers the REST calls our tools make with realistic sample data, records
// every request so tests can assert what the gateway sent, and can be scripted to fail.
//
// With `demo`, searches and reads come from a small coherent data set instead (demo.mjs).
//
//   import { startUpstream } from './upstream.mjs'   // in tests
//   node tests/support/upstream.mjs --port 8080 --demo   // demo: a fake C8 Run on localhost:8080
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { demoCluster, meets } from './demo.mjs';
import { bpmnXml, defineProcess } from './diagrams.mjs';

const T0 = '2026-11-20T08:15:30.123Z';
const DEF_KEY = '2251799813685249';
const INSTANCE_KEY = '2251799813690001';
const INCIDENT_KEY = '2251799813690077';
const JOB_KEY = '2251799813690070';
const TASK_KEY = '2251799813690123';
const VARIABLE_KEY = '2251799813690200';

/** The sample process: Order process v3 in four steps, drawn as Camunda Modeler lays it out. */
const orderProcess = defineProcess('order-process', 'Order process', [
  ['startEvent', 'OrderReceived', 'Order received', 170, 120],
  ['serviceTask', 'ChargeCard', 'Charge card', 290, 120, { job: 'charge-card' }],
  ['userTask', 'ReviewOrder', 'Review order', 450, 120, { groups: 'sales' }],
  ['endEvent', 'OrderDone', 'Order done', 572, 120],
], [['f1', 'OrderReceived', 'ChargeCard'], ['f2', 'ChargeCard', 'ReviewOrder'], ['f3', 'ReviewOrder', 'OrderDone']]);
export const BPMN_XML = bpmnXml(orderProcess, { definitionsId: 'Definitions_order' });
/** The same process without diagram layout (no bpmndi), as XML written by code often is. */
export const BPMN_XML_NO_LAYOUT = bpmnXml(orderProcess, { definitionsId: 'Definitions_order', layout: false });

export const topology = {
  brokers: [0, 1, 2].map((nodeId) => ({
    nodeId,
    host: `camunda-zeebe-${nodeId}.camunda-zeebe`,
    port: 26501,
    partitions: [1, 2, 3].map((partitionId) => ({
      partitionId,
      role: (partitionId - 1) % 3 === nodeId ? 'leader' : 'follower',
      health: 'healthy',
    })),
    version: '8.9.0',
  })),
  clusterId: 'c8-demo-cluster',
  clusterSize: 3,
  partitionsCount: 3,
  replicationFactor: 3,
  gatewayVersion: '8.9.0',
  lastCompletedChangeId: '-1',
};

export const processDefinition = {
  name: 'Order process', resourceName: 'order-process.bpmn', version: 3, versionTag: 'v3',
  processDefinitionId: 'order-process', tenantId: '<default>', processDefinitionKey: DEF_KEY,
  hasStartForm: false, state: 'ACTIVE',
};

export const processInstance = (i = 0) => ({
  processDefinitionId: 'order-process', processDefinitionName: 'Order process',
  processDefinitionVersion: 3, processDefinitionVersionTag: 'v3',
  startDate: T0, endDate: null, state: 'ACTIVE', hasIncident: i === 0,
  tenantId: '<default>', processInstanceKey: String(BigInt(INSTANCE_KEY) + BigInt(i)),
  processDefinitionKey: DEF_KEY, parentProcessInstanceKey: null, parentElementInstanceKey: null,
  rootProcessInstanceKey: null, tags: ['demo'], businessId: `order-${1000 + i}`,
});

export const incident = {
  processDefinitionId: 'order-process', errorType: 'JOB_NO_RETRIES',
  errorMessage: 'Payment provider answered 503 Service Unavailable', elementId: 'ChargeCard',
  creationTime: T0, state: 'ACTIVE', tenantId: '<default>', incidentKey: INCIDENT_KEY,
  processDefinitionKey: DEF_KEY, processInstanceKey: INSTANCE_KEY, rootProcessInstanceKey: INSTANCE_KEY,
  elementInstanceKey: '2251799813690060', jobKey: JOB_KEY,
};

export const userTask = {
  name: 'Review order', state: 'CREATED', assignee: null, elementId: 'ReviewOrder',
  candidateGroups: ['sales'], candidateUsers: [], processDefinitionId: 'order-process',
  creationDate: T0, completionDate: null, followUpDate: null, dueDate: '2026-11-27T17:00:00.000Z',
  tenantId: '<default>', externalFormReference: null, processDefinitionVersion: 3, customHeaders: {},
  priority: 50, userTaskKey: TASK_KEY, elementInstanceKey: '2251799813690120', processName: 'Order process',
  processDefinitionKey: DEF_KEY, processInstanceKey: INSTANCE_KEY, rootProcessInstanceKey: INSTANCE_KEY,
  formKey: null, tags: [],
};

export const variable = (i = 0, truncated = false) => ({
  name: ['orderId', 'amount', 'customer'][i % 3],
  value: ['"A-1000"', '149.9', '{"name":"Ada Lovelace","tier":"gold"}'][i % 3],
  isTruncated: truncated,
  tenantId: '<default>', variableKey: String(BigInt(VARIABLE_KEY) + BigInt(i)),
  scopeKey: INSTANCE_KEY, processInstanceKey: INSTANCE_KEY, rootProcessInstanceKey: INSTANCE_KEY,
});

export const keys = { DEF_KEY, INSTANCE_KEY, INCIDENT_KEY, JOB_KEY, TASK_KEY, VARIABLE_KEY };

/** One call of each of Camunda's tools, with arguments the sample data answers without error. */
const k = Number(INCIDENT_KEY);
export const sampleCalls = {
  getClusterStatus: {}, getTopology: {},
  getIncident: { incidentKey: k }, resolveIncident: { incidentKey: k }, searchIncidents: { filter: { state: 'ACTIVE' } },
  getProcessDefinition: { processDefinitionKey: k }, getProcessDefinitionXml: { processDefinitionKey: k },
  searchProcessDefinitions: { filter: { isLatestVersion: true } },
  createProcessInstance: { processDefinitionId: 'order-process', variables: { orderId: 'A-1' } },
  getProcessInstance: { processInstanceKey: k }, searchProcessInstances: { filter: { hasIncident: true } },
  assignUserTask: { userTaskKey: k, assignee: 'demo' }, completeUserTask: { userTaskKey: k },
  getUserTask: { userTaskKey: k }, searchUserTaskVariables: { userTaskKey: k }, searchUserTasks: { filter: { assignee: 'demo' } },
  getVariable: { variableKey: k }, searchVariables: { filter: { name: 'orderId' } },
};

/** How many tools Camunda's MCP server has (one sample call each), so tests need not say 18. */
export const CAMUNDA_TOOL_COUNT = Object.keys(sampleCalls).length;

/** One call of each operator tool (MCP_TOOLSETS), with arguments the sample data answers. */
export const operatorCalls = {
  publishMessage: { name: 'payment-received', correlationKey: 'order-1000', timeToLive: 60000, messageId: 'pay-1', variables: { paid: true }, tenantId: '<default>' },
  correlateMessage: { name: 'payment-received', correlationKey: 'order-1000', variables: { paid: true } },
  searchMessageSubscriptions: { filter: { messageName: 'payment-received', messageSubscriptionState: 'CREATED', processInstanceKey: INSTANCE_KEY, lastUpdatedDate: { from: '2026-01-01T00:00:00Z' } }, sort: [{ field: 'lastUpdatedDate', order: 'DESC' }], page: { limit: 10 } },
  cancelProcessInstance: { processInstanceKey: k },
  createElementInstanceVariables: { elementInstanceKey: k, variables: { approved: false }, local: true },
  searchElementInstances: { filter: { processInstanceKey: INSTANCE_KEY, state: 'ACTIVE', type: 'SERVICE_TASK', hasIncident: true, startDate: { from: '2026-01-01T00:00:00Z' } }, sort: [{ field: 'startDate' }], page: { from: 0, limit: 10 } },
  getProcessInstanceStatistics: { processInstanceKey: k },
  searchJobs: { filter: { type: 'charge-card', state: 'FAILED', kind: 'BPMN_ELEMENT', retries: 0, processInstanceKey: INSTANCE_KEY, deadline: { to: '2027-01-01T00:00:00Z' } }, sort: [{ field: 'retries', order: 'ASC' }], page: { limit: 10 } },
  completeJob: { jobKey: k, variables: { charged: true } },
  failJob: { jobKey: k, retries: 2, errorMessage: 'card service down', retryBackOff: 30000, variables: { attempts: 1 } },
  throwJobError: { jobKey: k, errorCode: 'CARD_DECLINED', errorMessage: 'declined', variables: { reason: 'limit' } },
  updateJob: { jobKey: k, changeset: { retries: 3, timeout: 60000 } },
  searchDecisionDefinitions: { filter: { decisionDefinitionId: 'risk-check', isLatestVersion: true, version: 2, decisionDefinitionKey: '2251799813692000' }, sort: [{ field: 'version', order: 'DESC' }] },
  getDecisionDefinitionXML: { decisionDefinitionKey: k },
  evaluateDecision: { decisionDefinitionId: 'risk-check', variables: { amount: 1200 }, tenantId: '<default>' },
  searchDecisionInstances: { filter: { state: 'EVALUATED', decisionDefinitionType: 'DECISION_TABLE', evaluationDate: { from: '2026-01-01T00:00:00Z' }, processInstanceKey: INSTANCE_KEY }, sort: [{ field: 'evaluationDate', order: 'DESC' }] },
  createDeployment: {
    resources: [{ name: 'order-process.bpmn', content: BPMN_XML }, { name: 'risk-check.dmn', content: '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="risk" name="Risk"><decision id="risk-check" name="Risk check"/></definitions>' }],
    tenantId: '<default>',
  },
  deleteResource: { resourceKey: k, deleteHistory: false },
  searchAuditLogs: { filter: { operationType: 'CANCEL', entityType: 'PROCESS_INSTANCE', result: 'SUCCESS', actorId: 'alice', timestamp: { from: '2026-01-01T00:00:00Z' } }, sort: [{ field: 'timestamp', order: 'DESC' }] },
};

const page = (items) => ({
  items,
  page: { totalItems: items.length, hasMoreTotalItems: false, startCursor: null, endCursor: null },
});

export function problem(status, title, detail, instance) {
  return { type: 'about:blank', title, status, detail, instance };
}

/** Items of a search result: `limit` of them when asked, so paging and size tests can use it. */
function searchItems(make, body, fallback) {
  const limit = body?.page?.limit;
  const n = Number.isInteger(limit) ? Math.min(limit, 20000) : fallback;
  return Array.from({ length: n }, (_, i) => make(i));
}

/**
 * Message subscriptions as an 8.10 cluster keeps them: one an instance waits on, and start
 * events, three marked as MCP tools (`io.camunda.tool:*` properties; one since removed) and one
 * not. `/mcp/processes` lists and calls the marked ones.
 */
const startEvent = (key, toolName, messageName, processDefinitionId, state, toolProperties) => ({
  messageSubscriptionKey: key, processDefinitionId, processDefinitionKey: String(BigInt(key) - 1000n), processInstanceKey: null,
  rootProcessInstanceKey: null, elementId: 'Started', elementInstanceKey: null, messageSubscriptionState: state, lastUpdatedDate: T0,
  messageName, correlationKey: null, messageSubscriptionType: 'START_EVENT', toolProperties, processDefinitionName: processDefinitionId,
  processDefinitionVersion: 1, toolName, inboundConnectorType: null, tenantId: '<default>',
});
export const messageSubscriptions = [
  {
    messageSubscriptionKey: '2251799813691100', processDefinitionId: 'order-process', processDefinitionKey: DEF_KEY,
    processInstanceKey: INSTANCE_KEY, rootProcessInstanceKey: INSTANCE_KEY, elementId: 'AwaitPayment', elementInstanceKey: '2251799813690061',
    messageSubscriptionState: 'CREATED', lastUpdatedDate: T0, messageName: 'payment-received', correlationKey: 'order-1000',
    messageSubscriptionType: 'PROCESS_EVENT', toolProperties: {}, toolName: null, tenantId: '<default>',
  },
  startEvent('2251799813695001', 'requestVacation', 'vacation-requested', 'vacation-request', 'CREATED', {
    'io.camunda.tool:name': 'requestVacation',
    'io.camunda.tool:purpose': 'Files a vacation request for an employee and starts its approval.',
    'io.camunda.tool:inputs': 'employee (user id), from and to (ISO dates), reason',
    'io.camunda.tool:results': 'The process instance of the request.',
  }),
  startEvent('2251799813695002', 'reportDamage', 'damage-reported', 'claim-intake', 'CREATED', {
    'io.camunda.tool:name': 'reportDamage', 'io.camunda.tool:purpose': 'Opens an insurance claim for reported damage.',
    'io.camunda.tool:when_to_use': 'A customer reports damage to insured property.',
  }),
  startEvent('2251799813695003', 'orderLunch', 'lunch-ordered', 'lunch', 'DELETED', { 'io.camunda.tool:name': 'orderLunch' }),
  startEvent('2251799813695004', null, 'invoice-received', 'invoice-approval', 'CREATED', {}),
];

const json = (payload, status = 200) => ({ status, json: payload });
const noContent = () => ({ status: 204 });
/** A search answering `make(i)` items: `limit` of them when asked, else `fallback`. */
const searchOf = (make, fallback = 1) => ({ body }) => json(page(searchItems(make, body, fallback)));
const DMN_XML = '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="risk" name="Risk"><decision id="risk-check" name="Risk check"/></definitions>';

/**
 * The stand-in's REST routes, one row per endpoint: [method, path pattern, handler]. A `:name`
 * segment matches a key (digits only, as Camunda's keys are) and reaches the handler as
 * `params.name`; every other segment matches literally. A handler gets { params, body, path }
 * (`body` parsed as JSON, or the raw text when it is not JSON) and returns the answer
 * { status, json | text, type }. No two rows match the same request, so their order is free.
 * Adding an endpoint is adding a row; with `demo`, demo.mjs answers first and falls back here.
 */
const ROUTES = routeTable([
  // Camunda's tools (sampleCalls)
  ['GET', '/v2/status', noContent],
  ['GET', '/v2/topology', () => json(topology)],
  ['GET', '/v2/incidents/:incidentKey', ({ params }) => json({ ...incident, incidentKey: params.incidentKey })],
  ['POST', '/v2/incidents/:incidentKey/resolution', noContent],
  ['POST', '/v2/incidents/search', searchOf(() => incident)],
  ['GET', '/v2/process-definitions/:processDefinitionKey', () => json(processDefinition)],
  ['GET', '/v2/process-definitions/:processDefinitionKey/xml', () => ({ status: 200, type: 'text/xml', text: BPMN_XML })],
  ['POST', '/v2/process-definitions/search', searchOf(() => processDefinition)],
  ['POST', '/v2/process-instances', ({ body }) => json({
    processDefinitionId: body?.processDefinitionId ?? 'order-process', processDefinitionVersion: 3,
    tenantId: '<default>', variables: {}, processDefinitionKey: DEF_KEY,
    processInstanceKey: '2251799813699999', tags: body?.tags ?? [], businessId: body?.businessId ?? null,
  })],
  ['GET', '/v2/process-instances/:processInstanceKey', () => json(processInstance())],
  ['POST', '/v2/process-instances/search', searchOf(processInstance, 3)],
  ['POST', '/v2/user-tasks/:userTaskKey/assignment', noContent],
  ['DELETE', '/v2/user-tasks/:userTaskKey/assignee', noContent],
  ['POST', '/v2/user-tasks/:userTaskKey/completion', noContent],
  ['GET', '/v2/user-tasks/:userTaskKey', () => json(userTask)],
  ['POST', '/v2/user-tasks/:userTaskKey/variables/search', searchOf(variable, 3)],
  ['POST', '/v2/user-tasks/:userTaskKey/effective-variables/search', searchOf(variable, 3)],
  ['POST', '/v2/user-tasks/search', searchOf(() => userTask)],
  ['GET', '/v2/variables/:variableKey', () => json(variable(0))],
  ['POST', '/v2/variables/search', searchOf(variable, 3)],
  ['PATCH', '/v2/jobs/:jobKey', noContent],

  // The operator toolsets (MCP_TOOLSETS, operatorCalls)
  ['POST', '/v2/messages/publication', () => json({ tenantId: '<default>', messageKey: '2251799813691000' })],
  ['POST', '/v2/messages/correlation', () => json({ tenantId: '<default>', messageKey: '2251799813691001', processInstanceKey: INSTANCE_KEY })],
  ['POST', '/v2/message-subscriptions/search', ({ body }) => {
    const hits = messageSubscriptions.filter((s) => Object.entries(body?.filter ?? {}).every(([k, c]) => meets(s[k] ?? null, c)));
    return json(page(hits.slice(0, body?.page?.limit ?? 100)));
  }],
  ['POST', '/v2/process-instances/:processInstanceKey/cancellation', noContent],
  ['PUT', '/v2/element-instances/:elementInstanceKey/variables', noContent],
  ['POST', '/v2/element-instances/search', searchOf(() => ({
    processDefinitionId: 'order-process', startDate: T0, endDate: null, elementId: 'ChargeCard', elementName: 'Charge card',
    type: 'SERVICE_TASK', state: 'ACTIVE', hasIncident: true, tenantId: '<default>', elementInstanceKey: '2251799813690060',
    processInstanceKey: INSTANCE_KEY, processDefinitionKey: DEF_KEY, incidentKey: INCIDENT_KEY, rootProcessInstanceKey: INSTANCE_KEY,
  }))],
  ['GET', '/v2/process-instances/:processInstanceKey/statistics/element-instances', () => json({
    items: [{ elementId: 'ChargeCard', active: 1, canceled: 0, incidents: 1, completed: 0 }, { elementId: 'OrderReceived', active: 0, canceled: 0, incidents: 0, completed: 1 }],
  })],
  // What the process view draws: the way the sample instance took, its incidents, and the
  // counts per element over the sample definition's instances, counted as Camunda does (active
  // and incidents apart; completed only at end events): two at ChargeCard, one of them stuck on
  // an incident, one at ReviewOrder, three done.
  ['GET', '/v2/process-instances/:processInstanceKey/sequence-flows', ({ params }) => json({
    items: [{
      processInstanceKey: params.processInstanceKey, rootProcessInstanceKey: params.processInstanceKey, processDefinitionKey: DEF_KEY,
      processDefinitionId: 'order-process', elementId: 'f1', sequenceFlowId: `${params.processInstanceKey}_f1`, tenantId: '<default>',
    }],
  })],
  ['POST', '/v2/process-instances/:processInstanceKey/incidents/search', searchOf(() => incident)],
  ['POST', '/v2/process-definitions/:processDefinitionKey/statistics/element-instances', () => json({
    items: [
      { elementId: 'ChargeCard', active: 1, canceled: 0, incidents: 1, completed: 0 },
      { elementId: 'ReviewOrder', active: 1, canceled: 0, incidents: 0, completed: 0 },
      { elementId: 'OrderDone', active: 0, canceled: 0, incidents: 0, completed: 3 },
    ],
  })],
  ['POST', '/v2/jobs/search', searchOf(() => ({
    customHeaders: {}, elementInstanceKey: '2251799813690060', hasFailedWithRetriesLeft: false, jobKey: JOB_KEY, kind: 'BPMN_ELEMENT',
    listenerEventType: 'UNSPECIFIED', processDefinitionId: 'order-process', processDefinitionKey: DEF_KEY, processInstanceKey: INSTANCE_KEY,
    retries: 0, state: 'FAILED', tenantId: '<default>', type: 'charge-card', worker: 'payments-worker', errorMessage: 'Payment provider answered 503', elementId: 'ChargeCard',
  }))],
  ['POST', '/v2/jobs/:jobKey/completion', noContent],
  ['POST', '/v2/jobs/:jobKey/failure', noContent],
  ['POST', '/v2/jobs/:jobKey/error', noContent],
  ['POST', '/v2/decision-definitions/search', searchOf(() => ({
    decisionDefinitionId: 'risk-check', name: 'Risk check', version: 2, decisionRequirementsId: 'risk', tenantId: '<default>',
    decisionDefinitionKey: '2251799813692000', decisionRequirementsKey: '2251799813691999', decisionRequirementsName: 'Risk', decisionRequirementsVersion: 2,
  }))],
  ['GET', '/v2/decision-definitions/:decisionDefinitionKey/xml', () => ({ status: 200, type: 'text/xml', text: DMN_XML })],
  ['POST', '/v2/decision-definitions/evaluation', () => json({
    decisionDefinitionId: 'risk-check', decisionDefinitionKey: '2251799813692000', decisionDefinitionName: 'Risk check', decisionDefinitionVersion: 2,
    decisionRequirementsId: 'risk', decisionRequirementsKey: '2251799813691999', output: '"low"', failedDecisionDefinitionId: null, failureMessage: null,
    tenantId: '<default>', decisionInstanceKey: '2251799813692100', decisionEvaluationKey: '2251799813692100', evaluatedDecisions: [],
  })],
  ['POST', '/v2/decision-instances/search', searchOf(() => ({
    decisionEvaluationInstanceKey: '2251799813692100-1', state: 'EVALUATED', evaluationDate: T0, evaluationFailure: null,
    decisionDefinitionId: 'risk-check', decisionDefinitionName: 'Risk check', decisionDefinitionVersion: 2, decisionDefinitionType: 'DECISION_TABLE',
    result: '"low"', tenantId: '<default>', decisionEvaluationKey: '2251799813692100', processDefinitionKey: DEF_KEY, processInstanceKey: INSTANCE_KEY,
    decisionDefinitionKey: '2251799813692000', elementInstanceKey: '2251799813690080', rootDecisionDefinitionKey: '2251799813692000',
  }))],
  ['POST', '/v2/deployments', ({ body }) => { // multipart: the body is the raw text, its file names are the resources
    const files = typeof body === 'string' ? [...body.matchAll(/filename="([^"]+)"/g)].map((f) => f[1]) : [];
    return json({
      deploymentKey: '2251799813693000', tenantId: '<default>',
      deployments: files.map((name, i) => ({
        processDefinition: { processDefinitionId: name.replace(/\.\w+$/, ''), processDefinitionVersion: 1, resourceName: name, tenantId: '<default>', processDefinitionKey: String(2251799813693001n + BigInt(i)) },
      })),
    });
  }],
  ['POST', '/v2/resources/:resourceKey/deletion', ({ params }) => json({ resourceKey: params.resourceKey, batchOperation: null })],
  ['POST', '/v2/audit-logs/search', searchOf(() => ({
    auditLogKey: '2251799813694000', entityKey: INSTANCE_KEY, entityType: 'PROCESS_INSTANCE', operationType: 'CANCEL', timestamp: T0,
    actorId: 'alice', actorType: 'USER', tenantId: '<default>', result: 'SUCCESS', category: 'DEPLOYED_RESOURCES', processInstanceKey: INSTANCE_KEY,
  }))],
]);

/** Compiles rows of [method, pattern, handler]: each pattern split into its segments once. */
function routeTable(rows) {
  return rows.map(([method, pattern, handler]) => ({ method, pattern, segments: pattern.split('/'), handler }));
}

/** The row of `table` that `method` and `path` match, with the path's params, or undefined. */
function findRoute(table, method, path) {
  const parts = path.split('/');
  for (const route of table) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params = {};
    const hit = route.segments.every((s, i) => {
      if (s[0] !== ':') return s === parts[i];
      params[s.slice(1)] = parts[i];
      return /^\d+$/.test(parts[i]);
    });
    if (hit) return { route, params };
  }
  return undefined;
}

/** The default (healthy cluster) answer to a REST call, or undefined for unknown routes. */
function sampleAnswer(method, path, body) {
  const hit = findRoute(ROUTES, method, path);
  return hit?.route.handler({ params: hit.params, body, path });
}

/**
 * The sample answer, serialised once per method, path and request body (they decide it): under
 * benchmark load the stand-in then costs little next to the gateways it serves.
 */
const samples = new Map();
function sample(method, path, body, raw) {
  const key = `${method} ${path} ${raw}`;
  if (!samples.has(key)) {
    const a = sampleAnswer(method, path, body);
    if (samples.size >= 256) samples.clear();
    samples.set(key, a?.json === undefined ? a : { status: a.status, type: 'application/json', text: JSON.stringify(a.json) });
  }
  return samples.get(key);
}

/**
 * Starts the stand-in on 127.0.0.1. Returns { url, port, requests, script, reset, close, demo }.
 * `demo`: answer from the demo data set (demo.mjs), which honours filters, sort and paging.
 * `script(rule)` queues a one-shot answer for the next request matching rule.method/rule.path
 * (a string or RegExp): { status, json, text, type, delayMs, hang, breakMidBody, stallMidBody,
 * bodyBytes }.
 */
export async function startUpstream({ port = 0, log = false, demo = false } = {}) {
  const demoData = demo ? demoCluster() : null;
  const requests = [];
  let rules = [];
  const sockets = new Set();

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://stand-in');
      // Several fake SaaS clusters on one server: /{region}/{clusterId}/v2/... names which;
      // Camunda 8.10 physical tenants: /physical-tenants/{id}/v2/...
      const routed = url.pathname.match(/^\/([a-z0-9-]+)\/([0-9a-f-]{36})(\/v2\/.*)$/);
      const tenanted = url.pathname.match(/^\/physical-tenants\/([^/]+)(\/v2\/.*)$/);
      const cluster = routed ? `${routed[1]}/${routed[2]}` : undefined;
      const tenant = tenanted?.[1];
      const pathname = routed ? routed[3] : tenanted ? tenanted[2] : url.pathname;
      let body;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
      const record = { method: req.method, path: pathname, cluster, tenant, query: Object.fromEntries(url.searchParams), headers: req.headers, body, raw };
      if (requests.length < 50000) requests.push(record);
      if (log) console.log(`[stand-in] ${req.method} ${req.url}`);

      const i = rules.findIndex((r) => (!r.method || r.method === req.method)
        && (r.path instanceof RegExp ? r.path.test(pathname) : !r.path || r.path === pathname));
      const rule = i >= 0 ? rules.splice(i, 1)[0] : undefined;
      const answer = rule ?? demoData?.answer(req.method, pathname, body) ?? sample(req.method, pathname, body, raw)
        ?? { status: 404, json: problem(404, 'NOT_FOUND', `No stand-in route for ${req.method} ${pathname}`, pathname), type: 'application/problem+json' };
      respond(res, answer);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  function respond(res, a) {
    if (a.hang) return; // never answers; the gateway's timeout must fire
    const send = () => {
      if (a.bodyBytes) { // a huge body, streamed so the stand-in itself stays small
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        // `chunkBytes`: small writes, each sent on its own turn, as a chatty server sends them.
        const small = a.chunkBytes !== undefined;
        const chunk = Buffer.alloc(a.chunkBytes ?? 64 * 1024, 0x20);
        let left = a.bodyBytes;
        res.write('[');
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
            if (small) return setImmediate(pump);
          }
          res.end(']');
        };
        return pump();
      }
      let payload = '';
      let type = a.type;
      if (a.json !== undefined) { payload = JSON.stringify(a.json); type ??= (a.status ?? 200) >= 400 ? 'application/problem+json' : 'application/json'; }
      else if (a.text !== undefined) { payload = a.text; type ??= 'text/plain'; }
      const headers = type ? { 'content-type': type } : {};
      if (a.stallMidBody) { // headers and half the body, then silence
        res.writeHead(a.status ?? 200, { ...headers, 'content-length': String(payload.length) });
        return res.write(payload.slice(0, Math.floor(payload.length / 2)));
      }
      if (a.breakMidBody) {
        res.writeHead(a.status ?? 200, { ...headers, 'content-length': String(payload.length + 100) });
        res.write(payload.slice(0, Math.floor(payload.length / 2)));
        return setTimeout(() => res.socket?.destroy(), 20);
      }
      res.writeHead(a.status ?? 200, headers);
      res.end(payload);
    };
    if (a.delayMs) setTimeout(send, a.delayMs); else send();
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    demo: demoData?.data,
    script(rule) { rules.push(rule); },
    reset() { requests.length = 0; rules = []; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

// CLI: a fake C8 Run for the local demo.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const demo = process.argv.includes('--demo');
  const up = await startUpstream({ port, log: true, demo });
  const what = demo ? 'the demo data set' : 'sample data';
  console.log(`[stand-in] Camunda REST API stand-in (${what}, not a real cluster) on ${up.url}/v2`);
}
