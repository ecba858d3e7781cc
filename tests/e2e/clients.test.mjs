// Real MCP clients of both eras against the built Worker, under Miniflare and under wrangler dev:
// the TypeScript SDK v2 client (dual-era, versionNegotiation 'auto'), the TypeScript SDK v1
// client (what c8ctl mcp-proxy uses: 2025 lane) and the Python SDK (PyPI `mcp`, default 'auto').
// Which lane each one ended up in is read from the log lines the Worker wrote for its requests,
// so a modern client that had to fall back to initialize fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startUpstream, sampleCalls, CAMUNDA_TOOL_COUNT } from '../support/upstream.mjs';
import { startWorker, logsSettled } from '../support/worker.mjs';
import { startWranglerDev } from '../support/wrangler.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const python = path.join(root, '.venv/bin/python');
let up;
const runtimes = {};

before(async () => {
  up = await startUpstream();
  const vars = { CAMUNDA_REST_ADDRESS: up.url };
  runtimes.miniflare = await startWorker(vars);
  runtimes['wrangler dev'] = await startWranglerDev(vars);
});
after(async () => {
  for (const r of Object.values(runtimes)) await r.close();
  await up?.close();
});

/** The Worker's log lines (parsed) written while `fn` ran. */
async function logged(runtime, fn) {
  await logsSettled(runtime.logs);
  const from = runtime.logs.length;
  const result = await fn();
  // Log lines may trail the answers a little: wait for a search's line, then for quiet.
  for (let i = 0; i < 100 && !runtime.logs.slice(from).some((l) => l.includes('"searchIncidents"')); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await logsSettled(runtime.logs);
  const lines = runtime.logs.slice(from).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { result, lines: lines.filter((l) => l.method === 'POST') };
}

/** Connects `client`, lists the tools, calls getTopology and a search; what it saw. */
async function session(client, transport, protocolVersion) {
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const topology = await client.callTool({ name: 'getTopology', arguments: {} });
    const search = await client.callTool({ name: 'searchIncidents', arguments: { filter: { state: 'ACTIVE' } } });
    return {
      protocolVersion: protocolVersion(client), tools: tools.length,
      topologyError: topology.isError, brokers: topology.structuredContent.brokers.length,
      searchError: search.isError, items: search.structuredContent.items.length,
    };
  } finally {
    await client.close();
  }
}

const typescriptV2 = (endpoint) => session(
  new ClientV2({ name: 'e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } }),
  new TransportV2(new URL(endpoint)), (c) => c.getNegotiatedProtocolVersion());

const typescriptV1 = (endpoint) => session(
  new ClientV1({ name: 'c8ctl-like', version: '1.0.0' }),
  new TransportV1(new URL(endpoint)), (c) => c.transport.protocolVersion);

function pythonClient(endpoint) {
  if (!fs.existsSync(python)) throw new Error('.venv is missing: run scripts/setup.sh');
  return new Promise((resolve, reject) => {
    execFile(python, [path.join(root, 'tests/clients/python_client.py'), endpoint], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

const clients = [
  ['TypeScript SDK v2 2.4.0 (auto)', typescriptV2, 'modern'],
  ['Python mcp 2.3.0 (auto)', pythonClient, 'modern'],
  ['TypeScript SDK v1 1.32.2 (c8ctl mcp-proxy)', typescriptV1, 'legacy'],
];

for (const runtime of ['miniflare', 'wrangler dev']) {
  for (const [name, run, era] of clients) {
    test(`${name} under ${runtime}: connects, lists ${CAMUNDA_TOOL_COUNT} tools, calls getTopology and a search in the ${era} lane`, { timeout: 120_000 }, async () => {
      const rt = runtimes[runtime];
      const { result, lines } = await logged(rt, () => run(rt.endpoint));
      assert.equal(result.tools, CAMUNDA_TOOL_COUNT);
      assert.equal(result.topologyError, false);
      assert.equal(result.brokers, 3);
      assert.equal(result.searchError, false);
      assert.ok(result.items > 0);
      const rpcs = lines.map((l) => l.rpc);
      if (era === 'modern') {
        assert.equal(result.protocolVersion, '2026-07-28');
        // No fallback: the probe succeeded first time and initialize was never sent.
        assert.equal(rpcs[0], 'server/discover', JSON.stringify(rpcs));
        assert.ok(!rpcs.includes('initialize'), JSON.stringify(rpcs));
        assert.ok(lines.every((l) => l.status === 200 && l.era === 'modern'), JSON.stringify(lines));
      } else {
        assert.equal(rpcs[0], 'initialize', JSON.stringify(rpcs));
        assert.ok(lines.every((l) => l.status < 300 && (l.era ?? 'legacy') === 'legacy'), JSON.stringify(lines));
      }
      assert.deepEqual(rpcs.filter((r) => r === 'tools/call').length, 2);
    });
  }
}

for (const runtime of ['miniflare', 'wrangler dev']) {
  test(`every tool answers through the TypeScript SDK v2 client in the 2026-07-28 lane (${runtime})`, { timeout: 120_000 }, async () => {
    const rt = runtimes[runtime];
    const calls = sampleCalls;
    const client = new ClientV2({ name: 'e2e-v2-all', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    const { lines } = await logged(rt, async () => {
      await client.connect(new TransportV2(new URL(rt.endpoint)));
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(calls).sort());
        for (const [name, args] of Object.entries(calls)) {
          const r = await client.callTool({ name, arguments: args });
          assert.equal(r.isError, false, `${name}: ${JSON.stringify(r)}`);
          assert.ok(r.content[0].text.length > 0, name);
        }
        // The last call is a search: logged() waits for one.
        await client.callTool({ name: 'searchIncidents', arguments: {} });
      } finally {
        await client.close();
      }
    });
    assert.ok(lines.length >= 20 && lines.every((l) => l.era === 'modern' && l.status === 200), JSON.stringify(lines.slice(0, 3)));
  });
}
