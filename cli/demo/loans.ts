// The demo's last act: the lender deploys the trained model to the LoanDesk, its service answers
// encrypted quotes, and a few borrowers (held-out LendingClub rows with the label removed) learn
// their probability of default, apply, and get a decision on-chain.
import path from 'node:path';
import { formatEther, parseEther, type Wallet } from 'ethers';
import type { CsvTable } from '@hessian/core/data';
import { writeCsvFile } from '@hessian/trainer/data';

type Trainer = typeof import('@hessian/trainer');
type Lending = typeof import('@hessian/lending');
type ModelRepositoryClient = InstanceType<Trainer['ModelRepositoryClient']>;
type ContentStore = Awaited<ReturnType<Trainer['openContentStore']>>;
type Logger = ReturnType<Trainer['createLogger']>;

export interface Applicant {
  name: string;
  /** base units (wei) */
  amount: bigint;
  termDays: number;
  wallet: Wallet;
}

export interface LoanDeskDemo {
  trainer: Trainer;
  lending: Lending;
  rpcUrl: string;
  /** the LoanDesk deployment (address, startBlock) */
  desk: { address: string; startBlock: number };
  lender: ModelRepositoryClient;
  lenderWallet: Wallet;
  serviceWallet: Wallet;
  modelId: number;
  /** the lender's state directory (where openModel left its key and journal) */
  lenderDir: string;
  dir: string;
  store: ContentStore;
  /** held-out rows the applicants' features come from */
  heldOut: CsvTable;
  label: string;
  applicants: Applicant[];
  log: Logger;
  out: (s: string) => void;
  /** registers a cleanup with the demo's shutdown */
  onStop: (stop: () => Promise<unknown> | unknown) => void;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const apr = (bps: number) => `${(bps / 100).toFixed(2)} % APR`;

/**
 * A model can be deployed once its training is over. When the owners' rounds ended below the
 * target, the model is still Open until its deadline: on the demo's own throwaway chain the clock
 * is moved past the deadline and evaluation window so the lender can close it (never elsewhere).
 */
async function finishTraining(d: LoanDeskDemo): Promise<void> {
  const source = d.trainer.chainSource(d.lender);
  await source.refresh();
  const m = source.view.models.get(d.modelId);
  if (!m) throw new Error(`model ${d.modelId} not found`);
  // committed and pending gradients are still judged after the target is reached, by the evaluator
  // on the lender's account: deploying before they settle races it for the account's nonce
  const unsettled = new Set(['Committed', 'Pending']);
  const pending = () => source.view.models.get(d.modelId)!.gradientIds.filter((id) => unsettled.has(source.view.gradients.get(id)?.status ?? '')).length;
  for (let i = 0; i < 600 && pending() > 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    await source.refresh();
  }
  if (source.view.models.get(d.modelId)!.status !== 'Open') return;
  // a commit made just before the deadline may still be revealed, then evaluated
  const closable = Number(m.submissionDeadline) + d.trainer.REVEAL_WINDOW + Number(m.evaluationWindow) + 1;
  const provider = d.lender.provider;
  const now = (await provider.getBlock('latest'))!.timestamp;
  if (closable > now) {
    d.out(`loan desk   target not reached: moving the local chain's clock ${Math.ceil((closable - now) / 3600)} h ahead to close the model`);
    await provider.send('evm_increaseTime', [closable - now]);
    await provider.send('evm_mine', []);
  }
  await d.trainer.closeModel(d.lender, d.modelId, d.log);
}

export async function runLoanDesk(d: LoanDeskDemo): Promise<void> {
  const { lending } = d;
  await finishTraining(d);
  const deskConfig = { rpcUrl: d.rpcUrl, address: d.desk.address, startBlock: d.desk.startBlock, pollMs: 250 };
  const clients: { destroy(): void }[] = [];
  d.onStop(() => clients.forEach((c) => c.destroy()));
  const connect = async (w: Wallet) => {
    const c = await lending.LoanDeskClient.connect(deskConfig, w);
    clients.push(c);
    return c;
  };

  // ---- the lender deploys, naming a separate service account (its hot key) for quotes and decisions
  const lenderDesk = await connect(d.lenderWallet);
  const serviceDesk = await connect(d.serviceWallet);
  const deployed = await lending.deployModel({
    repo: d.lender,
    desk: lenderDesk,
    store: d.store,
    stateDir: d.lenderDir,
    modelId: d.modelId,
    service: d.serviceWallet.address,
    name: 'LendingClub default risk (demo)',
    log: d.log,
  });
  d.out(`loan desk   model #${d.modelId} deployed as #${deployed.deploymentId} (service ${d.serviceWallet.address}); logits on held-out rows ${deployed.logitRange.map((x) => x.toFixed(2)).join('..')}`);
  const service = await lending.startLoanService({ desk: serviceDesk, store: d.store, stateDir: d.lenderDir, deploymentIds: [deployed.deploymentId], pollMs: 250, log: d.log });
  d.onStop(() => service.stop());

  // ---- borrowers: one held-out row each, without the outcome nobody knows yet, encrypted under their own keys
  const labelIdx = d.heldOut.header.indexOf(d.label);
  const unlabelled: CsvTable = {
    source: d.heldOut.source,
    header: d.heldOut.header.filter((_, i) => i !== labelIdx),
    rows: d.heldOut.rows.map((r) => ({ ...r, cells: r.cells.filter((_, i) => i !== labelIdx) })),
  };
  // a borrower fills in every field of the application: rows with a missing cell are no applicants
  const complete = unlabelled.rows.flatMap((r, i) => (r.cells.every((c) => c.trim() !== '') ? [i] : []));
  for (const [k, a] of d.applicants.entries()) {
    if (k * 7 >= complete.length) break;
    const stateDir = path.join(d.dir, `borrower-${k + 1}`);
    const features = writeCsvFile(path.join(d.dir, `borrower-${k + 1}.csv`), unlabelled, [complete[k * 7]!]);
    const desk = await connect(a.wallet);
    const quote = await lending.requestQuote({ desk, store: d.store, stateDir, deploymentId: deployed.deploymentId, features, amount: a.amount, termDays: a.termDays, pollMs: 250, log: d.log });
    d.out(`  ${a.name} ${a.wallet.address}: quote #${quote.quoteId} -> default risk ${pct(quote.probability)}, ${quote.approved ? `offered ${apr(quote.rateBps)}` : `would be declined (${quote.reason})`}`);
    const request = await lending.requestLoan({ desk, store: d.store, stateDir, quoteId: quote.quoteId, amount: a.amount, termDays: a.termDays, wait: true, pollMs: 250, log: d.log });
    const decision = request.decision!;
    d.out(
      `  ${a.name}: loan request #${request.requestId} for ${formatEther(a.amount)} ETH over ${a.termDays} days -> ${decision.approved ? `approved ${formatEther(BigInt(decision.amount))} ETH at ${apr(decision.rateBps)}` : 'declined'} (${decision.reason})`,
    );
  }
}

/** Three applicants: a small loan, a mid-size one, and one above the default rule's 10 ETH cap. */
export function demoApplicants(wallets: Wallet[]): Applicant[] {
  const plan: [string, string, number][] = [
    ['borrower 1', '2', 365],
    ['borrower 2', '5', 730],
    ['borrower 3', '12', 1095],
  ];
  return plan.slice(0, wallets.length).map(([name, eth, termDays], i) => ({ name, amount: parseEther(eth), termDays, wallet: wallets[i]! }));
}
