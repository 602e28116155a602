// The compiled mappings (build/ModelRepository/ModelRepository.wasm, as `graph build` wrote it)
// run through the indexer's runtime over a real history on a real Hardhat node: every entity of
// every type, every field, intermediate checkpoints, and cross-checks against contract state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, JsonRpcProvider, id as topicOf } from 'ethers';
import { loanDeskAbi, modelRepositoryAbi, ETH, DeploymentStatus, GradientStatus, LoanStatus, ModelStatus, QuoteStatus, enumName } from '@hessian/contracts';
import { HandlerError, type LoadedSubgraph, type EntityChange, type EntityData } from '@hessian/indexer';
import { tx, type HistoryRecord } from '@hessian/test-kit/history';
import { expectedCheckpoints, expectedEntities, type ExpectedEntities } from '@hessian/test-kit/expected';
import { MemoryStore, indexHistory, plainEntity, plainValue, type ChainBlock, type IndexedHistory } from './helpers.ts';

let indexed: IndexedHistory;
let record: HistoryRecord;
let blocks: ChainBlock[];
let subgraph: LoadedSubgraph;
const store = new MemoryStore();
/** the store's state right after each block, for the checkpoints */
const snapshots = new Map<number, Map<string, Map<string, EntityData>>>();
const changesPerBlock: EntityChange[][] = [];

function storedFields(entityType: string): string[] {
  const def = subgraph.schema.entities.get(entityType);
  if (!def) throw new Error(`schema has no entity type ${entityType}`);
  return def.fields.filter((f) => !f.derivedFrom).map((f) => f.name);
}

/** Only the fields a checkpoint names. */
function compareSome(label: string, entities: ExpectedEntities, get: (type: string, id: string) => EntityData | null) {
  for (const [entityType, rows] of Object.entries(entities)) {
    for (const [id, fields] of Object.entries(rows)) {
      const data = get(entityType, id);
      assert.ok(data, `${label}: ${entityType} ${id} is missing`);
      assert.deepStrictEqual(plainEntity(data, Object.keys(fields)), fields, `${label}: ${entityType} ${id}`);
    }
  }
}

before(async () => {
  indexed = await indexHistory(store, ({ block }, changes) => {
    store.apply(changes);
    changesPerBlock.push(changes);
    snapshots.set(Number(BigInt(block.number)), new Map([...store.entities].map(([t, rows]) => [t, new Map(rows)])));
  });
  ({ record, blocks, subgraph } = indexed);
});

after(async () => {
  await indexed?.stop();
});

describe('mappings over the scripted history', () => {
  test('every event handler of both data sources ran, on its own contract\'s logs', () => {
    const sources = subgraph.manifest.dataSources;
    assert.deepStrictEqual(sources.map((ds) => [ds.name, ds.address]), [['ModelRepository', record.repository], ['LoanDesk', record.loanDesk]]);
    for (const ds of sources) {
      const seen = new Set(blocks.flatMap((b) => b.logs.filter((l) => l.address.toLowerCase() === ds.address).map((l) => l.topics[0]!.toLowerCase())));
      for (const h of ds.mapping.eventHandlers) {
        const signature = h.event.replace(/indexed /g, '');
        assert.equal(h.topic0.toLowerCase(), topicOf(signature), `${h.handler}: topic0 matches ${signature}`);
        assert.ok(seen.has(h.topic0.toLowerCase()), `${ds.name}.${h.handler} was never triggered by the history`);
      }
    }
    assert.deepStrictEqual(sources.map((ds) => ds.mapping.eventHandlers.length), [13, 7]);
  });

  test('expected data names every stored field of every entity type', () => {
    const expected = expectedEntities(record);
    assert.deepStrictEqual(Object.keys(expected).sort(), [...subgraph.schema.entities.keys()].sort());
    for (const [entityType, rows] of Object.entries(expected)) {
      for (const [id, fields] of Object.entries(rows)) {
        assert.deepStrictEqual(Object.keys(fields).sort(), storedFields(entityType).sort(), `${entityType} ${id} lists every field`);
      }
    }
  });

  const expectedTypes = [
    'Protocol', 'Token', 'Model', 'Account', 'AccountToken', 'ModelContributor', 'ModelFunder', 'Gradient', 'Evaluation', 'Reward', 'Deposit',
    'Withdrawal', 'StakeRelease', 'Refund', 'DayData', 'TokenDayData', 'Deployment', 'Quote', 'LoanRequest',
  ];
  for (const entityType of expectedTypes) {
    test(`${entityType}: exactly the expected entities, every field`, () => {
      const expected = expectedEntities(record)[entityType]!;
      assert.deepStrictEqual(store.ids(entityType), Object.keys(expected).sort(), `${entityType} ids`);
      for (const [id, fields] of Object.entries(expected)) {
        const data = store.get(entityType, id);
        assert.ok(data, `${entityType} ${id} missing`);
        assert.deepStrictEqual(plainEntity(data, storedFields(entityType)), fields, `${entityType} ${id}`);
      }
    });
  }

  test('checkpoints inside the history (same-block evaluations, target reached, closes)', () => {
    for (const { after: label, entities } of expectedCheckpoints(record)) {
      const snapshot = snapshots.get(tx(record, label).blockNumber);
      assert.ok(snapshot, `no snapshot after ${label}`);
      compareSome(`after ${label}`, entities, (t, id) => snapshot.get(t)?.get(id) ?? null);
    }
  });

  test('immutable entities are written once, in the block of their event', () => {
    const immutables = [...subgraph.schema.entities.values()].filter((e) => e.immutable).map((e) => e.name);
    const writes = new Map<string, number>();
    for (const changes of changesPerBlock) {
      for (const c of changes) if (immutables.includes(c.entityType)) writes.set(`${c.entityType} ${c.id}`, (writes.get(`${c.entityType} ${c.id}`) ?? 0) + 1);
    }
    assert.ok(writes.size > 0);
    for (const [key, n] of writes) assert.equal(n, 1, `${key} written ${n} times`);
  });

  test('balances and models agree with the contract state', async () => {
    const provider = new JsonRpcProvider(indexed.chain.url, undefined, { staticNetwork: true });
    try {
      const repo = new Contract(record.repository, modelRepositoryAbi, provider);
      for (const id of store.ids('AccountToken')) {
        const row = store.get('AccountToken', id)!;
        const account = plainValue(row.account!) as string;
        const token = plainValue(row.token!) as string;
        assert.equal(plainValue(row.balance!), await repo.credit(account, token), `balance of ${account} in ${token}`);
      }
      // every account with credit on chain has its AccountToken row
      for (const account of Object.values(record.accounts)) {
        for (const token of [ETH, record.token]) {
          const credit: bigint = await repo.credit(account, token);
          if (credit > 0n) assert.ok(store.get('AccountToken', account + token.slice(2)), `${account} has credit in ${token}`);
        }
      }
      for (const id of store.ids('Model')) {
        const m = store.get('Model', id)!;
        const onChain = await repo.getModel(BigInt(id));
        assert.equal(plainValue(m.status!), enumName(ModelStatus, onChain.status), `model ${id} status`);
        assert.equal(plainValue(m.bestScore!), onChain.bestScore, `model ${id} bestScore`);
        assert.equal(plainValue(m.bounty!), onChain.totalBounty, `model ${id} bounty`);
        assert.equal(plainValue(m.version!), Number(onChain.version), `model ${id} version`);
        // the contract's pendingCount holds commits not yet revealed and revealed gradients not yet judged
        assert.equal(Number(plainValue(m.pendingCount!)) + Number(plainValue(m.committedCount!)), Number(onChain.pendingCount), `model ${id} pendingCount`);
        assert.equal(plainValue(m.sharePerGradient!), onChain.sharePerGradient, `model ${id} sharePerGradient`);
      }
      assert.equal(plainValue(store.get('Protocol', 'hessian')!.modelCount!), Number(await repo.modelCount()));
      assert.equal(plainValue(store.get('Protocol', 'hessian')!.gradientCount!), Number(await repo.gradientCount()));
      for (const id of store.ids('Gradient')) {
        const g = store.get('Gradient', id)!;
        const onChain = await repo.getGradient(BigInt(id));
        assert.equal(plainValue(g.status!), enumName(GradientStatus, onChain.status), `gradient ${id} status`);
        assert.equal(plainValue(g.seal!), onChain.seal, `gradient ${id} seal`);
      }
      // what each third-party funder can still claim: nothing once its Refunded is indexed
      for (const id of store.ids('ModelFunder')) {
        const f = store.get('ModelFunder', id)!;
        if (plainValue(f.isLender!)) continue;
        const left: bigint = await repo.funded(BigInt(plainValue(f.model!) as string), plainValue(f.funder!));
        assert.equal(left, f.refund === undefined || plainValue(f.refund) === null ? plainValue(f.amount!) : 0n, `funder ${id} left to claim`);
      }

      const desk = new Contract(record.loanDesk, loanDeskAbi, provider);
      for (const id of store.ids('Deployment')) {
        const d = store.get('Deployment', id)!;
        const onChain = await desk.getDeployment(BigInt(id));
        assert.equal(plainValue(d.status!), enumName(DeploymentStatus, onChain.status), `deployment ${id} status`);
        assert.equal(plainValue(d.lender!), onChain.lender.toLowerCase(), `deployment ${id} lender`);
        assert.equal(plainValue(d.service!), onChain.service.toLowerCase(), `deployment ${id} service`);
        assert.equal(plainValue(d.model!), onChain.modelId.toString(), `deployment ${id} model`);
      }
      for (const id of store.ids('Quote')) {
        const q = store.get('Quote', id)!;
        const onChain = await desk.getQuote(BigInt(id));
        assert.equal(plainValue(q.status!), enumName(QuoteStatus, onChain.status), `quote ${id} status`);
        assert.equal(q.loanRequest ? plainValue(q.loanRequest) : null, onChain.requestId === 0n ? null : onChain.requestId.toString(), `quote ${id} loanRequest`);
      }
      for (const id of store.ids('LoanRequest')) {
        const l = store.get('LoanRequest', id)!;
        const onChain = await desk.getLoanRequest(BigInt(id));
        assert.equal(plainValue(l.status!), enumName(LoanStatus, onChain.status), `loan request ${id} status`);
        assert.equal(plainValue(l.amount!), onChain.amount, `loan request ${id} amount`);
      }
      const protocol = store.get('Protocol', 'hessian')!;
      assert.equal(plainValue(protocol.deploymentCount!), Number(await desk.deploymentCount()));
      assert.equal(plainValue(protocol.quoteCount!), Number(await desk.quoteCount()));
      assert.equal(plainValue(protocol.loanRequestCount!), Number(await desk.loanRequestCount()));
    } finally {
      provider.destroy();
    }
  });

  test('an event for an unknown model or gradient fails its handler deterministically', async () => {
    // GradientEvaluated (model 1) fed to an empty store: the mapping must abort, naming the model
    const evaluated = blocks.find((b) => b.block.number === `0x${tx(record, 'evaluate g3').blockNumber.toString(16)}`)!;
    const empty = new MemoryStore();
    await assert.rejects(
      () => subgraph.runtime.processBlock(evaluated.block, evaluated.logs.slice(0, 1), empty),
      (err: unknown) => {
        assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`);
        assert.equal(err.handler, 'handleGradientEvaluated');
        assert.equal(err.block, tx(record, 'evaluate g3').blockNumber);
        assert.match(err.message, /model 1 not found/);
        return true;
      },
    );
    // the model known but not the gradient: the gradient lookup must abort, naming it
    const modelOnly = new MemoryStore();
    modelOnly.apply([{ entityType: 'Model', id: '1', data: store.get('Model', '1')! }]);
    await assert.rejects(
      () => subgraph.runtime.processBlock(evaluated.block, evaluated.logs.slice(0, 1), modelOnly),
      (err: unknown) => err instanceof HandlerError && err.handler === 'handleGradientEvaluated' && /gradient 3 not found/.test(err.message),
    );
  });

  test('a loan desk event for an unknown deployment or model fails its handler deterministically', async () => {
    const blockOf = (label: string) => blocks.find((b) => b.block.number === `0x${tx(record, label).blockNumber.toString(16)}`)!;
    const empty = new MemoryStore();
    const quoted = blockOf('quote q1');
    await assert.rejects(
      () => subgraph.runtime.processBlock(quoted.block, quoted.logs, empty),
      (err: unknown) => {
        assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`);
        assert.equal(err.handler, 'handleQuoteRequested');
        assert.match(err.message, /deployment 1 not found/);
        return true;
      },
    );
    // LoanDesk indexed without ModelRepository's entities: the deployed model is unknown
    const deployed = blockOf('deploy d1');
    await assert.rejects(
      () => subgraph.runtime.processBlock(deployed.block, deployed.logs, empty),
      (err: unknown) => err instanceof HandlerError && err.handler === 'handleModelDeployed' && /model 2 not found/.test(err.message),
    );
  });
});
