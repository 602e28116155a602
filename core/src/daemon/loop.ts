// The daemons' main loop: one tick at a time, a pause between ticks that stop() cuts short,
// and errors logged without ending the daemon (a bad gradient or a dropped RPC connection must
// not take down a long-running process).
import type { Logger } from '../log.ts';
import type { Journal } from '../journal/journal.ts';

export interface LoopHandle {
  stop(): Promise<void>;
  /** ends the loop for a reason that must not be retried (its journal lock was lost): done rejects with it */
  abort(err: Error): void;
  /** settles when the loop has ended (after stop(), or when a tick returns 'done'); rejects after abort() */
  done: Promise<void>;
  readonly stopped: boolean;
}

export interface LoopOptions {
  pollMs: number;
  log: Logger;
  /** runs after the loop ends, stopped or done (frees resources) */
  cleanup?: () => void | Promise<void>;
  /**
   * the daemon's writable journal: losing its lock aborts the loop (done rejects with the
   * JournalLockLostError), and it is closed once the loop has ended, after cleanup, however that went
   */
  journal?: Pick<Journal<unknown>, 'close' | 'onLockLost'>;
}

/** tick returns 'done' to end the loop */
export function runLoop(tick: () => Promise<void | 'done'>, opts: LoopOptions): LoopHandle {
  let stopped = false;
  let wake: (() => void) | undefined;
  let failures = 0;
  let fatal: Error | undefined;
  const done = (async () => {
    try {
      while (!stopped) {
        try {
          if ((await tick()) === 'done') break;
          failures = 0;
        } catch (err) {
          failures++;
          opts.log.error('tick failed; retrying', { err, failures });
        }
        if (stopped) break;
        // back off on repeated failures (a node that is down), up to 30 polls
        const wait = opts.pollMs * Math.min(30, 2 ** Math.max(0, failures - 1));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      stopped = true;
      try {
        await opts.cleanup?.();
      } finally {
        opts.journal?.close();
      }
    }
    if (fatal) throw fatal;
  })();
  // whoever awaits done sees an abort; a caller that only stop()s is not an unhandled rejection
  done.catch(() => {});
  const handle: LoopHandle = {
    get stopped() {
      return stopped;
    },
    done,
    async stop() {
      stopped = true;
      wake?.();
      // an abort was already reported through done; anything else (a failed cleanup) is not hidden
      await done.catch((err: unknown) => {
        if (err !== fatal) throw err;
      });
    },
    abort(err: Error) {
      fatal ??= err;
      stopped = true;
      wake?.();
    },
  };
  opts.journal?.onLockLost((err) => {
    opts.log.error('journal lock lost: stopping', { err });
    handle.abort(err);
  });
  return handle;
}
