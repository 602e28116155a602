// The lender's loan service daemon (docs/model-deployment.md): answers encrypted quote requests
// with the plaintext weights and decides loan requests from the sealed disclosures. Every step is
// journaled before its transaction and reconciled with the chain's events on restart, so nothing
// is answered or decided twice, and a quote's tag key survives a crash between journaling and
// answering. The steps live beside it: serving.ts (one deployment), quotes.ts, loans.ts.
import { LogWatcher } from '@hessian/core/chain';
import { closeOnError } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { LoanDeskView, decodeLoanDeskLog } from '../chain/loan-desk/index.ts';
import type { ModelDeployed } from '../chain/loan-desk/index.ts';
import { QUERY_PARAMETERS, openQueryContext } from '../quote/prediction.ts';
import type { LoanServiceConfig, Service, Served } from './context.ts';
import { deploymentRecords, loanServiceJournal } from './journal.ts';
import type { DeploymentRecord, LoanServiceJournal } from './journal.ts';
import { quoteLimits } from './limits.ts';
import { admission } from './quotes.ts';
import { serveDeployment } from './serving.ts';

export interface LoanServiceHandle {
  address: string;
  journal: Journal<LoanServiceJournal>;
  view: LoanDeskView;
  /** the deployments loaded now (material found, weights decrypted), by id */
  serving(): number[];
  stop(): Promise<void>;
  done: Promise<void>;
}

export async function startLoanService(cfg: LoanServiceConfig): Promise<LoanServiceHandle> {
  const log = (cfg.log ?? silentLogger).child({ role: 'loan-service' });
  const desk = cfg.desk;
  const address = await desk.address();
  // before anything else: a second service on this state directory is refused here
  const journal = loanServiceJournal(cfg.stateDir);
  const qhe = await closeOnError(journal, async () => {
    await checkNamedDeployments(cfg, address, journal);
    return openQueryContext(QUERY_PARAMETERS);
  });
  const svc: Service = {
    cfg, log, desk, journal, qhe, view: new LoanDeskView(), pollMs: cfg.pollMs ?? 1000, limits: quoteLimits(cfg.quoteLimits), deferredLogged: new Set(),
  };
  const me = address.toLowerCase();
  const wanted = (d: ModelDeployed) => d.service.toLowerCase() === me && (!cfg.deploymentIds || cfg.deploymentIds.includes(d.deploymentId));
  // ModelDeployed events from the desk's first block: deployments made before this start and
  // after it are found the same way
  const watcher = new LogWatcher({ provider: desk.provider, address: desk.config.address, fromBlock: desk.config.startBlock, confirmations: desk.config.confirmations, decode: decodeLoanDeskLog });
  const served = new Map<number, Served>();
  const servedState = (id: number): Served => served.get(id) ?? served.set(id, { failures: 0, retryAt: 0 }).get(id)!;

  async function tick(): Promise<void | 'done'> {
    svc.view.applyAll(await watcher.poll());
    let records: Record<string, DeploymentRecord> | undefined;
    // re-read each tick that needs it: `hessian loan deploy` adds records while this runs. Older
    // records in loan-service.json are this daemon's own journal, which nobody else writes and
    // which grows with every quote: taken from memory, not parsed again each poll
    const currentRecords = () => (records ??= deploymentRecords(cfg.stateDir, journal.value.deployments ?? {}));
    const admit = admission(svc);
    let unsettled = 0;
    for (const d of [...svc.view.deployments.values()].filter(wanted).sort((a, b) => a.deploymentId - b.deploymentId)) {
      unsettled += await serveDeployment(svc, d, servedState(d.deploymentId), admit, currentRecords);
    }
    if (cfg.once && unsettled === 0) return 'done';
  }

  const loop = runLoop(tick, { pollMs: svc.pollMs, log, journal });
  log.info('loan service started', { account: address, deployments: cfg.deploymentIds ?? 'every deployment served by this account, as they are made' });
  return { address, journal, view: svc.view, serving: () => [...served].filter(([, s]) => s.ctx).map(([id]) => id), stop: () => loop.stop(), done: loop.done };
}

/** a typo in --deployment would otherwise wait forever for a deployment that is not coming; one
 * this state directory just deployed may not be confirmed yet */
async function checkNamedDeployments(cfg: LoanServiceConfig, address: string, journal: Journal<LoanServiceJournal>): Promise<void> {
  for (const id of cfg.deploymentIds ?? []) {
    const [d] = await cfg.desk.queryEvents('ModelDeployed', [id]);
    if (d && d.service.toLowerCase() !== address.toLowerCase()) throw new Error(`deployment ${id} is served by ${d.service}, not by this account (${address})`);
    if (!d && !Object.values(deploymentRecords(cfg.stateDir, journal.value.deployments ?? {})).some((r) => r.deploymentId === id)) {
      throw new Error(`no deployment ${id} on the LoanDesk at ${cfg.desk.config.address}, nor in ${cfg.stateDir}`);
    }
  }
}
