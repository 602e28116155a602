// Gas of the two hot paths, measured with realistic 59-character CIDv1 strings (Improvement
// rule, ETH bounty, a stake). Gas is deterministic, so the targets are asserted, not timed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chainSuite } from './helpers/suite.ts';
import { CID, as, createModel, freshCommitment, submit } from './helpers/chain.ts';

const STAKE = 10n ** 16n;

chainSuite('gas', (get) => {
  it('submitGradient <= 100k and evaluateGradient <= 90k (accepted, improving, first credit)', async () => {
    const env = get();
    const id = await createModel(env);
    await submit(env, id, env.bob); // a second pending gradient to reject below
    const tx = await as(env.repo, env.alice).submitGradient(id, CID.gradient, freshCommitment(), { value: STAKE });
    const submitGas = (await tx.wait()).gasUsed as bigint;
    const g = await env.repo.gradientCount();
    // alice has no credit yet: the reward + stake credit writes a fresh slot (the costly case)
    const ev = await as(env.repo, env.evaluator).evaluateGradient(g, 650_000n, true, CID.newWeights);
    const evaluateGas = (await ev.wait()).gasUsed as bigint;
    const reject = await as(env.repo, env.evaluator).evaluateGradient(g - 1n, 100_000n, false, '');
    const rejectGas = (await reject.wait()).gasUsed as bigint;
    process.stdout.write(`    submitGradient ${submitGas} gas, evaluateGradient accepted ${evaluateGas}, rejected ${rejectGas}\n`);
    assert.ok(submitGas <= 100_000n, `submitGradient used ${submitGas} gas`);
    assert.ok(evaluateGas <= 90_000n, `evaluateGradient used ${evaluateGas} gas`);
    assert.ok(rejectGas <= 90_000n, `rejecting used ${rejectGas} gas`);
  });
});
