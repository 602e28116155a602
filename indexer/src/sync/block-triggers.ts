// Which blocks block handlers need, so sync fetches those headers too. Blocks with logs come from
// eth_getLogs as before; a block handler adds blocks that may have none: every block (no filter),
// every N-th from the start block (`polling`), the start block (`once`), as graph-node's
// EthereumBlockFilter selects them; call handlers and `filter: { kind: call }` need every block
// from the start, since only its traces say whether it has such calls. A subgraph without block handlers adds nothing, and sync
// stays on its logs-only path.
import type { BlockFilter, DataSourceDef } from '../manifest.ts';

interface Source {
  start: number;
  end: number;
  /** 0: every block from start; n: every n-th block from start; -1: the start block only */
  step: number;
}

export class BlockNeeds {
  private readonly sources: Source[];

  constructor(
    dataSources: Array<Pick<DataSourceDef, 'startBlock' | 'endBlock'> & { mapping: { blockHandlers: Array<{ filter: BlockFilter }>; callHandlers?: unknown[] } }>,
  ) {
    this.sources = [];
    for (const ds of dataSources) {
      const end = ds.endBlock ?? Number.MAX_SAFE_INTEGER;
      for (const { filter } of ds.mapping.blockHandlers) {
        if (filter.kind === 'every') this.sources.push({ start: ds.startBlock, end, step: 0 });
        else if (filter.kind === 'polling') this.sources.push({ start: ds.startBlock, end, step: filter.every });
        else if (filter.kind === 'once') this.sources.push({ start: ds.startBlock, end, step: -1 });
      }
      // calls are only known from a block's traces: every block from the start is traced
      if (ds.mapping.blockHandlers.some((h) => h.filter.kind === 'call') || (ds.mapping.callHandlers?.length ?? 0) > 0) {
        this.sources.push({ start: ds.startBlock, end, step: 0 });
      }
    }
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  /** What the stored chain data was fetched for (a changed set means refetching). */
  describe(): string[] {
    return [...new Set(this.sources.map((s) => `${s.step}@${s.start}-${s.end}`))].sort();
  }

  /** The first `limit` block numbers in [from, to] some block handler needs, ascending. */
  next(from: number, to: number, limit: number): number[] {
    const out = new Set<number>();
    for (const s of this.sources) {
      const lo = Math.max(from, s.start);
      const hi = Math.min(to, s.end);
      if (lo > hi) continue;
      if (s.step === -1) {
        if (s.start >= from && s.start <= hi) out.add(s.start);
        continue;
      }
      const step = s.step === 0 ? 1 : s.step;
      const first = s.start + Math.ceil((lo - s.start) / step) * step;
      for (let n = first, k = 0; n <= hi && k < limit; n += step, k++) out.add(n);
    }
    return [...out].sort((a, b) => a - b).slice(0, limit);
  }
}
