// `hessian loan <deploy|decide|retire|quote|request>`: private lending on a trained model
// (@hessian/lending's loan service and borrower), from flags with environment fallbacks.
import { readFile } from 'node:fs/promises';
import { formatEther } from 'ethers';
import { ModelRepositoryClient } from '@hessian/core/model-repository';
import { bindStateToChain } from '@hessian/core/journal';
import {
  LoanDeskClient, deployModel, decideManually, startLoanService, requestQuote, finishQuote, requestLoan, validatePricingRule,
} from '@hessian/lending';
import type { PricingRule } from '@hessian/lending';
import { CSV_OPTIONS, csvFormat, readDataFile } from '@hessian/trainer/data';
import type { DataFlags } from '@hessian/trainer/data';
import { numberFlag } from '@hessian/common/args';
import type { FlagSpec } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';
import { shutdownSignal } from '../command.ts';
import type { CommandIo } from '../command.ts';
import { ROLE_FLAGS, runRole, required, num, id, eth, list, jsonLine, contractConfig, account } from '../roles.ts';
import type { RoleGroup } from '../roles.ts';

// --deployment names a LoanDesk deployment id here; the deployment file is --deployment-file
const { deployment: deploymentFileSpec, ...ROLE_FLAGS_BUT_FILE } = ROLE_FLAGS;
const LOAN_FLAGS: Record<string, FlagSpec> = {
  ...ROLE_FLAGS_BUT_FILE,
  'deployment-file': deploymentFileSpec!,
  'loan-desk': { type: 'string', env: 'HESSIAN_LOAN_DESK', description: 'LoanDesk address (overrides the deployment file)' },
  json: { type: 'boolean', description: 'print the result as one JSON line (for scripts)' },
};

const COMMANDS: RoleGroup['commands'] = {
  deploy: {
    summary: 'deploy a trained model (TargetReached or Closed): publish its service document and record it on the LoanDesk',
    options: {
      model: { type: 'string', description: 'model id (opened from this state directory)' },
      pricing: { type: 'string', description: 'pricing rule JSON file (default: the documented default rule)' },
      holdout: { type: 'string', description: 'held-out CSV for the logit range (default: the one the model was opened with)' },
      delimiter: CSV_OPTIONS.delimiter,
      name: { type: 'string', description: 'deployment name shown to borrowers' },
      service: { type: 'string', description: 'account answering quotes and deciding loans (default: the lender)' },
    },
  },
  decide: {
    summary: "the lender's loan service daemon (answers quotes, decides loan requests), or one decision by hand",
    options: {
      deployment: { type: 'string', description: 'comma-separated deployment ids to serve (default: every deployment naming this account as its service, later ones included)' },
      once: { type: 'boolean', description: 'process what is pending, then exit' },
      request: { type: 'string', description: 'decide this loan request by hand (reason Manual) instead of running the daemon' },
      approve: { type: 'boolean', description: 'with --request: approve' },
      decline: { type: 'boolean', description: 'with --request: decline' },
      rate: { type: 'string', description: 'with --approve: yearly rate in basis points (1250 = 12.5% APR)' },
      amount: { type: 'string', description: 'with --approve: approved amount in ETH (default: the requested amount)' },
    },
  },
  retire: {
    summary: 'retire a deployment (its lender): no new quotes or loan requests; the running service still answers and decides what was asked before, then stops serving it',
    options: {
      deployment: { type: 'string', description: 'deployment id' },
    },
  },
  quote: {
    summary: 'ask a deployed model for a private quote: your features stay encrypted under your own key',
    options: {
      deployment: { type: 'string', description: 'deployment id' },
      features: { type: 'string', description: 'CSV with your row (same columns as the model; the label column may be absent)' },
      delimiter: CSV_OPTIONS.delimiter,
      row: { type: 'string', default: '0', description: 'which data row of the CSV (0-based)' },
      quote: { type: 'string', description: 'resume: wait for and decrypt this already requested quote' },
      amount: { type: 'string', description: "price the quote for this amount in ETH (default: the rule's maximum)" },
      term: { type: 'string', default: '365', description: 'price the quote for this term in days' },
      timeout: { type: 'string', default: '300', description: 'seconds to wait for the answer' },
    },
  },
  request: {
    summary: 'apply for a loan on an answered quote: discloses your score, sealed to the service',
    options: {
      quote: { type: 'string', description: 'quote id (from hessian loan quote)' },
      amount: { type: 'string', description: 'amount in ETH' },
      term: { type: 'string', default: '365', description: 'term in days' },
      wait: { type: 'boolean', description: 'wait for the decision' },
      timeout: { type: 'string', default: '300', description: 'seconds to wait for the decision' },
    },
  },
};

const LOAN: RoleGroup = { name: 'loan', commands: COMMANDS, common: LOAN_FLAGS, deploymentFile: 'deployment-file' };

const pct = (p: number) => `${(p * 100).toFixed(2)}%`;
const apr = (bps: number) => `${(bps / 100).toFixed(2)}% APR`;

/** `hessian loan ...`; argv excludes "loan". Returns the exit code. */
export async function loan(argv: string[], io: CommandIo = {}): Promise<number> {
  return runRole(LOAN, argv, io, async ({ cmd, o, log, io: { stdout, env }, onExit, stateDir: roleDir, openStore }) => {
    const asJson = Boolean(o.json);
    // argument errors first: nothing is sent or opened for a command that cannot run
    const lenderSide = cmd === 'deploy' || cmd === 'decide' || cmd === 'retire';
    if (cmd === 'deploy') id(o, 'model');
    if (cmd === 'retire') id(o, 'deployment');
    if (cmd === 'quote' && o.quote === undefined) {
      id(o, 'deployment');
      required(o, 'features');
    }
    if (cmd === 'request') {
      id(o, 'quote');
      if (eth(o, 'amount') === undefined) throw new UsageError('--amount is required');
    }
    if (cmd === 'decide' && o.request !== undefined && Boolean(o.approve) === Boolean(o.decline)) throw new UsageError('--request needs exactly one of --approve or --decline');
    if (cmd === 'decide' && o.request !== undefined) id(o, 'request');
    const rate = cmd === 'decide' ? num(o, 'rate', { int: true, min: 1 }) : undefined;
    if (cmd === 'decide' && o.request !== undefined && o.approve && rate === undefined) throw new UsageError('--approve needs --rate (basis points)');
    // the CSV first, in the user's format: a bad file is a usage error before anything connects
    const csv = (flag: string) => (o[flag] !== undefined ? readDataFile(String(o[flag]), csvFormat(o as DataFlags), `--${flag}`).table : undefined);
    const holdoutTable = cmd === 'deploy' ? csv('holdout') : undefined;
    const featuresTable = cmd === 'quote' && o.quote === undefined ? csv('features') : undefined;
    const deploymentIds = cmd === 'decide' ? list(o, 'deployment')?.map((v) => numberFlag('deployment', v, { int: true, min: 1 })!) : undefined;
    const wallet = await account(o, env, log);
    const desk = await LoanDeskClient.connect(await contractConfig(o, 'loan-desk', 'deployment-file', 'LoanDesk'), wallet);
    onExit(() => desk.destroy());
    const stateDir = roleDir(lenderSide ? 'lender' : 'borrower');
    if (cmd !== 'retire') await bindStateToChain(stateDir, desk.provider, log);
    const pollMs = desk.config.pollMs;
    switch (cmd) {
      case 'deploy': {
        let pricing: PricingRule | undefined;
        if (o.pricing) {
          let raw: unknown;
          try {
            raw = JSON.parse(await readFile(String(o.pricing), 'utf8'));
          } catch (err) {
            throw new UsageError(`--pricing ${String(o.pricing)}: ${(err as Error).message}`, { cause: err });
          }
          pricing = validatePricingRule(raw);
        }
        const repo = await ModelRepositoryClient.connect(await contractConfig(o, 'contract', 'deployment-file', 'ModelRepository'), wallet);
        onExit(() => repo.destroy());
        const res = await deployModel({
          repo,
          desk,
          store: await openStore(),
          stateDir,
          modelId: id(o, 'model'),
          ...(pricing ? { pricing } : {}),
          ...(holdoutTable ? { holdout: holdoutTable } : {}),
          ...(o.name ? { name: String(o.name) } : {}),
          ...(o.service ? { service: String(o.service) } : {}),
          log,
        });
        stdout.write(
          asJson
            ? jsonLine(res)
            : `model ${res.modelId} deployed as deployment ${res.deploymentId}${res.resumed ? ' (finished an earlier run)' : ''}\n` +
                `  service document ${res.serviceCid}\n  logit range [${res.logitRange.map((v) => v.toFixed(3)).join(', ')}]\n  tx ${res.txHash}\n`,
        );
        return;
      }
      case 'decide': {
        if (o.request !== undefined) {
          const approved = Boolean(o.approve);
          const amount = eth(o, 'amount');
          const res = await decideManually({ desk, stateDir, log }, { requestId: id(o, 'request'), approved, ...(amount !== undefined ? { amount } : {}), ...(rate !== undefined ? { rateBps: rate } : {}) });
          stdout.write(asJson ? jsonLine({ requestId: id(o, 'request'), approved, tx: res.txHash }) : `loan request ${id(o, 'request')} ${approved ? `approved at ${apr(rate!)}` : 'declined'} by hand\n  tx ${res.txHash}\n`);
          return;
        }
        const stop = shutdownSignal(io);
        try {
          const handle = await startLoanService({ desk, store: await openStore(), stateDir, ...(deploymentIds ? { deploymentIds } : {}), once: Boolean(o.once), pollMs, log });
          const why = await Promise.race([stop.promise.then((s) => `signal ${String(s)}`), handle.done.then(() => 'finished')]);
          log.info('shutting down', { why });
          await handle.stop();
          const j = handle.journal.value;
          const count = (xs: { state: string }[], s: string) => xs.filter((x) => x.state === s).length;
          const summary = { quotesAnswered: count(Object.values(j.quotes), 'answered'), quotesRefused: count(Object.values(j.quotes), 'refused'), loansDecided: count(Object.values(j.loans), 'done') };
          stdout.write(asJson ? jsonLine(summary) : `answered ${summary.quotesAnswered} quote(s), refused ${summary.quotesRefused}, decided ${summary.loansDecided} loan request(s)\n`);
          return;
        } finally {
          stop.dispose();
        }
      }
      case 'retire': {
        const res = await desk.retireDeployment(id(o, 'deployment'));
        stdout.write(asJson ? jsonLine({ deploymentId: res.event.deploymentId, tx: res.txHash }) : `deployment ${res.event.deploymentId} retired\n  tx ${res.txHash}\n`);
        return;
      }
      case 'quote': {
        const common = {
          desk,
          store: await openStore(),
          stateDir,
          ...(eth(o, 'amount') !== undefined ? { amount: eth(o, 'amount') } : {}),
          termDays: num(o, 'term', { int: true, min: 1 })!,
          timeoutMs: num(o, 'timeout', { min: 0 })! * 1000,
          pollMs,
          log,
        };
        const q =
          o.quote !== undefined
            ? await finishQuote(common, id(o, 'quote'))
            : await requestQuote({ ...common, deploymentId: id(o, 'deployment'), features: featuresTable!, row: num(o, 'row', { int: true, min: 0 })! });
        stdout.write(
          asJson
            ? jsonLine(q)
            : `quote ${q.quoteId} (deployment ${q.deploymentId})\n  probability of default ${pct(q.probability)}\n` +
                (q.approved
                  ? `  offer: ${formatEther(q.amount)} ETH over ${q.termDays} days at ${apr(q.rateBps)} (${q.reason})\n`
                  : `  the pricing rule would decline: ${q.reason}\n`) +
                `  apply with: hessian loan request --quote ${q.quoteId} --amount <ETH> --term ${q.termDays}\n`,
        );
        return;
      }
      case 'request': {
        const res = await requestLoan({
          desk,
          store: await openStore(),
          stateDir,
          quoteId: id(o, 'quote'),
          amount: eth(o, 'amount')!,
          termDays: num(o, 'term', { int: true, min: 1 })!,
          wait: Boolean(o.wait),
          timeoutMs: num(o, 'timeout', { min: 0 })! * 1000,
          pollMs,
          log,
        });
        const d = res.decision;
        stdout.write(
          asJson
            ? jsonLine(res)
            : `loan request ${res.requestId} (quote ${res.quoteId}): ${formatEther(res.amount)} ETH over ${res.termDays} days\n  tx ${res.txHash}\n` +
                (d ? `  ${d.approved ? `approved: ${formatEther(BigInt(d.amount))} ETH at ${apr(d.rateBps)}` : 'declined'} (${d.reason})\n` : ''),
        );
        return;
      }
    }
  });
}
