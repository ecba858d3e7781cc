// Camunda process view: an MCP App (extension io.modelcontextprotocol/ui, spec 2026-01-26).
//
// A host renders this document in a sandboxed iframe next to the result of showProcessInstance
// or showProcessDefinition. It speaks the Apps protocol itself (JSON-RPC 2.0 over postMessage
// with window.parent) instead of bundling the SDK, to stay small. It never touches the network:
// the BPMN XML and the live state come from the gateway's app-only tools, which the host calls
// for it (tools/call), with the user's own credentials and under the gateway's governance. So
// the XML never passes through the model, and the view works under the hosts' default CSP.
//
// The tests look for: data-state="loading|ready|error" on <html>, the message in #cmv-message,
// markers cmv-active / cmv-incident / cmv-completed on the diagram's elements, and the overlays
// .cmv-count and .cmv-incident-badge.
(function () {
  'use strict';

  const PROTOCOL_VERSION = '2026-01-26';
  const APP_INFO = { name: 'camunda-process-view', version: '1.0.0' };
  // Tool calls go through the host to the cluster; one that hangs must not leave a spinner forever.
  const CALL_TIMEOUT_MS = 60000;
  // The canvas is as tall as the fitted diagram needs, kept between these heights (px).
  const CANVAS_MIN = 360;
  const CANVAS_MAX = 480;
  const CANVAS_FLOOR = 160; // the least we shrink to when the host limits our height
  const CANVAS_PAD = 40;    // room around the diagram for labels and badges

  const root = document.documentElement;
  const el = {
    title: document.getElementById('cmv-title'),
    subtitle: document.getElementById('cmv-subtitle'),
    canvas: document.getElementById('cmv-canvas'),
    message: document.getElementById('cmv-message'),
    list: document.getElementById('cmv-list'),
    fit: document.getElementById('cmv-fit'),
    refresh: document.getElementById('cmv-refresh'),
  };

  // What we show, and where we are with it.
  let hostContext = {};  // the host's, merged from ui/initialize and host-context-changed
  let input = {};        // the model-visible tool's arguments (tool-input)
  let subject = null;    // { kind: 'instance'|'definition', key, definitionKey, summary }
  let xml = null;        // the definition's BPMN XML, once loaded
  let live = null;       // the state tool's structuredContent
  let viewer = null;     // BpmnJS (bpmn-js's NavigatedViewer)
  let diagramBox = null; // the drawing's extent in diagram units, to size the canvas
  let gen = 0;           // bumps on every new load: answers to an older one are dropped
  let autoFit = true;    // fit on resize until the person pans or zooms
  let resultAt = 0;      // when the tool result came, to log how long drawing took
  const marked = [];     // [elementId, marker] pairs we added, to take off on refresh

  // ---------------------------------------------------------------------------------------------
  // JSON-RPC with the host

  let nextId = 1;
  const pending = new Map(); // id -> { resolve, reject, timer }
  let initialized = false;
  let tornDown = false;
  let hostCapabilities = {};

  // We cannot name the host's origin: in a sandbox without allow-same-origin our own origin is
  // opaque and the proxy in between is the host's business. Nothing we send is secret.
  function post(message) {
    window.parent.postMessage(message, '*');
  }

  function request(method, params, timeoutMs) {
    const id = nextId++;
    post({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the host did not answer ${method} within ${Math.round((timeoutMs || CALL_TIMEOUT_MS) / 1000)} s`));
      }, timeoutMs || CALL_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
    });
  }

  function notify(method, params) {
    post({ jsonrpc: '2.0', method, params });
  }

  function reply(id, result) {
    post({ jsonrpc: '2.0', id, result });
  }

  function replyError(id, code, message) {
    post({ jsonrpc: '2.0', id, error: { code, message } });
  }

  window.addEventListener('message', (event) => {
    // Only our parent (the host, or its sandbox proxy relaying for it) talks to us.
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || typeof m !== 'object' || m.jsonrpc !== '2.0') return;
    if (typeof m.method === 'string') {
      if (m.id !== undefined && m.id !== null) onRequest(m);
      else onNotification(m.method, m.params || {});
      return;
    }
    const call = pending.get(m.id);
    if (!call) return;
    pending.delete(m.id);
    clearTimeout(call.timer);
    if (m.error) {
      const e = new Error(typeof m.error.message === 'string' ? m.error.message : 'the host answered with an error');
      e.code = m.error.code;
      call.reject(e);
    } else {
      call.resolve(m.result || {});
    }
  });

  function onRequest(m) {
    switch (m.method) {
      case 'ping':
        return reply(m.id, {});
      case 'ui/resource-teardown':
        teardown();
        return reply(m.id, {});
      default:
        return replyError(m.id, -32601, `Method not found: ${m.method}`);
    }
  }

  function onNotification(method, params) {
    if (tornDown) return;
    switch (method) {
      case 'ui/notifications/tool-input':
        return onToolInput(params.arguments || {});
      case 'ui/notifications/tool-result':
        return void onToolResult(params);
      case 'ui/notifications/tool-cancelled':
        return onToolCancelled(params.reason);
      case 'ui/notifications/host-context-changed':
        return applyHostContext(params);
      default:
        // tool-input-partial and anything newer: nothing to do with it.
        return undefined;
    }
  }

  /** Calls a gateway tool through the host; resolves to its structuredContent or throws. */
  async function callTool(name, args) {
    if (!hostCapabilities.serverTools) {
      throw new Error('this host does not let views call tools (no serverTools capability), so the view cannot load the diagram');
    }
    let result;
    try {
      result = await request('tools/call', { name, arguments: args });
    } catch (e) {
      throw new Error(`the host could not call ${name}: ${e.message}`);
    }
    if (result.isError) throw new Error(problemText(result));
    const data = result.structuredContent;
    if (!data || typeof data !== 'object') throw new Error(`${name} returned no structured content`);
    return data;
  }

  /** What went wrong, from an isError tool result: the RFC 9457 problem's detail, else its text. */
  function problemText(result) {
    const problem = result && result.structuredContent;
    if (problem && typeof problem.detail === 'string' && problem.detail.trim()) return problem.detail.trim();
    const text = ((result && result.content) || [])
      .filter((c) => c && c.type === 'text' && typeof c.text === 'string')
      .map((c) => c.text)
      .join('\n')
      .trim();
    if (text) return text;
    if (problem && typeof problem.title === 'string') return problem.title;
    return 'the tool reported an error without a message';
  }

  /** A line in the host's log (if it takes them): lets a host or a test time the drawing. */
  function log(level, data) {
    if (hostCapabilities.logging) notify('notifications/message', { level, logger: APP_INFO.name, data });
  }

  // ---------------------------------------------------------------------------------------------
  // Host context: theme, style variables, container size

  function applyHostContext(ctx) {
    if (!ctx || typeof ctx !== 'object') return;
    const before = JSON.stringify([hostContext.theme, hostContext.styles]);
    // host-context-changed carries only what changed: merge it.
    hostContext = Object.assign({}, hostContext, ctx);
    if (hostContext.theme === 'light' || hostContext.theme === 'dark') root.dataset.theme = hostContext.theme;
    else delete root.dataset.theme;
    const styles = hostContext.styles || {};
    const vars = styles.variables || {};
    for (const name of Object.keys(vars)) {
      if (!name.startsWith('--')) continue;
      if (typeof vars[name] === 'string') root.style.setProperty(name, vars[name]);
      else root.style.removeProperty(name); // the host unset it: our fallback applies again
    }
    const fonts = styles.css && typeof styles.css.fonts === 'string' ? styles.css.fonts : '';
    let fontStyle = document.getElementById('cmv-host-fonts');
    if (fonts && !fontStyle) {
      fontStyle = document.createElement('style');
      fontStyle.id = 'cmv-host-fonts';
      document.head.appendChild(fontStyle);
    }
    if (fontStyle) fontStyle.textContent = fonts;
    layout();
    // bpmn-js bakes its colours into the SVG when it draws: a new theme needs a new drawing.
    if (viewer && xml && before !== JSON.stringify([hostContext.theme, hostContext.styles])) {
      const myGen = gen;
      draw().then(() => { if (myGen === gen && live) applyState(); })
        .catch((e) => { if (!(e instanceof Superseded)) fail(e.message); });
    }
  }

  /** Sizes the canvas for the host's container: fixed height fills it, a maximum caps us. */
  function layout() {
    const dims = hostContext.containerDimensions || {};
    const fixed = typeof dims.height === 'number' ? dims.height : null;
    const max = typeof dims.maxHeight === 'number' ? dims.maxHeight : null;
    const limit = fixed || max;
    // A flexible width up to a maximum: stay within it (a fixed width we simply fill).
    root.style.maxWidth = typeof dims.maxWidth === 'number' ? `${dims.maxWidth}px` : '';
    // The list below the diagram may scroll rather than push the diagram out of a limited frame.
    el.list.style.maxHeight = limit ? `${Math.round(limit * 0.3)}px` : '';
    el.list.style.overflowY = limit ? 'auto' : '';
    const width = el.canvas.clientWidth || root.clientWidth || 640;
    let height = CANVAS_MIN;
    if (diagramBox) {
      // Fitting never zooms in beyond 100 %: a small diagram needs less height than a wide one.
      const scale = Math.min(1, (width - 2 * CANVAS_PAD) / diagramBox.width);
      height = Math.min(CANVAS_MAX, Math.max(CANVAS_MIN, Math.ceil(diagramBox.height * scale + 2 * CANVAS_PAD)));
    }
    if (limit) {
      const others = Math.ceil(document.body.getBoundingClientRect().height) - el.canvas.offsetHeight;
      const room = limit - others;
      height = fixed ? Math.max(CANVAS_FLOOR, room) : Math.max(CANVAS_FLOOR, Math.min(height, room));
    }
    if (el.canvas.style.height !== `${height}px`) {
      el.canvas.style.height = `${height}px`;
      if (viewer) {
        viewer.get('canvas').resized();
        if (autoFit) fit();
      }
    }
  }

  // The host sizes our frame from these (spec: the view reports its size when it changes).
  let lastSize = '';
  function reportSize() {
    if (!initialized || tornDown) return;
    const rect = document.body.getBoundingClientRect();
    const size = { width: Math.ceil(root.getBoundingClientRect().width), height: Math.ceil(rect.height) };
    const key = `${size.width}x${size.height}`;
    if (key === lastSize) return;
    lastSize = key;
    notify('ui/notifications/size-changed', size);
  }
  const resizeObserver = new ResizeObserver(reportSize);
  resizeObserver.observe(document.body);
  window.addEventListener('resize', layout);

  // ---------------------------------------------------------------------------------------------
  // What we show

  function setState(state) {
    root.dataset.state = state;
  }

  function setMessage(text, kind) {
    el.message.textContent = text;
    if (kind) el.message.dataset.kind = kind;
    else delete el.message.dataset.kind;
  }

  function fail(text) {
    setState('error');
    setMessage(text, 'error');
    el.refresh.disabled = !subject || tornDown;
    el.fit.disabled = !viewer;
    log('error', { event: 'error', message: text, ms: resultAt ? Math.round(performance.now() - resultAt) : null });
    layout();
  }

  function onToolInput(args) {
    input = args && typeof args === 'object' ? args : {};
    if (subject) return;
    const what = input.processInstanceKey != null ? `process instance ${input.processInstanceKey}`
      : input.processDefinitionKey != null ? `process definition ${input.processDefinitionKey}` : 'the process';
    setMessage(`Loading ${what}…`);
  }

  async function onToolResult(result) {
    if (!result || typeof result !== 'object') return fail('The host sent an empty tool result.');
    // Hosts may pass on the results of the view's own calls too (the spec's interactive phase):
    // only a show tool's result, marked `view`, is ours to draw; an error while our own calls
    // run is theirs, and load() reports it.
    const sc = result.structuredContent;
    const shown = sc && typeof sc === 'object' && (sc.view === 'instance' || sc.view === 'definition');
    if (!shown && (pending.size > 0 || (subject && !result.isError))) return undefined;
    const myGen = ++gen;
    resultAt = performance.now();
    if (result.isError) {
      subject = null;
      xml = null;
      live = null;
      destroyViewer();
      return fail(problemText(result));
    }
    if (!shown) return fail('The tool result is not one of the process view\'s, so there is nothing to draw.');
    const isInstance = sc.view === 'instance';
    const key = String(isInstance ? (sc.processInstanceKey != null ? sc.processInstanceKey : input.processInstanceKey)
      : (sc.processDefinitionKey != null ? sc.processDefinitionKey : input.processDefinitionKey));
    const definitionKey = sc.processDefinitionKey != null ? String(sc.processDefinitionKey)
      : (!isInstance && input.processDefinitionKey != null ? String(input.processDefinitionKey) : null);
    if (!definitionKey) return fail('The tool result does not name the process definition, so there is no diagram to load.');
    const sameDiagram = Boolean(subject && subject.definitionKey === definitionKey && xml && viewer);
    subject = { kind: isInstance ? 'instance' : 'definition', key, definitionKey, summary: sc };
    showTitle();
    await load(myGen, !sameDiagram);
  }

  function onToolCancelled(reason) {
    gen++; // whatever is still loading is no longer wanted
    fail(`The tool call was cancelled${reason ? `: ${reason}` : ''}.`);
  }

  function showTitle() {
    const s = subject.summary;
    const name = s.processDefinitionName || s.name || s.processDefinitionId || 'Process';
    const version = s.processDefinitionVersion != null ? s.processDefinitionVersion : s.version;
    el.title.textContent = version != null ? `${name} v${version}` : name;
    el.subtitle.textContent = subject.kind === 'instance'
      ? `instance ${subject.key}${s.state ? ` · ${s.state}` : ''}`
      : `definition ${subject.key}`;
  }

  /** Loads the state (and the diagram, unless it is drawn already) in parallel and draws both. */
  async function load(myGen, withDiagram) {
    setState('loading');
    setMessage(withDiagram ? 'Loading the diagram…' : 'Loading the current state…');
    el.refresh.disabled = true;
    const stateCall = subject.kind === 'instance'
      ? callTool('viewProcessInstanceState', { processInstanceKey: subject.key })
      : callTool('viewProcessDefinitionState', { processDefinitionKey: subject.key });
    const diagramCall = withDiagram
      ? callTool('viewProcessDiagram', { processDefinitionKey: subject.definitionKey })
      : Promise.resolve(null);
    const [diagram, state] = await Promise.allSettled([diagramCall, stateCall]);
    if (myGen !== gen || tornDown) return;
    // The diagram's failure explains more (no layout, unknown definition): say that one first.
    if (diagram.status === 'rejected') {
      destroyViewer();
      return fail(`Cannot draw the diagram: ${diagram.reason.message}`);
    }
    if (withDiagram) {
      if (typeof diagram.value.xml !== 'string' || !diagram.value.xml.trim()) {
        destroyViewer();
        return fail('Cannot draw the diagram: viewProcessDiagram returned no XML.');
      }
      xml = diagram.value.xml;
      try {
        await draw();
      } catch (e) {
        if (e instanceof Superseded) return undefined;
        xml = null;
        destroyViewer();
        return myGen === gen ? fail(`Cannot draw the diagram: ${e.message}`) : undefined;
      }
      if (myGen !== gen || tornDown) return;
    }
    if (state.status === 'rejected') return fail(`Cannot load the current state: ${state.reason.message}`);
    live = state.value;
    applyState();
    setState('ready');
    el.refresh.disabled = false;
    el.fit.disabled = false;
    log('info', { event: 'drawn', kind: subject.kind, key: subject.key, ms: Math.round(performance.now() - resultAt) });
  }

  /** Thrown by a drawing that a newer one replaced while it was importing: nothing to report. */
  class Superseded extends Error {}
  let drawing = 0;

  /** Draws `xml` afresh, in the current theme's colours. Throws with a reason people understand. */
  async function draw() {
    if (typeof BpmnJS !== 'function') throw new Error('bpmn-js is missing from this document.');
    const mine = ++drawing;
    destroyViewer();
    layout();
    // The canvas's computed colours are the theme's (host variables or our fallbacks).
    const colours = getComputedStyle(el.canvas);
    const opaque = (c) => (c && c !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(c) ? c : undefined);
    const v = new BpmnJS({
      container: el.canvas,
      bpmnRenderer: {
        defaultFillColor: opaque(colours.backgroundColor),
        defaultStrokeColor: opaque(colours.color),
        defaultLabelColor: opaque(colours.color),
      },
    });
    viewer = v;
    try {
      await v.importXML(xml);
    } catch (e) {
      if (mine !== drawing) throw new Superseded();
      const why = String((e && e.message) || e);
      if (/no diagram to display/i.test(why)) {
        throw new Error('the process XML has no diagram layout (no BPMNDiagram), so there is nothing to draw. Deploy it from a modeler that saves the layout.');
      }
      throw new Error(`the process XML could not be read (${why}).`);
    }
    if (mine !== drawing) throw new Superseded();
    const shapes = v.get('elementRegistry').filter((e) => e.parent && !e.waypoints && e.type !== 'label');
    if (!shapes.length) {
      throw new Error('the process XML has no diagram layout (no shapes), so there is nothing to draw. Deploy it from a modeler that saves the layout.');
    }
    const inner = v.get('canvas').viewbox().inner;
    diagramBox = inner.width > 0 && inner.height > 0 ? { width: inner.width, height: inner.height } : null;
    layout();
    fit();
  }

  function fit() {
    if (!viewer) return;
    // 'auto' centres the diagram and never zooms in beyond 100 %.
    viewer.get('canvas').zoom('fit-viewport', 'auto');
  }

  function destroyViewer() {
    if (!viewer) return;
    viewer.destroy();
    viewer = null;
    diagramBox = null;
    marked.length = 0;
    el.fit.disabled = true;
  }

  /** Puts `live` on the drawing: markers, overlays, the list below and the status line. */
  function applyState() {
    if (!viewer || !live) return;
    const canvas = viewer.get('canvas');
    const overlays = viewer.get('overlays');
    const registry = viewer.get('elementRegistry');
    for (const [id, marker] of marked) canvas.removeMarker(id, marker);
    marked.length = 0;
    overlays.remove({ type: 'cmv' });
    const mark = (id, marker) => {
      canvas.addMarker(id, marker);
      marked.push([id, marker]);
    };
    const nameOf = (id) => {
      const e = registry.get(id);
      return (e && e.businessObject && e.businessObject.name) || id;
    };

    const instance = subject.kind === 'instance';
    const stats = new Map();
    for (const row of Array.isArray(live.elements) ? live.elements : []) {
      if (row && typeof row.elementId === 'string') stats.set(row.elementId, row);
    }
    const incidents = (Array.isArray(live.incidents) ? live.incidents : []).filter((i) => i && typeof i.elementId === 'string');
    const incidentsAt = new Map();
    for (const i of incidents) incidentsAt.set(i.elementId, (incidentsAt.get(i.elementId) || []).concat(i));
    const ids = new Set([...stats.keys(), ...incidentsAt.keys()]);

    const rows = [];
    let activeTotal = 0;
    let incidentTotal = 0;
    for (const id of ids) {
      if (!registry.get(id)) continue; // not in this diagram (e.g. an older version's element)
      const s = stats.get(id) || {};
      const active = Number(s.active) || 0;
      const messages = (incidentsAt.get(id) || []).map((i) => [i.errorType, i.errorMessage].filter(Boolean).join(': '));
      const incidentCount = Math.max(Number(s.incidents) || 0, messages.length);
      if (instance && Number(s.completed) > 0) mark(id, 'cmv-completed');
      if (active > 0) {
        mark(id, 'cmv-active');
        overlays.add(id, 'cmv', { position: { bottom: 10, left: -8 }, html: badge('cmv-count', active, `${active} active`) });
      }
      if (incidentCount > 0) {
        mark(id, 'cmv-incident');
        const title = messages.length ? messages.join('\n') : `${incidentCount} open incident${incidentCount === 1 ? '' : 's'}`;
        overlays.add(id, 'cmv', { position: { top: -9, right: 12 }, html: badge('cmv-incident-badge', incidentCount, title) });
      }
      activeTotal += active;
      incidentTotal += incidentCount;
      if (active > 0 || incidentCount > 0) rows.push({ id, name: nameOf(id), active, incidentCount });
    }
    if (instance && Array.isArray(live.sequenceFlows)) {
      for (const id of live.sequenceFlows) if (typeof id === 'string' && registry.get(id)) mark(id, 'cmv-completed');
    }

    // The list below: every open incident with its message, then where the tokens are.
    el.list.textContent = '';
    if (instance) {
      for (const i of incidents) {
        el.list.appendChild(item('cmv-li-incident', nameOf(i.elementId), `${i.elementId}${i.errorType ? ` · ${i.errorType}` : ''}`, i.errorMessage || 'no message'));
      }
      for (const r of rows.filter((x) => x.active > 0)) {
        el.list.appendChild(item('cmv-li-active', r.name, `${r.active} token${r.active === 1 ? '' : 's'}`));
      }
    } else {
      rows.sort((a, b) => b.incidentCount - a.incidentCount || b.active - a.active);
      for (const r of rows) {
        const what = [r.active ? `${r.active} active` : '', r.incidentCount ? `${r.incidentCount} with an incident` : ''].filter(Boolean).join(', ');
        el.list.appendChild(item(r.incidentCount ? 'cmv-li-incident' : 'cmv-li-active', r.name, what));
      }
    }

    const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    // The gateway reads the first incidents only; it counts them all.
    const open = Number.isInteger(live.openIncidents) ? live.openIncidents : incidents.length;
    let status;
    if (instance) {
      const at = rows.filter((r) => r.active > 0 || r.incidentCount > 0).map((r) => r.name);
      status = [
        subject.summary.state ? `${subject.summary.state}.` : '',
        at.length ? `Tokens at ${at.join(', ')}.` : 'No active tokens.',
        open ? `${plural(open, 'open incident', 'open incidents')}.` : 'No open incidents.',
      ].filter(Boolean).join(' ');
    } else {
      status = rows.length
        ? `${plural(activeTotal, 'active element instance', 'active element instances')} and ${plural(incidentTotal, 'incident', 'incidents')} on ${plural(rows.length, 'element', 'elements')}.`
        : 'No running instances of this definition.';
    }
    setMessage(`${status} Updated ${clock()}.`);
    layout();
  }

  function badge(className, count, title) {
    const div = document.createElement('div');
    div.className = className;
    div.textContent = String(count);
    div.title = title;
    return div;
  }

  function item(className, name, what, error) {
    const li = document.createElement('li');
    li.className = className;
    const strong = document.createElement('strong');
    strong.textContent = name;
    li.appendChild(strong);
    const span = document.createElement('span');
    span.className = 'cmv-li-what';
    span.textContent = what;
    li.appendChild(span);
    if (error) {
      const div = document.createElement('div');
      div.className = 'cmv-li-error';
      div.textContent = error;
      li.appendChild(div);
    }
    return li;
  }

  function clock() {
    try {
      return new Date().toLocaleTimeString(hostContext.locale || undefined);
    } catch (e) {
      return new Date().toLocaleTimeString(); // an unknown locale tag
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Buttons, links, teardown

  // The person's own pan and zoom stop us from refitting on resize; the Fit button resumes it.
  el.canvas.addEventListener('wheel', () => { autoFit = false; }, { passive: true });
  el.canvas.addEventListener('pointerdown', () => { autoFit = false; });

  el.fit.addEventListener('click', () => {
    autoFit = true;
    fit();
  });

  el.refresh.addEventListener('click', () => {
    if (!subject || tornDown) return;
    // The diagram does not change under a definition key: only the state is asked again.
    void load(++gen, !xml || !viewer);
  });

  // Links (bpmn.io's watermark among them) cannot open from a sandboxed frame: the host opens
  // them (ui/open-link), after asking the person if it wants to. Capturing here keeps the click
  // from doing anything else inside the frame.
  document.addEventListener('click', (event) => {
    const link = event.target && event.target.closest ? event.target.closest('a[href]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    if (!/^https?:/i.test(link.href)) return;
    request('ui/open-link', { url: link.href }).catch(() => {
      // The host may decline (no openLinks capability, or the person said no): nothing to do.
    });
  }, true);

  function teardown() {
    tornDown = true;
    gen++;
    resizeObserver.disconnect();
    window.removeEventListener('resize', layout);
    destroyViewer();
    for (const call of pending.values()) {
      clearTimeout(call.timer);
      call.reject(new Error('the view was torn down'));
    }
    pending.clear();
    el.refresh.disabled = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Start: the handshake, then wait for tool-input and tool-result.

  setState('loading');
  layout();
  request('ui/initialize', {
    appInfo: APP_INFO,
    appCapabilities: { availableDisplayModes: ['inline'] },
    protocolVersion: PROTOCOL_VERSION,
  }, 15000).then((result) => {
    hostCapabilities = result.hostCapabilities || {};
    applyHostContext(result.hostContext || {});
    notify('ui/notifications/initialized', {});
    initialized = true;
    reportSize();
  }, (e) => {
    fail(`The host did not complete the MCP Apps handshake: ${e.message}.`);
  });
})();
