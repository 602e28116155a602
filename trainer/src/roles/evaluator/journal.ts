// The evaluator's journal: one record per model (chain id, contract, model id) and gradient id,
// decided before its transaction, done after it; and the reconciliation with the chain of
// decisions whose transaction landed while the journal update was lost.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { recordsJournal } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import type { Logger } from '@hessian/core/log';
import type { GradientState } from '@hessian/core/model-repository';
import type { EvaluationRecord, Evaluator, EvaluatorJournal } from './context.ts';

/** the evaluator journal's key of a model: gradient and model ids are only unique per chain and contract */
export function modelKey(chainId: number, contract: string, modelId: number): string {
  return `${chainId}:${contract.toLowerCase()}:${modelId}`;
}

/** opens (locks) the account's journal in the state directory */
export function evaluatorJournal(stateDir: string, me: string, log: Logger): Journal<EvaluatorJournal> {
  const legacyJournal = path.join(stateDir, `evaluator-${me}.json`);
  if (existsSync(legacyJournal)) log.warn('an evaluator journal keyed by gradient id only is no longer read; decisions it holds are taken from the chain', { file: legacyJournal });
  return recordsJournal<EvaluatorJournal>(path.join(stateDir, `evaluations-${me}.json`), ['models']);
}

export const keyOf = (ev: Evaluator, modelId: number) => modelKey(ev.chainId, ev.contract, modelId);

export const recordOf = (ev: Evaluator, modelId: number, gradientId: number): EvaluationRecord | undefined => ev.journal.value.models[keyOf(ev, modelId)]?.evaluations[String(gradientId)];

/** the gradient fetcher's key: an id with the content its seal commits to */
export const fetchKey = (g: GradientState) => `${g.gradientId}/${g.seal}`;

export function setRecord(ev: Evaluator, modelId: number, gradientId: number, rec: EvaluationRecord | undefined): void {
  ev.journal.update((j) => {
    const mj = (j.models[keyOf(ev, modelId)] ??= { evaluations: {} });
    if (rec) mj.evaluations[String(gradientId)] = rec;
    else delete mj.evaluations[String(gradientId)];
  });
}

/** decisions whose transaction landed while the journal update was lost: the chain says done */
export function reconcile(ev: Evaluator): void {
  const { journal, view, log } = ev;
  for (const [mk, mj] of Object.entries(journal.value.models)) {
    for (const [key, rec] of Object.entries(mj.evaluations)) {
      if (rec.state !== 'decided') continue;
      const g = view.gradients.get(Number(key));
      if (!g || keyOf(ev, g.modelId) !== mk || g.seal !== rec.seal || g.status === 'Pending' || g.status === 'Committed') continue;
      journal.update((j) => {
        const e = j.models[mk]!.evaluations[key]!;
        e.state = 'done';
        if (g.evaluatedTx) e.txHash = g.evaluatedTx;
      });
      log.info('evaluation found on-chain', { gradientId: g.gradientId, status: g.status, tx: g.evaluatedTx });
    }
  }
}
