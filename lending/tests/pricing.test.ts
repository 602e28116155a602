import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionReason, MAX_RATE_BPS, MAX_TERM_DAYS } from '@hessian/contracts';
import { MetadataError } from '@hessian/core/model';
import { DEFAULT_PRICING, PricingError, decisionReasonCode, priceLoan, probabilityOfDefault, validatePricingRule } from '../src/quote/pricing.ts';

const ETH = 10n ** 18n;

test('probabilityOfDefault: sigmoid, stable at the extremes, refuses non-finite logits', () => {
  assert.equal(probabilityOfDefault(0), 0.5);
  assert.ok(Math.abs(probabilityOfDefault(2) - 1 / (1 + Math.exp(-2))) < 1e-15);
  assert.ok(Math.abs(probabilityOfDefault(-2) + probabilityOfDefault(2) - 1) < 1e-15);
  assert.ok(probabilityOfDefault(-800) > 0 || probabilityOfDefault(-800) === 0);
  assert.ok(!Number.isNaN(probabilityOfDefault(-800)) && !Number.isNaN(probabilityOfDefault(800)));
  assert.equal(probabilityOfDefault(800), 1);
  assert.ok(probabilityOfDefault(-40) > 0 && probabilityOfDefault(-40) < 1e-17);
  assert.throws(() => probabilityOfDefault(Number.NaN), /logit must be a finite number/);
});

test('priceLoan: the documented formula, rounded up to the step, monotone in probability', () => {
  const r = DEFAULT_PRICING;
  // pd = 0.1: (400 + 300 + 0.1 * 6000) / 0.9 = 1444.4 -> 1450 (step 25); break-even (400 + 600) / 0.9 = 1111.1 -> 1112
  const q = priceLoan(r, 0.1, ETH, 365);
  assert.deepEqual(q, { probability: 0.1, approved: true, rateBps: 1450, amount: ETH, reason: 'Priced', breakEvenRateBps: 1112 });
  // an exact multiple of the step stays as it is: pd = 0 -> 700
  assert.equal(priceLoan(r, 0, ETH, 30).rateBps, 700);
  let last = 0;
  for (let pd = 0; pd <= r.maxProbability; pd += 0.005) {
    const p = priceLoan(r, pd, ETH, 365);
    assert.ok(p.rateBps >= last, `rate fell from ${last} to ${p.rateBps} at pd ${pd}`);
    assert.equal(p.rateBps % r.rateStepBps, 0);
    assert.ok(p.rateBps >= p.breakEvenRateBps);
    last = p.rateBps;
  }
});

test('priceLoan: minimum rate, every decline reason, amount cap', () => {
  const r = { ...DEFAULT_PRICING, costOfFundsBps: 100, marginBps: 100 };
  assert.equal(priceLoan(r, 0.01, ETH, 365).rateBps, DEFAULT_PRICING.minRateBps);
  const risky = priceLoan(DEFAULT_PRICING, 0.36, ETH, 365);
  assert.deepEqual([risky.approved, risky.reason, risky.rateBps, risky.amount], [false, 'RiskTooHigh', 0, 0n]);
  assert.equal(priceLoan(DEFAULT_PRICING, 0.35, ETH, 365).reason !== 'RiskTooHigh', true);
  // pd 0.3: (700 + 1800) / 0.7 = 3571.4 -> 3575 (under the 3600 cap); a 3500 cap declines it
  assert.equal(priceLoan(DEFAULT_PRICING, 0.3, ETH, 365).rateBps, 3575);
  const capped = priceLoan({ ...DEFAULT_PRICING, maxRateBps: 3500 }, 0.3, ETH, 365);
  assert.deepEqual([capped.approved, capped.reason, capped.rateBps, capped.amount], [false, 'RateAboveCap', 3575, 0n]);
  const big = priceLoan(DEFAULT_PRICING, 0.1, 11n * ETH, 365);
  assert.deepEqual([big.approved, big.reason, big.amount, big.rateBps], [true, 'AmountAboveLimit', 10n * ETH, 1450]);
  assert.equal(priceLoan(DEFAULT_PRICING, 0.1, 10n * ETH, 365).reason, 'Priced');
  // risk is judged before the amount
  assert.equal(priceLoan(DEFAULT_PRICING, 0.5, 11n * ETH, 365).reason, 'RiskTooHigh');
});

test('priceLoan: requests the rule cannot price throw, naming the field', () => {
  assert.throws(() => priceLoan(DEFAULT_PRICING, 0.1, ETH, 1826), (e: Error) => e instanceof PricingError && /term must be a whole number of days from 1 to 1825, got 1826/.test(e.message));
  assert.throws(() => priceLoan(DEFAULT_PRICING, 0.1, ETH, 0), /term must be/);
  assert.throws(() => priceLoan(DEFAULT_PRICING, 0.1, ETH, 1.5), /term must be/);
  assert.throws(() => priceLoan(DEFAULT_PRICING, 0.1, 0n, 30), /amount must be a positive integer/);
  assert.throws(() => priceLoan(DEFAULT_PRICING, Number.NaN, ETH, 30), /probability of default must be in \[0, 1\]/);
  assert.throws(() => priceLoan(DEFAULT_PRICING, 1.2, ETH, 30), /probability of default/);
});

test('decision reasons map to the contract enum order', () => {
  for (const [name, code] of Object.entries(DecisionReason)) assert.equal(decisionReasonCode(name as keyof typeof DecisionReason), code);
  assert.equal(decisionReasonCode('InvalidDisclosure'), 4);
});

test('validatePricingRule: accepts the default, names every bad field', () => {
  assert.deepEqual(validatePricingRule(DEFAULT_PRICING), DEFAULT_PRICING);
  const bad = (patch: Record<string, unknown>, re: RegExp) => assert.throws(() => validatePricingRule({ ...DEFAULT_PRICING, ...patch }), (e: Error) => e instanceof MetadataError && re.test(e.message));
  bad({ lossGivenDefault: 1.5 }, /lossGivenDefault/);
  bad({ maxProbability: 1 }, /maxProbability/);
  bad({ rateStepBps: 0 }, /rateStepBps/);
  bad({ minRateBps: 4000 }, /minRateBps: 4000 exceeds maxRateBps 3600/);
  bad({ maxAmount: '1e18' }, /maxAmount: must be a positive integer in base units/);
  bad({ maxAmount: '0' }, /maxAmount/);
  bad({ maxAmount: 10 }, /maxAmount/);
  bad({ maxAmount: '9'.repeat(78) }, /maxAmount: does not fit in uint256/);
  bad({ costOfFundsBps: 1.5 }, /costOfFundsBps/);
  bad({ maxTermDays: 0 }, /maxTermDays/);
  // requestLoan reverts InvalidTerm beyond the contract's MAX_TERM_DAYS: a rule may not promise more
  bad({ maxTermDays: MAX_TERM_DAYS + 1 }, /maxTermDays/);
  bad({ maxRateBps: MAX_RATE_BPS + 1 }, /maxRateBps/);
  bad({ surprise: 1 }, /Unrecognized key/);
  assert.throws(() => validatePricingRule({ costOfFundsBps: 400 }), /marginBps: Required/);
});
