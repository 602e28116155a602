// A daemon's progress for a person at a terminal: one line redrawn in place. Piped output (a log
// collector) gets nothing here; the command logs JSON lines instead.
import type { Output } from './command.ts';

/** Redraws one line in place when the stream is a terminal (`live`); does nothing otherwise. */
export class StatusLine {
  readonly live: boolean;
  private shown = false;
  private readonly stream: Output;
  constructor(stream: Output) {
    this.stream = stream;
    this.live = stream.isTTY === true;
  }
  show(text: string): void {
    if (!this.live) return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }
  /** ends the status line so the next output starts on a line of its own */
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}

export function progressText(e: { modelId: number; stage: string; rowsDone?: number; rowsTotal?: number }): string {
  const rows = e.rowsTotal ? ` ${e.rowsDone ?? 0}/${e.rowsTotal} rows (${Math.floor(((e.rowsDone ?? 0) / e.rowsTotal) * 100)}%)` : '';
  return `model ${e.modelId}: ${e.stage}${rows}`;
}
