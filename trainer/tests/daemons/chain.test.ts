// The chain client against a real Hardhat node and the real ModelRepository: transactions,
// events folded into a view, log polling, and reverts decoded into readable errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toUtf8Bytes, parseEther } from 'ethers';
import { ModelRepositoryClient, type CreateModelInput, connectProvider, defaultConfirmations, decodeLog, RepositoryView, randomSalt, sealOf } from '@hessian/core/model-repository';
import { ChainError, LogWatcher, readEvents } from '@hessian/core/chain';
import { waitFor } from './helpers/scenario.ts';
import { startTestChain } from './helpers/hardhat.ts';
import type { TestChain } from './helpers/hardhat.ts';

let chain: TestChain;
let lender: ModelRepositoryClient;
let owner: ModelRepositoryClient;

before(async () => {
  chain = await startTestChain();
  lender = await ModelRepositoryClient.connect(chain.chain, chain.wallet(1));
  owner = await ModelRepositoryClient.connect(chain.chain, chain.wallet(2));
});
after(async () => {
  lender?.destroy();
  owner?.destroy();
  await chain?.stop();
});

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

/** a throwaway ETH model for the chain-level tests: only what a test sets differs from these */
async function createTestModel(over: Partial<CreateModelInput> = {}) {
  const now = await lender.chainTime();
  return lender.createModel({
    weightsCid: CID,
    metadataCid: CID,
    bounty: parseEther('0.1'),
    initialScore: 500_000,
    targetScore: 700_000,
    rule: 'Improvement',
    submissionDeadline: now + 3600,
    evaluationWindow: 60,
    submissionStake: parseEther('0.01'),
    ...over,
  });
}

test('create, submit, evaluate: events decoded, view folded, watcher follows, reverts readable', async () => {
  const now = await lender.chainTime();
  const created = await lender.createModel({
    weightsCid: CID,
    metadataCid: CID,
    bounty: parseEther('1'),
    initialScore: 500_000,
    targetScore: 700_000,
    rule: 'Improvement',
    submissionDeadline: now + 3600,
    evaluationWindow: 600,
    submissionStake: parseEther('0.01'),
  });
  assert.ok(created.modelId >= 1);
  assert.equal(created.event.evaluator, await lender.address(), 'evaluator defaults to the lender');

  const watcher = new LogWatcher({ provider: owner.provider, address: chain.chain.address, fromBlock: chain.chain.startBlock!, decode: decodeLog });
  const view = new RepositoryView();
  view.applyAll(await watcher.poll());
  const m = view.models.get(created.modelId)!;
  assert.equal(m.status, 'Open');
  assert.equal(m.bestScore, 500_000);
  assert.ok(view.acceptsSubmissions(created.modelId, now + 10));
  assert.ok(!view.acceptsSubmissions(created.modelId, now + 3600));

  const commitment = keccak256(toUtf8Bytes('batch 0'));
  const me = await owner.address();
  const salt = randomSalt();
  const seal = sealOf(me, created.modelId, commitment, CID, salt);
  await assert.rejects(owner.commitGradient(created.modelId, seal, 0n), /EthValueMismatch\(expected=10000000000000000, sent=0\)/);
  const committed = await owner.commitGradient(created.modelId, seal, parseEther('0.01'));
  assert.equal(committed.event.seal, seal);
  assert.equal(committed.event.modelVersion, 0);
  assert.ok(committed.event.revealDeadline > now);
  view.applyAll(await watcher.poll());
  assert.equal(view.gradients.get(committed.gradientId)!.status, 'Committed');
  assert.equal(view.gradients.get(committed.gradientId)!.gradientCid, undefined, 'the CID is not public before the reveal');
  assert.deepEqual(view.unsettledGradients(created.modelId).map((g) => g.gradientId), [committed.gradientId]);
  assert.deepEqual(view.pendingGradients(created.modelId), [], 'a commit is not evaluable');

  // a reveal by anyone else, or of other content, is refused with a readable error
  await assert.rejects(lender.revealGradient(committed.gradientId, CID, commitment, salt, 0), (err: unknown) => {
    assert.ok(err instanceof ChainError);
    assert.equal(err.errorName, 'NotContributor');
    assert.match(err.message, /NotContributor\(gradientId=\d+, caller=0x[0-9a-fA-F]{40}, contributor=0x[0-9a-fA-F]{40}\): only the account that committed/);
    assert.equal(err.transient, false);
    return true;
  });
  await assert.rejects(owner.revealGradient(committed.gradientId, CID, commitment, randomSalt(), 0), /SealMismatch\(gradientId=\d+, expected=0x[0-9a-f]{64}, actual=0x[0-9a-f]{64}\)/);
  assert.throws(() => owner.revealGradient(committed.gradientId, CID, commitment, salt, 1.5), /dpEpsilon must be an integer in \[0, 4294967295\].*got 1\.5/);
  assert.throws(() => owner.revealGradient(committed.gradientId, CID, '0x1234', salt, 0), /data commitment must be a 0x-prefixed 32-byte hex string, got "0x1234"/);

  const revealed = await owner.revealGradient(committed.gradientId, CID, commitment, salt, 1_500_000);
  assert.equal(revealed.event.gradientCid, CID);
  assert.equal(revealed.event.dataCommitment, commitment);
  assert.equal(revealed.event.dpEpsilon, 1_500_000);
  view.applyAll(await watcher.poll());
  const pending = view.pendingGradients(created.modelId);
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.status, 'Pending');
  assert.equal(pending[0]!.salt, salt);
  assert.equal(pending[0]!.evaluationDeadline, revealed.event.evaluationDeadline);

  await assert.rejects(owner.evaluateGradient(committed.gradientId, seal, 600_000, 'Accepted', CID), /NotEvaluator\(modelId=\d+, caller=0x[0-9a-fA-F]{40}/);
  // a verdict must name the content it judged: another seal reverts (a reorg that renumbered ids)
  await assert.rejects(lender.evaluateGradient(committed.gradientId, keccak256(toUtf8Bytes('other')), 600_000, 'Accepted', CID), /SealMismatch/);
  assert.throws(() => lender.evaluateGradient(committed.gradientId, seal, 600_000, 'Maybe' as never, CID), /verdict must be one of Accepted, Rejected, Declined, got "Maybe"/);
  assert.throws(() => lender.evaluateGradient(committed.gradientId, seal, 1_000_001, 'Accepted', CID), /score must be an integer in \[0, 1000000\], got 1000001/);

  const ev = await lender.evaluateGradient(committed.gradientId, seal, 600_000, 'Accepted', CID);
  assert.equal(ev.event.verdict, 'Accepted');
  assert.equal(ev.event.accepted, true);
  assert.ok(ev.event.reward > 0n);
  await assert.rejects(lender.evaluateGradient(committed.gradientId, seal, 650_000, 'Accepted', CID), /GradientNotPending\(gradientId=\d+, status=Accepted\)/);

  view.applyAll(await watcher.poll());
  const g = view.gradients.get(committed.gradientId)!;
  assert.equal(g.status, 'Accepted');
  assert.equal(g.verdict, 'Accepted');
  assert.equal(g.score, 600_000);
  assert.equal(g.stakeRefunded, true);
  assert.equal(view.models.get(created.modelId)!.version, 1);
  assert.equal(view.earned.get(me.toLowerCase()), ev.event.reward);
  assert.deepEqual(await watcher.poll(), [], 'nothing new after catching up');

  // a Declined verdict returns the stake; a Rejected one forfeits it
  const declined = await owner.submitGradient(created.modelId, CID, keccak256(toUtf8Bytes('batch 1')), parseEther('0.01'));
  const rejected = await owner.submitGradient(created.modelId, CID, keccak256(toUtf8Bytes('batch 2')), parseEther('0.01'));
  assert.equal((await lender.evaluateGradient(declined.gradientId, declined.seal, 590_000, 'Declined', '')).event.verdict, 'Declined');
  assert.equal((await lender.evaluateGradient(rejected.gradientId, rejected.seal, 0, 'Rejected', '')).event.verdict, 'Rejected');
  view.applyAll(await watcher.poll());
  assert.equal(view.gradients.get(declined.gradientId)!.status, 'Declined');
  assert.equal(view.gradients.get(declined.gradientId)!.stakeRefunded, true);
  assert.equal(view.gradients.get(rejected.gradientId)!.status, 'Rejected');
  assert.equal(view.gradients.get(rejected.gradientId)!.stakeRefunded, false);

  const found = await owner.queryEvents('GradientRevealed', [null, created.modelId, me]);
  assert.equal(found.length, 3);
  // the accepted and the declined gradients' stakes come back as credit too
  const expected = ev.event.reward + 2n * parseEther('0.01');
  assert.equal(await owner.credit(me), expected);
  const w = await owner.withdraw();
  assert.equal(w.amount, expected);
  await assert.rejects(owner.withdraw(), /NothingToWithdraw/);
});

test('a commit not revealed in time lapses: its stake is forfeited and the view says Lapsed', async () => {
  const now = await lender.chainTime();
  const { modelId } = await createTestModel();
  const watcher = new LogWatcher({ provider: owner.provider, address: chain.chain.address, fromBlock: chain.chain.startBlock!, decode: decodeLog });
  const view = new RepositoryView();
  const salt = randomSalt();
  const commitment = keccak256(toUtf8Bytes('never revealed'));
  const seal = sealOf(await owner.address(), modelId, commitment, CID, salt);
  const c = await owner.commitGradient(modelId, seal, parseEther('0.01'));
  await assert.rejects(lender.expireGradient(c.gradientId), /RevealWindowOpen\(gradientId=\d+, revealDeadline=\d+/);
  await lender.provider.send('evm_increaseTime', [c.event.revealDeadline - now + 1]);
  await lender.provider.send('evm_mine', []);
  await assert.rejects(owner.revealGradient(c.gradientId, CID, commitment, salt, 0), /RevealWindowOver\(gradientId=\d+, revealDeadline=\d+, nowTimestamp=\d+\): the reveal deadline has passed/);
  const lapsed = await lender.expireGradient(c.gradientId);
  assert.ok(lapsed.events.some((e) => e.name === 'GradientLapsed' && e.gradientId === c.gradientId));
  assert.ok(lapsed.events.some((e) => e.name === 'StakeReleased' && e.gradientId === c.gradientId && !e.refunded));
  view.applyAll(await watcher.poll());
  assert.equal(view.gradients.get(c.gradientId)!.status, 'Lapsed');
  assert.deepEqual(view.unsettledGradients(modelId), []);
});

test('the watcher reads only blocks `confirmations` deep', async () => {
  const head = Number(await lender.provider.send('eth_blockNumber', []));
  const watcher = new LogWatcher({ provider: lender.provider, address: chain.chain.address, fromBlock: head + 1, confirmations: 2, maxRange: 1, decode: decodeLog });
  const created = await createTestModel({ initialScore: 0, targetScore: 999_999, rule: 'EqualShare', submissionStake: parseEther('0.001') });
  assert.deepEqual(await watcher.poll(), [], 'a log 0 blocks deep is not read');
  await lender.provider.send('hardhat_mine', ['0x1']);
  assert.deepEqual(await watcher.poll(), [], 'nor 1 block deep');
  await lender.provider.send('hardhat_mine', ['0x1']);
  const evs = await watcher.poll();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]!.name, 'ModelCreated');
  assert.equal(evs[0]!.name === 'ModelCreated' && evs[0]!.modelId, created.modelId);
  assert.equal(evs[0]!.name === 'ModelCreated' && evs[0]!.rule, 'EqualShare');
  assert.equal(watcher.cursor, created.blockNumber + 1, 'the cursor moved past the confirmed block, one block per request');
});

test('lost logs: one failed eth_getLogs during catch-up loses no event', async () => {
  const from = Number(await lender.provider.send('eth_blockNumber', [])) + 1;
  for (let i = 0; i < 3; i++) {
    await createTestModel();
  }
  const head = Number(await lender.provider.send('eth_blockNumber', []));
  const clean = await readEvents(lender.provider, chain.chain.address, from, head, undefined, decodeLog);
  assert.equal(clean.length, 3);

  // catch-up one block per request; the node fails the second request once
  const provider = await connectProvider(chain.url, 100);
  try {
    const getLogs = provider.getLogs.bind(provider);
    let calls = 0;
    provider.getLogs = async (filter) => {
      if (++calls === 2) throw new Error('injected: eth_getLogs failed');
      return getLogs(filter);
    };
    const watcher = new LogWatcher({ provider, address: chain.chain.address, fromBlock: from, maxRange: 1, decode: decodeLog });
    const seen: { blockNumber: number; logIndex: number }[] = [];
    for (let i = 0; i < 3; i++) {
      try {
        seen.push(...(await watcher.poll()));
      } catch {
        // a daemon logs the failure and polls again
      }
    }
    assert.ok(calls > head - from + 1, 'the failure was injected and the range read again');
    const key = (e: { blockNumber: number; logIndex: number }) => `${e.blockNumber}/${e.logIndex}`;
    assert.deepEqual(seen.map(key), clean.map(key), 'every event read exactly once, in chain order');
    assert.equal(watcher.cursor, head + 1);
  } finally {
    provider.destroy();
  }
});

test('confirmations default to 0 on a local dev chain and 2 elsewhere; bad values are refused', async () => {
  assert.equal(lender.config.confirmations, 0, 'Hardhat (31337)');
  assert.equal(defaultConfirmations(1), 2, 'mainnet');
  assert.equal(defaultConfirmations(11155111), 2, 'sepolia');
  const deep = await ModelRepositoryClient.connect({ ...chain.chain, confirmations: 3 });
  assert.equal(deep.config.confirmations, 3);
  deep.destroy();
  await assert.rejects(ModelRepositoryClient.connect({ ...chain.chain, confirmations: -1 }), /confirmations must be a non-negative integer, got -1/);
});

test('a stuck transaction: dropped from the mempool, it is replaced with higher fees and the client goes on', async () => {
  const { modelId } = await createTestModel({ submissionStake: parseEther('0.001') });
  const funder = await ModelRepositoryClient.connect({ ...chain.chain, txTimeoutMs: 1000, maxFeeBumps: 2 }, chain.wallet(4));
  const provider = lender.provider;
  const pendingTxs = async (): Promise<string[]> => ((await provider.send('eth_getBlockByNumber', ['pending', false])) as { transactions: string[] }).transactions;
  await provider.send('evm_setAutomine', [false]);
  try {
    const sending = funder.addBounty(modelId, parseEther('0.01'));
    let first: string | undefined;
    await waitFor('the transaction in the mempool', async () => (first = (await pendingTxs())[0]) !== undefined, 10_000);
    const original = (await provider.getTransaction(first!))!;
    // the node loses it (a restart, an eviction): the client must notice and send it again
    await provider.send('hardhat_dropTransaction', [first]);
    let replacement: string | undefined;
    await waitFor('a replacement', async () => (replacement = (await pendingTxs())[0]) !== undefined, 10_000);
    await provider.send('evm_mine', []);
    const res = await Promise.race([sending, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the client is stuck on the dropped transaction')), 20_000))]);
    assert.equal(res.txHash, replacement);
    assert.notEqual(res.txHash, first);
    const mined = (await provider.getTransaction(res.txHash))!;
    assert.equal(mined.nonce, original.nonce, 'a replacement, not a second transaction');
    assert.ok(mined.maxFeePerGas! > original.maxFeePerGas!, 'with higher fees');
    assert.equal(res.events.filter((e) => e.name === 'BountyAdded').length, 1);
  } finally {
    await provider.send('evm_setAutomine', [true]);
    funder.destroy();
  }
});

test('an unreachable node is a clear error', async () => {
  await assert.rejects(
    ModelRepositoryClient.connect({ rpcUrl: 'http://127.0.0.1:1', address: chain.chain.address }),
    /cannot reach the Ethereum node at http:\/\/127\.0\.0\.1:1/,
  );
  await assert.rejects(ModelRepositoryClient.connect({ rpcUrl: chain.url, address: '0x1234' }), /invalid ModelRepository address/);
});
