// A small, coherent Camunda data set for the local demo (scripts/dev.sh --demo): three processes
// in several versions, instances in every state, incidents of different types, user tasks
// assigned and not, and variables, all with distinct keys that link up (an incident's instance
// exists and has hasIncident; a task's variables are its instance's). Searches honour the
// filter, sort and paging they receive, as REST API v2 does; writes change the data, so an agent
// sees the effect of what it did. It is NOT a Camunda cluster.
import { BPMN_XML, problem } from './upstream.mjs';

const TENANT = '<default>';
const at = (day, hour, minute = 0) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00.000Z`;
let serial = 2251799813700000n;
const nextKey = () => String(serial++);

function build() {
  const definitions = [
    ['order-process', 'Order process', 1, 'v1'], ['order-process', 'Order process', 2, 'v2'], ['order-process', 'Order process', 3, 'v3'],
    ['invoice-approval', 'Invoice approval', 1, null], ['invoice-approval', 'Invoice approval', 2, '2026-Q4'],
    ['customer-onboarding', 'Customer onboarding', 1, 'pilot'],
  ].map(([id, name, version, versionTag]) => ({
    name, resourceName: `${id}.bpmn`, version, versionTag, processDefinitionId: id, tenantId: TENANT,
    processDefinitionKey: nextKey(), hasStartForm: id === 'customer-onboarding',
  }));
  const def = (id, version) => definitions.find((d) => d.processDefinitionId === id && d.version === version);

  const instances = [];
  const addInstance = (d, state, started, ended, extra = {}) => {
    const i = {
      processDefinitionId: d.processDefinitionId, processDefinitionName: d.name, processDefinitionVersion: d.version,
      processDefinitionVersionTag: d.versionTag, startDate: started, endDate: ended, state, hasIncident: false,
      tenantId: TENANT, processInstanceKey: nextKey(), processDefinitionKey: d.processDefinitionKey,
      parentProcessInstanceKey: null, parentElementInstanceKey: null, rootProcessInstanceKey: null, tags: [], businessId: null, ...extra,
    };
    i.rootProcessInstanceKey = i.processInstanceKey;
    instances.push(i);
    return i;
  };
  for (let n = 0; n < 8; n++) {
    const d = def('order-process', n < 2 ? 2 : 3);
    const state = ['ACTIVE', 'ACTIVE', 'COMPLETED', 'ACTIVE', 'TERMINATED', 'COMPLETED', 'ACTIVE', 'ACTIVE'][n];
    addInstance(d, state, at(20 + (n % 8), 8 + n), state === 'ACTIVE' ? null : at(21 + (n % 7), 9 + n),
      { businessId: `order-${1001 + n}`, tags: n % 2 ? ['web'] : ['store'] });
  }
  for (let n = 0; n < 5; n++) {
    const d = def('invoice-approval', n < 2 ? 1 : 2);
    const state = ['COMPLETED', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'COMPLETED'][n];
    addInstance(d, state, at(18 + n, 10, 15 * n), state === 'ACTIVE' ? null : at(19 + n, 11), { businessId: `INV-2026-${300 + n}`, tags: ['finance'] });
  }
  for (let n = 0; n < 3; n++) {
    addInstance(def('customer-onboarding', 1), n === 2 ? 'COMPLETED' : 'ACTIVE', at(25 + n, 14), n === 2 ? at(27, 16) : null, { businessId: `CUST-${77 + n}` });
  }
  const inst = (i) => instances[i];

  const incidents = [];
  const addIncident = (instance, errorType, elementId, errorMessage, created, state = 'ACTIVE', jobKey = nextKey()) => {
    if (state === 'ACTIVE') instance.hasIncident = true;
    incidents.push({
      processDefinitionId: instance.processDefinitionId, errorType, errorMessage, elementId, creationTime: created, state,
      tenantId: TENANT, incidentKey: nextKey(), processDefinitionKey: instance.processDefinitionKey,
      processInstanceKey: instance.processInstanceKey, rootProcessInstanceKey: instance.processInstanceKey,
      elementInstanceKey: nextKey(), jobKey,
    });
  };
  addIncident(inst(0), 'JOB_NO_RETRIES', 'ChargeCard', 'Payment provider answered 503 Service Unavailable', at(20, 8, 5));
  addIncident(inst(3), 'JOB_NO_RETRIES', 'ChargeCard', 'Card declined: insufficient funds', at(23, 11, 2));
  addIncident(inst(9), 'EXTRACT_VALUE_ERROR', 'AmountGateway', "Expected boolean for condition 'amount > limit', but got null: no variable 'limit'", at(20, 10, 31), 'ACTIVE', null);
  addIncident(inst(13), 'IO_MAPPING_ERROR', 'CreateAccount', "Failed to evaluate output mapping 'accountId': no variable 'crmResponse'", at(25, 14, 7), 'ACTIVE', null);
  addIncident(inst(2), 'JOB_NO_RETRIES', 'ChargeCard', 'Timeout calling payment provider', at(22, 10, 1), 'RESOLVED');

  const tasks = [];
  const addTask = (instance, name, elementId, assignee, candidateGroups, created, state = 'CREATED', extra = {}) => {
    tasks.push({
      name, state, assignee, elementId, candidateGroups, candidateUsers: [], processDefinitionId: instance.processDefinitionId,
      creationDate: created, completionDate: state === 'COMPLETED' ? at(27, 9) : null, followUpDate: null,
      dueDate: extra.dueDate ?? null, tenantId: TENANT, externalFormReference: null,
      processDefinitionVersion: instance.processDefinitionVersion, customHeaders: {}, priority: extra.priority ?? 50,
      userTaskKey: nextKey(), elementInstanceKey: nextKey(), processName: instance.processDefinitionName,
      processDefinitionKey: instance.processDefinitionKey, processInstanceKey: instance.processInstanceKey,
      rootProcessInstanceKey: instance.processInstanceKey, formKey: null, tags: [],
    });
  };
  addTask(inst(1), 'Review order', 'ReviewOrder', 'demo', ['sales'], at(21, 9), 'CREATED', { dueDate: at(29, 17), priority: 70 });
  addTask(inst(6), 'Review order', 'ReviewOrder', null, ['sales'], at(26, 14), 'CREATED', { dueDate: at(30, 17) });
  addTask(inst(7), 'Review order', 'ReviewOrder', null, ['sales'], at(27, 15));
  addTask(inst(10), 'Approve invoice', 'ApproveInvoice', 'anna', ['finance'], at(21, 10, 40), 'CREATED', { priority: 90 });
  addTask(inst(11), 'Approve invoice', 'ApproveInvoice', null, ['finance'], at(22, 10, 55));
  addTask(inst(12), 'Welcome call', 'WelcomeCall', 'demo', ['success'], at(26, 15));
  addTask(inst(15), 'Welcome call', 'WelcomeCall', 'demo', ['success'], at(27, 14, 30), 'COMPLETED');

  const variables = [];
  const addVariable = (instance, name, value) => variables.push({
    name, value: JSON.stringify(value), isTruncated: false, tenantId: TENANT, variableKey: nextKey(),
    scopeKey: instance.processInstanceKey, processInstanceKey: instance.processInstanceKey, rootProcessInstanceKey: instance.processInstanceKey,
  });
  instances.forEach((i, n) => {
    if (i.processDefinitionId === 'order-process') {
      addVariable(i, 'orderId', i.businessId);
      addVariable(i, 'amount', [149.9, 89, 1200, 35.5, 410, 19.99, 560, 72][n % 8]);
      addVariable(i, 'customer', { name: ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra'][n % 4], tier: n % 3 ? 'silver' : 'gold' });
    } else if (i.processDefinitionId === 'invoice-approval') {
      addVariable(i, 'invoiceId', i.businessId);
      addVariable(i, 'amount', 2500 + 250 * n);
      addVariable(i, 'approved', i.state === 'COMPLETED');
    } else {
      addVariable(i, 'customerId', i.businessId);
      addVariable(i, 'plan', n % 2 ? 'team' : 'enterprise');
    }
  });
  return { definitions, instances, incidents, tasks, variables };
}

/** Whether `value` meets a REST v2 filter condition: a plain value, or `$eq`, `$neq`, `$in`,
 * `$notIn`, `$like`, `$exists`, `$gt`, `$gte`, `$lt`, `$lte`. Keys compare as strings. */
export function meets(value, cond) {
  const same = (a, b) => String(a) === String(b);
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) return same(value, cond);
  return Object.entries(cond).every(([op, arg]) => {
    switch (op) {
      case '$eq': return same(value, arg);
      case '$neq': return !same(value, arg);
      case '$in': return Array.isArray(arg) && arg.some((a) => same(value, a));
      case '$notIn': return Array.isArray(arg) && !arg.some((a) => same(value, a));
      case '$exists': return (value !== null && value !== undefined) === arg;
      case '$like': return new RegExp(`^${String(arg).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(String(value ?? ''));
      case '$gt': return value !== null && value > arg;
      case '$gte': return value !== null && value >= arg;
      case '$lt': return value !== null && value < arg;
      case '$lte': return value !== null && value <= arg;
      default: return false;
    }
  });
}

function matches(item, filter, data) {
  return Object.entries(filter ?? {}).every(([field, cond]) => {
    if (field === 'tags') return cond.every((t) => item.tags?.includes(t));
    if (field === 'isLatestVersion') {
      const latest = Math.max(...data.definitions.filter((d) => d.processDefinitionId === item.processDefinitionId).map((d) => d.version));
      return (item.version === latest) === cond;
    }
    if (field === 'variables') {
      return cond.every(({ name, value }) => data.variables.some((v) => v.processInstanceKey === item.processInstanceKey
        && v.name === name && meets(v.value, value)));
    }
    return meets(item[field], cond);
  });
}

/** A search answer: filtered, sorted, then paged by `from`/`limit` or by cursor. */
function search(items, body, data, defaultLimit = 100) {
  let hits = items.filter((i) => matches(i, body?.filter, data));
  for (const { field, order } of [...(body?.sort ?? [])].reverse()) {
    const dir = order === 'DESC' ? -1 : 1;
    hits = [...hits].sort((a, b) => {
      const [x, y] = [a[field], b[field]];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const numeric = /^\d+$/.test(String(x)) && /^\d+$/.test(String(y));
      return (numeric ? (BigInt(x) < BigInt(y) ? -1 : 1) : (x < y ? -1 : 1)) * dir;
    });
  }
  const page = body?.page ?? {};
  const limit = Number.isInteger(page.limit) ? page.limit : defaultLimit;
  const cursor = (c) => Number(Buffer.from(c, 'base64url').toString());
  let start = Number.isInteger(page.from) ? page.from : 0;
  if (page.after) start = cursor(page.after) + 1;
  if (page.before) start = Math.max(0, cursor(page.before) - limit);
  const slice = hits.slice(start, start + limit);
  const mark = (n) => Buffer.from(String(n)).toString('base64url');
  return {
    status: 200,
    json: {
      items: slice,
      page: {
        totalItems: hits.length, hasMoreTotalItems: false,
        startCursor: slice.length ? mark(start) : null, endCursor: slice.length ? mark(start + slice.length - 1) : null,
      },
    },
  };
}

/** The demo cluster: `answer(method, path, body)` → { status, json | text, type } or undefined. */
export function demoCluster() {
  const data = build();
  const notFound = (what, key, path) => ({ status: 404, json: problem(404, 'NOT_FOUND', `${what} with key '${key}' not found`, path) });
  const byKey = (list, field, key) => list.find((x) => x[field] === key);
  function answer(method, path, body) {
    const m = (re) => path.match(re);
    let k;
    if (method === 'POST' && path === '/v2/process-definitions/search') return search(data.definitions, body, data);
    if (method === 'POST' && path === '/v2/process-instances/search') return search(data.instances, body, data);
    if (method === 'POST' && path === '/v2/incidents/search') return search(data.incidents, body, data);
    if (method === 'POST' && path === '/v2/user-tasks/search') return search(data.tasks, body, data);
    if (method === 'POST' && path === '/v2/variables/search') return search(data.variables, body, data);
    if ((k = m(/^\/v2\/user-tasks\/(\d+)\/(?:effective-)?variables\/search$/)) && method === 'POST') {
      const task = byKey(data.tasks, 'userTaskKey', k[1]);
      if (!task) return notFound('User task', k[1], path);
      return search(data.variables.filter((v) => v.processInstanceKey === task.processInstanceKey), body, data);
    }
    if ((k = m(/^\/v2\/process-definitions\/(\d+)(\/xml)?$/)) && method === 'GET') {
      const d = byKey(data.definitions, 'processDefinitionKey', k[1]);
      if (!d) return notFound('Process definition', k[1], path);
      if (!k[2]) return { status: 200, json: d };
      const xml = BPMN_XML.replaceAll('order-process', d.processDefinitionId).replaceAll('Order process', d.name);
      return { status: 200, type: 'text/xml', text: xml };
    }
    for (const [re, list, field, what] of [
      [/^\/v2\/process-instances\/(\d+)$/, data.instances, 'processInstanceKey', 'Process instance'],
      [/^\/v2\/incidents\/(\d+)$/, data.incidents, 'incidentKey', 'Incident'],
      [/^\/v2\/user-tasks\/(\d+)$/, data.tasks, 'userTaskKey', 'User task'],
      [/^\/v2\/variables\/(\d+)$/, data.variables, 'variableKey', 'Variable'],
    ]) {
      if ((k = m(re)) && method === 'GET') return byKey(list, field, k[1]) ? { status: 200, json: byKey(list, field, k[1]) } : notFound(what, k[1], path);
    }
    if ((k = m(/^\/v2\/incidents\/(\d+)\/resolution$/)) && method === 'POST') {
      const incident = byKey(data.incidents, 'incidentKey', k[1]);
      if (!incident || incident.state !== 'ACTIVE') return notFound('Incident', k[1], path);
      incident.state = 'RESOLVED';
      const instance = byKey(data.instances, 'processInstanceKey', incident.processInstanceKey);
      instance.hasIncident = data.incidents.some((i) => i.processInstanceKey === instance.processInstanceKey && i.state === 'ACTIVE');
      return { status: 204 };
    }
    if ((k = m(/^\/v2\/user-tasks\/(\d+)\/(assignment|assignee|completion)$/))) {
      const task = byKey(data.tasks, 'userTaskKey', k[1]);
      if (!task || task.state !== 'CREATED') return notFound('User task', k[1], path);
      if (k[2] === 'assignment' && method === 'POST') task.assignee = body?.assignee ?? null;
      else if (k[2] === 'assignee' && method === 'DELETE') task.assignee = null;
      else if (k[2] === 'completion' && method === 'POST') Object.assign(task, { state: 'COMPLETED', completionDate: new Date().toISOString() });
      else return undefined;
      return { status: 204 };
    }
    if (method === 'POST' && path === '/v2/process-instances') {
      const versions = data.definitions.filter((d) => (body?.processDefinitionKey && d.processDefinitionKey === String(body.processDefinitionKey))
        || (d.processDefinitionId === body?.processDefinitionId && (!body?.processDefinitionVersion || d.version === body.processDefinitionVersion)));
      const d = versions.sort((a, b) => b.version - a.version)[0];
      if (!d) return { status: 404, json: problem(404, 'NOT_FOUND', 'Expected to find a process definition for the given id, key or version, but none was found', path) };
      const i = {
        processDefinitionId: d.processDefinitionId, processDefinitionName: d.name, processDefinitionVersion: d.version,
        processDefinitionVersionTag: d.versionTag, startDate: new Date().toISOString(), endDate: null, state: 'ACTIVE',
        hasIncident: false, tenantId: TENANT, processInstanceKey: nextKey(), processDefinitionKey: d.processDefinitionKey,
        parentProcessInstanceKey: null, parentElementInstanceKey: null, rootProcessInstanceKey: null,
        tags: body?.tags ?? [], businessId: body?.businessId ?? null,
      };
      i.rootProcessInstanceKey = i.processInstanceKey;
      data.instances.push(i);
      for (const [name, value] of Object.entries(body?.variables ?? {})) {
        data.variables.push({ name, value: JSON.stringify(value), isTruncated: false, tenantId: TENANT, variableKey: nextKey(),
          scopeKey: i.processInstanceKey, processInstanceKey: i.processInstanceKey, rootProcessInstanceKey: i.processInstanceKey });
      }
      return { status: 200, json: { processDefinitionId: d.processDefinitionId, processDefinitionVersion: d.version, tenantId: TENANT,
        variables: {}, processDefinitionKey: d.processDefinitionKey, processInstanceKey: i.processInstanceKey, tags: i.tags, businessId: i.businessId } };
    }
    if (method === 'PATCH' && m(/^\/v2\/jobs\/\d+$/)) return { status: 204 };
    return undefined;
  }
  return { data, answer };
}
