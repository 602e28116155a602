// @hessian/trainer's public API: the daemons and the lender's actions (for the CLI and the
// demo), the chain client, and the core building blocks re-exported from their modules.
export { openModel, closeModel, lenderJournal, defaultParameterSet } from './roles/lender.ts';
export type { OpenModelConfig, OpenedModel, LenderModelRecord, LenderJournal } from './roles/lender.ts';
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
export { fetchMetadata, fetchWeightsDocument } from './roles/model-io.ts';
export { ModelRepositoryClient, connectProvider, defaultConfirmations } from './chain/client.ts';
export { sealOf, randomSalt } from './chain/seal.ts';
export { GRADIENT_STATUS, VERDICT, PRIVACY_SCALE, MIN_SUBMISSION_STAKE, REVEAL_WINDOW } from './chain/abi.ts';
export type { VerdictName } from './chain/abi.ts';
export type { ChainConfig, CreateModelInput, TxResult } from './chain/client.ts';
export { ChainError, describeChainError, decodeRevert } from './chain/errors.ts';
export { LogWatcher, readEvents, headBlock } from './chain/watch.ts';
export type { LogDecoder } from './chain/watch.ts';
export { RepositoryView, isRevealed } from './chain/view.ts';
export { chainSource, indexerSource } from './chain/source.ts';
export type { ViewSource, IndexerSourceOptions } from './chain/source.ts';
export type { ModelState, GradientState, RevealedGradient, GradientStatusName } from './chain/view.ts';
export type { RepositoryEvent, GradientCommitted, GradientRevealed, GradientEvaluated, GradientLapsed, StakeReleased, Refunded } from './chain/events.ts';
export { Journal } from './state.ts';
export { JournalLockedError, JournalLockLostError, DEFAULT_LOCK_STALE_MS } from './journal-lock.ts';
export { loadWallet, walletSourceFromEnv, writeKeystore } from './wallet.ts';
export { createLogger, silentLogger, parseLogLevel } from './log.ts';
export type { Logger, LogLevel } from './log.ts';
export { deployModel, startLoanService, decideManually, loanServiceJournal, manualDecisionJournal, deploymentJournal, deploymentRecords, weightsCommitment } from './roles/loan-service.ts';
export type { DeployModelConfig, DeployedModel, LoanServiceConfig, LoanServiceHandle, LoanServiceJournal, ManualDecision } from './roles/loan-service.ts';
export { requestQuote, finishQuote, requestLoan, waitForDecision, fetchServiceDocument, encodeBorrowerRow, borrowerJournal, QuoteTimeoutError } from './roles/borrower.ts';
export type { QuoteConfig, QuoteResult, LoanRequestConfig, LoanRequestResult, LoanDecisionSummary, BorrowerJournal } from './roles/borrower.ts';
export { LoanDeskClient, LoanDeskView, DECISION_REASON, decodeLoanDeskLog } from './chain/loan-desk.ts';
export type { LoanDeskConfig, LoanDeskEvent, DeployModelInput, QuoteState, LoanRequestState } from './chain/loan-desk.ts';
export { openContentStore } from './ipfs/index.ts';
export type { ContentStore, ContentStoreConfig } from './ipfs/index.ts';
export {
  QUERY_PARAMETERS, LOGIT_SLOT_SCALE, RESULT_NOISE_SIGMA, DEFAULT_TAG_TOLERANCE, QueryError, queryLayout, checkQueryLayout, openQueryContext,
  createBorrowerKeys, encryptQuery, newTagKey, evaluateQuery, decryptResult, decryptResultSlots, verifyTag,
} from './loan/prediction.ts';
export type { QueryLayout, BorrowerKeys, TagKey, EvaluateOptions } from './loan/prediction.ts';
export { DEFAULT_PRICING, PricingError, validatePricingRule, probabilityOfDefault, priceLoan, decisionReasonCode } from './loan/pricing.ts';
export type { PricingRule, LoanQuote, DecisionReasonName } from './loan/pricing.ts';
export { SealedBoxError, generateDisclosureKeys, disclosurePublicKey, seal, open } from './loan/sealed.ts';
export type { DisclosureKeyPair, SealedBox } from './loan/sealed.ts';
export {
  MAX_SERVICE_DOC_BYTES, MAX_QUERY_DOC_BYTES, MAX_RESULT_DOC_BYTES, MAX_SEALED_BYTES, disclosureContext,
  parseServiceDocument, parseQueryDocument, parseResultDocument, parseDisclosure, parseSealedBox,
} from './loan/documents.ts';
export type { ServiceDocument, QueryDocument, ResultDocument, Disclosure } from './loan/documents.ts';
// what the `hessian train` and `hessian loan` commands (cli/commands/) wire together
export { REWARD_RULE } from './chain/abi.ts';
export type { RewardRuleName } from './chain/abi.ts';
export { bindStateToChain } from './state-chain.ts';
export { METRICS } from './ml/metrics.ts';
export type { Metric } from './ml/metrics.ts';
export { CSV_OPTIONS, ENCODING_OPTIONS, DATA_OPTIONS, DataError, checkData, csvFormat, readDataFile } from './data/options.ts';
export type { DataFlags, DataOptionSpec } from './data/options.ts';
export type { BadRowPolicy, FitEncodingOptions } from './data/encoding.ts';
export type { CsvTable } from './data/csv.ts';
