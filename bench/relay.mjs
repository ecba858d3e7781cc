// The floor for any gateway on this runtime: a Worker that makes the same single upstream fetch
// and streams the answer back, with no MCP, no JSON work and no checks. Measurement only.
export default {
  async fetch(request, env) {
    await request.arrayBuffer();
    const upstream = await fetch(`${env.CAMUNDA_REST_ADDRESS}/v2/topology`, { headers: { accept: 'application/json' } });
    return new Response(upstream.body, { status: upstream.status, headers: { 'content-type': 'application/json' } });
  },
};
