// The sandbox proxy of the test host (MCP Apps spec 2026-01-26, "Sandbox proxy"): served from an
// origin other than the host page's, framed by it with sandbox="allow-scripts allow-same-origin".
// It announces itself (ui/notifications/sandbox-proxy-ready), loads the view's HTML into an inner
// iframe when the host sends it (ui/notifications/sandbox-resource-ready) and relays every other
// message both ways, unchanged. The server sends this page with the spec's restrictive default CSP
// header; the inner srcdoc document inherits that policy, so the view runs under it.
'use strict';

const SANDBOX_PREFIX = 'ui/notifications/sandbox-';

if (window.self === window.top) throw new Error('the sandbox proxy only runs inside the host page');
// The host page framed us: it is the only party we relay for.
const HOST_ORIGIN = document.referrer ? new URL(document.referrer).origin : null;
if (!HOST_ORIGIN) throw new Error('no referrer: cannot tell which host framed the proxy');

let inner = null;

function load(params) {
  if (inner) inner.remove();
  inner = document.createElement('iframe');
  // The view gets scripts and nothing else: an opaque origin, no popups, no forms, no top navigation.
  // A host may narrow it further (params.sandbox), never to include allow-same-origin.
  const sandbox = typeof params.sandbox === 'string' && !/allow-same-origin/.test(params.sandbox) ? params.sandbox : 'allow-scripts';
  inner.setAttribute('sandbox', sandbox);
  inner.setAttribute('title', 'MCP App view');
  inner.srcdoc = typeof params.html === 'string' ? params.html : '';
  document.body.appendChild(inner);
}

window.addEventListener('message', (event) => {
  const data = event.data;
  if (event.source === window.parent) {
    if (event.origin !== HOST_ORIGIN) return;
    if (data && typeof data.method === 'string' && data.method.startsWith(SANDBOX_PREFIX)) {
      if (data.method === SANDBOX_PREFIX + 'resource-ready') load(data.params || {});
      return;
    }
    // The inner document's origin is opaque ("null"): '*' is the only target that reaches it.
    if (inner && inner.contentWindow) inner.contentWindow.postMessage(data, '*');
  } else if (inner && event.source === inner.contentWindow) {
    // The view may not speak for the proxy.
    if (data && typeof data.method === 'string' && data.method.startsWith(SANDBOX_PREFIX)) return;
    window.parent.postMessage(data, HOST_ORIGIN);
  }
});

window.parent.postMessage({ jsonrpc: '2.0', method: SANDBOX_PREFIX + 'proxy-ready', params: {} }, HOST_ORIGIN);
