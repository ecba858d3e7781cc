// The comparison peer (measurement only): what a Workers user would write instead — the official
// MCP TypeScript SDK's stateless Streamable HTTP transport with JSON responses, exposing
// getTopology and searchProcessInstances against the same stand-in upstream. Bundled by
// bench/run.sh with esbuild.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { rest } from '../rest.mjs';

// With OIDC_JWKS_URI set, bearer JWTs are checked first, as a Workers user would with jose: the
// key set is fetched once per isolate and kept by jose.
let keys;
async function authorized(request, env) {
  if (!env.OIDC_JWKS_URI) return true;
  keys ??= createRemoteJWKSet(new URL(env.OIDC_JWKS_URI));
  const token = request.headers.get('authorization')?.match(/^Bearer (.+)$/)?.[1];
  if (!token) return false;
  try {
    await jwtVerify(token, keys, { issuer: env.OIDC_ISSUERS, audience: env.OIDC_AUDIENCES });
    return true;
  } catch {
    return false;
  }
}

export default {
  async fetch(request, env) {
    if (!(await authorized(request, env))) return new Response('Unauthorized', { status: 401 });
    const server = new McpServer({ name: 'ts-sdk-peer', version: '1.0.0' });
    server.registerTool('getTopology', { description: 'Cluster topology.', inputSchema: {} }, () => rest(env, 'GET', '/topology'));
    server.registerTool('searchProcessInstances', {
      description: 'Search process instances.',
      inputSchema: {
        filter: z.object({ state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']).optional() }).passthrough().optional(),
        page: z.object({ limit: z.number().int().optional(), from: z.number().int().optional() }).optional(),
      },
    }, (args) => rest(env, 'POST', '/process-instances/search', args));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    return transport.handleRequest(request);
  },
};
