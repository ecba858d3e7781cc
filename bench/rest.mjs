// The one REST call behind each tool of both comparison peers (bench/peer, bench/agents), shaped
// as an MCP tool result: the same work for both, so that they differ only in their MCP layer.
export async function rest(env, method, path, body) {
  const res = await fetch(`${env.CAMUNDA_REST_ADDRESS}/v2${path}`, {
    method,
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  return { content: [{ type: 'text', text: JSON.stringify(json) }], structuredContent: json, isError: !res.ok };
}
