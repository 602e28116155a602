// What the owner daemon's steps share: its configuration, its journal's records, the events it
// emits, and `Owner`, the running daemon's state that every step takes first.
import type { EventEmitter } from 'node:events';
import { HessianError } from '@hessian/common/errors';
import type { GaloisKeys, RelinKeys } from 'node-seal';
import type { ContentStore } from '@hessian/core/ipfs';
import type { ModelRepositoryClient, GradientStatusName, ViewSource } from '@hessian/core/model-repository';
import type { CsvTable, BadRowPolicy, EncodedData } from '@hessian/core/data';
import type { HeContext } from '@hessian/core/he';
import type { Metric } from '@hessian/core/ml';
import type { Journal } from '@hessian/core/journal';
import type { Logger } from '@hessian/core/log';
import type { ModelMetadata } from '@hessian/core/model';
import type { OwnerPrivacy, OwnerPrivacyOptions } from '../../privacy/owner-privacy.ts';
import type { GradientPool } from '../../he/pool.ts';
import type { OwnerPolicy, PolicyRule, SubmissionOutcome } from '../owner-policy.ts';

export interface OwnerFilter {
  /** ignore models with a smaller bounty (wei) */
  minBounty?: bigint;
  /** only models scored by one of these metrics */
  metrics?: Metric[];
  /** only these model ids */
  modelIds?: number[];
}

export interface OwnerConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the owner's state directory (journal) */
  stateDir: string;
  /** the owner's rows: a CSV path or a parsed table */
  data: string | CsvTable;
  badRows?: BadRowPolicy;
  filter?: OwnerFilter;
  /** stake limits, allow/deny lists and stop rules; unset fields take DEFAULT_OWNER_POLICY's safe values */
  policy?: Partial<OwnerPolicy>;
  /** rows per gradient; raised to the model's minBatch (and the owner's own minBatch) when smaller */
  batchSize?: number;
  /**
   * the owner's own floor on rows per gradient (default 256), whatever the lender asks: a small
   * batch's gradient reveals its rows to the lender who decrypts it
   */
  minBatch?: number;
  /** gradients per model at most (default: until the rows run out) */
  maxSubmissionsPerModel?: number;
  /**
   * differential privacy, on by default (DEFAULT_OWNER_PRIVACY): each gradient's rows are clipped
   * and Gaussian noise added; the spend is journaled and refused past the budget (noiseMultiplier 0: off)
   */
  privacy?: Partial<OwnerPrivacyOptions>;
  /** compute gradients in this many worker threads (0: on the main thread, blocking the event loop) */
  workers?: number;
  /** read models from an indexer's GraphQL API instead of scanning chain logs */
  indexerUrl?: string;
  pollMs?: number;
  log?: Logger;
  /** fault injection for restart tests: called once the seal is journaled, right before the commit transaction */
  beforeCommit?: (info: { modelId: number; commitment: string }) => void | Promise<void>;
  /** fault injection for restart tests: called once the commit is mined, before the journal records it */
  afterCommit?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called right before the reveal transaction */
  beforeReveal?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called once the reveal is mined, before the journal records it */
  afterReveal?: (info: { modelId: number; commitment: string; gradientId: number }) => void | Promise<void>;
}

export interface SubmissionRecord {
  modelId: number;
  /** index into the model's batch plan */
  batch: number;
  rows: number;
  /**
   * intent (batch chosen) -> sealed (uploaded; CID, salt and seal journaled before the commit) ->
   * committed (gradient id known) -> revealed; a commit not revealed in time -> lapsed;
   * a batch the chain will not take -> abandoned
   */
  state: 'intent' | 'sealed' | 'committed' | 'revealed' | 'lapsed' | 'abandoned';
  /** wei, the model's stake when the batch was started (what this submission puts at risk) */
  stake?: string;
  gradientCid?: string;
  baseVersion?: number;
  /** the DP epsilon the gradient document declares, fixed point PRIVACY_SCALE (0: no noise) */
  dpEpsilon?: number;
  /** random, secret until the reveal: without it the seal of a guessable CID could be matched */
  salt?: string;
  seal?: string;
  gradientId?: number;
  commitTx?: string;
  commitBlock?: number;
  /** chain time (s) after which the commit can only lapse */
  revealDeadline?: number;
  /** the reveal's transaction */
  txHash?: string;
  reason?: string;
  outcome?: { accepted: boolean; score: number; reward: string; status?: SubmissionOutcome['status']; stake?: string };
}

export interface OwnerJournal {
  /** 2: commit-reveal submissions (1 was one-step submitGradient) */
  version: 2;
  account: string;
  /** salts the data commitments so a lender cannot test guessed rows against them */
  salt: string;
  /** keyed by data commitment */
  submissions: Record<string, SubmissionRecord>;
  /** next batch index per model id */
  nextBatch: Record<string, number>;
}

export interface OwnerEvents {
  model: [{ modelId: number; eligible: boolean; reason?: string }];
  progress: [{ modelId: number; stage: string; rowsDone?: number; rowsTotal?: number }];
  /** the seal is on-chain: the gradient's id and place in line are fixed */
  committed: [{ modelId: number; gradientId: number; commitment: string; seal: string; txHash: string }];
  /** revealed: the gradient is submitted for evaluation */
  submitted: [{ modelId: number; gradientId: number; commitment: string; rows: number; txHash: string; gradientCid: string }];
  /** judged (or expired unjudged); status Declined and Expired return the stake, Rejected forfeits it */
  evaluated: [{ modelId: number; gradientId: number; status: GradientStatusName; accepted: boolean; score: number; reward: bigint }];
  /** a commit that could not be revealed in its window: its stake is forfeited */
  lapsed: [{ modelId: number; gradientId: number; commitment: string; reason: string }];
  abandoned: [{ modelId: number; commitment: string; reason: string }];
  /** the safety policy refused to submit to a model (emitted once per model and rule) */
  refused: [{ modelId: number; rule: PolicyRule; reason: string }];
}

/** a model this owner can contribute to: its metadata, CKKS context and keys, and the batch plan of the owner's rows */
export interface ModelCtx {
  meta: ModelMetadata;
  he: HeContext;
  relinKeys?: RelinKeys;
  galoisKeys?: GaloisKeys;
  /** the same key bytes for the worker pool (cached per worker by identity) */
  keyBytes: { relinKeys?: Uint8Array; galoisKeys?: Uint8Array };
  data: EncodedData;
  batches: Uint32Array[];
  /** the batch plan's id in the privacy ledger */
  plan: string;
}

/** retryAt: the failure may be transient (content not reachable yet), look again after it */
export type Eligibility = { ok: true; ctx: ModelCtx } | { ok: false; reason: string; retryAt?: number };

/** what every step of the running owner daemon shares */
export interface Owner {
  cfg: OwnerConfig;
  log: Logger;
  client: ModelRepositoryClient;
  address: string;
  chainId: bigint;
  policy: OwnerPolicy;
  table: CsvTable;
  privacy: OwnerPrivacy;
  events: EventEmitter<OwnerEvents>;
  journal: Journal<OwnerJournal>;
  source: ViewSource;
  pool: GradientPool | undefined;
  /** per model: whether this owner can contribute (a failure that may pass is looked at again later) */
  eligibility: Map<number, Eligibility>;
  /** per data commitment: a failed step is not tried again before this time (ms) */
  retryAt: Map<string, number>;
  /** the rule currently refusing each model, so a refusal is logged once, not every poll */
  refusing: Map<number, PolicyRule>;
}

/** a step that cannot be taken yet (a transaction of ours still pending, a commit not deep enough): the tick tries again */
export class NotYet extends HessianError {
  constructor(message: string) {
    super(message, { kind: 'retryable' });
  }
}
