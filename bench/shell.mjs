// Measurement only: ours without its core. src/edge.js — the JavaScript half of our Workers
// adapter, the file worker-build bundles into build/index.js — serves getTopology around a
// stand-in exchange that decides nothing: it asks for the request body, then for GET
// /v2/topology, and answers with as many bytes as ours (the cluster's answer wrapped as an MCP
// result once per isolate, copied per request as ours copies its answer out of the wasm) and a
// log line as long as ours. What src/edge.js does is all here: the request head, the
// body within its deadline, the upstream fetch with its timeout and capped read, the Response
// and the one console.log. What is not here is our Rust core (parsing, routing, policy, the result
// shaping, the record), the wasm-bindgen glue and worker-build's entry. So, in the same rounds:
//   ours − shell  = what the core and its glue cost per call;
//   shell ÷ same-work = what our JS half costs against the plain JS Worker doing the same I/O.
import { drive, head, setHeaderNames } from '../src/edge.js';

// The request headers ours reads (src/http.rs READ_HEADERS).
setHeaderNames(['accept', 'authorization', 'cookie', 'cf-connecting-ip', 'content-length', 'content-type', 'mcp-method',
  'mcp-name', 'mcp-protocol-version', 'origin', 'sec-fetch-site', 'traceparent', 'tracestate'].join('\n'));

// Step codes of src/edge.js (and src/edge/exchange.rs).
const DONE = 0, BODY = 1, FETCH = 2;
const BODY_CAP = 4 << 20;
// Ours writes a line of this length for a getTopology (bench/crossings.mjs measures it).
const LOG_LINE = JSON.stringify({ log: 'audit', time: '2026-12-07T00:00:00.000Z', principal: 'anonymous', method: 'POST',
  path: '/mcp/cluster', status: 200, rpc: 'tools/call', era: 'legacy', tool: 'getTopology', upstream: 200, outcome: 'ok', ms: 0 });

// Ours' answer to getTopology: the cluster's text and its object in a JSON-RPC result. Made from
// the first answer and kept for the isolate, so that no request does JSON work.
let wrapped = null;
function wrap(answer) {
  const text = new TextDecoder().decode(answer);
  const result = { content: [{ type: 'text', text }], structuredContent: JSON.parse(text), isError: false };
  return new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: 1, result }));
}

/** The exchange's interface as src/edge.js calls it, with nothing behind it. */
class NoCore {
  constructor(address) {
    this.address = address;
    this.need = BODY | (BODY_CAP << 2);
    this.answer = new Uint8Array(0);
  }
  step() { return this.need; }
  bodyCap() { return BODY_CAP; }
  bodyRead() { this.need = FETCH; }
  bodyFailed() { this.need = FETCH; }
  upstream() {
    return ['GET', `${this.address}/v2/topology`, 30000, 16 << 20, '', '0', 'accept', 'application/json, application/problem+json'].join('\n');
  }
  upstreamBody() { return undefined; }
  streamAnswer() { return false; }
  feed() {}
  fetched(status, contentHead, body) {
    wrapped ??= wrap(body);
    this.answer = wrapped.slice();
    this.need = DONE;
  }
  fetchFailed() { this.need = DONE; }
  finish() { return `${LOG_LINE}\n200\ncontent-type\napplication/json`; }
  responseBody() { return this.answer; }
  free() {}
}

export default {
  fetch(request, env) {
    head(request);
    return drive(request, new NoCore(env.CAMUNDA_REST_ADDRESS), env, 10_000);
  },
};
