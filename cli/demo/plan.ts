// How many owners, how large a batch and how many rounds a demo can run on a given file, worked
// out from the rows each owner can actually use, before any service starts. A batch is never
// smaller than the owners' privacy minimum (an owner refuses to submit a gradient over fewer rows).
import { UsageError } from '@hessian/common/errors';

/** rows per gradient an owner accepts at least (@hessian/trainer's DEFAULT_OWNER_MIN_BATCH) */
export const PRIVACY_MIN_BATCH = 256;
/** the batch the demo aims for when the data allows it */
export const PREFERRED_BATCH = 512;
export const DEFAULT_OWNERS = 5;

/** owners when the user did not say: as many as get one batch each, at most DEFAULT_OWNERS */
export function defaultOwners(usableRows: number, testFraction: number, file: string): number {
  const train = Math.floor(usableRows * (1 - testFraction));
  const owners = Math.min(DEFAULT_OWNERS, Math.floor(train / PRIVACY_MIN_BATCH));
  if (owners < 1) {
    const needed = Math.ceil(PRIVACY_MIN_BATCH / (1 - testFraction)) + 1;
    throw new UsageError(`${file}: ${usableRows} usable rows, but one owner's batch needs ${PRIVACY_MIN_BATCH} after the lender holds out ${testFraction * 100}%: use a file with at least ${needed} rows, or lower --test-fraction`);
  }
  return owners;
}

export interface BatchPlan {
  batch: number;
  /** gradients each owner can submit: full batches of its usable rows, at most the rounds asked */
  ownerRounds: number[];
  expected: number;
  /** how the batch was chosen, for the user */
  why: string;
}

/**
 * ownerRows: usable rows in each owner's shard. batch: the user's --batch, or undefined to size it
 * from the data: the largest batch up to PREFERRED_BATCH that gives every owner all its rounds.
 */
export function planBatches(ownerRows: number[], rounds: number, batch: number | undefined, file: string): BatchPlan {
  const smallest = Math.min(...ownerRows);
  if (batch !== undefined && batch < PRIVACY_MIN_BATCH) {
    throw new UsageError(`--batch ${batch} is below the owners' privacy minimum of ${PRIVACY_MIN_BATCH} rows per gradient: pass --batch ${PRIVACY_MIN_BATCH} or more, or leave it out to size it from the data`);
  }
  if (smallest < PRIVACY_MIN_BATCH) {
    const total = ownerRows.reduce((a, b) => a + b, 0);
    throw new UsageError(`${file}: ${ownerRows.length} owners get ${smallest}..${Math.max(...ownerRows)} usable rows each, fewer than the ${PRIVACY_MIN_BATCH}-row privacy minimum: pass --owners ${Math.max(1, Math.floor(total / PRIVACY_MIN_BATCH))} or fewer`);
  }
  let why: string;
  if (batch === undefined) {
    batch = Math.max(PRIVACY_MIN_BATCH, Math.min(PREFERRED_BATCH, Math.floor(smallest / rounds)));
    why = `sized from the data: ${smallest} usable rows in the smallest shard, ${rounds} round(s), at least the ${PRIVACY_MIN_BATCH}-row privacy minimum`;
  } else {
    if (batch > smallest) throw new UsageError(`--batch ${batch}: the smallest owner shard has ${smallest} usable rows; pass --batch ${smallest} or less, or fewer --owners`);
    why = 'from --batch';
  }
  const ownerRounds = ownerRows.map((n) => Math.min(rounds, Math.floor(n / batch)));
  return { batch, ownerRounds, expected: ownerRounds.reduce((a, b) => a + b, 0), why };
}
