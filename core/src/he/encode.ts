import type { Plaintext } from 'node-seal';
import type { HeContext } from './context.ts';
import type { Scope } from './seal.ts';

/** Encodes values at `scale`, then drops primes down to `level` (node-seal encodes at the top). */
export function encodeAt(he: HeContext, scope: Scope, values: Float64Array, scale: number, level: number): Plaintext {
  const pt = scope.add(new he.seal.Plaintext());
  he.encoder.encode(values, scale, pt);
  if (level > 0) {
    const pid = he.parmsIdAt(level);
    try { he.evaluator.plainModSwitchToInplace(pt, pid); } finally { pid.delete(); }
  }
  return pt;
}
