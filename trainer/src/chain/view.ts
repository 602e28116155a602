// The state of models and gradients, rebuilt from events alone (the contract is designed so
// that history needs no view calls). Both daemons fold the events they poll into one of these.
import type { RepositoryEvent } from './events.ts';
import type { RewardRuleName } from './abi.ts';

export type ModelStatusName = 'Open' | 'TargetReached' | 'Closed';
export type GradientStatusName = 'Pending' | 'Accepted' | 'Rejected' | 'Expired';

export interface ModelState {
  modelId: number;
  lender: string;
  evaluator: string;
  token: string;
  bounty: bigint;
  rule: RewardRuleName;
  initialScore: number;
  targetScore: number;
  bestScore: number;
  submissionDeadline: number;
  evaluationWindow: number;
  submissionStake: bigint;
  metadataCid: string;
  /** the weights manifest of the current version */
  weightsCid: string;
  /** accepted updates so far */
  version: number;
  status: ModelStatusName;
  paid: bigint;
  gradientIds: number[];
}

export interface GradientState {
  gradientId: number;
  modelId: number;
  contributor: string;
  dataCommitment: string;
  modelVersion: number;
  stake: bigint;
  evaluationDeadline: number;
  gradientCid: string;
  status: GradientStatusName;
  score?: number;
  reward: bigint;
  submittedTx: string;
  evaluatedTx?: string;
}

export class RepositoryView {
  readonly models = new Map<number, ModelState>();
  readonly gradients = new Map<number, GradientState>();
  /** RewardEarned totals per contributor (lower-cased address) */
  readonly earned = new Map<string, bigint>();

  apply(ev: RepositoryEvent): void {
    switch (ev.name) {
      case 'ModelCreated':
        this.models.set(ev.modelId, {
          modelId: ev.modelId,
          lender: ev.lender,
          evaluator: ev.evaluator,
          token: ev.token,
          bounty: ev.bounty,
          rule: ev.rule,
          initialScore: ev.initialScore,
          targetScore: ev.targetScore,
          bestScore: ev.initialScore,
          submissionDeadline: ev.submissionDeadline,
          evaluationWindow: ev.evaluationWindow,
          submissionStake: ev.submissionStake,
          metadataCid: ev.metadataCid,
          weightsCid: ev.weightsCid,
          version: 0,
          status: 'Open',
          paid: 0n,
          gradientIds: [],
        });
        break;
      case 'BountyAdded': {
        const m = this.models.get(ev.modelId);
        if (m) m.bounty = ev.totalBounty;
        break;
      }
      case 'GradientSubmitted': {
        this.gradients.set(ev.gradientId, {
          gradientId: ev.gradientId,
          modelId: ev.modelId,
          contributor: ev.contributor,
          dataCommitment: ev.dataCommitment,
          modelVersion: ev.modelVersion,
          stake: ev.stake,
          evaluationDeadline: ev.evaluationDeadline,
          gradientCid: ev.gradientCid,
          status: 'Pending',
          reward: 0n,
          submittedTx: ev.txHash,
        });
        this.models.get(ev.modelId)?.gradientIds.push(ev.gradientId);
        break;
      }
      case 'GradientEvaluated': {
        const g = this.gradients.get(ev.gradientId);
        if (g) {
          g.status = ev.accepted ? 'Accepted' : 'Rejected';
          g.score = ev.score;
          g.reward += ev.reward;
          g.evaluatedTx = ev.txHash;
        }
        const m = this.models.get(ev.modelId);
        if (m) {
          m.bestScore = ev.bestScore;
          m.version = ev.modelVersion;
          m.paid += ev.reward;
          if (ev.accepted && ev.newWeightsCid) m.weightsCid = ev.newWeightsCid;
        }
        break;
      }
      case 'GradientExpired': {
        const g = this.gradients.get(ev.gradientId);
        if (g) g.status = 'Expired';
        break;
      }
      case 'RewardEarned': {
        const k = ev.contributor.toLowerCase();
        this.earned.set(k, (this.earned.get(k) ?? 0n) + ev.amount);
        break;
      }
      case 'TargetReached': {
        const m = this.models.get(ev.modelId);
        if (m && m.status === 'Open') m.status = 'TargetReached';
        break;
      }
      case 'ModelClosed': {
        const m = this.models.get(ev.modelId);
        if (m) m.status = 'Closed';
        break;
      }
      case 'Withdrawal':
        break;
    }
  }

  applyAll(events: Iterable<RepositoryEvent>): void {
    for (const ev of events) this.apply(ev);
  }

  /** whether a model takes submissions at this (chain) time */
  acceptsSubmissions(modelId: number, nowSeconds: number): boolean {
    const m = this.models.get(modelId);
    return m !== undefined && m.status === 'Open' && nowSeconds < m.submissionDeadline;
  }

  pendingGradients(modelId: number): GradientState[] {
    const m = this.models.get(modelId);
    if (!m) return [];
    return m.gradientIds.map((id) => this.gradients.get(id)!).filter((g) => g.status === 'Pending');
  }
}
