// The demo's privacy lines: what each owner's rows spent (differential privacy is on by default).
import type { Spent } from '@hessian/trainer';

export function privacySummary(owners: readonly { spent(): Spent }[]): string {
  return [
    'privacy     epsilon spent per owner (its most exposed row, over every model; docs/privacy.md)',
    ...owners.map((o, i) => {
      const s = o.spent();
      if (!s.enabled) return `  owner ${i}  differential privacy off: no bound`;
      return `  owner ${i}  epsilon ${s.epsilon.toFixed(2)} (delta ${s.delta.toExponential()}) over ${s.gradients} gradient${s.gradients === 1 ? '' : 's'}; budget ${s.budget}`;
    }),
  ].join('\n');
}
