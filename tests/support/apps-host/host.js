// A web host for MCP Apps, as a chat client in the browser is one, for tests/e2e/views.test.mjs.
// Bundled for the browser with esbuild at test time (server.mjs); never committed as a bundle.
//
// From this page (origin http://127.0.0.1:PORT) an MCP client (@modelcontextprotocol/client 2.x,
// Streamable HTTP) connects to the gateway, lists the tools, calls a model-visible one, reads the
// view named in its _meta.ui.resourceUri and mounts it the way the spec asks web hosts to: in a
// sandbox proxy on another origin, which loads the view into an inner frame. The official
// host-side bridge (AppBridge + PostMessageTransport of @modelcontextprotocol/ext-apps) speaks to
// the view; constructed with the client, it forwards the view's tools/call to the gateway itself.
// What the spec asks of the host beyond that — refuse a view's call of a tool that is not
// callable by apps — this file adds. Everything observable lands in window.cmvHost for the test.
//
// Query parameters: endpoint (the gateway's MCP URL), sandbox (the proxy page's URL), theme
// (light|dark), era (modern: MCP 2026-07-28; else the 2025 lane). cmvHost.treatAsModelOnly(names) makes the host see those tools as visibility
// ["model"], to prove the refusal: the gateway marks none that way.
import {
  AppBridge,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  getToolUiResourceUri,
} from '@modelcontextprotocol/ext-apps/app-bridge';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const HOST_INFO = { name: 'camunda-gateway-test-host', version: '1.0.0' };
const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const query = new URLSearchParams(location.search);
const endpoint = query.get('endpoint');
const sandboxUrl = query.get('sandbox');
const theme = query.get('theme') === 'dark' ? 'dark' : 'light';
const era = query.get('era');
const modelOnly = new Set();
const STEP_MS = 20_000; // every wait here is bounded

document.body.classList.toggle('dark', theme === 'dark');

const now = () => Math.round(performance.now() * 10) / 10;
const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
]);

/** A tool's visibility, as the spec defaults it; `modelOnly` stands in for a server marking one so. */
function visibility(tool) {
  if (modelOnly.has(tool.name)) return ['model'];
  const v = tool._meta?.ui?.visibility;
  return Array.isArray(v) ? v : ['model', 'app'];
}

const host = {
  connected: false,
  error: null,
  serverCapabilities: null,
  tools: [],        // every tool the server lists
  modelTools: [],   // what a model would be offered (visibility has "model")
  appOnlyTools: [], // hidden from the model, callable by views
  events: [],       // { t, what, ... } in order
  views: [],        // one record per show()
  get current() { return this.views[this.views.length - 1] || null; },
};
window.cmvHost = host;
const event = (what, extra = {}) => host.events.push({ t: now(), what, ...extra });

let client;
let toolsByName = new Map();
let mounted = null; // { bridge, iframe, record }

host.treatAsModelOnly = (names) => {
  modelOnly.clear();
  for (const n of names) modelOnly.add(n);
};

host.ready = (async () => {
  if (!endpoint || !sandboxUrl) throw new Error('host.html needs ?endpoint=…&sandbox=…');
  client = new Client(HOST_INFO, {
    // Say we render MCP Apps, as hosts do (the gateway lists the same tools either way).
    capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
    // era=modern: MCP 2026-07-28 (server/discover, no initialize); else the 2025 lane.
    ...(era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {}),
  });
  await withTimeout(client.connect(new StreamableHTTPClientTransport(new URL(endpoint))), STEP_MS, 'connect');
  host.protocolVersion = client.getNegotiatedProtocolVersion();
  host.serverCapabilities = client.getServerCapabilities() ?? null;
  const tools = [];
  let cursor;
  do {
    const page = await withTimeout(client.listTools(cursor ? { cursor } : {}), STEP_MS, 'tools/list');
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  toolsByName = new Map(tools.map((t) => [t.name, t]));
  host.tools = tools.map((t) => ({ name: t.name, resourceUri: getToolUiResourceUri(t) ?? null, visibility: visibility(t) }));
  host.modelTools = host.tools.filter((t) => t.visibility.includes('model')).map((t) => t.name);
  host.appOnlyTools = host.tools.filter((t) => !t.visibility.includes('model')).map((t) => t.name);
  host.connected = true;
  event('connected', { tools: tools.length });
  offerForm();
})().catch((e) => {
  host.error = String(e?.stack || e);
  event('connect-failed', { error: String(e?.message || e) });
  throw e;
});

/** The spec's rule for a view's tools/call: only tools of this server whose visibility has "app". */
function refusal(name) {
  const tool = toolsByName.get(name);
  if (!tool) return `Unknown tool: ${name}`;
  if (!visibility(tool).includes('app')) return `Tool ${name} is not callable by apps (its _meta.ui.visibility lacks "app")`;
  return null;
}

/** Waits for the sandbox proxy in `iframe` to announce itself. */
function proxyReady(iframe) {
  return withTimeout(new Promise((resolve) => {
    const listener = (e) => {
      if (e.source === iframe.contentWindow && e.data?.method === 'ui/notifications/sandbox-proxy-ready') {
        window.removeEventListener('message', listener);
        resolve();
      }
    };
    window.addEventListener('message', listener);
  }), STEP_MS, 'sandbox-proxy-ready');
}

/** Tears the mounted view down as the spec asks: ui/resource-teardown first, then the frame. */
async function unmount(reason = 'the host shows another view') {
  if (!mounted) return;
  const { bridge, iframe, record } = mounted;
  mounted = null;
  try {
    await withTimeout(bridge.teardownResource({ reason }), 5000, 'ui/resource-teardown');
    record.tornDown = true;
  } catch (e) {
    record.teardownError = String(e?.message || e);
  }
  await bridge.close().catch(() => {});
  iframe.remove();
  event('unmounted', { view: record.index });
}
host.unmount = unmount;

/**
 * Calls the model-visible tool `name` with `args` and shows its view. Resolves once the tool
 * result (or its cancellation) went to the view; the test then waits for the view's own state.
 * `cancel`: send tool-cancelled instead of the result (as when the person stops the call).
 */
host.show = async (name, args, { cancel = false } = {}) => {
  await host.ready;
  const tool = toolsByName.get(name);
  if (!tool) throw new Error(`the server has no tool ${name}`);
  if (!visibility(tool).includes('model')) throw new Error(`${name} is not visible to the model`);
  const uri = getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${name} names no view (_meta.ui.resourceUri)`);
  await unmount();

  const record = {
    index: host.views.length, tool: name, args, resourceUri: uri,
    timings: { callStart: now() }, result: null, refused: [], appCalls: [], links: [], sizes: [], logs: [],
  };
  host.views.push(record);
  const t = record.timings;

  // The tool call and the resource read go out together, as a host that knows the view does.
  const resultPromise = client.callTool({ name, arguments: args }).then((r) => { t.result = now(); return r; });
  const resourcePromise = client.readResource({ uri }).then((r) => { t.resource = now(); return r; });
  resultPromise.catch(() => {});
  resourcePromise.catch(() => {});

  const iframe = document.createElement('iframe');
  iframe.className = 'cmv-app';
  // The spec's sandbox for the proxy: scripts and its own (other) origin.
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  iframe.title = `View of ${name}`;
  const ready = proxyReady(iframe);
  iframe.src = sandboxUrl;
  document.getElementById('apps').appendChild(iframe);
  document.getElementById('turn').textContent = `${name} ${JSON.stringify(args)}`;
  await ready;
  t.proxyReady = now();

  const caps = client.getServerCapabilities() ?? {};
  const width = Math.round(iframe.getBoundingClientRect().width);
  const hostContext = {
    theme,
    platform: 'web',
    displayMode: 'inline',
    availableDisplayModes: ['inline'],
    locale: 'en-GB',
    timeZone: 'Europe/Berlin',
    // A chat column: fixed width, height up to the view (it reports it).
    containerDimensions: { width, maxHeight: 900 },
    toolInfo: { tool },
    styles: {
      variables: {
        '--color-background-primary': 'light-dark(#ffffff, #18191b)',
        '--color-text-primary': 'light-dark(#1b1c1f, #ececee)',
        '--color-border-primary': 'light-dark(#d5d8de, #3a3d43)',
        '--font-sans': 'system-ui, sans-serif',
      },
    },
  };
  const bridge = new AppBridge(client, HOST_INFO, {
    openLinks: {},
    serverTools: caps.tools ?? {},
    serverResources: caps.resources ?? {},
    logging: {},
  }, { hostContext });
  const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
  bridge.onopenlink = async ({ url }) => {
    record.links.push(url); // a real host would ask the person, then open a tab
    event('open-link', { url });
    return {};
  };
  bridge.onmessage = async () => ({});
  bridge.onsizechange = ({ width: w, height: h }) => {
    record.sizes.push({ width: w, height: h });
    if (typeof h === 'number') iframe.style.height = `${h}px`; // content-box: the borders come on top
  };
  bridge.onloggingmessage = ({ level, data }) => {
    record.logs.push({ level, data });
    if (data?.event === 'drawn') t.drawn = now();
    if (data?.event === 'error') t.viewError = now();
  };
  bridge.onrequestteardown = () => { void unmount('the view asked to close'); };

  const transport = new PostMessageTransport(iframe.contentWindow, iframe.contentWindow);
  await bridge.connect(transport);
  // AppBridge forwards every tools/call to the server. The spec wants the host to refuse calls of
  // tools whose visibility lacks "app": check each request before the bridge sees it.
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (message?.method === 'tools/call' && message.id !== undefined) {
      const toolName = message.params?.name;
      const why = refusal(toolName);
      if (why) {
        record.refused.push(toolName);
        event('refused', { tool: toolName });
        void transport.send({ jsonrpc: '2.0', id: message.id, error: { code: -32602, message: why } });
        return;
      }
      record.appCalls.push({ tool: toolName, arguments: message.params?.arguments ?? {}, t: now() });
    }
    deliver?.(message, extra);
  };
  mounted = { bridge, iframe, record, hostContext };

  const resource = await withTimeout(resourcePromise, STEP_MS, 'resources/read');
  const content = resource.contents?.[0];
  if (!content || content.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`${uri} is not ${RESOURCE_MIME_TYPE}: ${content?.mimeType}`);
  const html = typeof content.text === 'string' ? content.text : new TextDecoder().decode(Uint8Array.from(atob(content.blob), (c) => c.charCodeAt(0)));
  record.resource = { mimeType: content.mimeType, bytes: new TextEncoder().encode(html).length, meta: content._meta ?? null };
  host.lastHtml = html; // kept apart from the record: the test reads it once
  await bridge.sendSandboxResourceReady({ html, csp: content._meta?.ui?.csp, permissions: content._meta?.ui?.permissions });

  await withTimeout(initialized, STEP_MS, 'ui/notifications/initialized');
  t.initialized = now();
  record.app = bridge.getAppVersion() ?? null;
  record.appCapabilities = bridge.getAppCapabilities() ?? null;
  await bridge.sendToolInput({ arguments: args });

  if (cancel) {
    await bridge.sendToolCancelled({ reason: 'the person stopped the tool call' });
    record.cancelled = true;
    resultPromise.catch(() => {});
    return { index: record.index };
  }
  let result;
  try {
    result = await withTimeout(resultPromise, STEP_MS, `tools/call ${name}`);
  } catch (e) {
    record.callError = String(e?.message || e);
    await bridge.sendToolCancelled({ reason: record.callError });
    return { index: record.index, callError: record.callError };
  }
  record.result = result;
  await bridge.sendToolResult(result);
  t.resultSent = now();
  return { index: record.index, result };
};

/** Changes the host context (e.g. the theme), as a host does when the person switches it. */
host.setTheme = async (next) => {
  if (!mounted) return;
  document.body.classList.toggle('dark', next === 'dark');
  mounted.hostContext = { ...mounted.hostContext, theme: next };
  mounted.bridge.setHostContext(mounted.hostContext);
};

/** The form a person uses: a model-visible tool that names a view, and its arguments. */
function offerForm() {
  const form = document.getElementById('ask');
  const select = document.getElementById('ask-tool');
  const args = document.getElementById('ask-args');
  for (const t of host.tools.filter((x) => x.resourceUri && x.visibility.includes('model'))) {
    select.append(new Option(t.name, t.name));
  }
  form.hidden = select.options.length === 0;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(args.value || '{}');
    } catch (err) {
      document.getElementById('turn').textContent = `The arguments are not JSON: ${err.message}`;
      return;
    }
    host.show(select.value, parsed).catch((err) => {
      document.getElementById('turn').textContent = String(err?.message || err);
    });
  });
}
