// Mirrors of the Solidity enums in IModelRepository.sol and ILoanDesk.sol, as const objects (erasable syntax).
// Values are the uint8 the ABI carries; keep the order identical to the Solidity declarations.

export const RewardRule = { Improvement: 0, EqualShare: 1 } as const;
export type RewardRule = (typeof RewardRule)[keyof typeof RewardRule];

export const ModelStatus = { None: 0, Open: 1, TargetReached: 2, Closed: 3 } as const;
export type ModelStatus = (typeof ModelStatus)[keyof typeof ModelStatus];

export const GradientStatus = { None: 0, Committed: 1, Pending: 2, Accepted: 3, Rejected: 4, Declined: 5, Expired: 6, Lapsed: 7 } as const;
export type GradientStatus = (typeof GradientStatus)[keyof typeof GradientStatus];

export const Verdict = { Accepted: 0, Rejected: 1, Declined: 2 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export const RewardKind = { Improvement: 0, EqualShare: 1, ExpiredShare: 2 } as const;
export type RewardKind = (typeof RewardKind)[keyof typeof RewardKind];

export const CloseReason = { Deadline: 0, TargetReached: 1 } as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

// ILoanDesk.sol
export const DeploymentStatus = { None: 0, Active: 1, Retired: 2 } as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

export const QuoteStatus = { None: 0, Requested: 1, Answered: 2 } as const;
export type QuoteStatus = (typeof QuoteStatus)[keyof typeof QuoteStatus];

export const LoanStatus = { None: 0, Pending: 1, Approved: 2, Declined: 3, Cancelled: 4 } as const;
export type LoanStatus = (typeof LoanStatus)[keyof typeof LoanStatus];

export const DecisionReason = { Priced: 0, RiskTooHigh: 1, RateAboveCap: 2, AmountAboveLimit: 3, InvalidDisclosure: 4, Manual: 5 } as const;
export type DecisionReason = (typeof DecisionReason)[keyof typeof DecisionReason];

/** The name of one of an enum's values, e.g. `EnumName<typeof Verdict>` is 'Accepted' | 'Rejected' | 'Declined'. */
export type EnumName<T extends Record<string, number>> = keyof T & string;

/** An enum's value names in value order, so `enumNames(Verdict)[Verdict.Rejected] === 'Rejected'`. */
export function enumNames<T extends Record<string, number>>(enumObject: T): readonly EnumName<T>[] {
  return Object.freeze(Object.keys(enumObject).sort((a, b) => enumObject[a]! - enumObject[b]!));
}

/** The name of an enum value, e.g. `enumName(GradientStatus, 2) === 'Accepted'`. */
export function enumName<T extends Record<string, number>>(enumObject: T, value: number | bigint): keyof T & string {
  const n = Number(value);
  const name = Object.keys(enumObject).find((k) => enumObject[k] === n);
  if (name === undefined) {
    throw new RangeError(`${n} is not one of ${Object.entries(enumObject).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  return name;
}
