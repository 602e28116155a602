// What graph-node checks of a subgraph against its manifest's `specVersion` and `features:`
// before it runs it, with graph-node's words: the spec versions it supports
// (SubgraphManifest::resolve), what a spec version must be for the schema (InputSchema::parse:
// `@aggregation` and `id: Int8` from 1.1.0) and for a data source (its min_spec_version: topic
// filters from 1.2.0), and features used without being declared (validate_subgraph_features,
// from spec version 0.0.4). graph-node names the subgraph by its deployment id; here the
// manifest's path stands in, as the id is not computed to load a subgraph.
import { ManifestError } from './runtime/errors.ts';
import type { SubgraphSchema } from './schema.ts';

/** graph-node's MIN_SPEC_VERSION and the default of GRAPH_MAX_SPEC_VERSION (its LATEST_VERSION) */
export const MIN_SPEC_VERSION = '0.0.2';
export const MAX_SPEC_VERSION = '1.5.0';

type Version = readonly [number, number, number];

function parseVersion(v: string): Version | null {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: Version, b: string): number {
  const v = parseVersion(b)!;
  for (let i = 0; i < 3; i++) if (a[i] !== v[i]) return a[i]! - v[i]!;
  return 0;
}

const below = (a: Version, b: string): boolean => compare(a, b) < 0;

/** what graph-node needs of the manifest: `specVersion`, `file` and the data sources' handlers */
export interface SpecManifest {
  specVersion: string;
  file: string;
  dataSources: readonly { name: string; mapping: { eventHandlers: readonly { topic1?: unknown; topic2?: unknown; topic3?: unknown }[] } }[];
}

/** The `features:` the manifest declares (graph-node's SubgraphFeature names). */
/** graph-node's features of a subgraph that must be declared (features.rs detect_features, those this indexer can see). */
function usedFeatures(schema: SubgraphSchema, declared: readonly string[]): string[] {
  // in graph-node's SubgraphFeature order, as its BTreeSet lists them
  const used: string[] = [];
  if (declared.includes('nonFatalErrors')) used.push('nonFatalErrors');
  if (schema.fulltexts.length > 0) used.push('fullTextSearch');
  return used;
}

/** Refuses, as graph-node does, a subgraph its spec version or its declared features do not allow. */
export function checkSpecVersion(manifest: SpecManifest, schema: SubgraphSchema, declared: readonly string[]): void {
  const id = manifest.file;
  const fail = (message: string): never => {
    throw new ManifestError(`${manifest.file}: ${message}`);
  };
  const spec = manifest.specVersion;
  const version = parseVersion(spec);
  if (!version) return fail(`specVersion ${JSON.stringify(spec)} is not a version (major.minor.patch, e.g. ${MAX_SPEC_VERSION})`);
  if (below(version, MIN_SPEC_VERSION) || compare(version, MAX_SPEC_VERSION) > 0) {
    fail(`This Graph Node only supports manifest spec versions between ${MIN_SPEC_VERSION} and ${MAX_SPEC_VERSION}, but subgraph \`${id}\` uses \`${spec}\``);
  }

  const errors: string[] = [];
  const migrate = 'please migrate the subgraph to the latest version';
  if (below(version, '1.1.0')) {
    for (const e of schema.entities.values()) {
      if (e.idType === 'Int8') errors.push(`Using Int8 as the type for the \`id\` field is not supported with spec version ${spec}; ${migrate}`);
    }
    if (schema.aggregations.size > 0) errors.push(`Aggregations are not supported with spec version ${spec}; ${migrate}`);
  }
  if (errors.length > 0) fail(`Validation errors in subgraph \`${id}\`:\n${errors.map((e, n) => `  (${n + 1}) - ${e}`).join('\n')}`);

  for (const ds of manifest.dataSources) {
    const topics = ds.mapping.eventHandlers.some((h) => h.topic1 !== undefined || h.topic2 !== undefined || h.topic3 !== undefined);
    if (topics && below(version, '1.2.0')) fail(`Subgraph \`${id}\` uses spec version ${spec}, but data source \`${ds.name}\` requires at least version 1.2.0`);
  }

  if (below(version, '0.0.4')) return;
  const undeclared = usedFeatures(schema, declared).filter((f) => !declared.includes(f));
  if (undeclared.length > 0) fail(`The feature \`${undeclared.join(', ')}\` is used by the subgraph but it is not declared in the manifest.`);
}
