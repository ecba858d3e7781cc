// The second comparison peer (measurement only): what a Workers user deploys today — Cloudflare's
// `agents` createMcpHandler (stateless, both eras) on @modelcontextprotocol/server v2, exposing
// getTopology and searchProcessInstances against the same stand-in upstream. Bundled by
// bench/run.sh with esbuild.
import { createMcpHandler } from 'agents/mcp/server';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { rest } from '../rest.mjs';

let handler;
export default {
  fetch(request, env, ctx) {
    handler ??= createMcpHandler(() => {
      const server = new McpServer({ name: 'agents-peer', version: '1.0.0' });
      server.registerTool('getTopology', { description: 'Cluster topology.', inputSchema: z.object({}) }, () => rest(env, 'GET', '/topology'));
      server.registerTool('searchProcessInstances', {
        description: 'Search process instances.',
        inputSchema: z.object({
          filter: z.object({ state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']).optional() }).passthrough().optional(),
          page: z.object({ limit: z.number().int().optional(), from: z.number().int().optional() }).optional(),
        }),
      }, (args) => rest(env, 'POST', '/process-instances/search', args));
      return server;
    }, { route: '/mcp/cluster' });
    return handler(request, env, ctx);
  },
};
