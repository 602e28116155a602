// Acceptance test of the embedded indexer on a third party's subgraph (tests/fixtures/factory-subgraph:
// factory + Pair template with context, ethereum.call/tryCall/getBalance/hasCode, once/polling/call
// block handlers, a call handler, an anonymous event matched by topic0, nonFatalErrors, @fulltext,
// a timeseries with hour/day aggregations). A real Hardhat node runs a scripted history with every
// block's timestamp set, so aggregation buckets are exact; the indexer is restarted mid-history and
// follows a reorg that replaces a pair creation. Every expected value below is derived by hand from
// the script (the comments show the arithmetic), never from an indexer run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, getCreateAddress, type ContractRunner, type JsonRpcSigner, type TransactionResponse } from 'ethers';
import { startLocalChain, type LocalChain } from '@hessian/contracts/local-chain';
import { listedTokenArtifact, pairArtifact, pairFactoryArtifact, type ContractArtifact } from '@hessian/contracts';
import { startIndexer, type RunningIndexer } from '../../src/indexer.ts';
import { silentLogger } from '../../src/log.ts';
import { readManifest } from '../../src/manifest.ts';
import { loadSchema } from '../../src/schema.ts';
import { buildFixture } from '../runtime/fixture.ts';
import { data, post } from '../graphql/client.ts';
import { waitFor } from '../sync/helpers/hessian.ts';

// ---- the scripted history's fixed points ---------------------------------------------------------

/** 2100-01-01T00:00:00Z: later than any Hardhat genesis, so every timestamp below can be set */
const T0 = 4_102_444_800;
/** seconds since the epoch of hour h, minute m after T0 */
const at = (h: number, m: number) => T0 + h * 3600 + m * 60;
/** graph-node's Timestamp in answers: microseconds since the epoch, as a string */
const micros = (seconds: number) => `${seconds}000000`;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;

// a fresh Hardhat node's first account deploys these as its nonces 0..3 (the manifest names the factory)
const FACTORY = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const WETH = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
const USDC = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';
const ODD = '0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9';
const DEPLOYER = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const TRADER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const RECIPIENT = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const TREASURY = '0x000000000000000000000000000000000000dead';
// the factory's nonce n creates its n-th pair; after the reorg the third nonce is reused
const P1 = getCreateAddress({ from: FACTORY, nonce: 1 }).toLowerCase();
const P2 = getCreateAddress({ from: FACTORY, nonce: 2 }).toLowerCase();
const P3 = getCreateAddress({ from: FACTORY, nonce: 3 }).toLowerCase();

// ---- chain driving -------------------------------------------------------------------------------

let chain: LocalChain;
let provider: JsonRpcProvider;
let deployer: JsonRpcSigner;
let trader: JsonRpcSigner;
let workDir: string;
let dbFile: string;
let indexer: RunningIndexer | undefined;
const build = buildFixture('factory-subgraph');

const send = <T,>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
const head = async () => Number(BigInt(await send<string>('eth_blockNumber')));
const pair = (address: string, runner: ContractRunner) => new Contract(address, pairArtifact.abi, runner);
const factory = () => new Contract(FACTORY, pairFactoryArtifact.abi, deployer);
/** explicit gas: with automine off nothing may be estimated against a pending state */
const GAS = { gasLimit: 1_000_000 };

/** Mines the transactions `txs` sends into one block with timestamp `ts`; asserts it is block `expect`. */
async function mine(expect: number, ts: number, ...txs: (() => Promise<TransactionResponse>)[]): Promise<void> {
  await send('evm_setAutomine', [false]);
  const sent: TransactionResponse[] = [];
  try {
    for (const tx of txs) sent.push(await tx());
    await send('evm_setNextBlockTimestamp', [ts]);
    await send('evm_mine');
  } finally {
    await send('evm_setAutomine', [true]);
  }
  for (const tx of sent) {
    const receipt = await provider.getTransactionReceipt(tx.hash);
    assert.equal(receipt?.status, 1, `a transaction of block ${expect} failed`);
    assert.equal(receipt.blockNumber, expect, 'the script lost count of blocks');
  }
  assert.equal(await head(), expect);
}

async function deploy(artifact: ContractArtifact, args: unknown[]): Promise<TransactionResponse> {
  const tx = await new ContractFactory(artifact.abi, artifact.bytecode, deployer).getDeployTransaction(...args);
  return deployer.sendTransaction({ ...tx, gasLimit: 5_000_000 });
}

async function startIndexing(): Promise<RunningIndexer> {
  indexer = await startIndexer({
    rpcUrl: chain.url,
    subgraph: build,
    db: dbFile,
    port: 0,
    pollIntervalMs: 20,
    logger: silentLogger,
  });
  return indexer;
}

/** Waits until the indexer's cursor is the chain's block `n` (same hash: the right branch). */
async function indexedTo(n: number): Promise<void> {
  const block = await send<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
  await waitFor(`block ${n} indexed`, () => {
    const s = indexer!.status();
    if (s.error) throw new Error(`indexer stopped: ${s.error}`);
    return s.block?.number === n && s.block.hash === block.hash;
  });
}

const q = (query: string) => data(indexer!.url!, query) as Promise<Record<string, unknown>>;
/** every query at the head after block 21 must allow the non-fatal error (graph-node's rule) */
const qa = (query: string) =>
  post(indexer!.url!, query).then((r) => {
    assert.deepEqual(r.body.errors?.map((e) => e.message), ['indexing_error']);
    return r.body.data as Record<string, unknown>;
  });

// ---- expectations shared by several phases ---------------------------------------------------------

const POLL_FIELDS = '{ id block pairCount treasuryBalance factoryHasCode treasuryHasCode }';
/** `polling every: 4` from startBlock 1 runs at blocks 1, 5, 9, ... (graph-node: (n - start) % every == 0) */
const poll = (block: number, pairCount: number, treasuryBalance: bigint) => ({
  id: String(block),
  block: String(block),
  pairCount,
  treasuryBalance: String(treasuryBalance),
  factoryHasCode: true,
  treasuryHasCode: false,
});

/**
 * What this indexer still refuses of the subgraph (manifest features, schema directives), by its own
 * error messages. While anything is refused the suite is skipped with those messages as the reason,
 * so the run says what is missing; once the subgraph loads, every test below runs for real.
 */
function refused(): string | undefined {
  const reasons: string[] = [];
  for (const load of [() => readManifest(build), () => loadSchema(path.join(build, 'schema.graphql'))]) {
    try {
      load();
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      reasons.push(err.message.replace(`${build}/`, ''));
    }
  }
  return reasons.length ? `the indexer refuses this subgraph: ${reasons.join('; ')}` : undefined;
}

const skip = refused();
/** each test skipped (and counted as such) while the indexer refuses the subgraph */
const it = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

describe('factory/pair subgraph on the embedded indexer', () => {
  before(async () => {
    if (skip) return;
    workDir = await mkdtemp(path.join(tmpdir(), 'hessian-factory-'));
    dbFile = path.join(workDir, 'index.sqlite');
    chain = await startLocalChain();
    provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    deployer = await provider.getSigner(0);
    trader = await provider.getSigner(1);
  });

  after(async () => {
    await indexer?.stop();
    provider?.destroy();
    await chain?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('blocks 1-9: deployments, the first pair, its first swaps; the once, polling and call block handlers', async () => {
    // block 1: the factory (startBlock 1: `once` runs here, before anything else of the block)
    await mine(1, at(0, 1), () => deploy(pairFactoryArtifact, []));
    await mine(2, at(0, 2), () => deploy(listedTokenArtifact, ['Wrapped Ether', 'WETH', 18, false]));
    await mine(3, at(0, 3), () => deploy(listedTokenArtifact, ['USD Coin', 'USDC', 6, false]));
    // decimals() of ODD reverts: the mapping's tryCall leaves Token.decimals null
    await mine(4, at(0, 4), () => deploy(listedTokenArtifact, ['Odd Token', 'ODD', 0, true]));
    for (const address of [FACTORY, WETH, USDC, ODD]) assert.notEqual(await provider.getCode(address), '0x', `nothing deployed at ${address}`);
    await mine(5, at(0, 5), () => deployer.sendTransaction({ to: TREASURY, value: E18 }));
    await mine(6, at(0, 10), () => factory().getFunction('createPair')(WETH, USDC, 'Ether Dollar Pool'));
    await mine(7, at(0, 20), () => pair(P1, deployer).getFunction('addLiquidity')(100n * E18, 200_000n * E6));
    // price = amount1 / amount0 in token units: 2000 USDC / 1 WETH
    await mine(8, at(0, 30), () => pair(P1, trader).getFunction('swap')(E18, 0, 0, 2000n * E6, RECIPIENT));
    // 2500 USDC in, 1 WETH out: price 2500
    await mine(9, at(0, 40), () => pair(P1, trader).getFunction('swap')(0, 2500n * E6, E18, 0, RECIPIENT));

    await startIndexing();
    await indexer!.ready;
    await indexedTo(9);
    const d = await q(`{
      factory(id: "${FACTORY}") { startBlock pairCount calledInBlocks lastPollBlock }
      polls(orderBy: block) ${POLL_FIELDS}
      pair(id: "${P1}") { reserve0 reserve1 swapCount volume0 }
      pairCreations { caller token0 token1 name pair blockNumber }
    }`);
    assert.deepEqual(d, {
      // one createPair call (block 6); the deployment in block 1 is a create, not a call
      factory: { startBlock: '1', pairCount: 1, calledInBlocks: 1, lastPollBlock: '9' },
      polls: [poll(1, 0, 0n), poll(5, 0, E18), poll(9, 1, E18)],
      // (100, 200000) -> +1 WETH -2000 USDC -> (101, 198000) -> +2500 USDC -1 WETH -> (100, 200500)
      pair: { reserve0: String(100n * E18), reserve1: String(200_500n * E6), swapCount: 2, volume0: '2' },
      pairCreations: [{ caller: DEPLOYER, token0: WETH, token1: USDC, name: 'Ether Dollar Pool', pair: P1, blockNumber: '6' }],
    });
    await indexer!.stop();
    indexer = undefined;
  });

  it('blocks 10-14 while stopped, then a restart: the template goes on from the store, nothing runs twice', async () => {
    // 2 WETH in, 3000 USDC out: price 1500
    await mine(10, at(1, 15), () => pair(P1, trader).getFunction('swap')(2n * E18, 0, 0, 3000n * E6, RECIPIENT));
    await mine(11, at(1, 30), () => deployer.sendTransaction({ to: TREASURY, value: E18 / 2n }));
    // the pair is created and used in the same block: its template indexes it from this block on
    await mine(
      12,
      at(1, 45),
      () => factory().getFunction('createPair')(ODD, WETH, 'Odd Ether Pool', GAS),
      () => pair(P2, deployer).getFunction('addLiquidity')(1000n * E18, 10n * E18, GAS),
    );
    // 10 ODD in (ODD's decimals() reverts: the mapping takes 18), 0.05 WETH out: price 0.005
    await mine(13, at(2, 5), () => pair(P2, trader).getFunction('swap')(10n * E18, 0, 0, 5n * 10n ** 16n, RECIPIENT));
    // 4000 USDC in, 2 WETH out: price 2000
    await mine(14, at(2, 10), () => pair(P1, trader).getFunction('swap')(0, 4000n * E6, 2n * E18, 0, RECIPIENT));

    await startIndexing();
    await indexer!.ready;
    await indexedTo(14);
    const d = await q(`{
      factory(id: "${FACTORY}") { pairCount calledInBlocks lastPollBlock }
      polls(orderBy: block) { id }
      p1: pair(id: "${P1}") { reserve0 reserve1 swapCount volume0 }
      p2: pair(id: "${P2}") { index name symbol reserve0 reserve1 swapCount volume0 createdAtBlock createdAtTimestamp token0 { id } token1 { id } }
      tokens(orderBy: symbol) { id symbol decimals pairCount }
    }`);
    assert.deepEqual(d, {
      factory: { pairCount: 2, calledInBlocks: 2, lastPollBlock: '13' },
      polls: [{ id: '1' }, { id: '5' }, { id: '9' }, { id: '13' }],
      // (100, 200500) -> +2 WETH -3000 USDC -> (102, 197500) -> +4000 USDC -2 WETH -> (100, 201500); volume 1+1+2+2
      p1: { reserve0: String(100n * E18), reserve1: String(201_500n * E6), swapCount: 4, volume0: '6' },
      // (1000, 10) -> +10 ODD -0.05 WETH -> (1010, 9.95)
      p2: {
        index: '2',
        name: 'Odd Ether Pool',
        symbol: 'ODD-WETH',
        reserve0: String(1010n * E18),
        reserve1: String(995n * 10n ** 16n),
        swapCount: 1,
        volume0: '10',
        createdAtBlock: '12',
        createdAtTimestamp: String(at(1, 45)),
        token0: { id: ODD },
        token1: { id: WETH },
      },
      tokens: [
        { id: ODD, symbol: 'ODD', decimals: null, pairCount: 1 },
        { id: USDC, symbol: 'USDC', decimals: 6, pairCount: 1 },
        { id: WETH, symbol: 'WETH', decimals: 18, pairCount: 2 },
      ],
    });
  });

  it('a reorg replaces a pair creation: the pair, its template, swaps and timeseries points go, the new branch\u2019s pair takes the address', async () => {
    const snapshot = await send<string>('evm_snapshot');
    await mine(15, at(2, 20), () => factory().getFunction('createPair')(USDC, ODD, 'Doomed Pool'));
    await mine(16, at(2, 30), () => pair(P3, trader).getFunction('swap')(5n * E6, 0, 0, 0, RECIPIENT));
    await indexedTo(16);
    assert.deepEqual(await q(`{ pair(id: "${P3}") { name swapCount swaps { pairName } } token(id: "${ODD}") { pairCount } }`), {
      pair: { name: 'Doomed Pool', swapCount: 1, swaps: [{ pairName: 'Doomed Pool' }] },
      token: { pairCount: 2 },
    });

    assert.equal(await send('evm_revert', [snapshot]), true);
    assert.equal(await head(), 14);
    // the factory's nonce 3 again: the new pair has the doomed one's address, other tokens and name
    await mine(15, at(2, 25), () => factory().getFunction('createPair')(USDC, WETH, 'Phoenix Pool'));
    await mine(16, at(2, 35), () => pair(P3, deployer).getFunction('addLiquidity')(50_000n * E6, 25n * E18));
    // 1000 USDC in, 0.5 WETH out: volume0 1000 (USDC has 6 decimals), price 0.5 / 1000 = 0.0005
    await mine(17, at(2, 50), () => pair(P3, trader).getFunction('swap')(1000n * E6, 0, 0, 5n * 10n ** 17n, RECIPIENT));
    await indexedTo(17);
    const d = await q(`{
      factory(id: "${FACTORY}") { pairCount calledInBlocks lastPollBlock }
      pair(id: "${P3}") { index name symbol reserve0 reserve1 swapCount volume0 createdAtBlock token0 { id } token1 { id } swaps { pairName pairIndex blockNumber } }
      tokens(orderBy: symbol) { symbol pairCount }
      pairCreations(orderBy: blockNumber) { name blockNumber }
      polls(orderBy: block, where: { block_gte: "13" }) ${POLL_FIELDS}
    }`);
    assert.deepEqual(d, {
      // createPair calls in blocks 6, 12 and 15 (the reverted 15 is gone)
      factory: { pairCount: 3, calledInBlocks: 3, lastPollBlock: '17' },
      pair: {
        index: '3',
        name: 'Phoenix Pool',
        symbol: 'USDC-WETH',
        // (50000, 25) -> +1000 USDC -0.5 WETH -> (51000, 24.5)
        reserve0: String(51_000n * E6),
        reserve1: String(245n * 10n ** 17n),
        swapCount: 1,
        volume0: '1000',
        createdAtBlock: '15',
        token0: { id: USDC },
        token1: { id: WETH },
        // the context is the new branch's: a template left over from the doomed pair would say "Doomed Pool"
        swaps: [{ pairName: 'Phoenix Pool', pairIndex: '3', blockNumber: '17' }],
      },
      tokens: [
        { symbol: 'ODD', pairCount: 1 },
        { symbol: 'USDC', pairCount: 2 },
        { symbol: 'WETH', pairCount: 3 },
      ],
      pairCreations: [
        { name: 'Ether Dollar Pool', blockNumber: '6' },
        { name: 'Odd Ether Pool', blockNumber: '12' },
        { name: 'Phoenix Pool', blockNumber: '15' },
      ],
      // treasury: 1 ETH (block 5) + 0.5 ETH (block 11)
      polls: [poll(13, 2, (3n * E18) / 2n), poll(17, 3, (3n * E18) / 2n)],
    });
  });

  it('blocks 18-21 into the next day; a handler error in block 21 is non-fatal', async () => {
    // 1 WETH in, 1900 USDC out: price 1900 (day 0, hour 23)
    await mine(18, at(23, 0), () => pair(P1, trader).getFunction('swap')(E18, 0, 0, 1900n * E6, RECIPIENT));
    // day 1, hour 24: price 2100; this block rolls up day 0 and hours 2 and 23
    await mine(19, at(24, 30), () => pair(P1, trader).getFunction('swap')(E18, 0, 0, 2100n * E6, RECIPIENT));
    // hour 25: rolls up hour 24
    await mine(20, at(25, 10), () => pair(P1, deployer).getFunction('flag')('audited'));
    // the mapping aborts on a note "fail": with nonFatalErrors only that handler's changes go
    await mine(21, at(26, 0), () => pair(P2, trader).getFunction('flag')('fail'));
    await indexedTo(21);

    const meta = (await q('{ _meta { hasIndexingErrors block { number } } }'))._meta;
    assert.deepEqual(meta, { hasIndexingErrors: true, block: { number: 21 } });
    // graph-node withholds data at a block with a non-fatal error unless the query allows it
    const denied = await post(indexer!.url!, '{ pairs { id } }');
    assert.deepEqual(denied.body.errors?.map((e) => e.message), ['indexing_error']);
    assert.equal((denied.body.data as Record<string, unknown> | undefined)?.pairs, undefined);
    // before the error's block the data is clean
    assert.deepEqual(await q('{ flags(block: { number: 20 }) { note } }'), { flags: [{ note: 'audited' }] });

    const d = await qa(`{
      factory(id: "${FACTORY}", subgraphError: allow) { startBlock pairCount calledInBlocks lastPollBlock pairs(orderBy: index) { id } }
      flags(subgraphError: allow) { pair { id } by note }
      polls(subgraphError: allow, orderBy: block, where: { block_gte: "21" }) ${POLL_FIELDS}
    }`);
    assert.deepEqual(d, {
      factory: { startBlock: '1', pairCount: 3, calledInBlocks: 3, lastPollBlock: '21', pairs: [{ id: P1 }, { id: P2 }, { id: P3 }] },
      // the "fail" flag was saved, then its handler aborted: dropped
      flags: [{ pair: { id: P1 }, by: DEPLOYER, note: 'audited' }],
      // the polling handler of the failing block still ran
      polls: [poll(21, 3, (3n * E18) / 2n)],
    });
  });

  it('every entity at the head, as hand-derived from the script', async () => {
    // the hand arithmetic of the reserves, checked against the chain itself
    const reserves = async (address: string) => {
      const c = pair(address, provider);
      return [await c.getFunction('reserve0')(), await c.getFunction('reserve1')()];
    };
    assert.deepEqual(await reserves(P1), [102n * E18, 197_500n * E6]);
    assert.deepEqual(await reserves(P2), [1010n * E18, 995n * 10n ** 16n]);
    assert.deepEqual(await reserves(P3), [51_000n * E6, 245n * 10n ** 17n]);
    const d = await qa(`{
      pairs(subgraphError: allow, orderBy: index) { id index name symbol token0 { id } token1 { id } reserve0 reserve1 swapCount volume0 createdAtBlock createdAtTimestamp factory { id } }
      swaps(subgraphError: allow, orderBy: blockNumber) { pair { id } pairName pairIndex sender to amount0In amount1In amount0Out amount1Out blockNumber }
      tokens(subgraphError: allow, orderBy: symbol) { id symbol decimals pairCount }
    }`);
    const s = (pairId: string, pairName: string, pairIndex: string, block: number, a0i: bigint, a1i: bigint, a0o: bigint, a1o: bigint) => ({
      pair: { id: pairId },
      pairName,
      pairIndex,
      sender: TRADER,
      to: RECIPIENT,
      amount0In: String(a0i),
      amount1In: String(a1i),
      amount0Out: String(a0o),
      amount1Out: String(a1o),
      blockNumber: String(block),
    });
    const p1 = ['Ether Dollar Pool', '1'] as const;
    assert.deepEqual(d, {
      pairs: [
        // (100, 201500) after block 14 -> +1 WETH -1900 USDC -> (101, 199600) -> +1 WETH -2100 USDC -> (102, 197500);
        // volume0 6 + 1 + 1
        { id: P1, index: '1', name: 'Ether Dollar Pool', symbol: 'WETH-USDC', token0: { id: WETH }, token1: { id: USDC }, reserve0: String(102n * E18), reserve1: String(197_500n * E6), swapCount: 6, volume0: '8', createdAtBlock: '6', createdAtTimestamp: String(at(0, 10)), factory: { id: FACTORY } },
        { id: P2, index: '2', name: 'Odd Ether Pool', symbol: 'ODD-WETH', token0: { id: ODD }, token1: { id: WETH }, reserve0: String(1010n * E18), reserve1: String(995n * 10n ** 16n), swapCount: 1, volume0: '10', createdAtBlock: '12', createdAtTimestamp: String(at(1, 45)), factory: { id: FACTORY } },
        { id: P3, index: '3', name: 'Phoenix Pool', symbol: 'USDC-WETH', token0: { id: USDC }, token1: { id: WETH }, reserve0: String(51_000n * E6), reserve1: String(245n * 10n ** 17n), swapCount: 1, volume0: '1000', createdAtBlock: '15', createdAtTimestamp: String(at(2, 25)), factory: { id: FACTORY } },
      ],
      swaps: [
        s(P1, ...p1, 8, E18, 0n, 0n, 2000n * E6),
        s(P1, ...p1, 9, 0n, 2500n * E6, E18, 0n),
        s(P1, ...p1, 10, 2n * E18, 0n, 0n, 3000n * E6),
        s(P2, 'Odd Ether Pool', '2', 13, 10n * E18, 0n, 0n, 5n * 10n ** 16n),
        s(P1, ...p1, 14, 0n, 4000n * E6, 2n * E18, 0n),
        s(P3, 'Phoenix Pool', '3', 17, 1000n * E6, 0n, 0n, 5n * 10n ** 17n),
        s(P1, ...p1, 18, E18, 0n, 0n, 1900n * E6),
        s(P1, ...p1, 19, E18, 0n, 0n, 2100n * E6),
      ],
      tokens: [
        { id: ODD, symbol: 'ODD', decimals: null, pairCount: 1 },
        { id: USDC, symbol: 'USDC', decimals: 6, pairCount: 2 },
        { id: WETH, symbol: 'WETH', decimals: 18, pairCount: 3 },
      ],
    });
  });

  it('@aggregation: hourly and daily PairStats (sum, count, max, last), newest first, timestamp_gte', async () => {
    const FIELDS = '{ timestamp volume0 swapCount maxPrice lastPrice pair { id } }';
    const bucket = (start: number, pairId: string, volume0: string, swapCount: number, maxPrice: string, lastPrice: string) => ({
      timestamp: micros(start),
      volume0,
      swapCount: String(swapCount),
      maxPrice,
      lastPrice,
      pair: { id: pairId },
    });
    const d = await qa(`{
      p1Hours: pairStats_collection(subgraphError: allow, interval: hour, where: { pair: "${P1}" }) ${FIELDS}
      p1Late: pairStats_collection(subgraphError: allow, interval: hour, where: { pair: "${P1}", timestamp_gte: "${micros(at(2, 0))}" }) ${FIELDS}
      p1Days: pairStats_collection(subgraphError: allow, interval: day, where: { pair: "${P1}" }) ${FIELDS}
      p2Hours: pairStats_collection(subgraphError: allow, interval: hour, where: { pair: "${P2}" }) ${FIELDS}
      p3Hours: pairStats_collection(subgraphError: allow, interval: hour, where: { pair: "${P3}" }) ${FIELDS}
      p3Days: pairStats_collection(subgraphError: allow, interval: day, where: { pair: "${P3}" }) ${FIELDS}
    }`);
    // P1 swaps: 0:30 (1 WETH, 2000), 0:40 (1, 2500), 1:15 (2, 1500), 2:10 (2, 2000), 23:00 (1, 1900), 24:30 (1, 2100).
    // The last block is at 26:00: hours up to 25 are closed; day 1 (from 24:00) is still open and not shown.
    const p1Hours = [
      bucket(at(24, 0), P1, '1', 1, '2100', '2100'),
      bucket(at(23, 0), P1, '1', 1, '1900', '1900'),
      bucket(at(2, 0), P1, '2', 1, '2000', '2000'),
      bucket(at(1, 0), P1, '2', 1, '1500', '1500'),
      bucket(at(0, 0), P1, '2', 2, '2500', '2500'),
    ];
    assert.deepEqual(d, {
      p1Hours,
      p1Late: p1Hours.slice(0, 3),
      // day 0: volume 1+1+2+2+1 = 7 over 5 swaps, max 2500, last 1900 (23:00)
      p1Days: [bucket(at(0, 0), P1, '7', 5, '2500', '1900')],
      p2Hours: [bucket(at(2, 0), P2, '10', 1, '0.005', '0.005')],
      // the doomed pair's swap (same address, hour 2, reorged away) is not in the bucket
      p3Hours: [bucket(at(2, 0), P3, '1000', 1, '0.0005', '0.0005')],
      p3Days: [bucket(at(0, 0), P3, '1000', 1, '0.0005', '0.0005')],
    });
  });

  it('@aggregation: `interval: "day"` as a string, as graph-node\u2019s docs write it (graph-node coerces a string to an enum value)', async () => {
    const d = await qa(`{ pairStats_collection(subgraphError: allow, interval: "day", where: { pair: "${P3}" }) { volume0 swapCount } }`);
    assert.deepEqual(d, { pairStats_collection: [{ volume0: '1000', swapCount: '1' }] });
  });

  it('@fulltext pairSearch: english stemming, prefix and boolean syntax; the reorged name is gone', async () => {
    const search = async (text: string) => {
      const d = await qa(`{ pairSearch(subgraphError: allow, text: ${JSON.stringify(text)}) { id } }`);
      // graph-node orders by rank; ties are not ordered, so compare the sets
      return (d.pairSearch as { id: string }[]).map((p) => p.id).sort();
    };
    const sorted = (...ids: string[]) => [...ids].sort();
    assert.deepEqual(await search('phoenix'), [P3]);
    assert.deepEqual(await search('doomed'), []);
    // "pools" stems to "pool", in every name
    assert.deepEqual(await search('pools'), sorted(P1, P2, P3));
    assert.deepEqual(await search('ether'), sorted(P1, P2));
    assert.deepEqual(await search('ether & odd'), [P2]);
    assert.deepEqual(await search('dollar | phoenix'), sorted(P1, P3));
    assert.deepEqual(await search('phoe:*'), [P3]);
    // symbols are searched too: WETH-USDC, ODD-WETH, USDC-WETH
    assert.deepEqual(await search('usdc'), sorted(P1, P3));
  });
});
