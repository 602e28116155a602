// The optional GraphQL path: an owner may read models and its own gradients from the indexer
// (graph-node's API, here the embedded indexer running the real subgraph) instead of scanning
// logs. The view it builds must equal the one rebuilt from the chain's logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keccak256, parseEther, toUtf8Bytes } from 'ethers';
import { ModelRepositoryClient, chainSource, indexerSource } from '@hessian/core/model-repository';
import { startTestChain } from './helpers/hardhat.ts';
import type { TestChain } from './helpers/hardhat.ts';
import { waitFor } from './helpers/scenario.ts';

const built = fileURLToPath(new URL('../../../subgraph/build', import.meta.url));
const haveBuild = existsSync(path.join(built, 'subgraph.yaml'));
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

let chain: TestChain;
let dir: string;
let indexer: { url: string | null; stop(): Promise<void> } | undefined;
const clients: ModelRepositoryClient[] = [];

before(async () => {
  if (!haveBuild) return;
  dir = mkdtempSync(path.join(tmpdir(), 'hessian-indexer-source-'));
  chain = await startTestChain();
  const repo = chain.deployment.contracts.ModelRepository;
  // loaded by name, not type-checked here: the trainer's typecheck must not depend on the state
  // of other packages' sources (only their runtime behaviour is under test)
  const subgraphScripts: string = '@hessian/subgraph/scripts/render-manifest';
  const indexerPackage: string = '@hessian/indexer';
  const { retargetBuild } = (await import(subgraphScripts)) as {
    retargetBuild(dir: string, target: { address: string; startBlock: number; network: string }, out: string): Promise<string>;
  };
  const { startIndexer } = (await import(indexerPackage)) as {
    startIndexer(config: Record<string, unknown>): Promise<{ url: string | null; stop(): Promise<void> }>;
  };
  const subgraph = await retargetBuild(built, { address: repo.address, startBlock: repo.startBlock, network: 'localhost' }, path.join(dir, 'subgraph'));
  indexer = await startIndexer({
    rpcUrl: chain.url,
    subgraph,
    db: path.join(dir, 'indexer.sqlite'),
    host: '127.0.0.1',
    port: 0,
    subgraphName: 'hessian',
    pollIntervalMs: 100,
    logLevel: 'warn',
    progressIntervalSeconds: 0,
  });
});
after(async () => {
  for (const c of clients) c.destroy();
  await indexer?.stop();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('models and an owner\'s gradients read through GraphQL equal the view rebuilt from logs', { skip: haveBuild ? false : 'subgraph/build missing: run npm run build -w @hessian/subgraph' }, async () => {
  const lender = await ModelRepositoryClient.connect(chain.chain, chain.wallet(1));
  const owner = await ModelRepositoryClient.connect(chain.chain, chain.wallet(2));
  const other = await ModelRepositoryClient.connect(chain.chain, chain.wallet(3));
  clients.push(lender, owner, other);
  const now = await lender.chainTime();
  const terms = { weightsCid: CID, metadataCid: CID, bounty: parseEther('2'), initialScore: 500_000, targetScore: 700_000, submissionDeadline: now + 3600, evaluationWindow: 600, submissionStake: parseEther('0.01') };
  const a = await lender.createModel({ ...terms, rule: 'Improvement' });
  const b = await lender.createModel({ ...terms, rule: 'EqualShare' });
  const g1 = await owner.submitGradient(a.modelId, CID, keccak256(toUtf8Bytes('1')), parseEther('0.01'));
  const g2 = await owner.submitGradient(a.modelId, CID, keccak256(toUtf8Bytes('2')), parseEther('0.01'));
  await other.submitGradient(b.modelId, CID, keccak256(toUtf8Bytes('3')), parseEther('0.01'));
  const g3 = await owner.submitGradient(a.modelId, CID, keccak256(toUtf8Bytes('4')), parseEther('0.01'), { dpEpsilon: 2_000_000 });
  // g4 stays committed (not revealed): its content fields are null in both views
  const g4 = await owner.commitGradient(a.modelId, keccak256(toUtf8Bytes('a seal')), parseEther('0.01'));
  await lender.evaluateGradient(g1.gradientId, g1.seal, 650_000, 'Accepted', CID);
  await lender.evaluateGradient(g2.gradientId, g2.seal, 600_000, 'Rejected', '');
  await lender.evaluateGradient(g3.gradientId, g3.seal, 640_000, 'Declined', '');

  const fromChain = chainSource(owner);
  await fromChain.refresh();
  const fromIndexer = indexerSource({ url: indexer!.url!, contributor: await owner.address(), pageSize: 1 });
  assert.equal(fromIndexer.kind, 'indexer');
  await waitFor('the indexer to catch up', async () => {
    await fromIndexer.refresh();
    return fromIndexer.view.gradients.get(g3.gradientId)?.status === 'Declined';
  }, 60_000);

  for (const id of [a.modelId, b.modelId]) {
    const c = fromChain.view.models.get(id)!;
    const i = fromIndexer.view.models.get(id)!;
    assert.ok(i, `model ${id} from the indexer`);
    for (const k of ['status', 'bestScore', 'version', 'weightsCid', 'metadataCid', 'bounty', 'paid', 'rule', 'submissionDeadline', 'evaluationWindow', 'submissionStake', 'initialScore', 'targetScore', 'token'] as const) {
      assert.equal(String(i[k]).toLowerCase(), String(c[k]).toLowerCase(), `model ${id} ${k}`);
    }
    assert.equal(i.lender.toLowerCase(), c.lender.toLowerCase());
    assert.equal(i.evaluator.toLowerCase(), c.evaluator.toLowerCase());
  }
  // only the owner's own gradients are read: four of the five (paged one at a time)
  const ids = [g1.gradientId, g2.gradientId, g3.gradientId, g4.gradientId];
  assert.deepEqual([...fromIndexer.view.gradients.keys()].sort((x, y) => x - y), ids);
  assert.deepEqual(ids.map((id) => fromChain.view.gradients.get(id)!.status), ['Accepted', 'Rejected', 'Declined', 'Committed']);
  for (const id of ids) {
    const c = fromChain.view.gradients.get(id)!;
    const i = fromIndexer.view.gradients.get(id)!;
    for (const k of ['modelId', 'contributor', 'status', 'verdict', 'score', 'reward', 'stake', 'stakeRefunded', 'seal', 'revealDeadline', 'dataCommitment', 'salt', 'dpEpsilon', 'modelVersion', 'evaluationDeadline', 'gradientCid', 'submittedTx', 'revealedTx', 'evaluatedTx'] as const) {
      assert.equal(String(i[k]).toLowerCase(), String(c[k]).toLowerCase(), `gradient ${id} ${k}`);
    }
  }
  assert.equal(fromIndexer.view.gradients.get(g3.gradientId)!.dpEpsilon, 2_000_000);
  assert.deepEqual(fromIndexer.view.unsettledGradients(a.modelId).map((g) => g.gradientId), [g4.gradientId]);
  assert.equal(fromIndexer.view.pendingGradients(a.modelId).length, 0);

  await assert.rejects(indexerSource({ url: 'http://127.0.0.1:1/graphql' }).refresh(), /indexer GraphQL at http:\/\/127\.0\.0\.1:1\/graphql unreachable/);
  assert.throws(() => indexerSource({ url: 'nope' }), /invalid indexer GraphQL URL "nope"/);
});

test('one refresh reads every page at the block it began at, though the indexer moves on between pages', { skip: haveBuild ? false : 'subgraph/build missing: run npm run build -w @hessian/subgraph' }, async () => {
  const lender = await ModelRepositoryClient.connect(chain.chain, chain.wallet(1));
  const owner = await ModelRepositoryClient.connect(chain.chain, chain.wallet(4));
  clients.push(lender, owner);
  const now = await lender.chainTime();
  const { modelId } = await lender.createModel({ weightsCid: CID, metadataCid: CID, bounty: parseEther('1'), initialScore: 500_000, targetScore: 700_000, submissionDeadline: now + 3600, evaluationWindow: 600, submissionStake: parseEther('0.001'), rule: 'EqualShare' });
  const early = await owner.submitGradient(modelId, CID, keccak256(toUtf8Bytes('early')), parseEther('0.001'));
  const contributor = await owner.address();
  const direct = indexerSource({ url: indexer!.url!, contributor });
  const indexed = async (id: number) => {
    await direct.refresh();
    return direct.view.gradients.has(id);
  };
  await waitFor('the first gradient indexed', () => indexed(early.gradientId), 60_000);

  // a proxy that, before the first gradients page, lands another gradient and waits until the
  // indexer has it: an unpinned page would now include it
  let late: number | undefined;
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    if (late === undefined && body.includes('gradients(')) {
      late = (await owner.submitGradient(modelId, CID, keccak256(toUtf8Bytes('late')), parseEther('0.001'))).gradientId;
      await waitFor('the late gradient indexed', () => indexed(late!), 60_000);
    }
    const answer = await fetch(indexer!.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const viaProxy = indexerSource({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`, contributor, pageSize: 1 });
    await viaProxy.refresh();
    assert.ok(late !== undefined, 'the proxy landed the late gradient mid-refresh');
    assert.deepEqual([...viaProxy.view.gradients.keys()], [early.gradientId], 'the refresh is a snapshot at the block it began at');
    assert.deepEqual(viaProxy.view.models.get(modelId)!.gradientIds, [early.gradientId]);
    await viaProxy.refresh();
    assert.deepEqual([...viaProxy.view.gradients.keys()].sort((x, y) => x - y), [early.gradientId, late]);
  } finally {
    await new Promise((r) => proxy.close(r));
  }
});
