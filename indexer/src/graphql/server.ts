// graph-node's query endpoint served by Apollo Server 5 on a plain node:http server:
// POST/GET at /subgraphs/name/<name> and /graphql, CORS for the dashboard, extra routes for
// sync's /health and /metrics, and GraphQL subscriptions over graphql-ws on the same paths
// (an extension: graph-node removed subscriptions; each subscription re-runs its query field
// after every store commit).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type SourceLocation,
} from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { SubgraphSchema } from '../schema.ts';
import type { EntityStore } from '../store/entity-store.ts';
import type { BlockPtr } from '../types.ts';
import { buildApiSchema } from './api-schema.ts';
import { graphNodeError } from './errors.ts';
import { DEFAULT_LIMITS, hasIndexingErrors, newExecContext, refreshExecContext, type ApiMeta, type ExecContext, type QueryLimits } from './execute.ts';
import { queryRules } from './limits.ts';
import { argumentEnumErrors, coerceVariables } from './enum-coercion.ts';
import { headKey, ResultCache } from './result-cache.ts';
import { sendGraphiqlAsset, sendGraphiqlPage, wantsGraphiql } from './graphiql.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface GraphqlServerOptions {
  store: EntityStore;
  schema: SubgraphSchema;
  /** served at /subgraphs/name/<subgraphName> */
  subgraphName: string;
  /** 0 picks a free port */
  port?: number;
  host?: string;
  /** `_meta.deployment` and the id in error messages (graph-node: the manifest's IPFS hash) */
  deployment?: string;
  /** the manifest's lowest `startBlock`: blocks before the one below it have no data (default 0) */
  startBlock?: number;
  /** finds a block the store did not record by its hash, for `block: { hash }` (the indexer asks its JSON-RPC node) */
  lookupBlock?: (hash: string) => Promise<BlockPtr | null>;
  limits?: Partial<QueryLimits>;
  /** Access-Control-Allow-Origin; default `*` */
  corsOrigin?: string;
  /** request bodies above this are refused with 413 */
  maxBodyBytes?: number;
  /** extra GET routes by exact path, e.g. `/health`, `/metrics` */
  routes?: Record<string, RouteHandler>;
  /** characters of successful answers kept for the current head (result-cache.ts); 0 turns the cache off. Default 32 MB */
  resultCacheBytes?: number;
  /** bounds on the graphql-ws path (DEFAULT_WS_LIMITS) */
  ws?: Partial<WsLimits>;
}

/**
 * Every subscription re-runs its query after each store commit on the thread that syncs, and a
 * WebSocket message is parsed before anything looks at it: without bounds a few clients could
 * stall indexing or make the server buffer 100 MiB frames (ws's default).
 */
export interface WsLimits {
  /** a larger frame closes the connection with 1009 (Message Too Big) */
  maxPayloadBytes: number;
  /** open connections; the next one is closed at once with 1013 (Try Again Later) */
  maxConnections: number;
  /** active subscriptions per connection; the next gets an error message, the connection stays */
  maxSubscriptionsPerConnection: number;
  /** active subscriptions over all connections; likewise */
  maxSubscriptions: number;
  /** GraphQL tokens a subscription's document may have (the HTTP path's parse limit) */
  maxTokens: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = { maxPayloadBytes: 1_000_000, maxConnections: 100, maxSubscriptionsPerConnection: 20, maxSubscriptions: 500, maxTokens: 200_000 };

/** close code for a connection over maxConnections (RFC 6455 registry: Try Again Later) */
export const WS_CLOSE_TOO_MANY_CONNECTIONS = 1013;

export interface GraphqlServer {
  /** the subgraph's query URL: http://host:port/subgraphs/name/<name> */
  url: string;
  /** http://host:port */
  origin: string;
  /** http://host:port/graphql */
  graphqlUrl: string;
  /** the subgraph's URL with the `hessian_` extensions: http://host:port/hessian/subgraphs/name/<name> */
  extendedUrl: string;
  /** ws://host:port/subgraphs/name/<name> (graphql-ws protocol) */
  wsUrl: string;
  server: Server;
  addRoute(path: string, handler: RouteHandler): void;
  /** answers served from the result cache, answers computed, answers kept now and their size (as counted against `resultCacheBytes`) */
  cacheStats(): { hits: number; misses: number; entries: number; bytes: number };
  close(): Promise<void>;
}

const META_KEYS = new Set(['_meta', '__schema', '__type']);

/** graph-node's answers: no partial data next to errors, `indexing_error` when the read saw a failure. */
function graphNodeResponses(): ApolloServerPlugin<ExecContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult as { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
          if (result.errors?.length) {
            // graph-node answers every GraphQL result (syntax, validation and execution errors
            // included) with 200; only a malformed request is a 400
            if (!result.errors.some((e) => e.extensions?.code === 'BAD_REQUEST')) response.http.status = 200;
            // formatError already shaped each error as graph-node's
            result.errors = result.errors.map((e) => (e.locations ? { locations: e.locations, message: e.message } : { message: e.message }));
            delete result.data;
            return;
          }
          const seen = contextValue.indexingErrors;
          if (!result.data) return;
          // introspection reads the latest block too: graph-node flags it, but keeps its data
          const introspection = Object.keys(result.data).some((k) => k === '__schema' || k === '__type');
          const atHead = introspection && contextValue.head !== null && hasIndexingErrors(contextValue, contextValue.head);
          if (seen.size === 0 && !atHead) {
            contextValue.outcome.cacheable = true;
            return;
          }
          result.errors = [{ message: 'indexing_error' }];
          if ([...seen.values()].includes('deny')) {
            const kept = Object.fromEntries(Object.entries(result.data).filter(([k]) => META_KEYS.has(k)));
            if (Object.keys(kept).length === 0) delete result.data;
            else result.data = kept;
          }
        },
      };
    },
  };
}

/**
 * Runs `queryRules` where Apollo would run all of graphql-js's rules; every error is reported.
 * Validation depends on the schema and the document only, and Apollo's document store hands out
 * the same parsed DocumentNode for the same query text, so each document is validated once
 * (it was a tenth of the server's CPU under load, re-validating the same leaderboard query).
 * Enum values are checked as graph-node coerces them (enum-coercion.ts): variables before
 * validation, arguments after it.
 */
function lenientValidation(maxDepth: number): ApolloServerPlugin<ExecContext> {
  const rules = queryRules(maxDepth);
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const refuse = (errors: readonly { message: string; locations?: readonly SourceLocation[] }[]): GraphQLResponse => ({
    http: { status: 200, headers: new HeaderMap() },
    body: { kind: 'single', singleResult: { errors } },
  });
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ document, schema, operation, request }) {
          const coerced = operation ? coerceVariables(schema, operation, request.variables) : null;
          if (coerced && 'error' in coerced) return refuse([coerced.error]);
          let errors = validated.get(document);
          if (!errors) validated.set(document, (errors = validate(schema, document, rules)));
          if (errors.length > 0) return refuse(errors.map((e) => graphNodeError(e.message, e.locations, e)));
          if (!operation || !coerced) return null;
          const enumErrors = argumentEnumErrors(schema, operation, fragmentsOf(document), coerced.variables);
          return enumErrors.length > 0 ? refuse(enumErrors) : null;
        },
      };
    },
  };
}

function fragmentsOf(document: DocumentNode): FragmentDefinitionNode[] {
  return document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // stop buffering but keep draining, so the client still reads the 413
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export async function createGraphqlServer(opts: GraphqlServerOptions): Promise<GraphqlServer> {
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const api = buildApiSchema(opts.schema);
  const extendedApi = buildApiSchema(opts.schema, { extensions: true });
  const startBlock = opts.startBlock ?? 0;
  if (!Number.isSafeInteger(startBlock) || startBlock < 0) throw new Error(`invalid startBlock: ${startBlock} (expected an integer >= 0)`);
  const meta: ApiMeta = {
    layout: api.layout,
    filterKeys: api.filterKeys,
    deployment: opts.deployment ?? opts.subgraphName,
    limits,
    // graph-node's deployment starts at the block before the lowest start block
    earliestBlock: Math.max(0, startBlock - 1),
    ...(opts.lookupBlock ? { lookupBlock: opts.lookupBlock } : {}),
    lookedUp: new Map(),
  };
  const extendedMeta: ApiMeta = { ...meta, layout: extendedApi.layout, filterKeys: extendedApi.filterKeys };
  const store = opts.store;
  const subgraphPath = `/subgraphs/name/${opts.subgraphName}`;
  const graphiqlPath = `${subgraphPath}/graphql`;
  // graph-node serves a deployment by name and by its id (the IPFS hash) alike
  const graphqlPaths = new Set([subgraphPath, '/graphql', ...(opts.deployment ? [`/subgraphs/id/${opts.deployment}`] : [])]);
  // the same API plus the `hessian_` extensions (extensions.ts), under /hessian/…: a client opts in
  // by its URL, and nothing served at graph-node's paths changes
  const extendedPaths = new Set([...graphqlPaths].map((p) => `/hessian${p}`));
  const routes = new Map<string, RouteHandler>(Object.entries(opts.routes ?? {}));
  const maxBodyBytes = opts.maxBodyBytes ?? 1_000_000;
  const cors = opts.corsOrigin ?? '*';
  const cacheBytes = opts.resultCacheBytes ?? 32_000_000;
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0) throw new Error(`invalid resultCacheBytes: ${cacheBytes} (expected an integer >= 0)`);
  const cache = cacheBytes > 0 ? new ResultCache({ maxBytes: cacheBytes, maxEntryBytes: Math.max(1, Math.floor(cacheBytes / 8)) }) : null;

  const newApollo = (schema: typeof api.schema) => new ApolloServer<ExecContext>({
    schema,
    introspection: true,
    // graph-node's validation is lenient (see limits.ts): Apollo's strict pass is replaced by ours
    dangerouslyDisableValidation: true,
    // read-only, no cookies or auth: nothing for a cross-site request to abuse, and graph-node
    // answers plain GET requests (`curl '…?query={…}'`) too
    csrfPrevention: false,
    parseOptions: { maxTokens: 200_000 },
    includeStacktraceInErrorResponses: false,
    // The host (hessian index, the demo) owns shutdown: Apollo's own handlers would stop the
    // server and then re-raise SIGINT/SIGTERM, killing the process before it closes the store.
    stopOnTerminationSignals: false,
    // only message and locations reach the client (graphNodeResponses drops the code it keeps)
    formatError: (formatted, error) => ({
      ...graphNodeError(
        // graphql-js recursion on absurdly nested documents
        formatted.message === 'Maximum call stack size exceeded' ? 'the query is nested too deeply' : formatted.message,
        formatted.locations,
        unwrapResolverError(error),
      ),
      ...(formatted.extensions?.code ? { extensions: { code: formatted.extensions.code } } : {}),
    }),
    plugins: [
      // Apollo's default cache-control plugin hooks every field resolution (wrapping each
      // resolver) to compute a Cache-Control header graph-node does not send
      ApolloServerPluginCacheControlDisabled(),
      graphNodeResponses(),
      lenientValidation(limits.maxDepth),
      // browsers get our own GraphiQL (graphiql.ts), never Apollo's CDN-hosted Sandbox
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  const apollo = newApollo(api.schema);
  const extendedApollo = newApollo(extendedApi.schema);
  await Promise.all([apollo.start(), extendedApollo.start()]);

  const handleGraphql = async (req: IncomingMessage, res: ServerResponse, search: string, extended: boolean) => {
    const server = extended ? extendedApollo : apollo;
    const apiMeta = extended ? extendedMeta : meta;
    let body: unknown = undefined;
    let text = '';
    if (req.method === 'POST') {
      try {
        text = await readBody(req, maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLarge) res.setHeader('connection', 'close');
        if (err instanceof BodyTooLarge) return sendJson(res, 413, { errors: [{ message: `request body larger than ${maxBodyBytes} bytes` }] });
        throw err;
      }
    }
    // everything Apollo's answer depends on besides the store: method, query string, body, and
    // the two headers it negotiates the response's content type from
    const request = cache ? `${extended ? 'extended ' : ''}${req.method} ${search}\n${req.headers['content-type'] ?? ''}\n${req.headers.accept ?? ''}\n${text}` : '';
    if (cache) {
      const hit = cache.get(headKey(store.getCursor(), store.getFailed()), request);
      if (hit) {
        for (const [k, v] of hit.headers) res.setHeader(k, v);
        res.statusCode = hit.status;
        res.end(hit.body);
        return;
      }
    }
    if (req.method === 'POST') {
      const type = req.headers['content-type'] ?? '';
      if (type.includes('json')) {
        try {
          body = JSON.parse(text);
        } catch (err) {
          return sendJson(res, 400, { errors: [{ message: `request body is not valid JSON: ${(err as Error).message}` }] });
        }
      } else body = text;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    let ctx: ExecContext | undefined;
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
      context: async () => (ctx = newExecContext(store, apiMeta)),
    });
    for (const [k, v] of response.headers) res.setHeader(k, v);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      // filed under the head the resolvers read, which a commit during the request may have moved
      if (cache && ctx?.outcome.cacheable && res.statusCode === 200) {
        cache.set(headKey(ctx.head, ctx.failure), request, { status: 200, headers: [...response.headers], body: response.body.string });
      }
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };

  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', cors);
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name');
    res.setHeader('access-control-max-age', '600');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const done = (err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: `internal error: ${(err as Error).message}` }] });
      else res.destroy();
    };
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return;
    }
    const route = routes.get(path);
    if (route) {
      Promise.resolve()
        .then(() => route(req, res))
        .catch(done);
      return;
    }
    if (req.method === 'GET' && (path === graphiqlPath || (graphqlPaths.has(path) && wantsGraphiql(req, url.search)))) {
      sendGraphiqlPage(res, path === '/graphql' ? '/graphql' : subgraphPath, opts.subgraphName);
      return;
    }
    if (req.method === 'GET' && sendGraphiqlAsset(res, path)) return;
    if (graphqlPaths.has(path) || extendedPaths.has(path)) {
      handleGraphql(req, res, url.search, extendedPaths.has(path)).catch(done);
      return;
    }
    sendJson(res, 404, { errors: [{ message: `no such endpoint ${path}: query ${subgraphPath} or /graphql` }] });
  });

  const wsLimits: WsLimits = { ...DEFAULT_WS_LIMITS, ...opts.ws };
  for (const [k, v] of Object.entries(wsLimits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`invalid ws.${k}: ${v} (expected an integer >= 1)`);
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: wsLimits.maxPayloadBytes });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (!graphqlPaths.has(path)) {
      socket.destroy();
      return;
    }
    const full = wss.clients.size >= wsLimits.maxConnections;
    wss.handleUpgrade(req, socket, head, (ws) => {
      // accepted only to say why: a refused upgrade reaches a browser client as a bare failure
      if (full) return ws.close(WS_CLOSE_TOO_MANY_CONNECTIONS, `too many connections (at most ${wsLimits.maxConnections})`);
      // ws has already closed a connection that sent a frame over maxPayload (1009) when it emits
      // the error; graphql-ws would print each one to the console as an internal error, stack
      // and all, so a client could fill the logs with its own oversized frames
      const emit = ws.emit.bind(ws);
      ws.emit = ((event: string | symbol, ...args: unknown[]) =>
        event === 'error' && (args[0] as { code?: string } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? false : emit(event, ...args)) as typeof ws.emit;
      wss.emit('connection', ws, req);
    });
  });
  // the subscription maps of open connections: graphql-ws lists a subscription there from its
  // subscribe message until it completes, the one being checked included
  const connections = new Set<{ subscriptions: Record<string, unknown> }>();
  const wsServer = useServer<Record<string, unknown>, { ctx?: ExecContext }>(
    {
      schema: api.schema,
      onConnect: (ctx) => void connections.add(ctx),
      onClose: (ctx) => void connections.delete(ctx),
      // parsed and validated here (graphql-ws then skips its own parse, which has no token limit)
      onSubscribe: (ctx, _id, payload) => {
        const mine = Object.keys(ctx.subscriptions).length;
        if (mine > wsLimits.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`too many subscriptions on this connection (at most ${wsLimits.maxSubscriptionsPerConnection}); complete one first`)];
        }
        let total = 0;
        for (const c of connections) total += Object.keys(c.subscriptions).length;
        if (total > wsLimits.maxSubscriptions) {
          return [new GraphQLError(`too many subscriptions on this server (at most ${wsLimits.maxSubscriptions}); try again later`)];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: wsLimits.maxTokens });
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
        }
        const errors = validate(api.schema, document, queryRules(limits.maxDepth));
        if (errors.length > 0) return [...errors];
        const operation = getOperationAST(document, payload.operationName);
        if (operation) {
          const coerced = coerceVariables(api.schema, operation, payload.variables ?? undefined);
          const enumErrors = 'error' in coerced ? [coerced.error] : argumentEnumErrors(api.schema, operation, fragmentsOf(document), coerced.variables);
          if (enumErrors.length > 0) return enumErrors.map((e) => new GraphQLError(e.message));
        }
        return { schema: api.schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      subscribe: async (args) => {
        const result = await subscribe(args);
        return Symbol.asyncIterator in result ? distinct(result) : result;
      },
      context: () => {
        const ctx = newExecContext(store, meta);
        ctx.heads = () => headEvents(store, ctx);
        return ctx as never;
      },
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const origin = `http://${host}:${addr.port}`;
  let closed: Promise<void> | undefined;
  return {
    url: origin + subgraphPath,
    origin,
    graphqlUrl: origin + '/graphql',
    extendedUrl: `${origin}/hessian${subgraphPath}`,
    wsUrl: `ws://${host}:${addr.port}${subgraphPath}`,
    server,
    addRoute: (path, handler) => void routes.set(path, handler),
    cacheStats: () => ({ hits: cache?.hits ?? 0, misses: cache?.misses ?? 0, entries: cache?.size ?? 0, bytes: cache?.bytes ?? 0 }),
    close() {
      closed ??= (async () => {
        await wsServer.dispose();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([apollo.stop(), extendedApollo.stop()]);
      })();
      return closed;
    },
  };
}

/** Drops results equal to the one sent before: a commit that does not touch a subscription's answer sends nothing. */
async function* distinct(results: AsyncIterable<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  let last: string | undefined;
  for await (const r of results) {
    const json = JSON.stringify(r);
    if (json === last) continue;
    last = json;
    yield r;
  }
}

/** One event now, then one after each store commit (coalesced while the consumer is busy). */
async function* headEvents(store: EntityStore, ctx: ExecContext): AsyncGenerator<Record<string, never>> {
  let pending = true;
  let wake: (() => void) | null = null;
  const off = store.onCommit(() => {
    pending = true;
    wake?.();
  });
  try {
    for (;;) {
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      pending = false;
      wake = null;
      refreshExecContext(ctx);
      yield {};
    }
  } finally {
    off();
  }
}
