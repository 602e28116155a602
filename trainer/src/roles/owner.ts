// The data owner's daemon: watches for open models that its filter and safety policy accept,
// computes an encrypted gradient over a mini-batch of its rows against the current encrypted
// weights, uploads it and submits it in two steps: a commit of a seal over (itself, model, data
// commitment, CID, random salt), then, once the commit is mined, the reveal of what it sealed.
// Nothing copyable is public before the gradient's place in line is fixed, so a front-runner
// can neither take its credit nor block it. The journal records each step before its
// transaction (the salt before the commit); on restart the chain is checked for each
// unfinished step before anything is resent, so a batch is never committed twice, a commit is
// revealed exactly once (or logged as lapsed once its reveal window is over), and nothing is
// silently dropped. The steps live in owner/: eligibility.ts (may this owner contribute to a
// model), batches.ts (which batch next), submit.ts (commit-reveal), gradient.ts, journal.ts.
import { EventEmitter } from 'node:events';
import { keccak256 } from 'ethers';
import { chainSource, indexerSource } from '@hessian/core/model-repository';
import { readCsvFile } from '@hessian/core/data';
import { closeOnError } from '@hessian/core/journal';
import type { Journal } from '@hessian/core/journal';
import { silentLogger } from '@hessian/core/log';
import { runLoop } from '@hessian/core/daemon';
import { openOwnerPrivacy } from '../privacy/owner-privacy.ts';
import type { OwnerPrivacy } from '../privacy/owner-privacy.ts';
import { GradientPool } from '../he/pool.ts';
import { ownerPolicy } from './owner-policy.ts';
import type { Owner, OwnerConfig, OwnerEvents, OwnerJournal } from './owner/context.ts';
import { nextCommitment } from './owner/batches.ts';
import { eligibleModel, freeAll } from './owner/eligibility.ts';
import { noteOutcomes, ownerJournal } from './owner/journal.ts';
import { contribute, finishSubmissions, step } from './owner/submit.ts';

export type { OwnerConfig, OwnerEvents, OwnerFilter, OwnerJournal, SubmissionRecord } from './owner/context.ts';
export { DEFAULT_OWNER_MIN_BATCH } from './owner/eligibility.ts';

export interface OwnerHandle {
  address: string;
  events: EventEmitter<OwnerEvents>;
  journal: Journal<OwnerJournal>;
  stop(): Promise<void>;
  done: Promise<void>;
  /** withdraws the account's whole ETH credit; returns the amount */
  withdraw(): Promise<bigint>;
  /** the owner's privacy spend and budget (privacy/owner-privacy.ts) */
  privacy: OwnerPrivacy;
}

export const COMMITMENT_SALT_MESSAGE = 'Hessian data-commitment salt v1';

export async function startOwner(cfg: OwnerConfig): Promise<OwnerHandle> {
  const o = await openOwner(cfg);
  const { client, log, journal, source } = o;

  async function tick(): Promise<void> {
    await source.refresh();
    noteOutcomes(o);
    const now = await client.chainTime();
    await finishSubmissions(o, now);
    noteOutcomes(o);
    for (const m of source.view.models.values()) {
      if (!source.view.acceptsSubmissions(m.modelId, now)) continue;
      const ctx = await eligibleModel(o, m);
      if (!ctx) continue;
      const commitment = nextCommitment(o, m, ctx, now);
      if (commitment) await step(o, m.modelId, commitment, () => contribute(o, m, ctx, commitment));
    }
  }

  const loop = runLoop(tick, {
    pollMs: cfg.pollMs ?? 1000,
    log,
    journal,
    cleanup: async () => {
      freeAll(o);
      await o.pool?.close();
    },
  });
  log.info('owner started', { account: o.address, rows: o.table.rows.length });
  return {
    address: o.address,
    events: o.events,
    journal,
    stop: () => loop.stop(),
    done: loop.done,
    privacy: o.privacy,
    async withdraw() {
      const res = await client.withdraw();
      log.info('withdrawn', { amount: res.amount, tx: res.txHash });
      return res.amount;
    },
  };
}

/** the account, its rows, privacy ledger and journal (locked: a second daemon on this state directory is refused) */
async function openOwner(cfg: OwnerConfig): Promise<Owner> {
  const log = (cfg.log ?? silentLogger).child({ role: 'owner' });
  const client = cfg.client;
  const address = await client.address();
  const chainId = (await client.provider.getNetwork()).chainId;
  const policy = ownerPolicy(cfg.policy);
  const table = typeof cfg.data === 'string' ? await readCsvFile(cfg.data) : cfg.data;
  const events = new EventEmitter<OwnerEvents>();
  // the commitment salt comes from the account itself (a deterministic signature), so the same
  // rows give the same commitment even if the journal is lost, and the contract's
  // one-use-per-commitment rule still stops a resubmission
  const salt = keccak256(await client.signer!.signMessage(COMMITMENT_SALT_MESSAGE));
  // the journal's lock is taken first: a second daemon on this directory must be refused by
  // name before it touches the seed or the privacy ledger beside it
  const journal = ownerJournal(cfg.stateDir, address, salt);
  const { pool, source, privacy } = await closeOnError(journal, () => {
    // privacy seam (h-privacy): batch membership follows from a secret only this owner holds (H3)
    const privacy = openOwnerPrivacy({ stateDir: cfg.stateDir, account: address, ...(cfg.privacy ? { options: cfg.privacy } : {}), log });
    if (!journal.value.nextBatch) journal.update((j) => void (j.nextBatch = {}));
    const source = cfg.indexerUrl ? indexerSource({ url: cfg.indexerUrl, contributor: address }) : chainSource(client);
    return { privacy, source, pool: cfg.workers ? new GradientPool(cfg.workers) : undefined };
  });
  return { cfg, log, client, address, chainId, policy, table, privacy, events, journal, source, pool, eligibility: new Map(), retryAt: new Map(), refusing: new Map() };
}
