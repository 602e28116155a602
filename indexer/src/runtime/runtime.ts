/// <reference path="./wasm.d.ts" />
// Runs a subgraph's compiled WASM handlers over a block's logs, graph-node style: each module is
// compiled once, each trigger starts from a fresh instance state (the AssemblyScript stub runtime
// never frees memory, and fresh state keeps mapping globals from leaking between triggers; see
// instance.ts for how that is made cheap), and an entity cache spans the block so the block
// yields one net change per entity.
import { readFileSync } from 'node:fs';
import type { DataSourceDef, EventHandlerDef, SubgraphManifest } from '../manifest-types.ts';
import type { SubgraphSchema } from '../schema.ts';
import type { EntityChange, EntityReader, RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../types.ts';
import { EntityCache } from './entity-cache.ts';
import { HandlerError, HostError, ManifestError } from './errors.ts';
import { decodeLogParams, layoutFor, writeEvent, type ApiLayout, type DecodedParam } from './ethereum-event.ts';
import { ClassIds, type AscHeap } from './heap.ts';
import { ModuleInstance } from './instance.ts';
import { exportMutableGlobals } from './wasm-globals.ts';
import type { DataSourceInfo, HostContext, HostFns, LogLevel } from './host/context.ts';
import { conversionHost } from './host/conversion.ts';
import { ethereumHost } from './host/ethereum.ts';
import { ethereumCallHost, type CallAnswer, type CallRequest, type CallSite, type ChainReader } from './host/ethereum-call.ts';
import { declaredCallRequests } from './declared-calls.ts';
import { blockHandlerFor, callHandlersFor, withCallToTriggers, type BlockTriggerType } from './triggers.ts';
import { hexBytes, writeBlock, writeTransaction } from './ethereum-event.ts';
import { coder, fromEthers, writeEthValue } from './ethereum-values.ts';
import type { BlockCalls, TracedCall } from '../sync/traces.ts';
import type { CallHandlerDef } from '../manifest-types.ts';
import { jsonHost } from './host/json.ts';
import { logHost, refusedHost } from './host/misc.ts';
import { DynamicDataSources, dataSourceHost, type CreateRequest, type DynamicDataSource } from './host/data-source.ts';
import { numbersHost } from './host/numbers.ts';
import { storeHost } from './host/store.ts';

export interface MappingLogEntry {
  level: LogLevel;
  message: string;
  dataSource: string;
  handler: string;
  block: number;
  logIndex: number;
}

export interface RuntimeOptions {
  /** where mapping `log.*` output goes; default: JSON lines on stderr for info and above */
  logger?: (entry: MappingLogEntry) => void;
  /**
   * false: instantiate every trigger anew, as graph-node literally does (slow here); default true:
   * reset one instance to its post-`_start` state between triggers, with the same result
   */
  reuseInstances?: boolean;
  /** what ethereum.call, getBalance and hasCode read (indexer: sync/chain-reader.ts); none = they fail */
  chain?: ChainSource | null;
}

/** A ChainReader that can also fetch a block's declared calls ahead of its handlers. */
export interface ChainSource extends ChainReader {
  prefetch?(block: { number: number; hash: string }, reqs: CallRequest[]): Promise<CallAnswer[]>;
}

/** host imports that read the chain: a subgraph without them needs no chain reader */
const CHAIN_IMPORTS = ['ethereum.call', 'ethereum.getBalance', 'ethereum.hasCode'];

export interface ProcessBlockOptions {
  /** receipts by lowercase transaction hash, for handlers declared with `receipt: true` */
  receipts?: Map<string, RpcReceipt>;
  /**
   * Handlers of this block created data sources: their logs in this block, which the caller's
   * filter did not ask for (sync fetches them, adding their transactions to `block` and receipts
   * to `receipts`). Without it the block's `logs` are taken to hold them already (a replay of
   * stored chain data).
   */
  logsFor?: (created: DynamicDataSource[]) => Promise<RpcLog[]>;
  /**
   * For a subgraph declaring `features: [nonFatalErrors]`: a handler's deterministic error goes
   * here instead of failing the block; that handler's writes (and data sources) are discarded and
   * the block's other handlers run on, as graph-node does. Without it errors always throw.
   */
  nonFatalErrors?: HandlerError[];
  /** the block's traced calls, for call handlers and call-filtered block handlers (processBlock fetches them) */
  calls?: BlockCalls;
}

/** Where processBlock gets a block's calls (the indexer's: sync/traces.ts). */
export interface CallSource {
  calls(blockHash: string): Promise<BlockCalls>;
}

interface Trigger {
  ds: DataSourceDef;
  info: DataSourceInfo;
  handler: EventHandlerDef;
  module: CompiledModule;
  layout: ApiLayout;
  /** topics the log must carry: one per indexed parameter, plus the signature unless anonymous */
  topics: number;
  /** the event signature's hash topic0 must equal (null: anonymous); ethers hashes it on every read */
  signature: string | null;
  /** the data source created from a template, if it is one */
  dynamic: DynamicDataSource | null;
}

/** what running any handler of a data source needs */
interface HandlerSource {
  ds: DataSourceDef;
  info: DataSourceInfo;
  module: CompiledModule;
  layout: ApiLayout;
}

interface CompiledModule {
  file: string;
  module: WebAssembly.Module;
  classIds: ClassIds;
  imports: WebAssembly.Imports;
  unimplemented: string[];
  /** the mutable globals exported for resets, or null when the binary could not be rewritten */
  globalNames: string[] | null;
  /** the instance triggers run in, reset between them when possible */
  instance: ModuleInstance | null;
}

function defaultLogger(entry: MappingLogEntry): void {
  if (entry.level === 'debug') return;
  process.stderr.write(`${JSON.stringify({ level: entry.level, msg: entry.message, component: 'mapping', dataSource: entry.dataSource, handler: entry.handler, block: entry.block, logIndex: entry.logIndex })}\n`);
}

class TriggerContext implements HostContext {
  heapRef: AscHeap | null = null;
  cacheRef: EntityCache | null = null;
  dataSourceRef: DataSourceInfo | null = null;
  /** `_start` is running: what it reads from the trigger must not be baked into a snapshot */
  starting = false;
  touchedTriggerDuringStart = false;
  logger: (entry: MappingLogEntry) => void;
  where = { handler: '', block: 0, logIndex: 0 };
  /** dataSource.create calls of the running handler, then of the block's finished handlers */
  handlerCreated: CreateRequest[] = [];
  blockCreated: CreateRequest[] = [];
  templateNames: readonly string[] = [];

  constructor(logger: (entry: MappingLogEntry) => void) {
    this.logger = logger;
  }

  get heap(): AscHeap {
    if (!this.heapRef) throw new HostError('host function called outside of a handler');
    return this.heapRef;
  }
  get cache(): EntityCache {
    if (this.starting) this.touchedTriggerDuringStart = true;
    if (!this.cacheRef) throw new HostError('host function called outside of a handler');
    return this.cacheRef;
  }
  get dataSource(): DataSourceInfo {
    if (this.starting) this.touchedTriggerDuringStart = true;
    if (!this.dataSourceRef) throw new HostError('host function called outside of a handler');
    return this.dataSourceRef;
  }
  log(level: LogLevel, message: string): void {
    this.logger({ level, message, dataSource: this.dataSourceRef?.name ?? '', ...this.where });
  }
  requestCreate(request: CreateRequest): void {
    if (this.starting) this.touchedTriggerDuringStart = true;
    this.handlerCreated.push(request);
  }
}

const addressBytes = (address: string | null): Uint8Array =>
  address === null ? new Uint8Array(0) : Uint8Array.from(Buffer.from(address.slice(2), 'hex'));

export class SubgraphRuntime {
  readonly manifest: SubgraphManifest;
  readonly schema: SubgraphSchema;
  /** some handler declares `receipt: true`: sync must pass receipts for blocks with logs */
  readonly needsReceipts: boolean;
  /** handlers see `event.transaction`: blocks must carry full transaction objects */
  readonly needsTransactions = true;
  /** host imports the modules declare that this runtime does not implement (they fail when called) */
  readonly unimplementedImports: string[];

  private readonly ctx: TriggerContext;
  private readonly reuseInstances: boolean;
  private readonly host: HostFns;
  private readonly modules = new Map<string, CompiledModule>();
  /** `${address}|${topic0}` (address `*` for data sources without one) → triggers in manifest order */
  private readonly routes = new Map<string, Trigger[]>();
  /** the same for data sources created from templates, in creation order */
  private readonly dynamicRoutes = new Map<string, Trigger[]>();
  /** data sources created from templates (runtime/host/data-source.ts) */
  readonly dataSources: DynamicDataSources;
  /** the manifest declares `features: [nonFatalErrors]` */
  readonly errorsAreNonFatal: boolean;
  private chain: ChainSource | null;
  /** the trigger running now, for the chain-reading host functions */
  private site: CallSite | null = null;
  /** data sources with block handlers, in manifest order */
  private readonly blockSources: HandlerSource[] = [];
  private callSource: CallSource | null = null;
  /** some data source has call handlers or a call-filtered block handler: blocks need their traces */
  readonly needsCalls: boolean;
  private readonly callsFrom: number;
  /** some module imports ethereum.call, getBalance or hasCode */
  readonly readsChain: boolean;
  private readonly hasDeclaredCalls: boolean;

  constructor(manifest: SubgraphManifest, schema: SubgraphSchema, options: RuntimeOptions = {}) {
    this.manifest = manifest;
    this.schema = schema;
    this.ctx = new TriggerContext(options.logger ?? defaultLogger);
    this.reuseInstances = options.reuseInstances ?? true;
    this.chain = options.chain ?? null;
    this.host = {
      ...storeHost(this.ctx),
      ...numbersHost(this.ctx),
      ...conversionHost(this.ctx),
      ...ethereumHost(this.ctx),
      ...ethereumCallHost(
        this.ctx,
        () => {
          if (!this.site) throw new HostError('host function called outside of a handler');
          return this.site;
        },
        () => this.chain,
      ),
      ...jsonHost(this.ctx),
      ...logHost(this.ctx),
      ...dataSourceHost(this.ctx, this.ctx),
      ...refusedHost(),
    };
    this.ctx.templateNames = manifest.templates.map((t) => t.name);
    this.errorsAreNonFatal = manifest.features.includes('nonFatalErrors');
    for (const ds of manifest.dataSources) {
      for (const trigger of this.triggersOf(ds, null)) {
        const key = `${ds.address ?? '*'}|${trigger.handler.topic0}`;
        const list = this.routes.get(key) ?? [];
        list.push(trigger);
        this.routes.set(key, list);
      }
      if (ds.mapping.blockHandlers.length > 0 || ds.mapping.callHandlers.length > 0) {
        const src = this.sourceOf(ds);
        for (const handler of [...ds.mapping.blockHandlers, ...ds.mapping.callHandlers]) {
          if (!src.exported.has(handler.handler)) {
            throw new ManifestError(`data source ${ds.name}: handler \`${handler.handler}\` is not exported by ${ds.mapping.file}`);
          }
        }
        this.blockSources.push(src);
      }
    }
    // templates are compiled and checked up front, not when a handler first uses one
    for (const t of manifest.templates) this.triggersOf(t, null);
    this.dataSources = new DynamicDataSources(manifest.templates, {
      onAdd: (dyn, template) => {
        for (const trigger of this.triggersOf({ ...template, address: dyn.address, startBlock: dyn.creationBlock, endBlock: null, context: dyn.context }, dyn)) {
          const key = `${dyn.address}|${trigger.handler.topic0}`;
          const list = this.dynamicRoutes.get(key) ?? [];
          list.push(trigger);
          this.dynamicRoutes.set(key, list);
        }
      },
      onReset: () => this.dynamicRoutes.clear(),
    });
    this.needsReceipts = [...manifest.dataSources, ...manifest.templates].some((ds) => ds.mapping.eventHandlers.some((h) => h.receipt));
    this.unimplementedImports = [...new Set([...this.modules.values()].flatMap((m) => m.unimplemented))].sort();
    const traced = manifest.dataSources.filter((ds) => ds.mapping.callHandlers.length > 0 || ds.mapping.blockHandlers.some((h) => h.filter.kind === 'call'));
    this.needsCalls = traced.length > 0;
    this.callsFrom = Math.min(...traced.map((ds) => ds.startBlock));
    this.hasDeclaredCalls = [...manifest.dataSources, ...manifest.templates].some((ds) => ds.mapping.eventHandlers.some((h) => h.calls.length > 0));
    this.readsChain = [...this.modules.values()].some((m) => WebAssembly.Module.imports(m.module).some((i) => CHAIN_IMPORTS.includes(i.name)));
  }

  /** Where processBlock gets the calls of a block (needsCalls). */
  setCallSource(source: CallSource | null): void {
    this.callSource = source;
  }

  /** Where ethereum.call and friends read the chain (set once the indexer has its RPC client). */
  setChainReader(chain: ChainSource | null): void {
    this.chain = chain;
  }

  /** A data source's compiled module, host-visible info and event layout. */
  private sourceOf(ds: DataSourceDef): HandlerSource & { exported: Set<string> } {
    const module = this.compile(ds.mapping.file);
    const exported = new Set(WebAssembly.Module.exports(module.module).map((e) => e.name));
    const layout = layoutFor(ds.mapping.apiVersion);
    const info: DataSourceInfo = {
      name: ds.name,
      network: ds.network,
      address: addressBytes(ds.address),
      context: ds.context,
      rejectUndefinedFields: layout.patch >= 8,
    };
    return { ds, info, module, layout, exported };
  }

  private triggersOf(ds: DataSourceDef, dynamic: DynamicDataSource | null): Trigger[] {
    const { module, exported, layout, info } = this.sourceOf(ds);
    return ds.mapping.eventHandlers.map((handler) => {
      if (!exported.has(handler.handler)) {
        throw new ManifestError(`${dynamic || this.manifest.templates.includes(ds) ? 'template' : 'data source'} ${ds.name}: handler \`${handler.handler}\` is not exported by ${ds.mapping.file}`);
      }
      const indexed = handler.fragment.inputs.filter((p) => p.indexed).length;
      const signature = handler.anonymous ? null : handler.fragment.topicHash;
      return { ds, info, handler, module, layout, topics: indexed + (handler.anonymous ? 0 : 1), signature, dynamic };
    });
  }

  private compile(file: string): CompiledModule {
    const cached = this.modules.get(file);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new ManifestError(`cannot read WASM file ${file}: ${(err as Error).message}`);
    }
    let module: WebAssembly.Module;
    let globalNames: string[] | null = null;
    try {
      module = new WebAssembly.Module(bytes);
    } catch (err) {
      throw new ManifestError(`${file} is not a valid WASM module: ${(err as Error).message}`);
    }
    try {
      const rewritten = exportMutableGlobals(bytes);
      module = new WebAssembly.Module(rewritten.bytes);
      globalNames = rewritten.names;
    } catch {
      // fall back to a fresh instance per trigger
    }
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    for (const needed of ['memory', '__new', 'id_of_type']) {
      if (!exports.has(needed)) {
        throw new ManifestError(`${file} does not export \`${needed}\`: it is not a graph-ts (apiVersion >= 0.0.5) mapping`);
      }
    }
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    const unimplemented: string[] = [];
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') throw new ManifestError(`${file} imports a ${imp.kind} (${imp.module}.${imp.name}); only host functions are provided`);
      const fn = this.host[imp.name];
      (imports[imp.module] ??= {})[imp.name] =
        fn ??
        (() => {
          throw new HostError(`host function not implemented: ${imp.name}`);
        });
      if (!fn) unimplemented.push(imp.name);
    }
    const compiled: CompiledModule = { file, module, classIds: new ClassIds(), imports, unimplemented, globalNames, instance: null };
    this.modules.set(file, compiled);
    return compiled;
  }

  /**
   * The triggers a log fires: manifest data sources in manifest order, then those created from
   * templates before `block` in creation order (graph-node's host order), each in handler order.
   * `created`: only the triggers of these data sources (created while processing `block`).
   */
  private triggersFor(log: RpcLog, block: number, created?: Set<DynamicDataSource>): Trigger[] {
    const topic0 = log.topics[0]?.toLowerCase();
    if (topic0 === undefined) return [];
    const address = log.address.toLowerCase();
    let all: Trigger[];
    const dynamic = this.dynamicRoutes.get(`${address}|${topic0}`);
    if (created) all = dynamic?.filter((t) => created.has(t.dynamic!)) ?? [];
    else {
      const specific = this.routes.get(`${address}|${topic0}`) ?? [];
      const any = this.routes.get(`*|${topic0}`) ?? [];
      all = any.length === 0 ? specific : [...specific, ...any].sort((a, b) => this.dsIndex(a.ds) - this.dsIndex(b.ds));
      if (dynamic) all = [...all, ...dynamic.filter((t) => t.dynamic!.creationBlock < block)];
    }
    return all.filter((t) => {
      if (block < t.ds.startBlock || (t.ds.endBlock !== null && block > t.ds.endBlock)) return false;
      // what graph-node's event decoding rejects: the wrong topic count, or (not anonymous) another signature
      if (log.topics.length !== t.topics) return false;
      if (t.signature !== null && topic0 !== t.signature) return false;
      const h = t.handler;
      return topicMatches(h.topic1, log.topics[1]) && topicMatches(h.topic2, log.topics[2]) && topicMatches(h.topic3, log.topics[3]);
    });
  }

  private dsIndex(ds: DataSourceDef): number {
    return this.manifest.dataSources.indexOf(ds);
  }

  /** Whether any handler would fire for this log (for callers filtering logs themselves). */
  matches(log: RpcLog, blockNumber: number): boolean {
    return this.triggersFor(log, blockNumber).length > 0;
  }

  /**
   * Run every handler the block's logs trigger, in log order, and return the block's net entity
   * changes. Deterministic failures throw HandlerError; the block then has no changes at all.
   * Data sources the handlers create are indexed from this block on: as graph-node does, once
   * the block's triggers have run, the block's logs are run again through the new data sources
   * only (their handlers in creation order), breadth first until no handler creates another.
   */
  async processBlock(block: RpcBlock, logs: RpcLog[], reader: EntityReader, opts: ProcessBlockOptions = {}): Promise<EntityChange[]> {
    if (this.hasDeclaredCalls && this.chain?.prefetch) await this.prefetchDeclaredCalls(block, logs);
    if (this.needsCalls && !opts.calls && this.callSource && Number(BigInt(block.number)) >= this.callsFrom) {
      opts = { ...opts, calls: await this.callSource.calls(block.hash) };
    }
    // without templates no handler creates a data source: nothing to wait for
    if (this.manifest.templates.length === 0 || !opts.logsFor) return this.processBlockSync(block, logs, reader, opts);
    const steps = this.blockSteps(block, logs, reader, opts);
    let step = steps.next();
    while (!step.done) {
      let extra: RpcLog[];
      try {
        extra = opts.logsFor ? await opts.logsFor(step.value) : [];
      } catch (err) {
        // let the block's own clean-up run (it forgets the data sources it created)
        step = steps.throw(err);
        continue;
      }
      step = steps.next(extra);
    }
    return step.value;
  }

  /** graph-node's DecoderHook: the block's declared calls in one batch, deduplicated, before any handler. */
  private async prefetchDeclaredCalls(block: RpcBlock, logs: RpcLog[]): Promise<void> {
    const number = Number(BigInt(block.number));
    const reqs: CallRequest[] = [];
    const labels: string[] = [];
    for (const log of logs) {
      if (log.removed) continue;
      for (const trigger of this.triggersFor(log, number)) {
        if (trigger.handler.calls.length === 0) continue;
        try {
          reqs.push(...declaredCallRequests(trigger.handler.calls, log.address.toLowerCase(), decodeLogParams(trigger.handler.fragment, log)));
          labels.push(...trigger.handler.calls.map((c) => c.label));
        } catch (err) {
          if (!(err instanceof HostError)) throw err;
          throw this.handlerError(trigger, block, number, log, err);
        }
      }
    }
    if (reqs.length === 0) return;
    const answers = await this.chain!.prefetch!({ number, hash: block.hash.toLowerCase() }, reqs);
    const failed = labels.filter((_, i) => !answers[i]!.ok);
    if (failed.length > 0) {
      const counts = new Map<string, number>();
      for (const l of failed) counts.set(l, (counts.get(l) ?? 0) + 1);
      const summary = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([l, n]) => `${l} (${n} ${n === 1 ? 'time' : 'times'})`).join(', ');
      this.ctx.logger({ level: 'error', message: `Declared calls failed: [${summary}]`, dataSource: '', handler: '', block: number, logIndex: 0 });
    }
  }

  /**
   * processBlock without the promise: handlers run synchronously (usable inside a SQLite
   * transaction); `logs` must hold the logs of data sources created in this block.
   */
  processBlockSync(block: RpcBlock, logs: RpcLog[], reader: EntityReader, opts: ProcessBlockOptions = {}): EntityChange[] {
    const steps = this.blockSteps(block, logs, reader, opts);
    let step = steps.next();
    while (!step.done) step = steps.next([]);
    return step.value;
  }

  /** Yields the data sources created by each round of triggers and takes their extra logs. */
  private *blockSteps(block: RpcBlock, logs: RpcLog[], reader: EntityReader, opts: ProcessBlockOptions): Generator<DynamicDataSource[], EntityChange[], RpcLog[]> {
    const number = Number(BigInt(block.number));
    const cache = new EntityCache(this.schema, reader, number, Number(BigInt(block.timestamp)));
    // log indexes parsed once, not per comparison
    let sorted = sortLogs(logs);
    let txByHash: Map<string, RpcTransaction> | null = null;
    let lastTrigger: { trigger: Trigger; log: RpcLog } | null = null;
    this.ctx.blockCreated = [];
    let created: Set<DynamicDataSource> | undefined;
    const nonFatal = this.errorsAreNonFatal ? opts.nonFatalErrors : undefined;
    /** the last block handler run, when it ran after every log trigger */
    let lastBlockHandler: [string, string] | null = null;
    // call triggers, interleaved with the logs by transaction index (a transaction's logs first)
    const calls = opts.calls?.calls ?? [];
    let nextCall = 0;
    const runCallsBefore = (txIndex: number) => {
      for (; nextCall < calls.length && calls[nextCall]!.transactionIndex < txIndex; nextCall++) {
        for (const { ds, handler } of callHandlersFor(this.manifest.dataSources, calls[nextCall]!, number)) {
          if (!guarded(nonFatal, cache, () => this.runCallTrigger(ds, handler, calls[nextCall]!, cache, block, number, opts.calls!))) continue;
          lastBlockHandler = [ds.name, handler.handler];
        }
      }
    };
    try {
      for (;;) {
        // graph-node's trigger order: once handlers, the logs, then every-block and polling handlers;
        // data sources created in the block take part with their logs only
        const first = created === undefined;
        if (first && this.blockSources.length > 0) lastBlockHandler = this.runBlockTriggers('start', cache, block, number, nonFatal) ?? lastBlockHandler;
        for (const log of sorted) {
          if (log.removed) continue;
          if (first && nextCall < calls.length) runCallsBefore(Number(BigInt(log.transactionIndex)));
          if (log.blockHash.toLowerCase() !== block.hash.toLowerCase()) {
            throw new Error(`log ${log.logIndex} of tx ${log.transactionHash} belongs to block ${log.blockHash}, not ${block.hash}`);
          }
          const triggers = this.triggersFor(log, number, created);
          if (triggers.length > 1) checkOneHandlerPerSource(triggers);
          for (const trigger of triggers) {
            txByHash ??= indexTransactions(block);
            const txHash = log.transactionHash.toLowerCase();
            const transaction = txByHash.get(txHash);
            if (!transaction) {
              throw new Error(`block ${number} (${block.hash}) does not carry transaction ${txHash} as a full object; fetch blocks with full transactions`);
            }
            let receipt: RpcReceipt | null = null;
            if (trigger.handler.receipt && trigger.layout.eventHasReceipt) {
              receipt = opts.receipts?.get(txHash) ?? null;
              if (!receipt) throw new Error(`handler ${trigger.handler.handler} needs the receipt of tx ${txHash} (block ${number}) but none was passed`);
            }
            if (!guarded(nonFatal, cache, () => this.runTrigger(trigger, cache, block, number, log, transaction, receipt))) continue;
            lastTrigger = { trigger, log };
            lastBlockHandler = null;
          }
        }
        if (first) {
          runCallsBefore(Infinity);
          for (const to of calls.length ? withCallToTriggers(this.manifest.dataSources, calls, number) : []) {
            for (const src of this.blockSources) {
              const handler = src.ds.address === to && blockHandlerFor(src.ds, 'call', number);
              if (!handler) continue;
              if (!guarded(nonFatal, cache, () => this.invoke(src, handler.handler, cache, block, number, (heap) => writeBlock(heap, block, src.layout)))) continue;
              lastBlockHandler = [src.ds.name, handler.handler];
            }
          }
          if (this.blockSources.length > 0) lastBlockHandler = this.runBlockTriggers('end', cache, block, number, nonFatal) ?? lastBlockHandler;
        }
        if (this.ctx.blockCreated.length === 0) break;
        const requests = this.ctx.blockCreated;
        this.ctx.blockCreated = [];
        const fresh = this.dataSources.create(requests, number);
        if (fresh.length === 0) break;
        created = new Set(fresh);
        const extra = yield fresh;
        if (extra.length > 0) {
          const have = new Set(sorted.map((l) => l.logIndex.toLowerCase()));
          sorted = sortLogs([...sorted, ...extra.filter((l) => !have.has(l.logIndex.toLowerCase()))]);
          txByHash = null;
        }
      }
      try {
        return cache.changes();
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        if (lastBlockHandler) throw this.blockHandlerError(lastBlockHandler[0], lastBlockHandler[1], block, number, err);
        if (!lastTrigger) throw err;
        throw this.handlerError(lastTrigger.trigger, block, number, lastTrigger.log, err);
      }
    } catch (err) {
      // the block is not indexed: neither are the data sources it created
      this.dataSources.revertTo(number - 1);
      throw err;
    }
  }

  /**
   * The module's instance for one handler call: the kept one with its heap reset when its start
   * function left nothing a handler could change, else a fresh one (started here).
   */
  private instanceOf(compiled: CompiledModule): ModuleInstance {
    const ctx = this.ctx;
    const kept = compiled.instance;
    if (kept?.resettable) {
      ctx.heapRef = kept.heap;
      kept.reset();
      return kept;
    }
    const instance = new ModuleInstance(compiled.module, compiled.imports, compiled.classIds, compiled.globalNames ?? []);
    ctx.heapRef = instance.heap;
    ctx.starting = true;
    ctx.touchedTriggerDuringStart = false;
    try {
      instance.start(() => this.reuseInstances && compiled.globalNames !== null && !ctx.touchedTriggerDuringStart);
    } finally {
      ctx.starting = false;
    }
    compiled.instance = instance;
    return instance;
  }

  private runTrigger(
    trigger: Trigger,
    cache: EntityCache,
    block: RpcBlock,
    number: number,
    log: RpcLog,
    transaction: RpcTransaction,
    receipt: RpcReceipt | null,
  ): void {
    const logIndex = Number(BigInt(log.logIndex));
    let params: DecodedParam[];
    try {
      params = decodeLogParams(trigger.handler.fragment, log);
    } catch (err) {
      throw this.handlerError(trigger, block, number, log, new HostError(`failed to decode the log with event ${trigger.handler.event}: ${(err as Error).message}`));
    }
    this.invoke(trigger, trigger.handler.handler, cache, block, number, (heap) => writeEvent(heap, { log, params, block, transaction, receipt }, trigger.layout), {
      logIndex,
      fail: (err) => this.handlerError(trigger, block, number, log, err),
    });
  }

  /** The block handlers a Start or End trigger fires, data sources in manifest order; returns the last [data source, handler] run. */
  private runBlockTriggers(type: BlockTriggerType, cache: EntityCache, block: RpcBlock, number: number, nonFatal: HandlerError[] | undefined): [string, string] | null {
    let last: [string, string] | null = null;
    for (const src of this.blockSources) {
      const handler = blockHandlerFor(src.ds, type, number);
      if (!handler) continue;
      if (!guarded(nonFatal, cache, () => this.invoke(src, handler.handler, cache, block, number, (heap) => writeBlock(heap, block, src.layout)))) continue;
      last = [src.ds.name, handler.handler];
    }
    return last;
  }

  /**
   * Runs one handler in a reset instance with `write`'s argument. A failed run drops the instance
   * (whatever state it left, the next one starts fresh); deterministic failures become `fail`'s
   * error (default: a block or call handler's).
   */
  private invoke(
    src: HandlerSource,
    handler: string,
    cache: EntityCache,
    block: RpcBlock,
    number: number,
    write: (heap: AscHeap) => number,
    { logIndex = -1, fail }: { logIndex?: number; fail?: (err: Error) => Error } = {},
  ): void {
    const ctx = this.ctx;
    ctx.cacheRef = cache;
    ctx.dataSourceRef = src.info;
    ctx.where = { handler, block: number, logIndex };
    this.site = { block: { number, hash: block.hash.toLowerCase() }, abis: src.ds.abis, apiPatch: src.layout.patch };
    const compiled = src.module;
    try {
      const instance = this.instanceOf(compiled);
      const arg = write(instance.heap);
      ctx.handlerCreated = [];
      (instance.exports[handler] as (ptr: number) => void)(arg);
      instance.afterTrigger();
      ctx.blockCreated.push(...ctx.handlerCreated);
    } catch (err) {
      compiled.instance = null;
      if (err instanceof HostError || err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
        throw fail ? fail(err) : this.blockHandlerError(src.ds.name, handler, block, number, err);
      }
      throw err;
    } finally {
      ctx.heapRef = null;
      ctx.cacheRef = null;
      ctx.dataSourceRef = null;
      ctx.handlerCreated = [];
      this.site = null;
    }
  }

  /** graph-node's MappingTrigger::Call: inputs decoded from the call data (undecodable: skipped), outputs from its return data. */
  private runCallTrigger(ds: DataSourceDef, handler: CallHandlerDef, call: TracedCall, cache: EntityCache, block: RpcBlock, number: number, calls: BlockCalls): void {
    const src = this.blockSources.find((s) => s.ds === ds)!;
    const f = handler.fragment;
    let inputs;
    try {
      const decoded = coder.decode(f.inputs, hexBytes(call.input.slice(10)));
      inputs = f.inputs.map((p, i) => ({ name: p.name, value: fromEthers(p, decoded[i]) }));
    } catch (err) {
      this.ctx.log('warning', `Failed parsing inputs, skipping: ${(err as Error).message}`);
      return;
    }
    let outputs;
    try {
      const decoded = coder.decode(f.outputs, hexBytes(call.output));
      outputs = f.outputs.map((p, i) => ({ name: p.name, value: fromEthers(p, decoded[i]) }));
    } catch (err) {
      throw this.blockHandlerError(ds.name, handler.handler, block, number, new HostError(`Decoding function outputs for the call ${f.format('sighash')} failed, raw output: ${call.output.slice(2)}: ${(err as Error).message}`));
    }
    const tx = calls.transactions.find((t) => t.hash.toLowerCase() === call.transactionHash);
    if (!tx) throw this.blockHandlerError(ds.name, handler.handler, block, number, new HostError('Found no transaction for call'));
    this.invoke(src, handler.handler, cache, block, number, (heap) => {
      const params = (ps: typeof inputs) =>
        heap.writePtrArray(ps.map((p) => heap.writeStruct([heap.writeString(p.name), writeEthValue(heap, p.value)], 'EventParam')), 'ArrayEventParam');
      return heap.writeStruct(
        [heap.writeBytes(hexBytes(call.to)), heap.writeBytes(hexBytes(call.from)), writeBlock(heap, block, src.layout), writeTransaction(heap, tx, block, src.layout), params(inputs), params(outputs)],
        'EthereumCall',
      );
    });
  }

  private blockHandlerError(dataSource: string, handler: string, block: RpcBlock, number: number, err: Error): HandlerError {
    const message = err instanceof WebAssembly.RuntimeError ? `wasm trap: ${err.message}` : err.message;
    return new HandlerError(
      { handler, dataSource, block: number, blockHash: block.hash.toLowerCase(), logIndex: -1, transactionHash: '', message },
      { cause: err },
    );
  }

  private handlerError(trigger: Trigger, block: RpcBlock, number: number, log: RpcLog, err: Error): HandlerError {
    const message = err instanceof WebAssembly.RuntimeError ? `wasm trap: ${err.message}` : err.message;
    return new HandlerError(
      {
        handler: trigger.handler.handler,
        dataSource: trigger.ds.name,
        block: number,
        blockHash: block.hash.toLowerCase(),
        logIndex: Number(BigInt(log.logIndex)),
        transactionHash: log.transactionHash.toLowerCase(),
        message,
      },
      { cause: err },
    );
  }
}

/**
 * graph-node's match_and_decode: two handlers of one data source decoding the same log is an error
 * (not a deterministic handler error: the subgraph cannot go on), not two handler calls.
 */
function checkOneHandlerPerSource(triggers: Trigger[]): void {
  for (let i = 1; i < triggers.length; i++) {
    if (triggers[i]!.ds === triggers[i - 1]!.ds) throw new Error(`Multiple handlers defined for event \`${triggers[i]!.handler.event}\`, only one is supported`);
  }
}

/**
 * Runs one handler; under `features: [nonFatalErrors]` (graph-node's enter_handler /
 * exit_handler_and_discard_changes_due_to_error) its deterministic error is recorded and its
 * writes dropped instead of failing the block. False: it failed that way.
 */
function guarded(nonFatal: HandlerError[] | undefined, cache: EntityCache, run: () => void): boolean {
  if (!nonFatal) {
    run();
    return true;
  }
  cache.enterHandler();
  try {
    run();
    cache.exitHandler();
    return true;
  } catch (err) {
    if (!(err instanceof HandlerError)) throw err;
    cache.discardHandler();
    nonFatal.push(err);
    return false;
  }
}

/** a topic1-3 filter (lowercase hex values; none: anything matches) against a log's topic */
function topicMatches(filter: readonly string[] | undefined, topic: string | undefined): boolean {
  return !filter || filter.includes(topic?.toLowerCase() ?? '');
}

function sortLogs(logs: RpcLog[]): RpcLog[] {
  return logs
    .map((log) => ({ log, index: BigInt(log.logIndex) }))
    .sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0))
    .map((x) => x.log);
}

function indexTransactions(block: RpcBlock): Map<string, RpcTransaction> {
  const map = new Map<string, RpcTransaction>();
  for (const tx of block.transactions) {
    if (typeof tx === 'string') continue;
    map.set(tx.hash.toLowerCase(), tx);
  }
  return map;
}
