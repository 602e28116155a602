// The owner's safety policy rule by rule, at each limit's edge, and its command-line face: every
// rule documented in `hessian train owner --help` with its flag and environment variable, and bad
// values refused naming the flag and the value before anything is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther, ZeroAddress } from 'ethers';
import { checkSubmission, checkTerms, DEFAULT_OWNER_POLICY, ownerPolicy, parseAddressList } from '../../src/roles/owner-policy.ts';
import type { ModelTerms, PolicyRule, SubmissionOutcome } from '../../src/roles/owner-policy.ts';
import { train as main } from '../../../cli/commands/train.ts';

const LENDER = '0x' + '11'.repeat(20);
const EVALUATOR = '0x' + '22'.repeat(20);
const OTHER = '0x' + '33'.repeat(20);
const terms = (over: Partial<ModelTerms> = {}): ModelTerms => ({
  modelId: 7,
  lender: LENDER,
  evaluator: EVALUATOR,
  token: ZeroAddress,
  bounty: parseEther('1'),
  submissionStake: parseEther('0.001'),
  ...over,
});
const rule = (r: { rule: PolicyRule } | undefined) => r?.rule;

test('the defaults are small and refuse the stake-drain model (5 ETH stake, 1 wei bounty)', () => {
  const p = ownerPolicy();
  assert.equal(p.maxStake, parseEther('0.01'));
  assert.equal(rule(checkTerms(p, terms())), undefined, 'an ordinary model passes');
  assert.equal(rule(checkTerms(p, terms({ submissionStake: parseEther('5'), bounty: 1n }))), 'max-stake');
  assert.equal(rule(checkTerms(p, terms({ submissionStake: parseEther('0.001'), bounty: 1n }))), 'max-stake-ratio');
});

test('stake limits: per submission, against the bounty, token bounties', () => {
  const p = ownerPolicy({ maxStake: 100n, maxStakeRatio: 0.5 });
  assert.equal(rule(checkTerms(p, terms({ submissionStake: 100n, bounty: 200n }))), undefined, 'at both limits exactly');
  assert.equal(rule(checkTerms(p, terms({ submissionStake: 101n, bounty: 1000n }))), 'max-stake');
  assert.equal(rule(checkTerms(p, terms({ submissionStake: 100n, bounty: 199n }))), 'max-stake-ratio');
  const token = terms({ token: OTHER, submissionStake: 10n, bounty: 1n });
  assert.equal(rule(checkTerms(p, token)), 'token-bounty');
  assert.equal(rule(checkTerms(ownerPolicy({ ...p, allowTokenBounties: true }), token)), undefined);
  assert.match(checkTerms(p, terms({ submissionStake: 101n }))!.reason, /stake 101 wei is over the maximum 100 wei/);
});

test('allow and deny lists of lenders and evaluators', () => {
  const set = (a: string) => new Set([a.toLowerCase()]);
  assert.equal(rule(checkTerms(ownerPolicy({ lenders: set(OTHER) }), terms())), 'lender-allow');
  assert.equal(rule(checkTerms(ownerPolicy({ lenders: set(LENDER) }), terms())), undefined);
  assert.equal(rule(checkTerms(ownerPolicy({ denyLenders: set(LENDER) }), terms())), 'lender-deny');
  assert.equal(rule(checkTerms(ownerPolicy({ evaluators: set(OTHER) }), terms())), 'evaluator-allow');
  assert.equal(rule(checkTerms(ownerPolicy({ evaluators: set(EVALUATOR) }), terms())), undefined);
  assert.equal(rule(checkTerms(ownerPolicy({ denyEvaluators: set(EVALUATOR) }), terms({ evaluator: EVALUATOR.toUpperCase().replace('0X', '0x') }))), 'evaluator-deny');
  assert.deepEqual([...parseAddressList('--lenders', ` ${LENDER.toUpperCase().replace('0X', '0x')}, ${OTHER}`)], [LENDER, OTHER]);
  assert.throws(() => parseAddressList('--lenders', `${LENDER},0xnope`), /--lenders: '0xnope' is not an address/);
});

test('history rules: rejections in a row, loss per model, total at risk', () => {
  const p = ownerPolicy({ maxRejections: 2, maxLoss: 300n, maxAtRisk: 250n });
  const m = terms({ submissionStake: 100n });
  const o = (status: SubmissionOutcome['status'], reward = 0n): SubmissionOutcome => ({ status, stake: 100n, reward });
  assert.equal(rule(checkSubmission(p, m, [], 0n)), undefined);
  assert.equal(rule(checkSubmission(p, m, [o('Rejected')], 0n)), undefined);
  assert.equal(rule(checkSubmission(p, m, [o('Rejected'), o('Lapsed')], 0n)), 'max-rejections', 'a lapsed commit forfeits too');
  assert.equal(rule(checkSubmission(p, m, [o('Rejected'), o('Declined')], 0n)), undefined, 'a declined gradient got its stake back: the run is broken');
  // two forfeited (200) + the next stake (100) = 300: at the limit; one more would pass it
  assert.equal(rule(checkSubmission(p, m, [o('Rejected'), o('Accepted'), o('Rejected')], 0n)), undefined);
  assert.equal(rule(checkSubmission(p, m, [o('Rejected'), o('Accepted'), o('Rejected'), o('Accepted'), o('Rejected')], 0n)), 'max-loss');
  assert.equal(rule(checkSubmission(p, m, [o('Rejected'), o('Accepted', 150n), o('Rejected'), o('Accepted'), o('Rejected')], 0n)), undefined, 'rewards offset forfeits');
  assert.equal(rule(checkSubmission(p, m, [], 150n)), undefined, '150 at risk + 100 = 250: at the cap');
  assert.equal(rule(checkSubmission(p, m, [], 151n)), 'max-at-risk');
});

test('a policy with a bad value is refused naming it', () => {
  assert.throws(() => ownerPolicy({ maxRejections: 0 }), /maxRejections must be an integer >= 1, got 0/);
  assert.throws(() => ownerPolicy({ maxStakeRatio: Number.NaN }), /maxStakeRatio must be a number >= 0, got NaN/);
  assert.throws(() => ownerPolicy({ maxStake: -1n }), /maxStake must be an amount of wei >= 0, got -1/);
  assert.equal(DEFAULT_OWNER_POLICY.maxRejections, 3, 'the defaults are untouched by overrides');
});

function capture() {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) }, get text() { return text; } };
}

test('hessian train owner --help documents every rule with its flag and environment variable', async () => {
  const out = capture();
  assert.equal(await main(['owner', '--help'], { stdout: out.stream, stderr: capture().stream, env: {} }), 0);
  const rules: [PolicyRule, string, string][] = [
    ['max-stake', '--max-stake', 'HESSIAN_OWNER_MAX_STAKE'],
    ['max-stake-ratio', '--max-stake-ratio', 'HESSIAN_OWNER_MAX_STAKE_RATIO'],
    ['token-bounty', '--token-bounties', 'HESSIAN_OWNER_TOKEN_BOUNTIES'],
    ['max-at-risk', '--max-at-risk', 'HESSIAN_OWNER_MAX_AT_RISK'],
    ['lender-allow', '--lenders', 'HESSIAN_OWNER_LENDERS'],
    ['lender-deny', '--deny-lenders', 'HESSIAN_OWNER_DENY_LENDERS'],
    ['evaluator-allow', '--evaluators', 'HESSIAN_OWNER_EVALUATORS'],
    ['evaluator-deny', '--deny-evaluators', 'HESSIAN_OWNER_DENY_EVALUATORS'],
    ['max-rejections', '--max-rejections', 'HESSIAN_OWNER_MAX_REJECTIONS'],
    ['max-loss', '--max-loss', 'HESSIAN_OWNER_MAX_LOSS'],
  ];
  for (const [r, flag, env] of rules) {
    const line = out.text.split('\n').find((l) => l.trimStart().startsWith(`${flag} `));
    assert.ok(line, `${flag} is documented`);
    assert.match(line, new RegExp(`rule ${r}:`));
    assert.match(line, new RegExp(`env ${env}\\b`));
  }
  assert.match(out.text, /--max-stake <value> .*default 0\.01\)/);
});

test('bad policy flags and environment values are usage errors naming the value', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--max-stake', 'lots'], {}, /--max-stake must be an amount of ETH like 1.5, got 'lots'/],
    [[], { HESSIAN_OWNER_MAX_STAKE_RATIO: '-1' }, /--max-stake-ratio must be a number >= 0, got '-1'/],
    [['--max-rejections', '0'], {}, /--max-rejections must be an integer >= 1, got '0'/],
    [['--lenders', '0x12,bob'], {}, /--lenders: '0x12' is not an address/],
    [[], { HESSIAN_OWNER_DENY_EVALUATORS: `${OTHER},carol` }, /--deny-evaluators: 'carol' is not an address/],
  ];
  for (const [argv, env, want] of cases) {
    const err = capture();
    const code = await main(['owner', '--data', 'x.csv', ...argv], { stdout: capture().stream, stderr: err.stream, env });
    assert.equal(code, 2, err.text);
    assert.match(err.text, want);
  }
});
