// Loading a built subgraph (what `graph build` writes: subgraph.yaml, schema, ABIs, WASM) into
// a manifest the sync engine can filter logs with and a runtime that runs its handlers.
// Features this indexer does not implement are refused up front, by name.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EventFragment, FunctionFragment, Interface, getAddress, id as keccakText } from 'ethers';
import { parse as parseYaml } from 'yaml';
import { loadSchema, type SubgraphSchema } from './schema.ts';
import type { EntityData, Value } from './types.ts';
import { ManifestError } from './runtime/errors.ts';
import { checkSpecVersion } from './manifest-spec.ts';
import { SubgraphRuntime, type RuntimeOptions } from './runtime/runtime.ts';
import { parseCallDecls, specAtLeast } from './runtime/declared-calls.ts';
import type { AbiDef, BlockFilter, BlockHandlerDef, CallHandlerDef, DataSourceDef, EventHandlerDef, SubgraphManifest } from './manifest-types.ts';

export { ManifestError };
export type { AbiDef, BlockFilter, BlockHandlerDef, CallHandlerDef, DataSourceDef, EventHandlerDef, SubgraphManifest } from './manifest-types.ts';

export interface LoadedSubgraph {
  manifest: SubgraphManifest;
  schema: SubgraphSchema;
  runtime: SubgraphRuntime;
}

const SUPPORTED_API_VERSIONS = ['0.0.5', '0.0.6', '0.0.7', '0.0.8', '0.0.9'];
/** graph-node's SubgraphFeature names (graph/src/data/subgraph/features.rs) */
const KNOWN_FEATURES = ['nonFatalErrors', 'grafting', 'fullTextSearch', 'aggregations', 'bytesAsIds', 'declaredEthCalls', 'immutableEntities', 'ipfsOnEthereumContracts', 'nonDeterministicIpfs'];

type Yaml = Record<string, unknown>;

function isObject(v: unknown): v is Yaml {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `dir` may be a built subgraph directory, a subgraph project (its `build/` is used) or the yaml file. */
export function resolveManifestFile(dirOrFile: string): string {
  const p = resolve(dirOrFile);
  if (!existsSync(p)) throw new ManifestError(`subgraph not found: ${p} does not exist`);
  if (statSync(p).isFile()) return p;
  for (const candidate of [join(p, 'subgraph.yaml'), join(p, 'build', 'subgraph.yaml')]) {
    if (existsSync(candidate) && isBuilt(candidate)) return candidate;
  }
  if (existsSync(join(p, 'subgraph.yaml'))) {
    throw new ManifestError(
      `${join(p, 'subgraph.yaml')} is a source manifest (its mappings are not compiled): run \`graph build\` and point at the build directory`,
    );
  }
  throw new ManifestError(`no subgraph.yaml in ${p} or ${join(p, 'build')}`);
}

function isBuilt(file: string): boolean {
  try {
    const doc = parseYaml(readFileSync(file, 'utf8')) as Yaml;
    const ds = [...(Array.isArray(doc?.dataSources) ? doc.dataSources : []), ...(Array.isArray(doc?.templates) ? doc.templates : [])];
    return ds.every((d) => !isObject(d) || !isObject(d.mapping) || typeof d.mapping.file !== 'string' || d.mapping.file.endsWith('.wasm'));
  } catch {
    return true; // let the real parse report the problem
  }
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ManifestError(`${what} must be a non-empty string`);
  return v;
}

function blockNumber(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new ManifestError(`${what} must be a block number, got ${JSON.stringify(v)}`);
  return n;
}

/** graph-node's data source context entries: `{ type, data }` */
function contextValue(v: unknown, what: string): Value {
  if (!isObject(v) || typeof v.type !== 'string') throw new ManifestError(`${what}: context entries need \`type\` and \`data\``);
  const data = v.data;
  switch (v.type) {
    case 'Bool':
    case 'Boolean':
      return { kind: 'Bool', value: data === true || data === 'true' };
    case 'String':
      return { kind: 'String', value: String(data) };
    case 'Int':
      return { kind: 'Int', value: Number(data) };
    case 'Int8':
      return { kind: 'Int8', value: BigInt(data as string | number) };
    case 'BigInt':
      return { kind: 'BigInt', value: BigInt(data as string | number) };
    case 'BigDecimal':
      return { kind: 'BigDecimal', value: String(data) };
    case 'Bytes': {
      const hex = String(data);
      if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new ManifestError(`${what}: Bytes context value must be 0x-hex`);
      return { kind: 'Bytes', value: Uint8Array.from(Buffer.from(hex.slice(2), 'hex')) };
    }
    case 'List':
      if (!Array.isArray(data)) throw new ManifestError(`${what}: List context value must be a list`);
      return { kind: 'List', value: data.map((d, i) => contextValue(d, `${what}[${i}]`)) };
    case 'Null':
      return { kind: 'Null' };
    default:
      throw new ManifestError(`${what}: unsupported context type ${v.type}`);
  }
}

/** `Name(indexed type,type)` as graph-node writes event signatures, from an ABI event */
function manifestSignature(f: EventFragment, withIndexed: boolean): string {
  return `${f.name}(${f.inputs.map((p) => `${withIndexed && p.indexed ? 'indexed ' : ''}${p.format('sighash')}`).join(',')})`;
}

function topicList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((t) => {
    const s = String(t).toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(s)) throw new ManifestError(`${what}: topic filters must be 32-byte 0x-hex values, got ${String(t)}`);
    return s;
  });
}

/** `blockHandlers` with graph-node's validation (DataSource::validate): one of each kind at most, no unfiltered one next to polling/once. */
function parseBlockHandlers(raw: unknown, at: (s: string) => string): BlockHandlerDef[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ManifestError(at('mapping.blockHandlers must be a list'));
  const out = raw.map((h, j): BlockHandlerDef => {
    if (!isObject(h)) throw new ManifestError(at(`mapping.blockHandlers[${j}] must be a mapping`));
    const handler = str(h.handler, at(`mapping.blockHandlers[${j}].handler`));
    if (h.filter === undefined || h.filter === null) return { handler, filter: { kind: 'every' } };
    if (!isObject(h.filter)) throw new ManifestError(at(`block handler ${handler}: filter must be a mapping with \`kind\``));
    const kind = h.filter.kind;
    if (kind === 'call' || kind === 'once') return { handler, filter: { kind } };
    if (kind === 'polling') {
      const every = Number(h.filter.every);
      if (!Number.isSafeInteger(every) || every < 1 || every > 0xffffffff) {
        throw new ManifestError(at(`block handler ${handler}: polling filter needs \`every\`, a positive integer, got ${JSON.stringify(h.filter.every)}`));
      }
      return { handler, filter: { kind, every } };
    }
    throw new ManifestError(at(`block handler ${handler}: unknown filter kind ${JSON.stringify(kind)} (expected call, once or polling)`));
  });
  const count = (k: BlockFilter['kind']) => out.filter((b) => b.filter.kind === k).length;
  if (count('every') > 0 && (count('polling') > 0 || count('once') > 0)) {
    throw new ManifestError(at('data source has a combination of filtered and non-filtered block handlers that is not allowed'));
  }
  if ((['every', 'call', 'once', 'polling'] as const).some((k) => count(k) > 1)) throw new ManifestError(at('data source has duplicated block handlers'));
  return out;
}

/** Parse and check a built manifest (no WASM compiled yet). */
export function readManifest(dirOrFile: string): SubgraphManifest {
  const file = resolveManifestFile(dirOrFile);
  const dir = dirname(file);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ManifestError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new ManifestError(`${file}: expected a YAML mapping at the top level`);
  const where = (s: string) => `${file}: ${s}`;

  const unsupported: string[] = [];
  if (isObject(doc.graft)) unsupported.push('grafting (`graft`)');

  const features: string[] = [];
  for (const f of Array.isArray(doc.features) ? doc.features : doc.features === undefined || doc.features === null ? [] : [doc.features]) {
    // graph-node's wording (SubgraphFeature::from_str)
    if (typeof f !== 'string' || !KNOWN_FEATURES.includes(f)) throw new ManifestError(where(`Invalid subgraph feature: ${String(f)}`));
    features.push(f === 'nonDeterministicIpfs' ? 'ipfsOnEthereumContracts' : f);
  }

  if (!isObject(doc.schema)) throw new ManifestError(where('`schema.file` is missing'));
  const schemaFile = resolve(dir, str(doc.schema.file, where('schema.file')));
  if (!Array.isArray(doc.dataSources) || doc.dataSources.length === 0) throw new ManifestError(where('`dataSources` must be a non-empty list'));

  const parse = (list: unknown[], what: 'dataSources' | 'templates'): DataSourceDef[] => {
    const out: DataSourceDef[] = [];
    const names = new Set<string>();
    for (const [i, raw] of list.entries()) {
      if (!isObject(raw)) throw new ManifestError(where(`${what}[${i}] must be a mapping`));
      const name = str(raw.name, where(`${what}[${i}].name`));
      const at = (s: string) => where(`${what === 'templates' ? 'template' : 'data source'} ${name}: ${s}`);
      if (names.has(name)) throw new ManifestError(at(`duplicate ${what === 'templates' ? 'template' : 'data source'} name`));
      names.add(name);
      const ds = parseEthereumSource(raw, name, dir, at, unsupported, what === 'templates', String(doc.specVersion ?? ''), where);
      if (ds) out.push(ds);
    }
    return out;
  };
  const dataSources = parse(doc.dataSources, 'dataSources');
  const templates = parse(Array.isArray(doc.templates) ? doc.templates : [], 'templates');
  if (unsupported.length > 0) {
    throw new ManifestError(where(`uses features this indexer does not support: ${unsupported.join('; ')}`));
  }
  return {
    specVersion: String(doc.specVersion ?? ''),
    features,
    file,
    dir,
    schemaFile,
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
    dataSources,
    templates,
  };
}

/** One `ethereum` data source or template; null (with a reason in `unsupported`) for other kinds. */
function parseEthereumSource(
  raw: Yaml,
  name: string,
  dir: string,
  at: (s: string) => string,
  unsupported: string[],
  template: boolean,
  specVersion: string,
  where: (s: string) => string,
): DataSourceDef | null {
  const what = template ? 'template' : 'data source';
  const kind = str(raw.kind, at('kind'));
  if (kind !== 'ethereum' && kind !== 'ethereum/contract') {
    unsupported.push(`${what} ${name} of kind \`${kind}\`${kind.startsWith('file/') ? ' (file data sources)' : ''}`);
    return null;
  }
  const source = isObject(raw.source) ? raw.source : {};
  const mapping = raw.mapping;
  if (!isObject(mapping)) throw new ManifestError(at('`mapping` is missing'));
  const blockHandlers = parseBlockHandlers(mapping.blockHandlers, at);
  if (template && blockHandlers.length > 0) unsupported.push(`block handlers (${what} ${name})`);
  if (template && Array.isArray(mapping.callHandlers) && mapping.callHandlers.length > 0) unsupported.push(`call handlers (${what} ${name})`);

  let address: string | null = null;
  if (!template && source.address !== undefined && source.address !== null) {
    try {
      address = getAddress(String(source.address)).toLowerCase();
    } catch {
      throw new ManifestError(at(`source.address ${JSON.stringify(source.address)} is not an Ethereum address`));
    }
  }
  const apiVersion = String(mapping.apiVersion ?? '');
  if (!SUPPORTED_API_VERSIONS.includes(apiVersion)) {
    throw new ManifestError(at(`mapping.apiVersion ${JSON.stringify(mapping.apiVersion)} is not supported (supported: ${SUPPORTED_API_VERSIONS.join(', ')})`));
  }
  const language = String(mapping.language ?? 'wasm/assemblyscript');
  if (language !== 'wasm/assemblyscript') throw new ManifestError(at(`mapping.language ${language} is not supported`));
  const wasmFile = resolve(dir, str(mapping.file, at('mapping.file')));
  if (!wasmFile.endsWith('.wasm')) throw new ManifestError(at(`mapping.file ${wasmFile} is not compiled WASM: point at the \`graph build\` output`));

  const abiName = str(source.abi, at('source.abi'));
  const abis: AbiDef[] = [];
  for (const [j, a] of (Array.isArray(mapping.abis) ? mapping.abis : []).entries()) {
    if (!isObject(a)) throw new ManifestError(at(`mapping.abis[${j}] must be a mapping`));
    const abiFile = resolve(dir, str(a.file, at(`mapping.abis[${j}].file`)));
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(abiFile, 'utf8'));
    } catch (err) {
      throw new ManifestError(at(`cannot read ABI ${abiFile}: ${(err as Error).message}`));
    }
    // truffle/hardhat artifacts keep the ABI under `abi`
    const list = isObject(json) && Array.isArray(json.abi) ? json.abi : json;
    let iface: Interface;
    try {
      iface = new Interface(list as never);
    } catch (err) {
      throw new ManifestError(at(`ABI ${abiFile} is not a valid contract ABI: ${(err as Error).message}`));
    }
    abis.push({ name: str(a.name, at(`mapping.abis[${j}].name`)), file: abiFile, abi: iface });
  }
  const abi = abis.find((a) => a.name === abiName);
  if (!abi) throw new ManifestError(at(`source.abi ${abiName} is not among mapping.abis (${abis.map((a) => a.name).join(', ') || 'none'})`));

  const eventHandlers: EventHandlerDef[] = [];
  const events: EventFragment[] = [];
  abi.abi.forEachEvent((e) => events.push(e));
  for (const [j, h] of (Array.isArray(mapping.eventHandlers) ? mapping.eventHandlers : []).entries()) {
    if (!isObject(h)) throw new ManifestError(at(`mapping.eventHandlers[${j}] must be a mapping`));
    const event = str(h.event, at(`mapping.eventHandlers[${j}].event`));
    const handler = str(h.handler, at(`mapping.eventHandlers[${j}].handler`));
    const fragment = eventWithSignature(events, event);
    if (!fragment) {
      throw new ManifestError(
        at(`event \`${event}\` of handler ${handler} does not match any event of ABI ${abiName} (${events.map((e) => manifestSignature(e, true)).join(', ') || 'no events'})`),
      );
    }
    let topic0: string;
    if (h.topic0 !== undefined && h.topic0 !== null) {
      // graph-node reads `topic0` as one 32-byte hash (it does not left-pad it like topic1-3)
      const t = String(h.topic0).toLowerCase();
      if (!/^0x[0-9a-f]{64}$/.test(t)) throw new ManifestError(at(`${handler}.topic0 must be a 32-byte 0x-hex value, got ${String(h.topic0)}`));
      topic0 = t;
    } else {
      topic0 = keccakText(event.replaceAll('indexed ', '').replaceAll(' ', '')).toLowerCase();
    }
    eventHandlers.push({
      event,
      topic0,
      anonymous: fragment.anonymous,
      handler,
      receipt: h.receipt === true,
      ...(h.topic1 !== undefined ? { topic1: topicList(h.topic1, at(`${handler}.topic1`)) } : {}),
      ...(h.topic2 !== undefined ? { topic2: topicList(h.topic2, at(`${handler}.topic2`)) } : {}),
      ...(h.topic3 !== undefined ? { topic3: topicList(h.topic3, at(`${handler}.topic3`)) } : {}),
      fragment,
      calls: parseCallDecls(h.calls, { specVersion, abis, event: fragment, eventSignature: event, where: at }),
    });
  }
  const callHandlers: CallHandlerDef[] = [];
  for (const [j, h] of (!template && Array.isArray(mapping.callHandlers) ? mapping.callHandlers : []).entries()) {
    if (!isObject(h)) throw new ManifestError(at(`mapping.callHandlers[${j}] must be a mapping`));
    const fn = str(h.function, at(`mapping.callHandlers[${j}].function`));
    const handler = str(h.handler, at(`mapping.callHandlers[${j}].handler`));
    // graph-node's contract_function_with_signature: `name(types)` against the source ABI
    const wanted = fn.replace(/\s+/g, '');
    let fragment: FunctionFragment | undefined;
    abi.abi.forEachFunction((f) => {
      if (!fragment && f.format('sighash') === wanted) fragment = f;
    });
    if (!fragment) throw new ManifestError(at(`Function with the signature "${fn}" not found in contract "${abiName}" of data source "${name}"`));
    callHandlers.push({ function: fn, handler, fragment, selector: keccakText(fn).slice(0, 10) });
  }
  if (eventHandlers.length === 0 && blockHandlers.length === 0 && callHandlers.length === 0 && unsupported.length === 0) throw new ManifestError(at('has no event handlers'));
  if (callHandlers.length > 0 && address === null) throw new ManifestError(at('subgraph source address is required'));
  if (!template && blockHandlers.length > 0) {
    if (address === null) throw new ManifestError(at('subgraph source address is required'));
    if (blockHandlers.some((b) => b.filter.kind === 'polling' || b.filter.kind === 'once') && !specAtLeast(specVersion, '0.0.8')) {
      throw new ManifestError(where(`Subgraph uses spec version ${specVersion}, but data source \`${name}\` requires at least version 0.0.8`));
    }
  }

  let context: EntityData | null = null;
  if (!template && isObject(raw.context)) {
    context = {};
    for (const [k, v] of Object.entries(raw.context)) context[k] = contextValue(v, at(`context.${k}`));
  }

  return {
    kind,
    name,
    network: str(raw.network ?? 'mainnet', at('network')),
    address,
    abi: abiName,
    startBlock: template ? 0 : blockNumber(source.startBlock, at('source.startBlock')),
    endBlock: template || source.endBlock === undefined || source.endBlock === null ? null : blockNumber(source.endBlock, at('source.endBlock')),
    abis,
    context,
    mapping: {
      kind: String(mapping.kind ?? 'ethereum/events'),
      apiVersion,
      language,
      file: wasmFile,
      entities: Array.isArray(mapping.entities) ? mapping.entities.map(String) : [],
      eventHandlers,
      blockHandlers,
      callHandlers,
    },
  };
}

/**
 * graph-node's contract_event_with_signature: the ABI event whose `Name(indexed type,type)`
 * equals the manifest's, else the only event of that name if the signature matches it with the
 * `indexed` markers left out.
 */
function eventWithSignature(events: EventFragment[], signature: string): EventFragment | undefined {
  const wanted = signature.replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1').trim();
  const exact = events.find((e) => manifestSignature(e, true) === wanted);
  if (exact) return exact;
  const sameName = events.filter((e) => e.name === wanted.slice(0, Math.max(0, wanted.indexOf('('))));
  return sameName.length === 1 && manifestSignature(sameName[0]!, false) === wanted ? sameName[0] : undefined;
}

/** Read a built subgraph: manifest, schema and a runtime with its WASM compiled. */
export function loadSubgraph(dirOrFile: string, options: RuntimeOptions = {}): LoadedSubgraph {
  const manifest = readManifest(dirOrFile);
  if (!existsSync(manifest.schemaFile)) throw new ManifestError(`${manifest.file}: schema file ${manifest.schemaFile} does not exist`);
  const schema = loadSchema(manifest.schemaFile);
  for (const ds of [...manifest.dataSources, ...manifest.templates]) {
    for (const e of ds.mapping.entities) {
      if (!schema.entities.has(e) && !schema.interfaces.has(e)) {
        throw new ManifestError(`${manifest.file}: ${manifest.templates.includes(ds) ? 'template' : 'data source'} ${ds.name} lists entity ${e}, which the schema does not define`);
      }
    }
  }
  checkSpecVersion(manifest, schema, manifest.features);
  const runtime = new SubgraphRuntime(manifest, schema, options);
  return { manifest, schema, runtime };
}
