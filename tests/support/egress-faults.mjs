// A broken egress Worker for tests/e2e/egress.test.mjs under wrangler dev (the Miniflare tests
// bind Node functions instead): what it does with a hand-over depends on the tool handed over.
//   getTopology      hangs (answers nothing for two minutes: the edge's timeout must fire)
//   getIncident      200 with a body that is not JSON
//   searchIncidents  500 with a plain-text body
// Anything else: 404. It checks no signature: it is not an egress, only something in its place.
export default {
  async fetch(request) {
    const text = await request.text();
    let tool;
    try { tool = JSON.parse(text)?.job?.tool?.name; } catch { /* not an envelope */ }
    console.log(JSON.stringify({ log: 'egress-faults', tool: tool ?? null }));
    if (tool === 'getTopology') {
      await new Promise((resolve) => setTimeout(resolve, 120_000));
      return new Response('too late', { status: 503 });
    }
    if (tool === 'getIncident') return new Response('not json', { status: 200, headers: { 'content-type': 'application/json' } });
    if (tool === 'searchIncidents') return new Response('egress exploded', { status: 500 });
    return new Response('no such fault', { status: 404 });
  },
};
