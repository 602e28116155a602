// The state of models and gradients, rebuilt from events alone (the contract is designed so
// that history needs no view calls). Both daemons fold the events they poll into one of these.
import type { RepositoryEvent } from './events.ts';
import type { RewardRuleName, VerdictName } from './abi.ts';

export type ModelStatusName = 'Open' | 'TargetReached' | 'Closed';
/** Committed (sealed) -> Pending (revealed) -> Accepted | Rejected | Declined | Expired; Committed -> Lapsed */
export type GradientStatusName = 'Committed' | 'Pending' | 'Accepted' | 'Rejected' | 'Declined' | 'Expired' | 'Lapsed';

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
  /** what the commit sealed: keccak256(abi.encode(contributor, modelId, dataCommitment, keccak256(cid), salt)) */
  seal: string;
  modelVersion: number;
  stake: bigint;
  /** unix seconds: the commit lapses unless revealed by then */
  revealDeadline: number;
  status: GradientStatusName;
  /** set once revealed */
  gradientCid?: string;
  dataCommitment?: string;
  salt?: string;
  /** declared DP epsilon, fixed point PRIVACY_SCALE (0 = no DP noise) */
  dpEpsilon?: number;
  evaluationDeadline?: number;
  verdict?: VerdictName;
  score?: number;
  reward: bigint;
  /** set when the stake is released: true = back to the contributor, false = forfeited */
  stakeRefunded?: boolean;
  /** the commit's transaction */
  submittedTx: string;
  revealedTx?: string;
  evaluatedTx?: string;
}

/** a gradient once revealed: its content fields are set */
export type RevealedGradient = GradientState & Required<Pick<GradientState, 'gradientCid' | 'dataCommitment' | 'salt' | 'dpEpsilon' | 'evaluationDeadline' | 'revealedTx'>>;

export function isRevealed(g: GradientState): g is RevealedGradient {
  return g.gradientCid !== undefined;
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
      case 'GradientCommitted': {
        this.gradients.set(ev.gradientId, {
          gradientId: ev.gradientId,
          modelId: ev.modelId,
          contributor: ev.contributor,
          seal: ev.seal,
          modelVersion: ev.modelVersion,
          stake: ev.stake,
          revealDeadline: ev.revealDeadline,
          status: 'Committed',
          reward: 0n,
          submittedTx: ev.txHash,
        });
        this.models.get(ev.modelId)?.gradientIds.push(ev.gradientId);
        break;
      }
      case 'GradientRevealed': {
        const g = this.gradients.get(ev.gradientId);
        if (g) {
          g.status = 'Pending';
          g.gradientCid = ev.gradientCid;
          g.dataCommitment = ev.dataCommitment;
          g.salt = ev.salt;
          g.dpEpsilon = ev.dpEpsilon;
          g.evaluationDeadline = ev.evaluationDeadline;
          g.revealedTx = ev.txHash;
        }
        break;
      }
      case 'GradientEvaluated': {
        const g = this.gradients.get(ev.gradientId);
        if (g) {
          g.status = ev.verdict;
          g.verdict = ev.verdict;
          g.score = ev.score;
          g.reward += ev.reward;
          g.evaluatedTx = ev.txHash;
        }
        const m = this.models.get(ev.modelId);
        if (m) {
          m.bestScore = ev.bestScore;
          m.version = ev.modelVersion;
          m.paid += ev.reward;
          if (ev.verdict === 'Accepted' && ev.newWeightsCid) m.weightsCid = ev.newWeightsCid;
        }
        break;
      }
      case 'GradientExpired': {
        const g = this.gradients.get(ev.gradientId);
        if (g) g.status = 'Expired';
        break;
      }
      case 'GradientLapsed': {
        const g = this.gradients.get(ev.gradientId);
        if (g) g.status = 'Lapsed';
        break;
      }
      case 'StakeReleased': {
        const g = this.gradients.get(ev.gradientId);
        if (g) g.stakeRefunded = ev.refunded;
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
      case 'Refunded':
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

  /** a model's gradients in commit order (ids are assigned at commit) */
  gradientsOf(modelId: number): GradientState[] {
    const m = this.models.get(modelId);
    if (!m) return [];
    return m.gradientIds.map((id) => this.gradients.get(id)!).sort((a, b) => a.gradientId - b.gradientId);
  }

  /** revealed gradients waiting for the evaluator, in commit order */
  pendingGradients(modelId: number): RevealedGradient[] {
    return this.gradientsOf(modelId).filter((g): g is RevealedGradient => g.status === 'Pending' && isRevealed(g));
  }

  /** gradients that still hold the model open: committed (not yet revealed or lapsed) or pending */
  unsettledGradients(modelId: number): GradientState[] {
    return this.gradientsOf(modelId).filter((g) => g.status === 'Committed' || g.status === 'Pending');
  }
}
