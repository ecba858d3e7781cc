// A small, coherent Camunda data set for the local demo (scripts/dev.sh --demo): three processes
// in several versions, instances in every state, incidents of different types, user tasks
// assigned and not, and variables, all with distinct keys that link up (an incident's instance
// exists and has hasIncident; a task's variables are its instance's). Searches honour the
// filter, sort and paging they receive, as REST API v2 does; writes change the data, so an agent
// sees the effect of what it did. Each process has a real diagram (diagrams.mjs), and each
// instance a way through it: the elements it went through and the sequence flows it took, up to
// where its token waits, so the process view can draw tokens, incidents and the path taken. It is
// NOT a Camunda cluster.
import { problem } from './upstream.mjs';
import { diagram, processes } from './diagrams.mjs';

const TENANT = '<default>';
// A time in November 2026; minutes past 59 roll over into the next hour.
const at = (day, hour, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute)).toISOString();
const minutesAfter = (date, minutes) => new Date(Date.parse(date) + minutes * 60_000).toISOString();
let serial = 2251799813700000n;
const nextKey = () => String(serial++);

/** The ways through each demo process, from its start event to an end event. */
const WAYS = {
  shipped: ['OrderReceived', 'ChargeCard', 'AwaitPayment', 'ReviewOrder', 'OrderApproved', 'ShipOrder', 'OrderDone'],
  approved: ['InvoiceReceived', 'RecordInvoice', 'AmountGateway', 'ApproveInvoice', 'PayInvoice', 'InvoicePaid'],
  small: ['InvoiceReceived', 'RecordInvoice', 'AmountGateway', 'PayInvoice', 'InvoicePaid'],
  onboarded: ['CustomerSignedUp', 'CreateAccount', 'SendWelcomeMail', 'WelcomeCall', 'CustomerOnboarded'],
};
/** The way a new instance of each process takes. */
const NEW_WAY = { 'order-process': 'shipped', 'invoice-approval': 'approved', 'customer-onboarding': 'onboarded' };

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
    // order-1006 waits for its payment, so that v3 has tokens on three elements.
    const state = ['ACTIVE', 'ACTIVE', 'COMPLETED', 'ACTIVE', 'TERMINATED', 'ACTIVE', 'ACTIVE', 'ACTIVE'][n];
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
  addTask(inst(14), 'Welcome call', 'WelcomeCall', 'demo', ['success'], at(26, 15));
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
  const data = { definitions, instances, incidents, tasks, variables, elementInstances: [], sequenceFlows: [], ways: new Map() };
  // Each instance's way and the last element it reached: active ones wait there (at their open
  // incident or user task), the terminated one was canceled there, completed ones ended there.
  [
    ['shipped', 'ChargeCard'], ['shipped', 'ReviewOrder'], ['shipped', 'OrderDone'], ['shipped', 'ChargeCard'],
    ['shipped', 'AwaitPayment'], ['shipped', 'AwaitPayment'], ['shipped', 'ReviewOrder'], ['shipped', 'ReviewOrder'],
    ['approved', 'InvoicePaid'], ['approved', 'AmountGateway'], ['approved', 'ApproveInvoice'], ['approved', 'ApproveInvoice'], ['small', 'InvoicePaid'],
    ['onboarded', 'CreateAccount'], ['onboarded', 'WelcomeCall'], ['onboarded', 'CustomerOnboarded'],
  ].forEach(([way, last], n) => walk(data, inst(n), way, last));
  return data;
}

/**
 * An element instance of `instance` at `elementId`, entered at `date` by the sequence flow from
 * `from` (recorded as taken). It keeps the key of the incident or user task there, so they link up.
 */
function enter(data, instance, elementId, from, date) {
  const p = processes[instance.processDefinitionId];
  const { processInstanceKey, processDefinitionKey, processDefinitionId, rootProcessInstanceKey, tenantId } = instance;
  if (from) {
    const flow = p.flows.find((f) => f.source === from && f.target === elementId);
    data.sequenceFlows.push({ processInstanceKey, rootProcessInstanceKey, processDefinitionKey, processDefinitionId,
      elementId: flow.id, sequenceFlowId: `${processInstanceKey}_${flow.id}`, tenantId });
  }
  const here = (x) => x.processInstanceKey === processInstanceKey && x.elementId === elementId;
  const incident = data.incidents.find((i) => here(i) && i.state === 'ACTIVE');
  const element = p.element(elementId);
  const entered = {
    processDefinitionId, startDate: date, endDate: null, elementId, elementName: element.name, type: element.type,
    state: 'ACTIVE', hasIncident: Boolean(incident), tenantId,
    elementInstanceKey: data.incidents.find(here)?.elementInstanceKey ?? data.tasks.find(here)?.elementInstanceKey ?? nextKey(),
    processInstanceKey, processDefinitionKey, rootProcessInstanceKey, incidentKey: incident?.incidentKey ?? null,
  };
  data.elementInstances.push(entered);
  return entered;
}

const leave = (elementInstance, state, date) => Object.assign(elementInstance, { state, endDate: date, hasIncident: false, incidentKey: null });

/** Walks `instance` along `way` up to `last`, a minute a step: where it waits, was canceled or ended. */
function walk(data, instance, way, last) {
  const route = WAYS[way];
  data.ways.set(instance.processInstanceKey, route);
  const reached = route.slice(0, route.indexOf(last) + 1);
  reached.forEach((elementId, i) => {
    const final = i === reached.length - 1;
    const date = final && instance.state === 'COMPLETED' ? instance.endDate : minutesAfter(instance.startDate, i);
    const entered = enter(data, instance, elementId, reached[i - 1], date);
    if (!final) leave(entered, 'COMPLETED', minutesAfter(date, 1));
    else if (instance.state !== 'ACTIVE') leave(entered, instance.state, instance.endDate);
  });
}

/** After a user task's completion: on through elements that do not wait, to the next wait or the end. */
function advance(data, instance, waiting) {
  const now = new Date().toISOString();
  leave(waiting, 'COMPLETED', now);
  const route = data.ways.get(instance.processInstanceKey);
  for (let i = route.indexOf(waiting.elementId) + 1; i < route.length; i++) {
    const entered = enter(data, instance, route[i], route[i - 1], now);
    if (!['EXCLUSIVE_GATEWAY', 'END_EVENT'].includes(entered.type)) return;
    leave(entered, 'COMPLETED', now);
  }
  Object.assign(instance, { state: 'COMPLETED', endDate: now });
}

/**
 * Counts per element, as Camunda counts them: active and incidents apart (an element instance
 * with an open incident is not also active), canceled, completed. In the diagram's order.
 */
function statistics(elementInstances, processId) {
  const counts = new Map();
  for (const e of elementInstances) {
    if (!counts.has(e.elementId)) counts.set(e.elementId, { elementId: e.elementId, active: 0, canceled: 0, incidents: 0, completed: 0 });
    const c = counts.get(e.elementId);
    if (e.state === 'ACTIVE') c[e.hasIncident ? 'incidents' : 'active']++;
    else c[e.state === 'COMPLETED' ? 'completed' : 'canceled']++;
  }
  const order = processes[processId].elements.map((e) => e.id);
  return { status: 200, json: { items: [...counts.values()].sort((a, b) => order.indexOf(a.elementId) - order.indexOf(b.elementId)) } };
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
    if (field === '$or') return cond.some((alternative) => matches(item, alternative, data));
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
  const ok = (json) => ({ status: 200, json });
  const done = () => ({ status: 204 });
  /** A handler that finds the item the path's key names in `list`, or answers 404. */
  const withKey = (list, field, what, handler) => (m, body, path) => {
    const item = byKey(list, field, m[1]);
    return item ? handler(item, body, path) : notFound(what, m[1], path);
  };
  const instance = (handler) => withKey(data.instances, 'processInstanceKey', 'Process instance', handler);
  const openTask = (handler) => (m, body, path) => {
    const task = byKey(data.tasks, 'userTaskKey', m[1]);
    return task?.state === 'CREATED' ? handler(task, body, path) : notFound('User task', m[1], path);
  };
  const scopeOf = (i) => (x) => x.processInstanceKey === i.processInstanceKey;

  // [method, path pattern, handler(match, body, path)]; the first row that matches answers.
  const routes = [
    ['POST', /^\/v2\/process-definitions\/search$/, (m, body) => search(data.definitions, body, data)],
    ['POST', /^\/v2\/process-instances\/search$/, (m, body) => search(data.instances, body, data)],
    ['POST', /^\/v2\/incidents\/search$/, (m, body) => search(data.incidents, body, data)],
    ['POST', /^\/v2\/user-tasks\/search$/, (m, body) => search(data.tasks, body, data)],
    ['POST', /^\/v2\/variables\/search$/, (m, body) => search(data.variables, body, data)],
    ['POST', /^\/v2\/element-instances\/search$/, (m, body) => search(data.elementInstances, body, data)],
    ['POST', /^\/v2\/user-tasks\/(\d+)\/(?:effective-)?variables\/search$/, withKey(data.tasks, 'userTaskKey', 'User task',
      (task, body) => search(data.variables.filter(scopeOf(task)), body, data))],
    ['GET', /^\/v2\/process-definitions\/(\d+)$/, withKey(data.definitions, 'processDefinitionKey', 'Process definition', ok)],
    ['GET', /^\/v2\/process-definitions\/(\d+)\/xml$/, withKey(data.definitions, 'processDefinitionKey', 'Process definition',
      (d) => ({ status: 200, type: 'text/xml', text: diagram(d.processDefinitionId) }))],
    // Over all the definition's instances the filter keeps; completed counts only end events.
    ['POST', /^\/v2\/process-definitions\/(\d+)\/statistics\/element-instances$/, withKey(data.definitions, 'processDefinitionKey', 'Process definition',
      (d, body) => {
        const kept = new Set(data.instances.filter((i) => i.processDefinitionKey === d.processDefinitionKey && matches(i, body?.filter, data))
          .map((i) => i.processInstanceKey));
        return statistics(data.elementInstances.filter((e) => kept.has(e.processInstanceKey)
          && (e.state !== 'COMPLETED' || e.type === 'END_EVENT')), d.processDefinitionId);
      })],
    ['GET', /^\/v2\/process-instances\/(\d+)$/, instance(ok)],
    ['GET', /^\/v2\/process-instances\/(\d+)\/statistics\/element-instances$/, instance((i) => statistics(data.elementInstances.filter(scopeOf(i)), i.processDefinitionId))],
    ['GET', /^\/v2\/process-instances\/(\d+)\/sequence-flows$/, instance((i) => ok({ items: data.sequenceFlows.filter(scopeOf(i)) }))],
    ['POST', /^\/v2\/process-instances\/(\d+)\/incidents\/search$/, instance((i, body) => search(data.incidents.filter(scopeOf(i)), body, data))],
    ['POST', /^\/v2\/process-instances\/(\d+)\/cancellation$/, (m, body, path) => {
      const i = byKey(data.instances, 'processInstanceKey', m[1]);
      if (i?.state !== 'ACTIVE') return { status: 404, json: problem(404, 'NOT_FOUND', `Expected to cancel a process instance with key '${m[1]}', but no such process instance was found`, path) };
      const now = new Date().toISOString();
      Object.assign(i, { state: 'TERMINATED', endDate: now, hasIncident: false });
      for (const e of data.elementInstances.filter(scopeOf(i))) if (e.state === 'ACTIVE') leave(e, 'TERMINATED', now);
      for (const x of data.incidents.filter(scopeOf(i))) if (x.state === 'ACTIVE') x.state = 'RESOLVED';
      for (const t of data.tasks.filter(scopeOf(i))) if (t.state === 'CREATED') t.state = 'CANCELED';
      return done();
    }],
    ['GET', /^\/v2\/incidents\/(\d+)$/, withKey(data.incidents, 'incidentKey', 'Incident', ok)],
    ['GET', /^\/v2\/user-tasks\/(\d+)$/, withKey(data.tasks, 'userTaskKey', 'User task', ok)],
    ['GET', /^\/v2\/variables\/(\d+)$/, withKey(data.variables, 'variableKey', 'Variable', ok)],
    // Resolved, the incident's element instance carries on (its job is retried): active, no incident.
    ['POST', /^\/v2\/incidents\/(\d+)\/resolution$/, (m, body, path) => {
      const incident = byKey(data.incidents, 'incidentKey', m[1]);
      if (!incident || incident.state !== 'ACTIVE') return notFound('Incident', m[1], path);
      incident.state = 'RESOLVED';
      const i = byKey(data.instances, 'processInstanceKey', incident.processInstanceKey);
      i.hasIncident = data.incidents.some((x) => scopeOf(i)(x) && x.state === 'ACTIVE');
      const stuck = byKey(data.elementInstances, 'elementInstanceKey', incident.elementInstanceKey);
      if (stuck) Object.assign(stuck, { hasIncident: false, incidentKey: null });
      return done();
    }],
    ['POST', /^\/v2\/user-tasks\/(\d+)\/assignment$/, openTask((task, body) => { task.assignee = body?.assignee ?? null; return done(); })],
    ['DELETE', /^\/v2\/user-tasks\/(\d+)\/assignee$/, openTask((task) => { task.assignee = null; return done(); })],
    // Completed, the task's instance moves on to its next wait (or its end).
    ['POST', /^\/v2\/user-tasks\/(\d+)\/completion$/, openTask((task) => {
      Object.assign(task, { state: 'COMPLETED', completionDate: new Date().toISOString() });
      const waiting = byKey(data.elementInstances, 'elementInstanceKey', task.elementInstanceKey);
      if (waiting?.state === 'ACTIVE') advance(data, byKey(data.instances, 'processInstanceKey', task.processInstanceKey), waiting);
      return done();
    })],
    ['POST', /^\/v2\/process-instances$/, (m, body, path) => {
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
      // Its token waits at the first step after the start event.
      walk(data, i, NEW_WAY[d.processDefinitionId], WAYS[NEW_WAY[d.processDefinitionId]][1]);
      return ok({ processDefinitionId: d.processDefinitionId, processDefinitionVersion: d.version, tenantId: TENANT,
        variables: {}, processDefinitionKey: d.processDefinitionKey, processInstanceKey: i.processInstanceKey, tags: i.tags, businessId: i.businessId });
    }],
    ['PATCH', /^\/v2\/jobs\/\d+$/, done],
  ];

  function answer(method, path, body) {
    for (const [verb, pattern, handler] of routes) {
      const m = verb === method && path.match(pattern);
      if (m) return handler(m, body, path);
    }
    return undefined;
  }
  return { data, answer };
}
