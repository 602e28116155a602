// Shared test setup: an in-process Hardhat network, deployed contracts, and small assertion
// helpers for custom errors and events (node:assert has no revert matchers).
import assert from 'node:assert/strict';
import { network } from 'hardhat';
import { ZeroHash, type BaseContract, type ContractTransactionResponse, type Interface, type LogDescription } from 'ethers';
import { Verdict, sealOf } from '../../src/index.ts';

export type Connection = Awaited<ReturnType<typeof network.create>>;

/** Realistic CIDv1 base32 (sha2-256) strings: 59 characters, as the trainer produces. */
export const CID = {
  weights: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
  metadata: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
  gradient: 'bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve',
  newWeights: 'bafybeihkoviema7g3gxyt6la7vd5ho32ictqbilu3wnlo3rs7ewhnp7lly',
} as const;

export const ETH = '0x0000000000000000000000000000000000000000';
export const DAY = 86_400;
export const HOUR = 3_600;

export async function connect() {
  const conn = await network.create();
  const { ethers } = conn;
  const signers = await ethers.getSigners();
  const [lender, evaluator, alice, bob, carol, stranger] = signers;
  const repo = await ethers.deployContract('ModelRepository');
  const token = await ethers.deployContract('TestToken');
  return { conn, ethers, helpers: conn.networkHelpers, signers, lender: lender!, evaluator: evaluator!, alice: alice!, bob: bob!, carol: carol!, stranger: stranger!, repo, token };
}

export type Env = Awaited<ReturnType<typeof connect>>;

export interface ModelOptions {
  token?: string;
  bounty?: bigint;
  value?: bigint;
  weightsCid?: string;
  metadataCid?: string;
  initialScore?: bigint;
  targetScore?: bigint;
  rule?: number;
  submissionDeadline?: bigint;
  evaluationWindow?: number;
  evaluator?: string;
  submissionStake?: bigint;
}

export async function now(env: Env): Promise<bigint> {
  return BigInt(await env.helpers.time.latest());
}

/** Params with sensible defaults: 1 ETH Improvement model, scores 0.6 -> 0.8, 7 day deadline, 1 day window. */
export async function modelParams(env: Env, o: ModelOptions = {}) {
  return {
    token: o.token ?? ETH,
    bounty: o.bounty ?? 0n,
    weightsCid: o.weightsCid ?? CID.weights,
    metadataCid: o.metadataCid ?? CID.metadata,
    initialScore: o.initialScore ?? 600_000n,
    targetScore: o.targetScore ?? 800_000n,
    rule: o.rule ?? 0,
    submissionDeadline: o.submissionDeadline ?? (await now(env)) + BigInt(7 * DAY),
    evaluationWindow: o.evaluationWindow ?? DAY,
    evaluator: o.evaluator ?? env.evaluator.address,
    submissionStake: o.submissionStake ?? 10n ** 16n,
  };
}

type Runner = Parameters<BaseContract['connect']>[0];
// ethers Contract methods are untyped without typechain; this keeps call sites readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyContract = any;

export function as(contract: AnyContract, signer: Runner): AnyContract {
  return contract.connect(signer);
}

/** Creates a model and returns its id. */
export async function createModel(env: Env, o: ModelOptions = {}, from = env.lender): Promise<bigint> {
  const params = await modelParams(env, o);
  const value = o.value ?? (params.token === ETH ? 10n ** 18n : 0n);
  const tx = await as(env.repo, from).createModel(params, { value });
  const ev = (await eventsOf(tx, env.repo.interface)).find((e) => e.name === 'ModelCreated');
  assert.ok(ev, 'ModelCreated not emitted');
  return ev.args.modelId as bigint;
}

let commitmentCounter = 0n;
export function freshCommitment(): string {
  commitmentCounter += 1n;
  return `0x${commitmentCounter.toString(16).padStart(64, 'a')}`;
}

let saltCounter = 0n;
export function freshSalt(): string {
  saltCounter += 1n;
  return `0x${saltCounter.toString(16).padStart(64, '5')}`;
}

/** What a contributor keeps between its commit and its reveal. */
export interface Sealed {
  gradientId: bigint;
  modelId: bigint;
  contributor: string;
  seal: string;
  cid: string;
  commitment: string;
  salt: string;
}

export interface CommitOptions {
  cid?: string;
  commitment?: string;
  salt?: string;
  stake?: bigint;
}

/** Step one: commits the seal of (cid, commitment, salt) from `from` and returns what the reveal needs. */
export async function commit(env: Env, modelId: bigint, from = env.alice, o: CommitOptions = {}): Promise<Sealed> {
  const cid = o.cid ?? CID.gradient;
  const commitment = o.commitment ?? freshCommitment();
  const salt = o.salt ?? freshSalt();
  const seal = sealOf(from.address, modelId, commitment, cid, salt);
  const tx = await as(env.repo, from).commitGradient(modelId, seal, { value: o.stake ?? 10n ** 16n });
  const ev = (await eventsOf(tx, env.repo.interface)).find((e) => e.name === 'GradientCommitted');
  assert.ok(ev, 'GradientCommitted not emitted');
  return { gradientId: ev.args.gradientId as bigint, modelId, contributor: from.address, seal, cid, commitment, salt };
}

/** Step two, by the committer (or `from`, to test who may reveal). */
export async function reveal(env: Env, s: Sealed, from?: Env['alice'], dpEpsilon = 0n): Promise<ContractTransactionResponse> {
  const signer = from ?? env.signers.find((x) => x.address === s.contributor)!;
  return as(env.repo, signer).revealGradient(s.gradientId, s.cid, s.commitment, s.salt, dpEpsilon);
}

/** Commit and reveal: a pending gradient; returns its id. */
export async function submit(env: Env, modelId: bigint, from = env.alice, commitment = freshCommitment(), stake = 10n ** 16n, cid: string = CID.gradient): Promise<bigint> {
  const s = await commit(env, modelId, from, { commitment, stake, cid });
  await (await reveal(env, s)).wait();
  return s.gradientId;
}

/** The seal stored for a gradient (zero for unknown ids, so calls still reach the contract's own checks). */
export async function sealFor(env: Env, gradientId: bigint): Promise<string> {
  try {
    return (await env.repo.getGradient(gradientId)).seal as string;
  } catch {
    return ZeroHash;
  }
}

/** Evaluates with the gradient's own seal; `verdict` true = Accepted, false = Rejected, or a Verdict. */
export async function evaluate(env: Env, gradientId: bigint, score: bigint, verdict: boolean | number = true, from = env.evaluator) {
  const v = verdict === true ? Verdict.Accepted : verdict === false ? Verdict.Rejected : verdict;
  return as(env.repo, from).evaluateGradient(gradientId, await sealFor(env, gradientId), score, v, v === Verdict.Accepted ? CID.newWeights : '');
}

/** The repository's events in a transaction, decoded. */
export async function eventsOf(tx: ContractTransactionResponse, iface: Interface): Promise<LogDescription[]> {
  const receipt = await tx.wait();
  assert.ok(receipt, 'no receipt');
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    const parsed = iface.parseLog(log);
    if (parsed) out.push(parsed);
  }
  return out;
}

/** Asserts the exact sequence of event names and, for each, all arguments in declaration order. */
export async function expectEvents(tx: ContractTransactionResponse, iface: Interface, expected: [string, unknown[]][]): Promise<void> {
  const events = await eventsOf(tx, iface);
  assert.deepEqual(
    events.map((e) => e.name),
    expected.map(([name]) => name),
    'event names',
  );
  events.forEach((e, i) => {
    assert.deepEqual(normalize([...e.args]), normalize(expected[i]![1]), `${e.name} args`);
  });
}

/** Asserts a call reverts with the custom error `name` and exactly these arguments. */
export async function expectRevert(promise: Promise<unknown>, iface: Interface, name: string, args: unknown[] = []): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected revert ${name}, but the call succeeded`);
  const data = findRevertData(error);
  assert.ok(data, `expected revert ${name}, got ${(error as Error).message}`);
  const parsed = iface.parseError(data);
  assert.ok(parsed, `expected revert ${name}, got undecodable data ${data}`);
  assert.equal(parsed.name, name, `expected revert ${name}, got ${parsed.name}`);
  assert.deepEqual(normalize([...parsed.args]), normalize(args), `${name} args`);
}

function findRevertData(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && data.startsWith('0x') && data.length >= 10) return data;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return undefined;
}

/** numbers -> bigint, addresses lowercased, nested arrays recursively: compare values not encodings */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase();
  if (v && typeof v === 'object' && 'getAddress' in v && 'address' in v) return String((v as { address: string }).address).toLowerCase();
  return v;
}

export async function balance(env: Env, address: string): Promise<bigint> {
  return env.ethers.provider.getBalance(address);
}

export async function gasCost(tx: ContractTransactionResponse): Promise<bigint> {
  const r = await tx.wait();
  assert.ok(r);
  return r.gasUsed * r.gasPrice;
}
