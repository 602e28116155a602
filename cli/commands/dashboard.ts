// `hessian dashboard`: serve the built dashboard, pointed at any indexer or graph-node endpoint.
import { readFileSync } from 'node:fs';
import { readCommandFlags } from '../command.ts';
import { numberFlag } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';

export async function dashboard(argv: string[]): Promise<void> {
  const opts = readCommandFlags(
    { command: 'dashboard', summary: 'Serve the built dashboard (npm run build -w @hessian/dashboard) with a config.json pointing at a GraphQL endpoint: the embedded indexer or any graph-node serving the Hessian subgraph.' },
    {
      endpoint: { type: 'string', env: 'HESSIAN_GRAPHQL_URL', default: 'http://127.0.0.1:8000/subgraphs/name/hessian', description: 'GraphQL endpoint the browser queries (`hessian index` and graph-node serve on port 8000)' },
      ws: { type: 'string', env: 'HESSIAN_GRAPHQL_WS_URL', description: 'graphql-ws endpoint for pushed updates (the embedded indexer offers one; graph-node does not)' },
      config: { type: 'string', env: 'HESSIAN_DASHBOARD_CONFIG', description: 'a config.json file (endpoint, tokens, explorer, ipfsGateway); flags override its endpoint' },
      host: { type: 'string', env: 'HESSIAN_DASHBOARD_HOST', default: '127.0.0.1', description: 'address to bind' },
      port: { type: 'string', env: 'HESSIAN_DASHBOARD_PORT', default: '5173', description: 'HTTP port (0 = a free one)' },
      json: { type: 'boolean', description: 'print the URL and endpoint as one JSON line' },
    },
    argv,
  );
  if (!opts) return;
  let base: Record<string, unknown> = {};
  if (opts.config) {
    try {
      base = JSON.parse(readFileSync(opts.config, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--config ${opts.config}: ${(err as Error).message}`);
    }
  }
  const { serveDashboard } = await import('@hessian/dashboard');
  const server = await serveDashboard({
    host: opts.host!,
    port: numberFlag('port', opts.port, { int: true, min: 0 }) ?? 0,
    config: {
      ...base,
      endpoint: argv.includes('--endpoint') || !base.endpoint ? opts.endpoint! : String(base.endpoint),
      ...(opts.ws ? { wsEndpoint: opts.ws } : {}),
    },
  });
  const endpoint = argv.includes('--endpoint') || !base.endpoint ? opts.endpoint! : String(base.endpoint);
  process.stdout.write(opts.json ? `${JSON.stringify({ url: server.url, endpoint })}\n` : `dashboard: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
