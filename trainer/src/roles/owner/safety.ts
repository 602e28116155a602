// The owner's safety policy applied to its own record (owner-policy.ts has the rules): the
// stakes at risk, how its judged submissions ended, and each refusal logged once per model and rule.
import type { ModelState } from '@hessian/core/model-repository';
import { checkSubmission, checkTerms } from '../owner-policy.ts';
import type { Refusal, SubmissionOutcome } from '../owner-policy.ts';
import type { Owner, SubmissionRecord } from './context.ts';

export function refuse(o: Owner, modelId: number, r: Refusal): void {
  const { refusing, log, events } = o;
  if (refusing.get(modelId) === r.rule) return;
  refusing.set(modelId, r.rule);
  log.warn('submission refused by policy', { modelId, rule: r.rule, reason: r.reason });
  events.emit('refused', { modelId, rule: r.rule, reason: r.reason });
}

const stakeOf = (o: Owner, s: SubmissionRecord) => BigInt(s.outcome?.stake ?? s.stake ?? o.source.view.gradients.get(s.gradientId ?? 0)?.stake ?? 0);

/** how this owner's judged submissions to the model ended, in commit order */
function history(o: Owner, modelId: number): SubmissionOutcome[] {
  return Object.values(o.journal.value.submissions)
    .filter((s) => s.modelId === modelId && s.outcome)
    .sort((a, b) => (a.gradientId ?? 0) - (b.gradientId ?? 0))
    .map((s) => ({ status: s.outcome!.status ?? (s.outcome!.accepted ? 'Accepted' : 'Rejected'), stake: stakeOf(o, s), reward: BigInt(s.outcome!.reward) }));
}

/** whether the policy lets this owner stake on the model now (a refusal is logged once) */
export function policyAllows(o: Owner, m: ModelState): boolean {
  const refusal = checkTerms(o.policy, m) ?? checkSubmission(o.policy, m, history(o, m.modelId), atRisk(o, m.modelId));
  if (refusal) {
    refuse(o, m.modelId, refusal);
    return false;
  }
  o.refusing.delete(m.modelId);
  return true;
}

/** stakes of submissions not yet judged, everywhere but `except` (the model about to submit) */
function atRisk(o: Owner, except: number): bigint {
  let sum = 0n;
  for (const s of Object.values(o.journal.value.submissions)) {
    if (s.modelId === except || s.outcome) continue;
    if (s.state !== 'abandoned') sum += stakeOf(o, s);
  }
  return sum;
}
