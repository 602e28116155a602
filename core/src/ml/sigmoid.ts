/**
 * The cubic least-squares fit of the logistic function on [-8, 8] used under encryption (see
 * ../shared notes ckks-training.md): only additions and multiplications, so CKKS can evaluate it.
 * Outside roughly |z| <= 8 it diverges: standardize features and keep learning rates moderate.
 */
export const POLY_SIGMOID = { c0: 0.5, c1: 0.197, c3: -0.004 } as const;

export function polySigmoid(z: number): number {
  return POLY_SIGMOID.c0 + POLY_SIGMOID.c1 * z + POLY_SIGMOID.c3 * z * z * z;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export type SigmoidKind = 'poly' | 'exact';

export function sigmoidFn(kind: SigmoidKind): (z: number) => number {
  return kind === 'poly' ? polySigmoid : sigmoid;
}
