// @hessian/trainer's public API: the training daemons and the lender's actions, the command line
// (`hessian train` and, until the CLI moves to cli/commands, `hessian loan`), and the core
// building blocks the CLI and the demo use, re-exported from @hessian/core.
export { openModel, closeModel, defaultParameterSet } from './roles/lender.ts';
export { lenderJournal } from '@hessian/core/model';
export type { LenderModelRecord, LenderJournal } from '@hessian/core/model';
export type { OpenModelConfig, OpenedModel } from './roles/lender.ts';
export { startEvaluator, modelKey } from './roles/evaluator.ts';
export type { EvaluatorConfig, EvaluatorHandle, EvaluatorEvents, EvaluatorJournal, EvaluationRecord, ModelJournal, ContentIds } from './roles/evaluator.ts';
export { startOwner } from './roles/owner.ts';
export { BatchSeed, loadOrCreateBatchSeed, batchSeedFile } from './privacy/seed.ts';
export { openOwnerPrivacy, OwnerPrivacy, PrivacyBudgetError, DEFAULT_OWNER_PRIVACY, dpEpsilonOf, privacyLedgerFile } from './privacy/owner-privacy.ts';
export type { OwnerPrivacyOptions, Spent } from './privacy/owner-privacy.ts';
export { PrivacyLedger } from './privacy/ledger.ts';
export type { SpendRecord } from './privacy/ledger.ts';
export { gaussianRho, epsilonForRho, dpEpsilonFixed } from './privacy/accountant.ts';
export type { OwnerConfig, OwnerHandle, OwnerEvents, OwnerFilter, OwnerJournal, SubmissionRecord } from './roles/owner.ts';
export { DEFAULT_OWNER_POLICY, ownerPolicy, checkTerms, checkSubmission, parseAddressList } from './roles/owner-policy.ts';
export type { OwnerPolicy, PolicyRule, Refusal, ModelTerms, SubmissionOutcome } from './roles/owner-policy.ts';
export { fetchMetadata, fetchWeightsDocument } from '@hessian/core/model';
export { ModelRepositoryClient, connectProvider, defaultConfirmations } from '@hessian/core/model-repository';
export { sealOf, randomSalt } from '@hessian/core/model-repository';
export { GRADIENT_STATUS, VERDICT, PRIVACY_SCALE, MIN_SUBMISSION_STAKE, REVEAL_WINDOW } from '@hessian/core/model-repository';
export type { VerdictName } from '@hessian/core/model-repository';
export type { ChainConfig, CreateModelInput, TxResult } from '@hessian/core/model-repository';
export { ChainError, describeChainError, decodeRevert } from '@hessian/core/chain';
export { LogWatcher, readEvents, headBlock } from '@hessian/core/chain';
export type { LogDecoder } from '@hessian/core/chain';
export { RepositoryView, isRevealed } from '@hessian/core/model-repository';
export { chainSource, indexerSource } from '@hessian/core/model-repository';
export type { ViewSource, IndexerSourceOptions } from '@hessian/core/model-repository';
export type { ModelState, GradientState, RevealedGradient, GradientStatusName } from '@hessian/core/model-repository';
export type { RepositoryEvent, GradientCommitted, GradientRevealed, GradientEvaluated, GradientLapsed, StakeReleased, Refunded } from '@hessian/core/model-repository';
export { Journal } from '@hessian/core/journal';
export { JournalLockedError, JournalLockLostError, DEFAULT_LOCK_STALE_MS } from '@hessian/core/journal';
export { loadWallet, walletSourceFromEnv, writeKeystore } from '@hessian/core/chain';
export { createLogger, silentLogger, parseLogLevel } from '@hessian/core/log';
export type { Logger, LogLevel } from '@hessian/core/log';
export { openContentStore } from '@hessian/core/ipfs';
export type { ContentStore, ContentStoreConfig } from '@hessian/core/ipfs';
// what the `hessian train` command (cli/commands/) wires together
export { REWARD_RULE } from '@hessian/core/model-repository';
export type { RewardRuleName } from '@hessian/core/model-repository';
export { bindStateToChain } from '@hessian/core/journal';
export { METRICS } from '@hessian/core/ml';
export type { Metric } from '@hessian/core/ml';
export { CSV_OPTIONS, ENCODING_OPTIONS, DATA_OPTIONS, DataError, checkData, csvFormat, readDataFile } from './data/options.ts';
export type { DataFlags, DataOptionSpec } from './data/options.ts';
export type { BadRowPolicy, FitEncodingOptions, CsvTable } from '@hessian/core/data';
