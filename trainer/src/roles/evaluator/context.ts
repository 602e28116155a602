// What the evaluator daemon's steps share: its configuration, its journal's records, the events
// it emits, and `Evaluator`, the running daemon's state that every step takes first.
import type { EventEmitter } from 'node:events';
import { HessianError } from '@hessian/common/errors';
import type { PublicKey } from 'node-seal';
import type { ContentStore } from '@hessian/core/ipfs';
import type { LogWatcher } from '@hessian/core/chain';
import type { ModelRepositoryClient, RepositoryEvent, RepositoryView, VerdictName } from '@hessian/core/model-repository';
import type { CsvTable, EncodedData } from '@hessian/core/data';
import type { HeContext, SecretKeyHandle } from '@hessian/core/he';
import type { Journal } from '@hessian/core/journal';
import type { Logger } from '@hessian/core/log';
import type { GradientDocument, ModelMetadata, LenderModelRecord } from '@hessian/core/model';
import type { GradientFetcher } from '../gradient-fetch.ts';

export interface EvaluatorConfig {
  client: ModelRepositoryClient;
  store: ContentStore;
  /** the lender's state directory (lender.json, secret key files); the evaluator journal goes here too */
  stateDir: string;
  /** held-out data overriding the path recorded when the model was opened */
  data?: string | CsvTable;
  /**
   * the account whose models this evaluator serves, when the lender journal does not name it
   * (records written before it did); default: the evaluator's own account
   */
  lender?: string;
  pollMs?: number;
  /** ms one fetch attempt of a gradient's content may take (default 15 s) */
  fetchTimeoutMs?: number;
  /** a gradient whose content cannot be found is Declined after this many attempts (default 5)... */
  fetchAttempts?: number;
  /** ...spanning at least this long since the first failure (default 120 s; IPFS content may still be propagating) */
  fetchGraceMs?: number;
  /** close a model once its target is reached (or its deadline passed) with nothing pending */
  autoClose?: boolean;
  log?: Logger;
  /** fault injection for restart tests: called after a decision is journaled, before its transaction */
  beforeEvaluate?: (info: { modelId: number; gradientId: number }) => void | Promise<void>;
  /** fault injection for restart tests: called once the transaction is mined, before the journal records it */
  afterEvaluate?: (info: { modelId: number; gradientId: number }) => void | Promise<void>;
}

/** what identifies a gradient's content, to refuse copies of it */
export interface ContentIds {
  gradientCid: string;
  ciphertextCid?: string;
  /** sha-256 of the ciphertext bytes */
  digest?: string;
}

export interface EvaluationRecord {
  modelId: number;
  /** the committed seal the decision is about (a reorg may give the id to other content) */
  seal: string;
  state: 'decided' | 'done' | 'missed';
  verdict: VerdictName;
  score: number;
  metricValue?: number;
  newWeightsCid: string;
  reason?: string;
  content?: ContentIds;
  txHash?: string;
}

export interface ModelJournal {
  /** keyed by gradient id */
  evaluations: Record<string, EvaluationRecord>;
}

export interface EvaluatorJournal {
  version: 1;
  /** keyed by modelKey(): chain id, ModelRepository address and model id */
  models: Record<string, ModelJournal>;
}

export interface EvaluatorEvents {
  model: [{ modelId: number; bestScore: number; targetScore: number }];
  evaluated: [{ modelId: number; gradientId: number; verdict: VerdictName; accepted: boolean; score: number; metricValue?: number; reward: bigint; reason?: string; txHash: string }];
  closed: [{ modelId: number; txHash: string }];
  /** a model naming this evaluator that it does not serve (once per model) */
  ignored: [{ modelId: number; reason: string }];
}

/** a model this evaluator serves: its keys, held-out data, and current weights and best score */
export interface ModelCtx {
  record: LenderModelRecord;
  meta: ModelMetadata;
  he: HeContext;
  sk: SecretKeyHandle;
  pk: PublicKey;
  test: EncodedData;
  /** current plaintext weights and the manifest they were published under */
  w: Float64Array;
  weightsCid: string;
  version: number;
  bestScore: number;
}

export interface FetchedGradient {
  manifest: GradientDocument;
  bytes: Uint8Array;
  content: ContentIds;
}

/** what every step of the running evaluator daemon shares */
export interface Evaluator {
  cfg: EvaluatorConfig;
  log: Logger;
  client: ModelRepositoryClient;
  address: string;
  /** the address, lower case */
  me: string;
  chainId: number;
  /** the ModelRepository's address, lower case */
  contract: string;
  /** the account whose models this evaluator serves when the lender journal does not say, lower case */
  ownLender: string;
  events: EventEmitter<EvaluatorEvents>;
  journal: Journal<EvaluatorJournal>;
  /** replaced, with the view, when the chain was rewritten under the evaluator */
  watcher: LogWatcher<RepositoryEvent>;
  view: RepositoryView;
  /** retryAt: a model that could not be loaded (content unreachable, data missing) is tried again later */
  contexts: Map<number, ModelCtx | { failed: string; retryAt: number }>;
  /** aborted when the daemon stops: ends every fetch */
  stopping: AbortController;
  fetchTimeoutMs: number;
  fetcher: GradientFetcher<FetchedGradient>;
  /** models being closed now */
  closing: Set<number>;
  /** models ignored (not its lender's), warned about once */
  warned: Set<number>;
  /** held-out tables by file (models opened from different files score on their own data) */
  heldOutFiles: Map<string, CsvTable>;
}

/** the chain no longer holds the content a decision was about (a reorg): rebuild from the chain */
export class ChainRewritten extends HessianError {
  constructor(message: string) {
    super(message, { kind: 'retryable' });
  }
}
