// LoanDesk test setup: a desk reading the suite's repository, trained models to deploy, and the
// quote -> answer -> loan request steps with realistic CIDs.
import assert from 'node:assert/strict';
import { CID, DAY, as, createModel, eventsOf, evaluate, submit, type AnyContract, type Env } from './chain.ts';
import { REVEAL_WINDOW } from '../../src/index.ts';

type Signer = Env['alice'];

/** CIDv1 raw sha2-256 of the words "service", "query", ... (59 characters, as the trainer writes). */
export const DESK_CID = {
  service: 'bafkreie562ycnkggyjxdyownenykc3ut7764aak76w6ypeqypcaclwycqa',
  query: 'bafkreifiw5yzec4ddhsheuorgyhv5calyghi2mu3b4gqapvdy7tbkvmji4',
  result: 'bafkreihwuikppjp43igcz3uwmc37ykpvmspdy2fk2shcb2kqcn6jrej2na',
  disclosure: 'bafkreiebq4jv7lvnggejevj3nv7ojazbytiavqbi5cgrpibpaxpjcyugh4',
} as const;

export const COMMITMENT = `0x${'5a'.repeat(32)}`;

export async function deployDesk(env: Env): Promise<AnyContract> {
  return env.ethers.deployContract('LoanDesk', [await env.repo.getAddress()]);
}

/**
 * A model of `env.lender` with one accepted gradient scoring `score` (target 0.8): TargetReached
 * when score >= 0.8. `close` then closes it (after the deadline when the target was missed).
 */
export async function trainedModel(env: Env, o: { score?: bigint; close?: boolean } = {}): Promise<bigint> {
  const score = o.score ?? 850_000n;
  const id = await createModel(env);
  const g = await submit(env, id, env.alice);
  await evaluate(env, g, score);
  if (o.close) {
    if (score < 800_000n) await env.helpers.time.increase(8 * DAY + REVEAL_WINDOW + 1);
    await as(env.repo, env.bob).closeModel(id);
  }
  return id;
}

export interface DeployOverrides {
  weightsCid?: string;
  weightsCommitment?: string;
  serviceCid?: string;
  metric?: string;
  token?: string;
  service?: string;
}

export function deployParams(modelId: bigint, o: DeployOverrides = {}) {
  return {
    modelId,
    weightsCid: o.weightsCid ?? CID.newWeights,
    weightsCommitment: o.weightsCommitment ?? COMMITMENT,
    serviceCid: o.serviceCid ?? DESK_CID.service,
    metric: o.metric ?? 'auc',
    token: o.token ?? '0x0000000000000000000000000000000000000000',
    service: o.service ?? '0x0000000000000000000000000000000000000000',
  };
}

async function idFrom(tx: Promise<unknown>, desk: AnyContract, event: string, field: string): Promise<bigint> {
  const ev = (await eventsOf((await tx) as never, desk.interface)).find((e) => e.name === event);
  assert.ok(ev, `${event} not emitted`);
  return ev.args[field] as bigint;
}

/** Deploys `modelId` from the lender with `carol` as the service unless overridden. */
export function deploy(env: Env, desk: AnyContract, modelId: bigint, o: DeployOverrides = {}): Promise<bigint> {
  const params = deployParams(modelId, { service: env.carol.address, ...o });
  return idFrom(as(desk, env.lender).deployModel(params), desk, 'ModelDeployed', 'deploymentId');
}

export function requestQuote(desk: AnyContract, deploymentId: bigint, borrower: Signer): Promise<bigint> {
  return idFrom(as(desk, borrower).requestQuote(deploymentId, DESK_CID.query), desk, 'QuoteRequested', 'quoteId');
}

/** A quote from `borrower` answered by `service` (carol by default). */
export async function answeredQuote(env: Env, desk: AnyContract, deploymentId: bigint, borrower = env.alice, service = env.carol): Promise<bigint> {
  const quoteId = await requestQuote(desk, deploymentId, borrower);
  await as(desk, service).answerQuote(quoteId, DESK_CID.result);
  return quoteId;
}

export function requestLoan(desk: AnyContract, quoteId: bigint, borrower: Signer, amount = 1000n, termDays = 365): Promise<bigint> {
  return idFrom(as(desk, borrower).requestLoan(quoteId, amount, termDays, DESK_CID.disclosure), desk, 'LoanRequested', 'requestId');
}
