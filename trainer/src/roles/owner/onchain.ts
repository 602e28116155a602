// What the chain's logs say about this owner's own submissions: exact, even when the view lags
// (an indexer), so a restart never resends what already landed.
import type { GradientCommitted, GradientRevealed } from '@hessian/core/model-repository';
import type { Owner } from './context.ts';

/** our revealed submission with this data commitment, from the chain's logs (exact, even when the view lags) */
export async function onchainReveal(o: Owner, modelId: number, commitment: string): Promise<GradientRevealed | undefined> {
  const { client, address } = o;
  const found = await client.queryEvents('GradientRevealed', [null, modelId, address]);
  return found.find((e): e is GradientRevealed => e.name === 'GradientRevealed' && e.dataCommitment.toLowerCase() === commitment.toLowerCase());
}

/** our commit of this seal, from the chain's logs (the first one, if a race sent it twice) */
export async function onchainCommit(o: Owner, modelId: number, seal: string): Promise<GradientCommitted | undefined> {
  const { client, address } = o;
  const found = await client.queryEvents('GradientCommitted', [null, modelId, address]);
  return found.find((e): e is GradientCommitted => e.name === 'GradientCommitted' && e.seal.toLowerCase() === seal.toLowerCase());
}

/** our reveal of this gradient id, from the chain's logs */
export async function onchainRevealOf(o: Owner, modelId: number, gradientId: number): Promise<GradientRevealed | undefined> {
  const { client, address } = o;
  const found = await client.queryEvents('GradientRevealed', [gradientId, modelId, address]);
  return found.find((e): e is GradientRevealed => e.name === 'GradientRevealed');
}
