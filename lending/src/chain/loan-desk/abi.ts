// The LoanDesk ABI (owned by @hessian/contracts) and the enum names the services print.
import { Interface } from 'ethers';
import { loanDeskAbi, DecisionReason, enumNames } from '@hessian/contracts';

export { loanDeskAbi };
export const loanDeskInterface = new Interface(loanDeskAbi);

/** ILoanDesk.DecisionReason, in declaration order */
export const DECISION_REASON = enumNames(DecisionReason);
export type DecisionReasonName = (typeof DECISION_REASON)[number];
