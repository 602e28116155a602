// Closing a model once its target is reached (or its deadlines passed): unrevealed commits are
// lapsed and unevaluable gradients expired first, so nothing blocks the close.
import { ChainError } from '@hessian/core/chain';
import type { ModelState } from '@hessian/core/model-repository';
import { REVEAL_WINDOW } from '@hessian/core/model-repository';
import type { Evaluator } from './context.ts';
import { recordOf } from './journal.ts';

export async function maybeClose(ev: Evaluator, m: ModelState): Promise<void> {
  const { cfg, client, view, log, events, closing } = ev;
  if (!(cfg.autoClose ?? true) || m.status === 'Closed' || closing.has(m.modelId)) return;
  const open = view.unsettledGradients(m.modelId).filter((g) => recordOf(ev, m.modelId, g.gradientId)?.state !== 'done');
  const now = await client.chainTime();
  const due = m.status === 'TargetReached' || now >= m.submissionDeadline + REVEAL_WINDOW + m.evaluationWindow;
  if (!due) return;
  // commits never revealed and gradients no longer evaluable block the close: lapse or expire them
  if (open.some((g) => now <= (g.status === 'Committed' ? g.revealDeadline : (g.evaluationDeadline ?? Infinity)))) return;
  closing.add(m.modelId);
  try {
    for (const g of open) {
      try {
        const res = await client.expireGradient(g.gradientId);
        log.info(g.status === 'Committed' ? 'commit lapsed' : 'gradient expired', { modelId: m.modelId, gradientId: g.gradientId, tx: res.txHash });
      } catch (err) {
        if (!(err instanceof ChainError && (err.errorName === 'GradientNotPending' || err.errorName === 'GradientNotCommitted'))) throw err;
      }
    }
    const res = await client.closeModel(m.modelId);
    log.info('model closed', { modelId: m.modelId, tx: res.txHash });
    events.emit('closed', { modelId: m.modelId, txHash: res.txHash });
  } catch (err) {
    if (err instanceof ChainError && (err.errorName === 'AlreadyClosed' || err.errorName === 'NotClosable')) {
      log.info('model not closable yet', { modelId: m.modelId, reason: err.message });
      closing.delete(m.modelId);
      return;
    }
    closing.delete(m.modelId);
    throw err;
  }
}
