// Measurement only: the work our gateway does for `getTopology` and `searchProcessInstances`,
// written as a plain JS Worker — read the request and five headers, parse it, fetch upstream with
// a timeout signal, read the chunked answer with a capped BYOB loop, cut a search to 100,000
// characters of whole items, wrap it as an MCP result, log one line, respond. Its cost against
// the relay's shows what any gateway that reshapes answers pays on this runtime; ours against it
// shows what the Rust/wasm path adds.
const HEADERS = ['content-type', 'accept', 'origin', 'authorization', 'mcp-protocol-version'];
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
    const message = JSON.parse(await request.text());
    const search = message.params?.name === 'searchProcessInstances';
    const upstream = await fetch(`${env.CAMUNDA_REST_ADDRESS}/v2/${search ? 'process-instances/search' : 'topology'}`, {
      method: search ? 'POST' : 'GET',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: search ? JSON.stringify(message.params.arguments) : undefined,
      signal: AbortSignal.timeout(30000),
    });
    let text = await readCapped(upstream.body);
    const value = JSON.parse(text);
    if (text.length > MAX_CHARS && Array.isArray(value.items)) {
      const items = value.items;
      value.items = [];
      let length = JSON.stringify(value).length;
      value.items = items.filter((item) => (length += JSON.stringify(item).length + 1) <= MAX_CHARS);
      text = JSON.stringify(value);
    }
    const result = { content: [{ type: 'text', text }], structuredContent: value, isError: false };
    const body = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
    console.log(JSON.stringify({ method: request.method, path: new URL(request.url).pathname, tool: message.params?.name, status: 200, upstream: upstream.status, ms: Date.now() - started }));
    return new Response(body, { headers: { 'content-type': 'application/json' } });
  },
};
