// The commit of a commit-reveal submission: what `commitGradient` publishes before the CID is
// public, and what the evaluator passes back with its verdict so the verdict is bound to the
// content it judged (a reorg that renumbers gradients then makes the verdict revert).
import { isAddress, isHexString, randomBytes, hexlify, ZeroHash } from 'ethers';
import { sealOf as contractSealOf } from '@hessian/contracts';

/** v itself when it is a 0x-prefixed bytes32 (and not zero, unless allowed); a clear error otherwise */
export function checkBytes32(label: string, v: string, { nonZero = true } = {}): string {
  if (!isHexString(v, 32)) throw new Error(`${label} must be a 0x-prefixed 32-byte hex string, got "${v}"`);
  if (nonZero && v === ZeroHash) throw new Error(`${label} must not be zero`);
  return v;
}

/** keccak256(abi.encode(contributor, modelId, dataCommitment, keccak256(bytes(gradientCid)), salt)), as ModelRepository.sealOf, with its inputs checked */
export function sealOf(contributor: string, modelId: number | bigint, dataCommitment: string, gradientCid: string, salt: string): string {
  if (!isAddress(contributor)) throw new Error(`invalid contributor address "${contributor}"`);
  if (typeof modelId === 'number' && (!Number.isSafeInteger(modelId) || modelId < 1)) throw new Error(`model id must be a positive integer, got ${modelId}`);
  if (gradientCid === '') throw new Error('gradient CID must not be empty');
  return contractSealOf(contributor, modelId, checkBytes32('data commitment', dataCommitment), gradientCid, checkBytes32('salt', salt, { nonZero: false }));
}

/** a fresh 32-byte salt: without it a seal over a guessable CID and commitment could be matched */
export function randomSalt(): string {
  return hexlify(randomBytes(32));
}
