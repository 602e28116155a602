// What LoanDesk's reverts carry: its custom errors and the enum names of their arguments,
// registered with core's contract-free revert decoder on import.
import { registerContractErrors } from '@hessian/core/chain';
import { DecisionReason, DeploymentStatus, LoanStatus, QuoteStatus, enumNames } from '@hessian/contracts';
import { loanDeskAbi } from './abi.ts';

/** enum value names by Solidity internal type, for readable errors */
export const LOAN_DESK_ENUM_NAMES: Readonly<Record<string, readonly string[]>> = {
  'enum ILoanDesk.DeploymentStatus': enumNames(DeploymentStatus),
  'enum ILoanDesk.QuoteStatus': enumNames(QuoteStatus),
  'enum ILoanDesk.LoanStatus': enumNames(LoanStatus),
  'enum ILoanDesk.DecisionReason': enumNames(DecisionReason),
};

registerContractErrors({ abi: loanDeskAbi, enums: LOAN_DESK_ENUM_NAMES });
