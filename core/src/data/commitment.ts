import { AbiCoder, ZeroHash, getAddress, isHexString, keccak256 } from 'ethers';

/** Binds a commitment to one submission target so it cannot be replayed to another model or chain. */
export interface CommitmentContext {
  chainId: bigint | number;
  modelId: bigint | number;
  /** the submitting account */
  contributor: string;
  /**
   * 32 bytes (0x hex) kept by the owner; without it, a lender could test guessed rows against the
   * commitment. Derive it deterministically (e.g. from the owner's key and the model id) so the
   * same rows give the same commitment and duplicates stay detectable. Default: zero.
   */
  salt?: string;
}

export const COMMITMENT_DOMAIN = 'hessian.data-commitment.v1';

/**
 * keccak256(abi.encode(domain, chainId, modelId, contributor, salt, rows, cols,
 *   keccak256(X as float64 big-endian, row-major), keccak256(y as float64 big-endian)))
 * over the *encoded* rows exactly as used for the gradient (standardized, one-hot, intercept
 * column included), in the order given. Returns a 0x-prefixed bytes32.
 */
export function dataCommitment(rows: readonly Float64Array[], y: Float64Array, context: CommitmentContext): string {
  if (rows.length !== y.length) throw new Error(`dataCommitment: ${rows.length} rows but ${y.length} labels`);
  if (rows.length === 0) throw new Error('dataCommitment: no rows');
  const cols = rows[0].length;
  const xb = new Uint8Array(rows.length * cols * 8);
  const dv = new DataView(xb.buffer);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`dataCommitment: row ${i} has ${r.length} values, expected ${cols}`);
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(r[j])) throw new Error(`dataCommitment: row ${i} value ${j} is not finite`);
      dv.setFloat64((i * cols + j) * 8, r[j] === 0 ? 0 : r[j], false);
    }
  });
  const yb = new Uint8Array(y.length * 8);
  const yv = new DataView(yb.buffer);
  y.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`dataCommitment: label ${i} is not finite`);
    yv.setFloat64(i * 8, v === 0 ? 0 : v, false);
  });
  const salt = context.salt ?? ZeroHash;
  if (!isHexString(salt, 32)) throw new Error('dataCommitment: salt must be 0x-prefixed 32 bytes');
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ['string', 'uint256', 'uint256', 'address', 'bytes32', 'uint256', 'uint256', 'bytes32', 'bytes32'],
    [COMMITMENT_DOMAIN, BigInt(context.chainId), BigInt(context.modelId), getAddress(context.contributor), salt, rows.length, cols, keccak256(xb), keccak256(yb)],
  );
  return keccak256(encoded);
}
