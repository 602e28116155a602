// Block triggers as graph-node orders them within a block (chain/ethereum/src/trigger.rs,
// ethereum_adapter.rs parse_block_triggers, data_source.rs handler_for_block): a `Start` trigger
// first (handlers with `filter: { kind: once }`, at their data source's start block), then the
// block's logs (and calls) in order, then the `End` trigger (handlers without a filter, and
// `polling` ones every N blocks from the start block). For each trigger, data sources run in
// manifest order, each with at most one matching handler.
import type { BlockHandlerDef, CallHandlerDef, DataSourceDef } from '../manifest-types.ts';
import type { TracedCall } from '../sync/traces.ts';

export type BlockTriggerType = 'start' | 'end' | 'call';

/** graph-node's DataSource::handler_for_block, with the start/end block checks of match_and_decode. */
export function blockHandlerFor(ds: DataSourceDef, type: BlockTriggerType, block: number): BlockHandlerDef | undefined {
  if (block < ds.startBlock || (ds.endBlock !== null && block > ds.endBlock)) return undefined;
  return ds.mapping.blockHandlers.find((h) => {
    if (type === 'start') return h.filter.kind === 'once' && block === ds.startBlock;
    if (type === 'call') return h.filter.kind === 'call';
    if (h.filter.kind === 'every') return true;
    return h.filter.kind === 'polling' && (block - ds.startBlock) % h.filter.every === 0;
  });
}

const inRange = (ds: DataSourceDef, block: number) => block >= ds.startBlock && (ds.endBlock === null || block <= ds.endBlock);

/** graph-node's EthereumCall::try_from_trace + EthereumCallFilter: successful frames with a 4-byte selector. */
export function isCallCandidate(call: TracedCall): boolean {
  return !call.failed && call.input.length >= 10;
}

/** Call handlers a call fires (DataSource::handler_for_call), data sources in manifest order; failed transactions fire none. */
export function callHandlersFor(dataSources: DataSourceDef[], call: TracedCall, block: number): Array<{ ds: DataSourceDef; handler: CallHandlerDef }> {
  if (!isCallCandidate(call) || call.transactionFailed) return [];
  const selector = call.input.slice(0, 10);
  const out: Array<{ ds: DataSourceDef; handler: CallHandlerDef }> = [];
  for (const ds of dataSources) {
    if (ds.address !== call.to || !inRange(ds, block)) continue;
    const handler = ds.mapping.callHandlers.find((h) => h.selector === selector);
    if (handler) out.push({ ds, handler });
  }
  return out;
}

/** `WithCallTo` triggers of a block: one per call to an address some call-filtered handler watches, consecutive repeats removed (graph-node's sort + dedup). */
export function withCallToTriggers(dataSources: DataSourceDef[], calls: TracedCall[], block: number): string[] {
  const watched = new Set(
    dataSources.filter((ds) => ds.address !== null && ds.startBlock <= block && ds.mapping.blockHandlers.some((h) => h.filter.kind === 'call')).map((ds) => ds.address!),
  );
  const out: string[] = [];
  for (const c of calls) {
    if (!isCallCandidate(c) || !watched.has(c.to)) continue;
    if (out.at(-1) !== c.to) out.push(c.to);
  }
  return out;
}
