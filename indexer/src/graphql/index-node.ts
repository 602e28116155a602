// graph-node's index-node status API (server/index-node: schema.graphql, resolver.rs;
// graph/src/data/subgraph/status.rs for the values), on its own port at /graphql as graph-node
// serves it on 8030: `indexingStatuses`, `indexingStatusForCurrentVersion` and friends answer
// for the one deployment this indexer runs. Fields that need what an embedded indexer does not
// keep (proofs of indexing, cached calls, entity changes per block) answer graph-node's
// "Not supported" error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, execute, GraphQLScalarType, Kind, parse, validate, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import type { EntityStore } from '../store/entity-store.ts';
import type { SubgraphManifest } from '../manifest.ts';
import type { SubgraphSchema } from '../schema.ts';
import { queryStore } from '../store/query.ts';
import type { BlockPtr } from '../types.ts';
import { graphNodeError, QueryError } from './errors.ts';
import { queryRules } from './limits.ts';
import { nonFatalErrors } from '../store/subgraph-errors.ts';

/** What the indexer reports about its deployment; read on every request. */
export interface DeploymentStatus {
  /** reached the chain head at least once (graph-node's `synced_at` is set once and stays) */
  synced: boolean;
  /** the store's cursor */
  latestBlock: BlockPtr | null;
}

export interface IndexNodeOptions {
  store: EntityStore;
  /** the deployment id (IPFS hash) */
  deployment: string;
  /** the subgraph name it is served under */
  subgraphName: string;
  /** the manifest's network */
  network: string;
  /** graph-node's earliest block: the lowest start block minus one, or 0 */
  earliestBlock: number;
  status(): DeploymentStatus;
  /** the chain's head block, asked only when a query selects `chainHeadBlock` */
  chainHead?: () => Promise<BlockPtr | null>;
  /** 0 picks a free port */
  port?: number;
  host?: string;
  /** `version { version commit }` */
  version?: { version: string; commit: string };
  /** `subgraphFeatures` of this deployment, as graph-node derives them from the manifest and schema */
  features?: SubgraphFeatures;
  /** the hash of the node's block at this height (null: none), for `blockHashFromNumber` */
  blockHashAt?: (number: number) => Promise<string | null>;
}

/** graph-node's DeploymentFeatures as `subgraphFeatures` answers them */
export interface SubgraphFeatures {
  specVersion: string;
  /** the mappings' apiVersion when they all agree, else null */
  apiVersion: string | null;
  /** declared, then detected (declaredEthCalls, aggregations, immutableEntities, bytesAsIds) */
  features: string[];
  /** data source and template kinds */
  dataSources: string[];
  /** handler kinds of the data sources: event, call, block, ... */
  handlers: string[];
  network: string | null;
}

/** graph-node's API versions (graph/src/components/versions/registry.rs), newest first */
const API_VERSIONS = ['1.0.0'];

export interface IndexNodeServer {
  /** http://host:port/graphql */
  url: string;
  server: Server;
  close(): Promise<void>;
}

// graph-node's schema, as server/index-node/src/schema.graphql has it (scalars it declares that
// graphql-js has built in left out)
const SDL = `
scalar BigInt
scalar Bytes
scalar JSONObject
scalar Date

type Query {
  indexingStatusForCurrentVersion(subgraphName: String!): SubgraphIndexingStatus
  indexingStatusForPendingVersion(subgraphName: String!): SubgraphIndexingStatus
  indexingStatusesForSubgraphName(subgraphName: String!): [SubgraphIndexingStatus!]!
  indexingStatuses(subgraphs: [String!]): [SubgraphIndexingStatus!]!
  proofOfIndexing(subgraph: String!, blockNumber: Int!, blockHash: Bytes!, indexer: Bytes): Bytes
  publicProofsOfIndexing(requests: [PublicProofOfIndexingRequest!]!): [PublicProofOfIndexingResult!]!
  subgraphFeatures(subgraphId: String!): SubgraphFeatures!
  entityChangesInBlock(subgraphId: String!, blockNumber: Int!): EntityChanges!
  blockData(network: String!, blockHash: Bytes!): JSONObject
  blockHashFromNumber(network: String!, blockNumber: Int!): Bytes
  version: Version!
  cachedEthereumCalls(network: String!, blockHash: Bytes!): [CachedEthereumCall!]
  apiVersions(subgraphId: String!): [ApiVersion!]!
}

type Version { version: String! commit: String! }

type SubgraphIndexingStatus {
  subgraph: String!
  synced: Boolean!
  health: Health!
  fatalError: SubgraphError
  nonFatalErrors: [SubgraphError!]!
  chains: [ChainIndexingStatus!]!
  entityCount: BigInt!
  node: String
  paused: Boolean
  historyBlocks: Int!
  subgraphSize: SubgraphSize!
}

interface ChainIndexingStatus {
  network: String!
  chainHeadBlock: Block
  earliestBlock: EarliestBlock
  latestBlock: Block
  lastHealthyBlock: Block
}

type EthereumIndexingStatus implements ChainIndexingStatus {
  network: String!
  chainHeadBlock: Block
  earliestBlock: EarliestBlock
  latestBlock: Block
  lastHealthyBlock: Block
}

type EntityChanges { updates: [EntityTypeUpdates!]! deletions: [EntityTypeDeletions!]! }
type EntityTypeUpdates { type: String! entities: [JSONObject!]! }
type EntityTypeDeletions { type: String! entities: [ID!]! }
type Block { hash: Bytes! number: BigInt! }
type EarliestBlock {
  hash: Bytes! @deprecated(reason: "hash will always be reported as 0x0.")
  number: BigInt!
}
type SubgraphError { message: String! block: Block handler: String deterministic: Boolean! }
enum Health { healthy unhealthy failed }
type CachedEthereumCall { idHash: Bytes! block: Block! contractAddress: Bytes! returnValue: Bytes! }
type SubgraphFeatures {
  apiVersion: String
  specVersion: String!
  features: [Feature!]!
  dataSources: [String!]!
  handlers: [String!]!
  network: String
}
enum Feature { nonFatalErrors grafting fullTextSearch ipfsOnEthereumContracts aggregations declaredEthCalls immutableEntities bytesAsIds }
input BlockInput { hash: Bytes! number: BigInt! }
input ProofOfIndexingRequest { deployment: String! block: BlockInput! }
input PublicProofOfIndexingRequest { deployment: String! blockNumber: BigInt! }
type PartialBlock { hash: Bytes number: BigInt! }
type PublicProofOfIndexingResult { deployment: String! block: PartialBlock! proofOfIndexing: Bytes! }
type ProofOfIndexingResult { deployment: String! block: Block! proofOfIndexing: Bytes }
type ApiVersion { version: String! }
type SubgraphSize { rowEstimate: BigInt! tableSize: BigInt! indexSize: BigInt! toastSize: BigInt! totalSize: BigInt! }
`;

// graph-node's values pass through as it builds them: chain block numbers are strings
// (`format!`), an error's block number an Int
const passThrough = (name: string) =>
  new GraphQLScalarType({
    name,
    serialize: (v) => v,
    parseValue: (v) => v,
    parseLiteral: (ast) => (ast.kind === Kind.INT ? Number(ast.value) : ast.kind === Kind.STRING ? ast.value : null),
  });

/** The deployment's history is kept whole: graph-node's `history_blocks` of an unpruned deployment. */
const ALL_HISTORY = 2147483647;

function blockValue(ptr: BlockPtr | null): { hash: string; number: string } | null {
  return ptr ? { hash: ptr.hash, number: String(ptr.number) } : null;
}

/** graph-node's `entity_count`: entities current at the head, over every entity table. */
function entityCount(store: EntityStore): string {
  return queryStore(store.db, store.layout).entityCount().toString();
}

/** Sizes of the entity tables and their indexes (SQLite's dbstat; no TOAST: 0), and their rows (every version). */
function subgraphSize(store: EntityStore): Record<string, string> {
  const { rows, tableBytes, indexBytes } = queryStore(store.db, store.layout).sizes();
  return { rowEstimate: String(rows), tableSize: String(tableBytes), indexSize: String(indexBytes), toastSize: '0', totalSize: String(tableBytes + indexBytes) };
}

function indexingStatus(opts: IndexNodeOptions) {
  const { store } = opts;
  const status = opts.status();
  const failure = store.getFailed();
  const errors = nonFatalErrors(store.db);
  return {
    subgraph: opts.deployment,
    synced: status.synced,
    health: failure ? 'failed' : errors.length > 0 ? 'unhealthy' : 'healthy',
    fatalError: failure
      ? {
          message: failure.message,
          // Block.hash is non-null: a failure recorded by number only has no block
          block: failure.blockHash ? { number: failure.blockNumber, hash: failure.blockHash } : null,
          handler: failure.handler,
          deterministic: true,
        }
      : null,
    nonFatalErrors: errors.map((e) => ({ message: e.message, block: { number: e.blockNumber, hash: e.blockHash }, handler: e.handler, deterministic: true })),
    chains: [
      {
        __typename: 'EthereumIndexingStatus',
        network: opts.network,
        chainHeadBlock: async () => blockValue((await opts.chainHead?.()) ?? null),
        earliestBlock: { number: String(opts.earliestBlock), hash: '0x0' },
        latestBlock: blockValue(status.latestBlock),
        // graph-node's ChainInfo never fills it
        lastHealthyBlock: null,
      },
    ],
    entityCount: () => entityCount(store),
    node: 'default',
    paused: false,
    historyBlocks: ALL_HISTORY,
    subgraphSize: () => subgraphSize(store),
  };
}

const notSupported = (what: string) => () => {
  throw new QueryError(`Not supported: ${what} is not kept by the embedded indexer`);
};

export function buildIndexNodeSchema() {
  const schema = buildSchema(SDL);
  for (const name of ['BigInt', 'Bytes', 'JSONObject', 'Date']) {
    const t = schema.getType(name) as GraphQLScalarType;
    const p = passThrough(name);
    t.serialize = p.serialize;
    t.parseValue = p.parseValue;
    t.parseLiteral = p.parseLiteral;
  }
  const chain = schema.getType('ChainIndexingStatus') as unknown as { resolveType: () => string };
  chain.resolveType = () => 'EthereumIndexingStatus';
  return schema;
}

export async function createIndexNodeServer(opts: IndexNodeOptions): Promise<IndexNodeServer> {
  const schema = buildIndexNodeSchema();
  const rules = queryRules(32);
  const mine = (name: unknown) => name === opts.subgraphName;
  const root: Record<string, GraphQLFieldResolver<unknown, unknown> | unknown> = {
    indexingStatusForCurrentVersion: ({ subgraphName }: { subgraphName: string }) => (mine(subgraphName) ? indexingStatus(opts) : null),
    // one version only: there is never a pending one
    indexingStatusForPendingVersion: () => null,
    indexingStatusesForSubgraphName: ({ subgraphName }: { subgraphName: string }) => (mine(subgraphName) ? [indexingStatus(opts)] : []),
    // no list (or an empty one) means every deployment
    indexingStatuses: ({ subgraphs }: { subgraphs?: string[] | null }) =>
      !subgraphs?.length || subgraphs.includes(opts.deployment) ? [indexingStatus(opts)] : [],
    version: () => opts.version ?? { version: '0.1.0', commit: '' },
    proofOfIndexing: notSupported('proofOfIndexing'),
    publicProofsOfIndexing: notSupported('publicProofsOfIndexing'),
    subgraphFeatures: ({ subgraphId }: { subgraphId: string }) => {
      // graph-node's DeploymentHash::new, then its store or IPFS: only this deployment is known here
      if (subgraphId.length > 46 || !/^[A-Za-z0-9_]*$/.test(subgraphId) || subgraphId === 'subgraphs') {
        throw new QueryError(`Failed to get subgraph ID from type: \`${subgraphId}\``);
      }
      if (subgraphId !== opts.deployment || !opts.features) {
        throw new QueryError(`failed to resolve subgraph manifest: the embedded indexer runs only deployment ${opts.deployment}`);
      }
      return opts.features;
    },
    entityChangesInBlock: notSupported('entityChangesInBlock'),
    blockData: notSupported('blockData'),
    // graph-node answers null for a network it does not index and for a block it cannot get
    blockHashFromNumber: async ({ network, blockNumber }: { network: string; blockNumber: number }) => {
      if (network !== opts.network || !opts.blockHashAt) return null;
      try {
        const hash = await opts.blockHashAt(blockNumber);
        // BlockPtr::hash_hex: hex without 0x
        return hash === null ? null : hash.toLowerCase().replace(/^0x/, '');
      } catch {
        return null;
      }
    },
    cachedEthereumCalls: notSupported('cachedEthereumCalls'),
    apiVersions: () => API_VERSIONS.map((version) => ({ version })),
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    let body: { query?: unknown; variables?: unknown; operationName?: unknown } = {};
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > 1_000_000) return send(res, 413, { errors: [{ message: 'request body larger than 1000000 bytes' }] });
        chunks.push(c as Buffer);
      }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return send(res, 400, { errors: [{ message: `request body is not valid JSON: ${(err as Error).message}` }] });
      }
    } else {
      const vars = url.searchParams.get('variables');
      body = { query: url.searchParams.get('query'), variables: vars ? JSON.parse(vars) : undefined, operationName: url.searchParams.get('operationName') };
    }
    if (typeof body.query !== 'string') return send(res, 400, { errors: [{ message: 'no query given' }] });
    let document: DocumentNode;
    try {
      document = parse(body.query, { maxTokens: 50_000 });
    } catch (err) {
      const e = err as QueryError;
      return send(res, 200, { errors: [graphNodeError(e.message, e.locations, e)] });
    }
    const invalid = validate(schema, document, rules);
    if (invalid.length) return send(res, 200, { errors: invalid.map((e) => graphNodeError(e.message, e.locations, e)) });
    const result = await execute({
      schema,
      document,
      rootValue: root,
      variableValues: (body.variables as Record<string, unknown> | undefined) ?? undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
    });
    const out: Record<string, unknown> = {};
    if (result.errors?.length) out.errors = result.errors.map((e) => graphNodeError(e.message, e.locations, e.originalError ?? e));
    else out.data = result.data;
    send(res, 200, out);
  };

  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'content-type');
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path !== '/graphql' || (req.method !== 'GET' && req.method !== 'POST')) {
      send(res, 404, { errors: [{ message: `no such endpoint ${path}: the index-node API is POST /graphql` }] });
      return;
    }
    answer(req, res, url).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { errors: [{ message: `internal error: ${err.message}` }] });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}/graphql`,
    server,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

// graph-node's SubgraphFeature order (a BTreeSet of the enum): declared features are listed in it
const FEATURE_ORDER = ['nonFatalErrors', 'grafting', 'fullTextSearch', 'aggregations', 'bytesAsIds', 'declaredEthCalls', 'immutableEntities', 'ipfsOnEthereumContracts'];

/**
 * What graph-node's `subgraphFeatures` answers (SubgraphManifest::deployment_features and the
 * index-node resolver): the declared features, then those it detects appended (even when also
 * declared, as graph-node does).
 */
export function subgraphFeaturesOf(manifest: SubgraphManifest, schema: SubgraphSchema): SubgraphFeatures {
  const features = [...new Set(manifest.features)].sort((a, b) => FEATURE_ORDER.indexOf(a) - FEATURE_ORDER.indexOf(b));
  const entities = [...schema.entities.values()];
  // declared eth calls and @aggregation are refused by this indexer's manifest and schema loaders
  if (entities.some((e) => e.immutable)) features.push('immutableEntities');
  if (entities.some((e) => e.idType === 'Bytes')) features.push('bytesAsIds');
  const all = [...manifest.dataSources, ...manifest.templates];
  const apiVersions = new Set(all.map((d) => d.mapping.apiVersion));
  const handlers = new Set<string>();
  for (const ds of manifest.dataSources) if (ds.mapping.eventHandlers.length > 0) handlers.add('event');
  return {
    specVersion: manifest.specVersion,
    apiVersion: apiVersions.size === 1 ? [...apiVersions][0]! : null,
    features,
    dataSources: [...new Set(all.map((d) => d.kind))],
    handlers: [...handlers],
    network: manifest.dataSources[0]?.network ?? null,
  };
}
