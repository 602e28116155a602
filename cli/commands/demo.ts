// `hessian demo`: the whole system on embedded defaults, in one process tree. A fresh Hardhat
// chain, the contracts, the embedded indexer serving the subgraph, the dashboard, a lender with its
// evaluator and N data owners training on disjoint shards of the LendingClub loans. Each run starts
// from a new chain, so its state directory (<data-dir>/demo) is recreated.
import { rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Mnemonic, Wallet, formatEther, parseEther } from 'ethers';
import { readCommandFlags } from '../command.ts';
import { numberFlag } from '@hessian/common/args';
import { UsageError } from '@hessian/common/errors';
import { DEFAULT_DATA_DIR } from '../data-dir.ts';
// the data modules, not the package's main export: `hessian demo --help` and a bad flag
// answer without loading the CKKS daemons (the main export is imported once the flags are read)
import { writeShardCsvs, DATA_OPTIONS, DataError, checkData } from '@hessian/trainer/data';
import { readCsvFile, encodeTable } from '@hessian/core/data';
import { Progress } from '../demo/progress.ts';
import { defaultOwners, planBatches } from '../demo/plan.ts';
import { demoApplicants, runLoanDesk } from '../demo/loans.ts';
import { privacySummary } from '../demo/privacy.ts';

const repo = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
export const DEFAULT_DATASET = path.join(repo, 'trainer', 'data', 'lending_club_loan_data.csv');

export async function demo(argv: string[]): Promise<void> {
  const opts = readCommandFlags(
    { command: 'demo', summary: 'Run the whole system on embedded defaults: a local chain, the contracts, the indexer and its GraphQL API, the dashboard, a lender with its evaluator, and several data owners training a credit-risk model under CKKS encryption.' },
    {
      owners: { type: 'string', env: 'HESSIAN_DEMO_OWNERS', description: 'data-owner daemons, each with a disjoint shard (default: up to 5, as many as the data gives a batch each)' },
      rounds: { type: 'string', env: 'HESSIAN_DEMO_ROUNDS', default: '2', description: 'gradients each owner submits (each spends a fresh batch of its shard)' },
      data: { type: 'string', env: 'HESSIAN_DEMO_DATA', default: DEFAULT_DATASET, description: 'CSV with a header and a binary label column' },
      ...DATA_OPTIONS,
      label: { ...DATA_OPTIONS.label, description: `${DATA_OPTIONS.label.description}; default not.fully.paid for the bundled LendingClub file` },
      target: { type: 'string', default: '0.69', description: 'target AUC of the model' },
      bounty: { type: 'string', default: '10', description: 'bounty in ETH' },
      batch: { type: 'string', description: 'rows per gradient (default: sized from the data, 256..512)' },
      ckks: { type: 'string', default: 'logistic-16384', description: 'CKKS parameter set (logistic-16384 is 128-bit secure; logistic-8192 is faster)' },
      'test-fraction': { type: 'string', default: '0.2', description: "share of rows the lender holds out for evaluation" },
      'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'state directory (the demo uses <data-dir>/demo, recreated each run)' },
      host: { type: 'string', default: '127.0.0.1', description: 'address every service binds' },
      'chain-port': { type: 'string', default: '0', description: 'JSON-RPC port (0 = a free one)' },
      'graphql-port': { type: 'string', default: '4350', description: 'GraphQL port (0 = a free one)' },
      'dashboard-port': { type: 'string', default: '5173', description: 'dashboard port (0 = a free one)' },
      borrowers: { type: 'string', env: 'HESSIAN_DEMO_BORROWERS', default: '3', description: 'borrowers asking the deployed model for encrypted quotes after training (0 skips the loan desk)' },
      exit: { type: 'boolean', description: 'stop once training and the borrowers\' loans are done' },
      quiet: { type: 'boolean', description: 'print only the URLs and the summary' },
      json: { type: 'boolean', description: 'print the outcome as one JSON line on stdout (the running commentary goes to stderr)' },
    },
    argv,
  );
  if (!opts) return;
  const rounds = numberFlag('rounds', opts.rounds, { int: true, min: 1 })!;
  const batchOption = numberFlag('batch', opts.batch, { int: true, min: 1 });
  const target = numberFlag('target', opts.target)!;
  const testFraction = numberFlag('test-fraction', opts['test-fraction'])!;
  if (!(testFraction > 0 && testFraction < 1)) throw new UsageError(`--test-fraction must be between 0 and 1, got '${opts['test-fraction']}'`);
  const borrowers = numberFlag('borrowers', opts.borrowers, { int: true, min: 0 })!;
  if (borrowers > 3) throw new UsageError(`--borrowers ${borrowers}: the demo has 3 borrower profiles`);
  const label = opts.label ?? (path.resolve(opts.data!) === DEFAULT_DATASET ? 'not.fully.paid' : undefined);

  // ---- the data, checked and split before any service starts: a wrong label, delimiter or
  // positive value, or a file too small for the privacy minimum, stops here in one line
  let checked;
  try {
    checked = checkData(opts.data!, { ...opts, label });
  } catch (err) {
    throw err instanceof DataError ? new UsageError(err.message) : err;
  }
  const owners = numberFlag('owners', opts.owners, { int: true, min: 1 }) ?? defaultOwners(checked.usableRows, testFraction, opts.data!);
  // Hardhat funds 20 accounts: deployer, lender, owners, then the loan service and borrowers
  if (2 + owners + (borrowers > 0 ? 1 + borrowers : 0) > 20) throw new UsageError(`--owners ${owners} with --borrowers ${borrowers} needs more than the local chain's 20 funded accounts`);

  const built = path.join(repo, 'subgraph', 'build');
  if (!existsSync(path.join(built, 'subgraph.yaml'))) {
    throw new UsageError('the subgraph is not built: run `npm run build` first (npm start does)');
  }

  const out = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
  const dir = path.resolve(opts['data-dir']!, 'demo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // the lender's held-out split and one shard file per owner, as each would hold them
  const files = await writeShardCsvs(checked.table, dir, { owners, testFraction, seed: 'hessian-demo' });
  const ownerRows = await Promise.all(files.owners.map(async (f) => encodeTable(await readCsvFile(f), checked.spec, { badRows: 'skip' }).x.length));
  const plan = planBatches(ownerRows, rounds, batchOption, opts.data!);
  const batch = plan.batch;
  const format = `${checked.delimiter === '\t' ? 'tab' : `'${checked.delimiter}'`}-separated${checked.detected ? ', detected' : ''}`;
  const left = checked.skipped.length ? `; ${checked.skipped.length} rows with a missing or unreadable cell left out` : '';
  const labelSpec = checked.spec.label;
  const positive = labelSpec.kind === 'binary' ? `, 1 = ${labelSpec.column} "${labelSpec.positive}"` : '';

  // Everything started is stopped in reverse order, on Ctrl-C, on --exit and on failure.
  const stops: (() => Promise<unknown> | unknown)[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          process.stderr.write(`demo: while stopping: ${(err as Error).message}\n`);
        }
      }
    })());
  let interrupted!: () => void;
  const interruptedP = new Promise<void>((r) => (interrupted = r));
  const onSignal = () => {
    out('\nstopping...');
    interrupted();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const [{ startLocalChain, HARDHAT_MNEMONIC }, contracts, { retargetBuild, deploymentTarget }, { startIndexer }, { serveDashboard }, trainer, lending] = await Promise.all([
      import('@hessian/contracts/local-chain'),
      import('@hessian/contracts'),
      import('@hessian/subgraph/scripts/render-manifest'),
      import('@hessian/indexer'),
      import('@hessian/dashboard'),
      import('@hessian/trainer'),
      import('@hessian/lending'),
    ]);

    // ---- chain and contracts
    const chain = await startLocalChain({ host: opts.host!, port: numberFlag('chain-port', opts['chain-port'], { int: true, min: 0 }) ?? 0 });
    stops.push(() => chain.stop());
    const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
    const key = (i: number) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).privateKey;
    const deployProvider = await trainer.connectProvider(chain.url, 200);
    const deployment = await contracts.deployHessian(new Wallet(key(0), deployProvider), { token: true, network: 'localhost' });
    deployProvider.destroy();
    await contracts.writeDeployment(path.join(dir, 'deployment.json'), deployment);
    const repoContract = deployment.contracts.ModelRepository;
    out(`chain       ${chain.url} (chain id ${chain.chainId}); ModelRepository at ${repoContract.address}`);

    // ---- indexer over the subgraph build, retargeted at this deployment (no second graph build)
    const subgraphDir = await retargetBuild(built, deploymentTarget(deployment), path.join(dir, 'subgraph'));
    const indexer = await startIndexer({
      rpcUrl: chain.url,
      subgraph: subgraphDir,
      db: path.join(dir, 'indexer.sqlite'),
      host: opts.host!,
      port: numberFlag('graphql-port', opts['graphql-port'], { int: true, min: 0 }) ?? 0,
      subgraphName: 'hessian',
      pollIntervalMs: 500,
      logLevel: 'warn',
      progressIntervalSeconds: 0,
    });
    stops.push(() => indexer.stop());
    out(`graphql     ${indexer.url}`);

    // ---- dashboard
    const tokens: Record<string, { symbol: string; decimals: number }> = {};
    if (deployment.contracts.TestToken) tokens[deployment.contracts.TestToken.address] = { symbol: 'HSN', decimals: 18 };
    const dash = await serveDashboard({
      host: opts.host!,
      port: numberFlag('dashboard-port', opts['dashboard-port'], { int: true, min: 0 }) ?? 0,
      config: { endpoint: indexer.url!, wsEndpoint: indexer.url!.replace(/^http/, 'ws'), tokens, pollInterval: 1000 },
    });
    stops.push(() => dash.close());
    out(`dashboard   ${dash.url}`);

    out(`data        ${files.table.rows.length} rows from ${opts.data} (${format}${positive}${left}): ${files.testRows} held out by the lender, ${owners} owners x ~${files.shardRows} rows`);
    out(`batch       ${batch} rows per gradient (${plan.why})`);

    const store = await trainer.openContentStore({ path: path.join(dir, 'ipfs') });
    stops.push(() => store.close());
    const log = trainer.createLogger({ level: 'warn', stream: process.stderr });
    const chainConfig = { rpcUrl: chain.url, address: repoContract.address, startBlock: repoContract.startBlock, pollMs: 250 };
    const connect = (i: number) => trainer.ModelRepositoryClient.connect(chainConfig, new Wallet(key(i)));
    const clients: { destroy(): void }[] = [];
    stops.push(() => clients.forEach((c) => c.destroy()));

    // ---- the lender opens the model
    const lender = await connect(1);
    clients.push(lender);
    const stake = parseEther('0.001');
    out(`lender      ${await lender.address()}: generating CKKS keys (${opts.ckks}) and opening the model...`);
    const opened = await trainer.openModel({
      client: lender,
      store,
      stateDir: path.join(dir, 'lender'),
      data: files.lender,
      encoding: checked.encoding,
      badRows: checked.badRows,
      ckks: opts.ckks!,
      learningRate: 1,
      minBatch: Math.min(256, batch),
      bounty: parseEther(opts.bounty!),
      target,
      submissionStake: stake,
      duration: 24 * 3600,
      evaluationWindow: 3600,
      log,
    });
    // Each round spends a fresh, full batch (a data commitment is usable once), so an owner whose
    // shard holds fewer than rounds x batch usable rows submits fewer rounds: count on what it can do.
    const { ownerRounds, expected } = plan;
    if (expected < owners * rounds) out(`note        owners' shards hold ${ownerRounds.join('/')} batches of ${batch} rows: ${expected} gradients instead of ${owners * rounds}`);
    const progress = new Progress({ out: opts.quiet ? () => {} : out, initial: opened.initialScore, target: opened.targetScore, expected, amount: (wei) => `${formatEther(wei)} ETH` });
    out(`model #${opened.modelId}   AUC ${(opened.initialScore / 1e6).toFixed(3)} -> target ${(opened.targetScore / 1e6).toFixed(3)}, bounty ${opts.bounty} ETH, ${opened.features} features`);

    const evaluator = await trainer.startEvaluator({ client: lender, store, stateDir: path.join(dir, 'lender'), pollMs: 250, autoClose: false, log });
    stops.push(() => evaluator.stop());
    evaluator.events.on('evaluated', (e) => progress.evaluated(e));

    const ownerPrivacy: Parameters<typeof privacySummary>[0][number][] = [];
    for (let i = 0; i < owners; i++) {
      const client = await connect(2 + i);
      clients.push(client);
      const owner = await trainer.startOwner({
        client,
        store,
        stateDir: path.join(dir, `owner-${i}`),
        data: files.owners[i]!,
        batchSize: batch,
        badRows: checked.badRows,
        maxSubmissionsPerModel: rounds,
        pollMs: 250,
        log,
      });
      stops.push(() => owner.stop());
      progress.owner(i, owner.address);
      owner.events.on('committed', (e) => progress.committed(i, e.gradientId, stake));
      ownerPrivacy.push(owner.privacy);
      owner.events.on('submitted', (e) => progress.submitted(i, e.gradientId));
      owner.events.on('lapsed', (e) => progress.lapsed(i, e.gradientId, e.reason));
      owner.events.on('refused', (e) => progress.refused(i, e.modelId, e.rule, e.reason));
    }
    const policy = trainer.DEFAULT_OWNER_POLICY;
    out(
      `owners      submit in two steps (commit a sealed hash, then reveal the gradient) so nobody can copy or block them; ` +
        `each stakes at most ${formatEther(policy.maxStake)} ETH and ${policy.maxStakeRatio * 100}% of a bounty, and stops after ${policy.maxRejections} forfeits in a row (hessian train owner --help)`,
    );
    out(`running     ${owners} owners x ${rounds} rounds; Ctrl-C to stop${opts.exit ? '' : ' (the services keep running after training)'}`);

    const finished = progress.done.then(() => 'done' as const);
    const interruptedWhy = interruptedP.then(() => 'interrupted' as const);
    let why = await Promise.race([finished, interruptedWhy]);
    if (why === 'done') {
      out(progress.summary());
      out(privacySummary(ownerPrivacy));
      out(`dashboard   ${dash.url}#/model/${opened.modelId}`);
    }
    if (why === 'done' && borrowers > 0) {
      const deskContract = deployment.contracts.LoanDesk;
      if (!deskContract) throw new UsageError('the deployment has no LoanDesk contract');
      const lenderWallet = new Wallet(key(1));
      const loans = runLoanDesk({
        trainer,
        lending,
        rpcUrl: chain.url,
        desk: deskContract,
        lender,
        lenderWallet,
        serviceWallet: new Wallet(key(2 + owners)),
        modelId: opened.modelId,
        lenderDir: path.join(dir, 'lender'),
        dir,
        store,
        heldOut: await readCsvFile(files.lender),
        label: labelSpec.column,
        applicants: demoApplicants(Array.from({ length: borrowers }, (_, k) => new Wallet(key(3 + owners + k)))),
        log,
        out,
        onStop: (stop) => stops.push(stop),
      }).then(() => 'done' as const);
      why = await Promise.race([loans, interruptedWhy]);
      if (why === 'done') out(`loans       ${dash.url}#/loans`);
    }
    if (why === 'done' && opts.json) {
      const result = { rpc: chain.url, graphql: indexer.url, dashboard: dash.url, modelId: opened.modelId, data: path.resolve(opts.data!), rows: files.table.rows.length, batch, ...progress.result() };
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
    if (why === 'done' && !opts.exit) {
      out('done; serving the dashboard and GraphQL until Ctrl-C');
      await interruptedP;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await shutdown();
  }
}
