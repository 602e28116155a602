// The lender's record of the models it opened: written by the lender when it opens a model, read
// by the evaluator (training) and the loan service (lending), which both need the model's keys.
import path from 'node:path';
import type { BadRowPolicy } from '../data/encoding.ts';
import { recordsJournal } from '../journal/journal.ts';
import type { Journal } from '../journal/journal.ts';

/** what the lender remembers about each model it opened; the evaluator reads it */
export interface LenderModelRecord {
  metadataCid: string;
  weightsCid: string;
  secretKeyFile: string;
  /** absolute path of the held-out CSV, when the data came from a file */
  dataPath?: string;
  badRows: BadRowPolicy;
  /** the account that opens the model, the chain and the ModelRepository: the evaluator serves a
   * model only when all three match the chain's ModelCreated (a clone naming it is ignored) */
  lender?: string;
  chainId?: number;
  contract?: string;
  modelId?: number;
  createTx?: string;
}

export interface LenderJournal {
  version: 1;
  /** keyed by metadata CID: known before the model id exists */
  models: Record<string, LenderModelRecord>;
}

/** readOnly: for the evaluator and loan service, which read the records the lender writes */
export function lenderJournal(stateDir: string, opts: { readOnly?: boolean } = {}): Journal<LenderJournal> {
  return recordsJournal<LenderJournal>(path.join(stateDir, 'lender.json'), ['models'], opts);
}
