// Shared setup for the daemon tests: a chain with the contracts, one embedded content store, the
// LendingClub rows split into the lender's held-out CSV and one CSV per data owner, and a log
// sink that keeps every record so tests can search it (for secrets, reasons, errors).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CsvTable } from '@hessian/core/data';
import { writeShardCsvs } from '../../../src/data/shard-files.ts';
import { EmbeddedContentStore } from '@hessian/core/ipfs';
import { ModelRepositoryClient } from '@hessian/core/model-repository';
import { createLogger } from '@hessian/core/log';
import type { Logger } from '@hessian/core/log';
import { parseEther } from 'ethers';
import { openModel, type OpenModelConfig, type OpenedModel } from '../../../src/roles/lender.ts';
import { startTestChain } from './hardhat.ts';
import type { TestChain } from './hardhat.ts';

export const DATASET = fileURLToPath(new URL('../../../data/lending_club_loan_data.csv', import.meta.url));
export const LABEL = 'not.fully.paid';

export interface Scenario {
  dir: string;
  chain: TestChain;
  store: EmbeddedContentStore;
  lenderCsv: string;
  ownerCsvs: string[];
  table: CsvTable;
  /** every log record written by any daemon in the scenario, as raw JSON lines */
  logLines: string[];
  log: Logger;
  client(account: number): Promise<ModelRepositoryClient>;
  cleanup(): Promise<void>;
}

export async function startScenario(opts: { owners: number; testFraction?: number; seed?: string }): Promise<Scenario> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hessian-daemons-'));
  const chain = await startTestChain();
  const store = await EmbeddedContentStore.open(path.join(dir, 'ipfs'));
  const { table, lender: lenderCsv, owners: ownerCsvs } = await writeShardCsvs(DATASET, dir, {
    owners: opts.owners,
    testFraction: opts.testFraction ?? 0.2,
    seed: opts.seed ?? 'daemon-tests',
  });
  const logLines: string[] = [];
  const log = createLogger({ stream: { write: (s: string) => logLines.push(s) }, level: 'debug' });
  const clients: ModelRepositoryClient[] = [];
  return {
    dir,
    chain,
    store,
    lenderCsv,
    ownerCsvs,
    table,
    logLines,
    log,
    async client(account) {
      const c = await ModelRepositoryClient.connect(chain.chain, chain.wallet(account));
      clients.push(c);
      return c;
    },
    async cleanup() {
      // HESSIAN_TEST_LOGS=<file> keeps every daemon log line for a post-mortem
      if (process.env.HESSIAN_TEST_LOGS) writeFileSync(process.env.HESSIAN_TEST_LOGS, logLines.join(''));
      for (const c of clients) c.destroy();
      await store.close();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** resolves when `done()` holds, checking every 100 ms; rejects after `ms` with `what` */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A model opened on the scenario's held-out data as the daemon tests use it (logistic, N=8192,
 * 256-row batches, 1 ETH bounty, target AUC 0.75); a test passes only what it changes.
 */
export function openScenarioModel(sc: Scenario, client: ModelRepositoryClient, stateDir: string, over: Partial<OpenModelConfig> = {}): Promise<OpenedModel> {
  return openModel({
    client,
    store: sc.store,
    stateDir,
    data: sc.lenderCsv,
    encoding: { label: LABEL },
    ckks: 'logistic-8192',
    minBatch: 256,
    bounty: parseEther('1'),
    target: 0.75,
    log: sc.log.child({ who: 'lender' }),
    ...over,
  });
}
