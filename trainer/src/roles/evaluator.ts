// The lender's evaluator daemon. It serves only models its own lender opened (the chain's
// ModelCreated must name the lender and match the lender journal's chain, contract and model
// id: a clone naming this evaluator is ignored with one warning). Per model, gradients are
// judged in commit order: one waits while an earlier commit may still be revealed, and a
// revealed one that copies an earlier-committed gradient (same CID, same ciphertext) or reuses
// its contributor's own data commitment is Rejected (first committed wins). Content is fetched
// off the sequential path (gradient-fetch.ts) with a bounded timeout, so content that does not
// resolve is retried later and Declined (stake back) before the deadline while the gradients
// behind it are evaluated. A valid gradient is decrypted, bound-checked, applied with the
// learning rate and scored on the held-out data: Accepted only when it improves the best
// score, else Declined; invalid content is Rejected. Every verdict carries the committed seal,
// so after a reorg it reverts instead of landing on another gradient. The journal keeps each
// decision before its transaction, so a restart re-sends it rather than evaluating again.
// The steps live in evaluator/: models.ts (which models, loaded), evaluate.ts (the queue and
// the verdict's transaction), decide.ts, content.ts, close.ts, journal.ts.
import { EventEmitter } from 'node:events';
import { RepositoryView } from '@hessian/core/model-repository';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { lenderJournal } from '@hessian/core/model';
import { GradientFetcher } from './gradient-fetch.ts';
import { ChainRewritten } from './evaluator/context.ts';
import type { EvaluationRecord, Evaluator, EvaluatorConfig, EvaluatorEvents, EvaluatorJournal, FetchedGradient } from './evaluator/context.ts';
import { newWatcher, rereadChain } from './evaluator/chain-view.ts';
import { maybeClose } from './evaluator/close.ts';
import { serve } from './evaluator/evaluate.ts';
import { evaluatorJournal, reconcile, recordOf } from './evaluator/journal.ts';
import { forgetModel, freeAll, servedModel } from './evaluator/models.ts';

export type { ContentIds, EvaluationRecord, EvaluatorConfig, EvaluatorEvents, EvaluatorJournal, ModelJournal } from './evaluator/context.ts';
export { modelKey } from './evaluator/journal.ts';

export interface EvaluatorHandle {
  address: string;
  events: EventEmitter<EvaluatorEvents>;
  journal: Journal<EvaluatorJournal>;
  /** the journal's record of a gradient's evaluation */
  record(modelId: number, gradientId: number): EvaluationRecord | undefined;
  stop(): Promise<void>;
  done: Promise<void>;
}

export async function startEvaluator(cfg: EvaluatorConfig): Promise<EvaluatorHandle> {
  const ev = await openEvaluator(cfg);
  const { log, journal } = ev;

  async function tick(): Promise<void> {
    ev.view.applyAll(await ev.watcher.poll());
    reconcile(ev);
    const records = lenderJournal(cfg.stateDir, { readOnly: true }).value.models;
    for (const m of ev.view.models.values()) {
      const ctx = await servedModel(ev, m, records);
      if (!ctx) continue;
      try {
        await serve(ev, m, ctx);
      } catch (err) {
        if (err instanceof ChainRewritten) {
          log.error('chain rewritten under the evaluator; re-reading it', { modelId: m.modelId, err });
          return rereadChain(ev);
        }
        // a transaction may or may not have landed: rebuild this model's state from the chain
        forgetModel(ev, m.modelId, ctx);
        throw err;
      }
      await maybeClose(ev, m);
    }
  }

  const loop = runLoop(tick, {
    pollMs: cfg.pollMs ?? 1000,
    log,
    journal,
    cleanup: () => {
      ev.stopping.abort();
      freeAll(ev);
    },
  });
  log.info('evaluator started', { account: ev.address, lender: ev.ownLender, chainId: ev.chainId, contract: ev.contract });
  return { address: ev.address, events: ev.events, journal, record: (modelId, gradientId) => recordOf(ev, modelId, gradientId), stop: () => loop.stop(), done: loop.done };
}

/** the account, the chain it reads and its journal (locked: a second daemon on this state directory is refused) */
async function openEvaluator(cfg: EvaluatorConfig): Promise<Evaluator> {
  const log = (cfg.log ?? silentLogger).child({ role: 'evaluator' });
  const client = cfg.client;
  const address = await client.address();
  const me = address.toLowerCase();
  const chainId = Number((await client.provider.getNetwork()).chainId);
  const contract = client.config.address.toLowerCase();
  const journal = evaluatorJournal(cfg.stateDir, me, log);
  // nothing from here to runLoop can throw, so no failed start can keep the journal's lock
  const stopping = new AbortController();
  const fetchTimeoutMs = cfg.fetchTimeoutMs ?? 15_000;
  const fetcher = new GradientFetcher<FetchedGradient>({
    timeoutMs: fetchTimeoutMs,
    signal: stopping.signal,
    onRetry: (key, attempt, err) => {
      if (attempt === 1) log.warn('gradient not retrievable yet; will retry', { gradient: key, err });
      else log.debug('gradient still not retrievable', { gradient: key, attempt, err });
    },
  });
  return {
    cfg, log, client, address, me, chainId, contract, ownLender: (cfg.lender ?? address).toLowerCase(), events: new EventEmitter<EvaluatorEvents>(), journal,
    watcher: newWatcher(client), view: new RepositoryView(), contexts: new Map(), stopping, fetchTimeoutMs, fetcher, closing: new Set(), warned: new Set(), heldOutFiles: new Map(),
  };
}
