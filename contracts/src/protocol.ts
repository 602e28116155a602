// The submission protocol's bounds and the seal a contributor commits, computed exactly as
// ModelRepository does (a test checks both against the contract).
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';

/** Seconds a committer has to reveal its gradient (1 hour); after it the commit lapses. */
export const REVEAL_WINDOW = 3600;
/** Latest submission deadline a model may set, in seconds from its creation (365 days). */
export const MAX_SUBMISSION_PERIOD = 365 * 24 * 3600;
/** Least submission stake a model may ask, in wei (1e14 = 0.0001 ETH). */
export const MIN_SUBMISSION_STAKE = 10n ** 14n;
/** Fixed-point scale of a gradient's declared differential-privacy epsilon: 1.5 = 1_500_000n. */
export const PRIVACY_SCALE = 1_000_000n;

/**
 * keccak256(abi.encode(contributor, modelId, dataCommitment, keccak256(bytes(gradientCid)), salt)):
 * what `commitGradient` takes and `revealGradient` checks. The contributor is part of it, so a
 * copied seal cannot be revealed by anyone else; the salt keeps the CID secret until the reveal.
 */
export function sealOf(contributor: string, modelId: bigint | number, dataCommitment: string, gradientCid: string, salt: string): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['address', 'uint256', 'bytes32', 'bytes32', 'bytes32'],
      [contributor, modelId, dataCommitment, keccak256(toUtf8Bytes(gradientCid)), salt],
    ),
  );
}
