// The owner's journal and the transitions of its submission records, each journaled, logged and
// emitted in one place: committed, revealed, lapsed, abandoned, and the verdicts the chain gave.
import path from 'node:path';
import { isHexString } from 'ethers';
import { Journal } from '@hessian/core/journal';
import type { Owner, OwnerJournal } from './context.ts';

/**
 * A version-1 journal (one-step submissions) read as version 2: a submitted batch is revealed;
 * an uploaded one was never sent under commit-reveal, so it starts over from its intent.
 */
function migrateJournal(d: unknown): OwnerJournal {
  const doc = d as { version?: number; submissions?: Record<string, { state: string; gradientCid?: string }> };
  if (doc?.version !== 1 || typeof doc.submissions !== 'object') return d as OwnerJournal;
  for (const s of Object.values(doc.submissions)) {
    if (s.state === 'submitted') s.state = 'revealed';
    else if (s.state === 'uploaded') {
      s.state = 'intent';
      delete s.gradientCid;
    }
  }
  doc.version = 2;
  return doc as unknown as OwnerJournal;
}

/** opens (locks) the account's journal in the state directory; salt: the account's commitment salt */
export function ownerJournal(stateDir: string, address: string, salt: string): Journal<OwnerJournal> {
  return new Journal<OwnerJournal>({
    file: path.join(stateDir, `owner-${address.toLowerCase()}.json`),
    initial: () => ({ version: 2, account: address, salt, submissions: {}, nextBatch: {} }),
    validate: (d) => {
      const doc = migrateJournal(d);
      if (doc?.version !== 2 || !isHexString(doc.salt, 32) || typeof doc.submissions !== 'object') throw new Error('expected {version: 2, salt, submissions, nextBatch}');
      if (doc.account.toLowerCase() !== address.toLowerCase()) throw new Error(`journal belongs to ${doc.account}, not ${address}`);
      return doc;
    },
  });
}

export function markCommitted(o: Owner, commitment: string, c: { gradientId: number; txHash: string; blockNumber: number; revealDeadline: number; seal: string; modelId: number }) {
  const { journal, log, events } = o;
  journal.update((j) => {
    const s = j.submissions[commitment]!;
    s.state = 'committed';
    s.gradientId = c.gradientId;
    s.commitTx = c.txHash;
    s.commitBlock = c.blockNumber;
    s.revealDeadline = c.revealDeadline;
  });
  log.info('gradient committed', { modelId: c.modelId, gradientId: c.gradientId, tx: c.txHash, revealDeadline: c.revealDeadline });
  events.emit('committed', { modelId: c.modelId, gradientId: c.gradientId, commitment, seal: c.seal, txHash: c.txHash });
}

export function markRevealed(o: Owner, commitment: string, g: { gradientId: number; txHash: string; gradientCid: string; modelId: number }, rows: number) {
  const { journal, log, events } = o;
  journal.update((j) => {
    const s = j.submissions[commitment]!;
    s.state = 'revealed';
    s.gradientId = g.gradientId;
    s.txHash = g.txHash;
    s.gradientCid = g.gradientCid;
  });
  log.info('gradient submitted', { modelId: g.modelId, gradientId: g.gradientId, rows, tx: g.txHash });
  events.emit('submitted', { modelId: g.modelId, gradientId: g.gradientId, commitment, rows, txHash: g.txHash, gradientCid: g.gradientCid });
}

/** the commit can no longer be revealed: its stake is lost, which the policy counts at once */
export function markLapsed(o: Owner, commitment: string, reason: string) {
  const { journal, log, events } = o;
  const rec = journal.value.submissions[commitment]!;
  journal.update((j) => {
    const s = j.submissions[commitment]!;
    s.state = 'lapsed';
    s.reason = reason;
    s.outcome = { accepted: false, score: 0, reward: '0', status: 'Lapsed', stake: s.stake ?? '0' };
  });
  log.warn('commit lapsed', { modelId: rec.modelId, gradientId: rec.gradientId, reason });
  events.emit('lapsed', { modelId: rec.modelId, gradientId: rec.gradientId!, commitment, reason });
}

export function markAbandoned(o: Owner, commitment: string, reason: string) {
  const { journal, log, events } = o;
  const rec = journal.value.submissions[commitment]!;
  journal.update((j) => {
    const s = j.submissions[commitment]!;
    s.state = 'abandoned';
    s.reason = reason;
  });
  log.warn('submission abandoned', { modelId: rec.modelId, reason });
  events.emit('abandoned', { modelId: rec.modelId, commitment, reason });
}

/** records the outcome of our revealed gradients the view shows as settled */
export function noteOutcomes(o: Owner) {
  const { journal, log, events, source } = o;
  for (const [commitment, sub] of Object.entries(journal.value.submissions)) {
    if (sub.state !== 'revealed' || sub.outcome || sub.gradientId === undefined) continue;
    const g = source.view.gradients.get(sub.gradientId);
    if (!g || g.status === 'Pending' || g.status === 'Committed') continue;
    const accepted = g.status === 'Accepted';
    const score = g.score ?? 0;
    const outcome = { accepted, score, reward: g.reward.toString(), status: g.status, stake: g.stake.toString() };
    journal.update((j) => void (j.submissions[commitment]!.outcome = outcome));
    if (g.status === 'Expired') log.warn('gradient expired unevaluated', { modelId: g.modelId, gradientId: g.gradientId });
    else log.info(`gradient ${g.status.toLowerCase()}`, { modelId: g.modelId, gradientId: g.gradientId, score, reward: g.reward });
    events.emit('evaluated', { modelId: g.modelId, gradientId: g.gradientId, status: g.status, accepted, score, reward: g.reward });
  }
}
