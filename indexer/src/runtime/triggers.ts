// Block triggers as graph-node orders them within a block (chain/ethereum/src/trigger.rs,
// ethereum_adapter.rs parse_block_triggers, data_source.rs handler_for_block): a `Start` trigger
// first (handlers with `filter: { kind: once }`, at their data source's start block), then the
// block's logs (and calls) in order, then the `End` trigger (handlers without a filter, and
// `polling` ones every N blocks from the start block). For each trigger, data sources run in
// manifest order, each with at most one matching handler.
import type { BlockHandlerDef, DataSourceDef } from '../manifest.ts';

export type BlockTriggerType = 'start' | 'end';

/** graph-node's DataSource::handler_for_block, with the start/end block checks of match_and_decode. */
export function blockHandlerFor(ds: DataSourceDef, type: BlockTriggerType, block: number): BlockHandlerDef | undefined {
  if (block < ds.startBlock || (ds.endBlock !== null && block > ds.endBlock)) return undefined;
  return ds.mapping.blockHandlers.find((h) => {
    if (type === 'start') return h.filter.kind === 'once' && block === ds.startBlock;
    if (h.filter.kind === 'every') return true;
    return h.filter.kind === 'polling' && (block - ds.startBlock) % h.filter.every === 0;
  });
}
