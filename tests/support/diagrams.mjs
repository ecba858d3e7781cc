// BPMN 2.0 diagrams of the stand-in's processes, with the layout Camunda Modeler writes
// (bpmndi shapes with bounds, edges with waypoints), so the process view has something to draw.
// Each process is a small table of its elements (where they sit) and flows; the XML and the
// demo's element instances both come from it, so ids, names and types cannot drift apart.
//
//   import { diagram, processes, bpmnXml, defineProcess } from './diagrams.mjs'
//   diagram('order-process')   // the XML, as GET /v2/process-definitions/{key}/xml answers it

/** Size and Camunda element-instance type of each kind of element we draw. */
const KINDS = {
  startEvent: { width: 36, height: 36, type: 'START_EVENT' },
  intermediateCatchEvent: { width: 36, height: 36, type: 'INTERMEDIATE_CATCH_EVENT' },
  endEvent: { width: 36, height: 36, type: 'END_EVENT' },
  serviceTask: { width: 100, height: 80, type: 'SERVICE_TASK' },
  sendTask: { width: 100, height: 80, type: 'SEND_TASK' },
  userTask: { width: 100, height: 80, type: 'USER_TASK' },
  exclusiveGateway: { width: 50, height: 50, type: 'EXCLUSIVE_GATEWAY' },
};

/**
 * A process: elements as [kind, id, name, centre x, centre y, options] and flows as
 * [id, source, target, options]. Element options: `job` (a job type), `groups` (candidate
 * groups of a user task), `message` and `correlationKey`, `form` (a start form), `default` (a
 * gateway's default flow). Flow options: `name`, `condition`, `waypoints` (else drawn straight,
 * or down from a gateway and across).
 */
export function defineProcess(id, name, elements, flows) {
  const byId = new Map();
  for (const [kind, elementId, elementName, cx, cy, options = {}] of elements) {
    const { width, height, type } = KINDS[kind];
    byId.set(elementId, {
      kind, id: elementId, name: elementName, type, options,
      bounds: { x: cx - width / 2, y: cy - height / 2, width, height },
    });
  }
  const flowList = flows.map(([flowId, source, target, options = {}]) => ({ id: flowId, source, target, options }));
  return { id, name, elements: [...byId.values()], flows: flowList, element: (e) => byId.get(e) };
}

export const processes = {
  'order-process': defineProcess('order-process', 'Order process', [
    ['startEvent', 'OrderReceived', 'Order received', 170, 120],
    ['serviceTask', 'ChargeCard', 'Charge card', 290, 120, { job: 'charge-card' }],
    ['intermediateCatchEvent', 'AwaitPayment', 'Payment received', 410, 120, { message: 'payment-received', correlationKey: '=orderId' }],
    ['userTask', 'ReviewOrder', 'Review order', 530, 120, { groups: 'sales' }],
    ['exclusiveGateway', 'OrderApproved', 'Order approved?', 660, 120, { default: 'Flow_Rejected' }],
    ['serviceTask', 'ShipOrder', 'Ship order', 790, 120, { job: 'ship-order' }],
    ['endEvent', 'OrderDone', 'Order done', 910, 120],
    ['serviceTask', 'RefundPayment', 'Refund payment', 790, 240, { job: 'refund-payment' }],
    ['endEvent', 'OrderRejected', 'Order rejected', 910, 240],
  ], [
    ['Flow_Charge', 'OrderReceived', 'ChargeCard'],
    ['Flow_Charged', 'ChargeCard', 'AwaitPayment'],
    ['Flow_Paid', 'AwaitPayment', 'ReviewOrder'],
    ['Flow_Reviewed', 'ReviewOrder', 'OrderApproved'],
    ['Flow_Approved', 'OrderApproved', 'ShipOrder', { name: 'Yes', condition: '=approved' }],
    ['Flow_Rejected', 'OrderApproved', 'RefundPayment', { name: 'No' }],
    ['Flow_Shipped', 'ShipOrder', 'OrderDone'],
    ['Flow_Refunded', 'RefundPayment', 'OrderRejected'],
  ]),
  'invoice-approval': defineProcess('invoice-approval', 'Invoice approval', [
    ['startEvent', 'InvoiceReceived', 'Invoice received', 170, 120, { message: 'invoice-received' }],
    ['serviceTask', 'RecordInvoice', 'Record invoice', 290, 120, { job: 'record-invoice' }],
    ['exclusiveGateway', 'AmountGateway', 'Amount above limit?', 420, 120, { default: 'Flow_Small' }],
    ['userTask', 'ApproveInvoice', 'Approve invoice', 540, 120, { groups: 'finance' }],
    ['serviceTask', 'PayInvoice', 'Pay invoice', 700, 120, { job: 'pay-invoice' }],
    ['endEvent', 'InvoicePaid', 'Invoice paid', 832, 120],
  ], [
    ['Flow_Record', 'InvoiceReceived', 'RecordInvoice'],
    ['Flow_Recorded', 'RecordInvoice', 'AmountGateway'],
    ['Flow_Large', 'AmountGateway', 'ApproveInvoice', { name: 'Yes', condition: '=amount > limit' }],
    ['Flow_Small', 'AmountGateway', 'PayInvoice', { name: 'No', waypoints: [[420, 145], [420, 240], [700, 240], [700, 160]] }],
    ['Flow_Approved', 'ApproveInvoice', 'PayInvoice'],
    ['Flow_Paid', 'PayInvoice', 'InvoicePaid'],
  ]),
  'customer-onboarding': defineProcess('customer-onboarding', 'Customer onboarding', [
    ['startEvent', 'CustomerSignedUp', 'Customer signed up', 170, 120, { form: 'signup-form' }],
    ['serviceTask', 'CreateAccount', 'Create account', 290, 120, { job: 'create-account' }],
    ['sendTask', 'SendWelcomeMail', 'Send welcome mail', 450, 120, { job: 'send-welcome-mail' }],
    ['userTask', 'WelcomeCall', 'Welcome call', 610, 120, { groups: 'success' }],
    ['endEvent', 'CustomerOnboarded', 'Customer onboarded', 742, 120],
  ], [
    ['Flow_Create', 'CustomerSignedUp', 'CreateAccount'],
    ['Flow_Created', 'CreateAccount', 'SendWelcomeMail'],
    ['Flow_Mailed', 'SendWelcomeMail', 'WelcomeCall'],
    ['Flow_Called', 'WelcomeCall', 'CustomerOnboarded'],
  ]),
};

/** The BPMN XML of a demo process, with its diagram layout. */
export function diagram(processId) {
  return bpmnXml(processes[processId]);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const messageId = (name) => `Message_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;

/** A label's bounds, about as bpmn-js sizes them: 90 px wide at most, lines of about 14 px. */
function labelBounds(text, cx, top, above = false) {
  const width = Math.min(90, Math.ceil(text.length * 6.2));
  const height = text.length * 6.2 > 90 ? 27 : 14;
  return { x: Math.round(cx - width / 2), y: above ? top - 7 - height : top + 7, width, height };
}

/** Where a flow's edge runs: its own waypoints, else straight across, else down (or up) and across. */
function waypoints(p, flow) {
  if (flow.options.waypoints) return flow.options.waypoints;
  const s = p.element(flow.source).bounds;
  const t = p.element(flow.target).bounds;
  const [sy, ty] = [s.y + s.height / 2, t.y + t.height / 2];
  if (sy === ty) return [[s.x + s.width, sy], [t.x, ty]];
  const sx = s.x + s.width / 2;
  return [[sx, ty > sy ? s.y + s.height : s.y], [sx, ty], [t.x, ty]];
}

const bounds = (b, indent) => `${indent}<dc:Bounds x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" />`;

/**
 * BPMN 2.0 XML of a process as Camunda Modeler writes it for Camunda 8 (zeebe extension
 * elements); `layout: false` leaves out the diagram (bpmndi), as XML written by code often has.
 */
export function bpmnXml(p, { layout = true, definitionsId = `Definitions_${p.id}` } = {}) {
  const lines = [];
  const out = (s) => lines.push(s);
  const ns = [
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
    ...(layout ? ['xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"', 'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"', 'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'] : []),
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"', 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    'xmlns:modeler="http://camunda.org/schema/modeler/1.0"',
  ];
  out('<?xml version="1.0" encoding="UTF-8"?>');
  out(`<bpmn:definitions ${ns.join(' ')} id="${esc(definitionsId)}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.42.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.9.0">`);
  out(`  <bpmn:process id="${esc(p.id)}" name="${esc(p.name)}" isExecutable="true">`);
  const messages = [];
  for (const e of p.elements) {
    const o = e.options;
    const attrs = `id="${esc(e.id)}" name="${esc(e.name)}"${o.default ? ` default="${esc(o.default)}"` : ''}`;
    out(`    <bpmn:${e.kind} ${attrs}>`);
    const extensions = [];
    if (o.form) extensions.push(`<zeebe:formDefinition formId="${esc(o.form)}" />`);
    if (o.job) extensions.push(`<zeebe:taskDefinition type="${esc(o.job)}" retries="3" />`);
    if (o.groups) extensions.push(`<zeebe:assignmentDefinition candidateGroups="${esc(o.groups)}" />`, '<zeebe:userTask />');
    if (extensions.length) {
      out('      <bpmn:extensionElements>');
      for (const x of extensions) out(`        ${x}`);
      out('      </bpmn:extensionElements>');
    }
    for (const f of p.flows.filter((f) => f.target === e.id)) out(`      <bpmn:incoming>${esc(f.id)}</bpmn:incoming>`);
    for (const f of p.flows.filter((f) => f.source === e.id)) out(`      <bpmn:outgoing>${esc(f.id)}</bpmn:outgoing>`);
    if (o.message) {
      messages.push(o);
      out(`      <bpmn:messageEventDefinition id="${esc(e.id)}_message" messageRef="${messageId(o.message)}" />`);
    }
    out(`    </bpmn:${e.kind}>`);
  }
  for (const f of p.flows) {
    const attrs = `id="${esc(f.id)}"${f.options.name ? ` name="${esc(f.options.name)}"` : ''} sourceRef="${esc(f.source)}" targetRef="${esc(f.target)}"`;
    if (!f.options.condition) { out(`    <bpmn:sequenceFlow ${attrs} />`); continue; }
    out(`    <bpmn:sequenceFlow ${attrs}>`);
    out(`      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${esc(f.options.condition)}</bpmn:conditionExpression>`);
    out('    </bpmn:sequenceFlow>');
  }
  out('  </bpmn:process>');
  for (const o of messages) {
    if (!o.correlationKey) { out(`  <bpmn:message id="${messageId(o.message)}" name="${esc(o.message)}" />`); continue; }
    out(`  <bpmn:message id="${messageId(o.message)}" name="${esc(o.message)}">`);
    out(`    <bpmn:extensionElements>\n      <zeebe:subscription correlationKey="${esc(o.correlationKey)}" />\n    </bpmn:extensionElements>`);
    out('  </bpmn:message>');
  }
  if (layout) {
    out('  <bpmndi:BPMNDiagram id="BPMNDiagram_1">');
    out(`    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${esc(p.id)}">`);
    for (const e of p.elements) {
      const b = e.bounds;
      const marker = e.kind === 'exclusiveGateway' ? ' isMarkerVisible="true"' : '';
      out(`      <bpmndi:BPMNShape id="${esc(e.id)}_di" bpmnElement="${esc(e.id)}"${marker}>`);
      out(bounds(b, '        '));
      // Events and gateways carry their name outside the shape: below, or above a gateway
      // (its flows leave downwards); tasks draw it inside.
      if (b.width < 100) {
        const gateway = e.kind === 'exclusiveGateway';
        out('        <bpmndi:BPMNLabel>');
        out(bounds(labelBounds(e.name, b.x + b.width / 2, gateway ? b.y : b.y + b.height, gateway), '          '));
        out('        </bpmndi:BPMNLabel>');
      }
      out('      </bpmndi:BPMNShape>');
    }
    for (const f of p.flows) {
      const points = waypoints(p, f);
      out(`      <bpmndi:BPMNEdge id="${esc(f.id)}_di" bpmnElement="${esc(f.id)}">`);
      for (const [x, y] of points) out(`        <di:waypoint x="${x}" y="${y}" />`);
      if (f.options.name) { // beside the edge's start: above it, or right of it when it leaves downwards
        const [x, y] = points[0];
        const down = points[1][0] === x;
        const label = { x: x + 8, y: down ? y + 8 : y - 20, width: f.options.name.length * 7 + 6, height: 14 };
        out('        <bpmndi:BPMNLabel>');
        out(bounds(label, '          '));
        out('        </bpmndi:BPMNLabel>');
      }
      out('      </bpmndi:BPMNEdge>');
    }
    out('    </bpmndi:BPMNPlane>');
    out('  </bpmndi:BPMNDiagram>');
  }
  out('</bpmn:definitions>');
  return `${lines.join('\n')}\n`;
}
