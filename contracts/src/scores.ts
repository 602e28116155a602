// Scores on chain are uint64 fixed point: 1.0 = SCORE_SCALE. Higher is better.

export const SCORE_SCALE = 1_000_000n;
/** Scores are fractions in [0, 1] (AUC, accuracy), so the contract refuses anything above this. */
export const MAX_SCORE = SCORE_SCALE;
/** Longest CID string the contract accepts (CIDv1 base32 sha2-256 is 59). */
export const MAX_CID_LENGTH = 128;

/** Longest evaluation window a model may set, in seconds (30 days). */
export const MAX_EVALUATION_WINDOW = 30 * 24 * 3600;

/** 0.75 -> 750000n (rounded to the nearest unit). */
export function toScore(value: number): bigint {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`score must be a number in [0, 1], got ${value}`);
  }
  return BigInt(Math.round(value * Number(SCORE_SCALE)));
}

/** 750000n -> 0.75 */
export function fromScore(score: bigint | number): number {
  return Number(score) / Number(SCORE_SCALE);
}
