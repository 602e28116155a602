import { HessianError } from '@hessian/common/errors';
import { z } from 'zod';
import { DecisionReason, MAX_RATE_BPS, MAX_TERM_DAYS } from '@hessian/contracts';
import { MetadataError } from '@hessian/core/model';

/**
 * The pricing rule a deployment publishes in its service document (docs/model-deployment.md,
 * "Pricing rule"), so a borrower can compute the rate it would be offered before applying, and
 * anyone can check a decision against it. Rates are yearly, in basis points.
 */
export interface PricingRule {
  /** the lender's own cost of funds */
  costOfFundsBps: number;
  /** profit margin on top of break-even */
  marginBps: number;
  /** share of the amount lost when a borrower defaults, 0..1 */
  lossGivenDefault: number;
  /** probabilities of default above this are declined (RiskTooHigh) */
  maxProbability: number;
  minRateBps: number;
  /** rates above this are declined (RateAboveCap): a usury-style cap */
  maxRateBps: number;
  /** rates are rounded up to a multiple of this */
  rateStepBps: number;
  /** largest amount lent, decimal base units (wei); larger requests are approved at this amount */
  maxAmount: string;
  /** longest term priced; longer requests are refused before any transaction */
  maxTermDays: number;
}

export const DEFAULT_PRICING: PricingRule = {
  costOfFundsBps: 400,
  marginBps: 300,
  lossGivenDefault: 0.6,
  maxProbability: 0.35,
  minRateBps: 500,
  maxRateBps: 3600,
  rateStepBps: 25,
  maxAmount: '10000000000000000000',
  maxTermDays: 1825,
};

// the LoanDesk's own bounds: a rule beyond them would price loans the contract refuses to record
const bps = z.number().int().min(0).max(MAX_RATE_BPS);

export const pricingRuleSchema = z.object({
  costOfFundsBps: bps,
  marginBps: bps,
  lossGivenDefault: z.number().finite().min(0).max(1),
  maxProbability: z.number().finite().gt(0).lt(1),
  minRateBps: bps,
  maxRateBps: bps.positive(),
  rateStepBps: z.number().int().min(1).max(10_000),
  // 78 digits covers uint256
  maxAmount: z.string().regex(/^[1-9][0-9]{0,77}$/, 'must be a positive integer in base units, as a decimal string'),
  maxTermDays: z.number().int().min(1).max(MAX_TERM_DAYS),
}).strict().superRefine((r, ctx) => {
  if (r.minRateBps > r.maxRateBps) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['minRateBps'], message: `${r.minRateBps} exceeds maxRateBps ${r.maxRateBps}` });
  if (/^[0-9]+$/.test(r.maxAmount) && BigInt(r.maxAmount) >= 2n ** 256n) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['maxAmount'], message: 'does not fit in uint256' });
});

export function validatePricingRule(rule: unknown): PricingRule {
  const r = pricingRuleSchema.safeParse(rule);
  if (!r.success) throw new MetadataError('pricing rule', r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** sigmoid(z), without overflow for large |z| */
export function probabilityOfDefault(logit: number): number {
  if (!Number.isFinite(logit)) throw new RangeError(`logit must be a finite number, got ${logit}`);
  if (logit >= 0) return 1 / (1 + Math.exp(-logit));
  const e = Math.exp(logit);
  return e / (1 + e);
}

/** The names of ILoanDesk.DecisionReason, in the contract's order. */
export type DecisionReasonName = keyof typeof DecisionReason;

export function decisionReasonCode(name: DecisionReasonName): number {
  return DecisionReason[name];
}

export interface LoanQuote {
  probability: number;
  approved: boolean;
  /** the priced rate (also when declined for RateAboveCap, to show by how much); 0 for RiskTooHigh */
  rateBps: number;
  /** amount approved (capped at maxAmount); 0 when declined */
  amount: bigint;
  reason: DecisionReasonName;
  /** (costOfFunds + pd·lgd) / (1 - pd) in bps, rounded up: the rate at which expected profit is zero */
  breakEvenRateBps: number;
}

/** A request the rule cannot price at all (bad amount or term): refused before any transaction. */
export class PricingError extends HessianError {
  override name = 'PricingError';
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

/** ceil, forgiving the float error in a value that is mathematically an integer */
function ceilBps(x: number): number {
  return Math.ceil(x - 1e-9);
}

/**
 * pd above maxProbability: RiskTooHigh. Otherwise rate = (costOfFunds + margin + pd·lgd)/(1 - pd),
 * rounded up to rateStep, at least minRate; above maxRate: RateAboveCap. An amount above
 * maxAmount is approved at maxAmount (AmountAboveLimit). Amount <= 0 or a term outside
 * 1..maxTermDays throws PricingError: the rule gives no price for them, and declining one for
 * "risk" or "rate" would record a false reason.
 */
export function priceLoan(rule: PricingRule, probability: number, amount: bigint, termDays: number): LoanQuote {
  if (!(Number.isFinite(probability) && probability >= 0 && probability <= 1)) throw new PricingError(`probability of default must be in [0, 1], got ${probability}`);
  if (typeof amount !== 'bigint' || amount <= 0n) throw new PricingError(`amount must be a positive integer in base units, got ${amount}`);
  if (!Number.isInteger(termDays) || termDays < 1 || termDays > rule.maxTermDays) {
    throw new PricingError(`term must be a whole number of days from 1 to ${rule.maxTermDays}, got ${termDays}`);
  }
  const lgdBps = rule.lossGivenDefault * 10_000;
  if (probability > rule.maxProbability) {
    const breakEven = probability < 1 ? ceilBps((rule.costOfFundsBps + probability * lgdBps) / (1 - probability)) : Number.POSITIVE_INFINITY;
    return { probability, approved: false, rateBps: 0, amount: 0n, reason: 'RiskTooHigh', breakEvenRateBps: breakEven };
  }
  const breakEvenRateBps = ceilBps((rule.costOfFundsBps + probability * lgdBps) / (1 - probability));
  const raw = (rule.costOfFundsBps + rule.marginBps + probability * lgdBps) / (1 - probability);
  const stepped = ceilBps(raw / rule.rateStepBps) * rule.rateStepBps;
  const rateBps = Math.max(stepped, rule.minRateBps);
  if (rateBps > rule.maxRateBps) return { probability, approved: false, rateBps, amount: 0n, reason: 'RateAboveCap', breakEvenRateBps };
  const max = BigInt(rule.maxAmount);
  if (amount > max) return { probability, approved: true, rateBps, amount: max, reason: 'AmountAboveLimit', breakEvenRateBps };
  return { probability, approved: true, rateBps, amount, reason: 'Priced', breakEvenRateBps };
}
