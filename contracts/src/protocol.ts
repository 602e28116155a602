// The seal a contributor commits, computed exactly as ModelRepository does (a test checks it
// against the contract); the submission protocol's bounds live in constants.ts.
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';

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
