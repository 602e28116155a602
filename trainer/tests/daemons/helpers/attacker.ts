// What an attacker runs against owners in the attack tests: an evaluator that rejects every
// gradient on its models (each rejection forfeits the owner's stake to it).
import type { ModelRepositoryClient, GradientCommitted, GradientRevealed } from '@hessian/core/model-repository';
import type { OpenedModel } from '../../../src/roles/lender.ts';
import { startEvaluator, type EvaluatorHandle } from '../../../src/roles/evaluator.ts';
import { openScenarioModel, type Scenario } from './scenario.ts';

/**
 * The victim's side of a front-running test: an honest lender (account 1) with a staked model
 * on the scenario's data and its evaluator running.
 */
export async function honestLender(sc: Scenario, stake: bigint): Promise<{ lender: ModelRepositoryClient; model: OpenedModel; evaluator: EvaluatorHandle }> {
  const lender = await sc.client(1);
  const model = await openScenarioModel(sc, lender, `${sc.dir}/lender`, { submissionStake: stake });
  const evaluator = await startEvaluator({ client: lender, store: sc.store, stateDir: `${sc.dir}/lender`, pollMs: 100, log: sc.log.child({ who: 'evaluator' }) });
  return { lender, model, evaluator };
}

/** a contributor's commits to a model (each one paid its stake), from the chain's logs */
export async function submissionsBy(client: ModelRepositoryClient, modelId: number, contributor: string): Promise<GradientCommitted[]> {
  return (await client.queryEvents('GradientCommitted', [null, modelId, contributor])) as GradientCommitted[];
}

export interface Rejecter {
  /** gradients rejected so far */
  rejected(): number;
  stop(): Promise<void>;
}

/** rejects (score 0) every gradient revealed on these models, polling every 100 ms */
export function rejectEverything(client: ModelRepositoryClient, modelIds: number[]): Rejecter {
  const done = new Set<number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const modelId of modelIds) {
        const seals = new Map(((await client.queryEvents('GradientCommitted', [null, modelId])) as GradientCommitted[]).map((c) => [c.gradientId, c.seal]));
        for (const g of (await client.queryEvents('GradientRevealed', [null, modelId])) as GradientRevealed[]) {
          if (done.has(g.gradientId)) continue;
          await client.evaluateGradient(g.gradientId, seals.get(g.gradientId)!, 0, 'Rejected', '');
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
