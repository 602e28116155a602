// The chain client against a real Hardhat node and the real ModelRepository: transactions,
// events folded into a view, log polling, and reverts decoded into readable errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toUtf8Bytes, parseEther } from 'ethers';
import { ModelRepositoryClient } from '../../src/chain/client.ts';
import { ChainError } from '../../src/chain/errors.ts';
import { LogWatcher, readEvents } from '../../src/chain/watch.ts';
import { connectProvider } from '../../src/chain/client.ts';
import { decodeLog } from '../../src/chain/events.ts';
import { RepositoryView } from '../../src/chain/view.ts';
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
  const sub = await owner.submitGradient(created.modelId, CID, commitment, parseEther('0.01'));
  assert.equal(sub.event.dataCommitment, commitment);
  assert.equal(sub.event.modelVersion, 0);

  await assert.rejects(
    owner.submitGradient(created.modelId, CID, commitment, parseEther('0.01')),
    (err: unknown) => {
      assert.ok(err instanceof ChainError);
      assert.equal(err.errorName, 'CommitmentAlreadyUsed');
      assert.match(err.message, /CommitmentAlreadyUsed\(modelId=\d+, dataCommitment=0x[0-9a-f]{64}\): this data commitment was already submitted/);
      assert.equal(err.transient, false);
      return true;
    },
  );
  await assert.rejects(owner.submitGradient(created.modelId, CID, keccak256(toUtf8Bytes('b1')), 0n), /EthValueMismatch\(expected=10000000000000000, sent=0\)/);
  await assert.rejects(owner.evaluateGradient(sub.gradientId, 600_000, true, CID), /NotEvaluator\(modelId=\d+, caller=0x[0-9a-fA-F]{40}/);

  const ev = await lender.evaluateGradient(sub.gradientId, 600_000, true, CID);
  assert.equal(ev.event.accepted, true);
  assert.ok(ev.event.reward > 0n);
  await assert.rejects(lender.evaluateGradient(sub.gradientId, 650_000, true, CID), /GradientNotPending\(gradientId=\d+, status=Accepted\)/);

  view.applyAll(await watcher.poll());
  const g = view.gradients.get(sub.gradientId)!;
  assert.equal(g.status, 'Accepted');
  assert.equal(g.score, 600_000);
  assert.equal(view.models.get(created.modelId)!.version, 1);
  assert.equal(view.earned.get((await owner.address()).toLowerCase()), ev.event.reward);
  assert.deepEqual(await watcher.poll(), [], 'nothing new after catching up');

  const found = await owner.queryEvents('GradientSubmitted', [null, created.modelId, await owner.address()]);
  assert.equal(found.length, 1);
  // an accepted gradient's stake comes back as credit too
  const expected = ev.event.reward + parseEther('0.01');
  assert.equal(await owner.credit(await owner.address()), expected);
  const w = await owner.withdraw();
  assert.equal(w.amount, expected);
  await assert.rejects(owner.withdraw(), /NothingToWithdraw/);
});

test('the watcher reads only blocks `confirmations` deep', async () => {
  const head = Number(await lender.provider.send('eth_blockNumber', []));
  const watcher = new LogWatcher({ provider: lender.provider, address: chain.chain.address, fromBlock: head + 1, confirmations: 2, maxRange: 1, decode: decodeLog });
  const now = await lender.chainTime();
  const created = await lender.createModel({
    weightsCid: CID,
    metadataCid: CID,
    bounty: parseEther('0.1'),
    initialScore: 0,
    targetScore: 1_000_000,
    rule: 'EqualShare',
    submissionDeadline: now + 3600,
    evaluationWindow: 60,
    submissionStake: 0n,
  });
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
  const now = await lender.chainTime();
  for (let i = 0; i < 3; i++) {
    await lender.createModel({
      weightsCid: CID,
      metadataCid: CID,
      bounty: parseEther('0.1'),
      initialScore: 500_000,
      targetScore: 700_000,
      rule: 'Improvement',
      submissionDeadline: now + 3600,
      evaluationWindow: 60,
      submissionStake: parseEther('0.01'),
    });
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

test('an unreachable node is a clear error', async () => {
  await assert.rejects(
    ModelRepositoryClient.connect({ rpcUrl: 'http://127.0.0.1:1', address: chain.chain.address }),
    /cannot reach the Ethereum node at http:\/\/127\.0\.0\.1:1/,
  );
  await assert.rejects(ModelRepositoryClient.connect({ rpcUrl: chain.url, address: '0x1234' }), /invalid ModelRepository address/);
});
