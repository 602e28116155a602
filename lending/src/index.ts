// @hessian/lending's public API: the lender's loan service and model deployment, the borrower's quote
// and loan request, the LoanDesk chain client, and the quote protocol (CKKS query, pricing, sealed
// disclosures, IPFS documents) they speak.
export { deployModel } from './service/deploy.ts';
export type { DeployModelConfig, DeployedModel } from './service/deploy.ts';
export { startLoanService } from './service/daemon.ts';
export type { LoanServiceHandle } from './service/daemon.ts';
export type { LoanServiceConfig } from './service/context.ts';
export { DEFAULT_QUOTE_LIMITS } from './service/limits.ts';
export type { QuoteLimits } from './service/limits.ts';
export { decideManually } from './service/manual.ts';
export type { ManualDecision } from './service/manual.ts';
export { loanServiceJournal, manualDecisionJournal, deploymentJournal, deploymentRecords } from './service/journal.ts';
export type { LoanServiceJournal } from './service/journal.ts';
export { weightsCommitment } from './service/material.ts';
export { requestQuote, finishQuote, requestLoan, waitForDecision, fetchServiceDocument, encodeBorrowerRow, borrowerJournal, QuoteTimeoutError } from './borrower.ts';
export type { QuoteConfig, QuoteResult, LoanRequestConfig, LoanRequestResult, LoanDecisionSummary, BorrowerJournal } from './borrower.ts';
export { LoanDeskClient, LoanDeskView, DECISION_REASON, decodeLoanDeskLog } from './chain/loan-desk/index.ts';
export type { LoanDeskConfig, LoanDeskEvent, DeployModelInput, QuoteState, LoanRequestState } from './chain/loan-desk/index.ts';
export {
  QUERY_PARAMETERS, LOGIT_SLOT_SCALE, RESULT_NOISE_SIGMA, DEFAULT_TAG_TOLERANCE, QueryError, queryLayout, checkQueryLayout, openQueryContext,
  createBorrowerKeys, encryptQuery, newTagKey, evaluateQuery, decryptResult, decryptResultSlots, verifyTag,
} from './quote/prediction.ts';
export type { QueryLayout, BorrowerKeys, TagKey, EvaluateOptions } from './quote/prediction.ts';
export { DEFAULT_PRICING, PricingError, validatePricingRule, probabilityOfDefault, priceLoan, decisionReasonCode } from './quote/pricing.ts';
export type { PricingRule, LoanQuote, DecisionReasonName } from './quote/pricing.ts';
export { SealedBoxError, generateDisclosureKeys, disclosurePublicKey, seal, open } from './quote/sealed.ts';
export type { DisclosureKeyPair, SealedBox } from './quote/sealed.ts';
export {
  MAX_SERVICE_DOC_BYTES, MAX_QUERY_DOC_BYTES, MAX_RESULT_DOC_BYTES, MAX_SEALED_BYTES, disclosureContext,
  parseServiceDocument, parseQueryDocument, parseResultDocument, parseDisclosure, parseSealedBox,
} from './quote/documents.ts';
export type { ServiceDocument, QueryDocument, ResultDocument, Disclosure } from './quote/documents.ts';
export { TAG_A_RANGE, TAG_LOGIT_BOUND } from './quote/prediction.ts';
export { encryptComplexQuery, decryptComplexResult } from './quote/complex-slots.ts';
