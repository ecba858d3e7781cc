// Measurement only: the work our gateway does for `getTopology` and `searchProcessInstances`,
// written as a plain JS Worker — read the request and the twelve headers ours reads, read its
// body within a deadline, parse it, fetch upstream with a timeout signal, read the chunked answer
// with a capped BYOB loop, cut a search to 100,000 characters of whole items, wrap it as an MCP
// result, log the access line and the audit line, respond. Its cost against the relay's shows
// what any gateway that reshapes answers pays on this runtime; ours against it shows what the
// Rust/wasm path adds.
const HEADERS = ['accept', 'authorization', 'cookie', 'cf-connecting-ip', 'content-length', 'content-type', 'mcp-method',
  'mcp-name', 'mcp-protocol-version', 'origin', 'traceparent', 'tracestate'];
const BODY_TIMEOUT_MS = 10_000;
const CAP = 16 << 20;
const MAX_CHARS = 100_000;
const pool = [];

async function readCapped(body) {
  const reader = body.getReader({ mode: 'byob' });
  let buffer = pool.pop() ?? new ArrayBuffer(65536);
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (value) {
      chunks.push(value.slice());
      length += value.length;
      buffer = value.buffer;
    }
    if (length > CAP) throw new Error('too large');
    if (done) break;
  }
  pool.push(buffer);
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    HEADERS.forEach((h) => request.headers.get(h));
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, BODY_TIMEOUT_MS, null)));
    const text = await Promise.race([request.text(), late]).finally(() => clearTimeout(timer));
    if (text === null) return new Response('body too slow', { status: 408 });
    const message = JSON.parse(text);
    const search = message.params?.name === 'searchProcessInstances';
    const upstream = await fetch(`${env.CAMUNDA_REST_ADDRESS}/v2/${search ? 'process-instances/search' : 'topology'}`, {
      method: search ? 'POST' : 'GET',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: search ? JSON.stringify(message.params.arguments) : undefined,
      signal: AbortSignal.timeout(30000),
    });
    let answer = await readCapped(upstream.body);
    const value = JSON.parse(answer);
    if (answer.length > MAX_CHARS && Array.isArray(value.items)) {
      const items = value.items;
      value.items = [];
      let length = JSON.stringify(value).length;
      value.items = items.filter((item) => (length += JSON.stringify(item).length + 1) <= MAX_CHARS);
      answer = JSON.stringify(value);
    }
    const result = { content: [{ type: 'text', text: answer }], structuredContent: value, isError: false };
    const body = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
    const tool = message.params?.name;
    const ms = Date.now() - started;
    console.log(JSON.stringify({ log: 'access', method: request.method, path: new URL(request.url).pathname, status: 200, rpc: message.method, tool, upstream: upstream.status, ms }));
    console.log(JSON.stringify({ log: 'audit', time: new Date(started).toISOString(), principal: 'anonymous', tool, outcome: 'ok', upstream: upstream.status, ms }));
    return new Response(body, { headers: { 'content-type': 'application/json' } });
  },
};
