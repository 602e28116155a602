// @hessian/lending's public API: the lender's loan service and model deployment, the borrower's quote
// and loan request, the LoanDesk chain client, and the quote protocol (CKKS query, pricing, sealed
// disclosures, IPFS documents) they speak.
export { deployModel, startLoanService, decideManually, loanServiceJournal, manualDecisionJournal, deploymentJournal, deploymentRecords, weightsCommitment } from './service/loan-service.ts';
export type { DeployModelConfig, DeployedModel, LoanServiceConfig, LoanServiceHandle, LoanServiceJournal, ManualDecision } from './service/loan-service.ts';
export { requestQuote, finishQuote, requestLoan, waitForDecision, fetchServiceDocument, encodeBorrowerRow, borrowerJournal, QuoteTimeoutError } from './borrower.ts';
export type { QuoteConfig, QuoteResult, LoanRequestConfig, LoanRequestResult, LoanDecisionSummary, BorrowerJournal } from './borrower.ts';
export { LoanDeskClient, LoanDeskView, DECISION_REASON, decodeLoanDeskLog } from './chain/loan-desk/client.ts';
export type { LoanDeskConfig, LoanDeskEvent, DeployModelInput, QuoteState, LoanRequestState } from './chain/loan-desk/client.ts';
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
