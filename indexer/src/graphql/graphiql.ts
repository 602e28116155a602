// GraphiQL served by the indexer itself (bundled by scripts/build-graphiql.ts into dist/graphiql),
// at graph-node's /subgraphs/name/<name>/graphql and on a browser's GET of the endpoint. The
// Content-Security-Policy lets the page load and talk to this origin only: a privacy product's
// query page must not pull in third-party scripts, and it must work offline.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/** where the page's script and stylesheet are served */
export const GRAPHIQL_ASSET_PATH = '/graphiql';
const DIST = fileURLToPath(new URL('../../dist/graphiql/', import.meta.url));
const ASSETS: Record<string, string> = { 'graphiql.js': 'text/javascript; charset=utf-8', 'graphiql.css': 'text/css; charset=utf-8' };
const CSP = [
  "default-src 'self'",
  // GraphiQL and CodeMirror set element styles at run time
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer | null>();
function asset(name: string): Buffer | null {
  if (!cache.has(name)) {
    try {
      cache.set(name, readFileSync(DIST + name));
    } catch {
      cache.set(name, null);
    }
  }
  return cache.get(name)!;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Whether a request is a browser navigating to the endpoint (not a GraphQL GET with `?query=`). */
export function wantsGraphiql(req: IncomingMessage, search: string): boolean {
  if (req.method !== 'GET') return false;
  if (new URLSearchParams(search).has('query')) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

export function sendGraphiqlPage(res: ServerResponse, endpointPath: string, subgraphName: string): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-type', 'text/html; charset=utf-8');
  if (!asset('graphiql.js') || !asset('graphiql.css')) {
    res.statusCode = 503;
    res.end(
      `<!doctype html><meta charset="utf-8"><title>GraphiQL not built</title>` +
        `<p>GraphiQL is not built: run <code>npm run build -w @hessian/indexer</code> (or <code>npm run build</code>). ` +
        `The GraphQL endpoint itself works: POST queries to <code>${escapeAttr(endpointPath)}</code>.</p>`,
    );
    return;
  }
  res.statusCode = 200;
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>GraphiQL · ${escapeAttr(subgraphName)}</title><link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}/graphiql.css"></head>` +
      `<body style="margin:0"><div id="graphiql" style="height:100vh" data-endpoint="${escapeAttr(endpointPath)}"></div>` +
      `<script type="module" src="${GRAPHIQL_ASSET_PATH}/graphiql.js"></script></body></html>`,
  );
}

/** Serves dist/graphiql/<name>; false when `path` is not one of the page's assets. */
export function sendGraphiqlAsset(res: ServerResponse, path: string): boolean {
  if (!path.startsWith(GRAPHIQL_ASSET_PATH + '/')) return false;
  const name = path.slice(GRAPHIQL_ASSET_PATH.length + 1);
  const type = ASSETS[name];
  const body = type ? asset(name) : null;
  if (!type || !body) return false;
  res.statusCode = 200;
  res.setHeader('content-type', type);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'public, max-age=3600');
  res.end(body);
  return true;
}
