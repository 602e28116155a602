// Backfill progress for humans: blocks/s and events/s over a sliding window, and an ETA to the
// head from the block rate. A window (not the average since start) so the rate follows a
// backfill that speeds up once it leaves a dense stretch of history.

interface Sample {
  at: number;
  block: number;
  events: number;
}

export interface ProgressReport {
  block: number;
  chainHead: number;
  blocksPerSecond: number;
  eventsPerSecond: number;
  /** seconds to reach the head at the current block rate; null when unknown */
  etaSeconds: number | null;
  percent: number;
}

export class Progress {
  private samples: Sample[] = [];
  private events = 0;
  private readonly windowMs: number;
  private readonly startBlock: number;
  private readonly now: () => number;

  constructor(startBlock: number, opts: { windowMs?: number; now?: () => number } = {}) {
    this.startBlock = startBlock;
    this.windowMs = opts.windowMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  record(block: number, events: number): void {
    this.events += events;
    const at = this.now();
    this.samples.push({ at, block, events: this.events });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  report(chainHead: number): ProgressReport {
    const last = this.samples.at(-1);
    const first = this.samples[0];
    const block = last?.block ?? this.startBlock - 1;
    const seconds = first && last ? (last.at - first.at) / 1000 : 0;
    const blocksPerSecond = seconds > 0 ? (last!.block - first!.block) / seconds : 0;
    const eventsPerSecond = seconds > 0 ? (last!.events - first!.events) / seconds : 0;
    const remaining = Math.max(0, chainHead - block);
    const span = Math.max(1, chainHead - (this.startBlock - 1));
    return {
      block,
      chainHead,
      blocksPerSecond: round(blocksPerSecond),
      eventsPerSecond: round(eventsPerSecond),
      etaSeconds: remaining === 0 ? 0 : blocksPerSecond > 0 ? Math.ceil(remaining / blocksPerSecond) : null,
      percent: round(Math.min(100, (100 * Math.max(0, block - (this.startBlock - 1))) / span)),
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
