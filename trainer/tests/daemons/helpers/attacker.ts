// What an attacker runs against owners in the attack tests: an evaluator that rejects every
// gradient on its models (each rejection forfeits the owner's stake to it).
import type { ModelRepositoryClient } from '../../../src/chain/client.ts';
import type { GradientSubmitted } from '../../../src/chain/events.ts';

/** a contributor's submissions to a model, from the chain's logs */
export async function submissionsBy(client: ModelRepositoryClient, modelId: number, contributor: string): Promise<GradientSubmitted[]> {
  return (await client.queryEvents('GradientSubmitted', [null, modelId, contributor])) as GradientSubmitted[];
}

export interface Rejecter {
  /** gradients rejected so far */
  rejected(): number;
  stop(): Promise<void>;
}

/** rejects (score 0) every gradient submitted to these models, polling every 100 ms */
export function rejectEverything(client: ModelRepositoryClient, modelIds: number[]): Rejecter {
  const done = new Set<number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const modelId of modelIds) {
        for (const g of (await client.queryEvents('GradientSubmitted', [null, modelId])) as GradientSubmitted[]) {
          if (done.has(g.gradientId)) continue;
          await client.evaluateGradient(g.gradientId, 0, false, '');
          done.add(g.gradientId);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    rejected: () => done.size,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
