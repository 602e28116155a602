// The H3 reconstruction: a lender that never updates its weights (w = 0, every gradient rejected)
// receives, for every batch S, g_S = (1/|S|) sum_{i in S} (0.5 - y_i) x_i. Knowing the index sets,
// the batch means of enough models form a linear system A U = G whose unknowns are the rows
// u_i = (0.5 - y_i) x_i, solved here by least squares.

/** least squares for A U = G (A: m x n membership weights, G: m x d); undefined when A has rank < n */
export function solveRows(a: number[][], g: Float64Array[], n: number): Float64Array[] | undefined {
  const d = g[0]!.length;
  // normal equations [A^T A | A^T G], Gauss-Jordan with partial pivoting
  const m: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n + d));
  for (let r = 0; r < a.length; r++) {
    const row = a[r]!;
    for (let i = 0; i < n; i++) {
      if (row[i] === 0) continue;
      for (let j = 0; j < n; j++) m[i]![j]! += row[i]! * row[j]!;
      for (let k = 0; k < d; k++) m[i]![n + k]! += row[i]! * g[r]![k]!;
    }
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-9) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    for (let j = 0; j < n + d; j++) m[c]![j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c || m[r]![c] === 0) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < n + d; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

/** what the lender builds from the index sets it believes each gradient covers */
export function systemFrom(sets: Uint32Array[], gradients: Float64Array[], n: number): { a: number[][]; g: Float64Array[] } {
  return {
    a: sets.map((s) => {
      const row = new Array<number>(n).fill(0);
      for (const i of s) row[i] = 1 / s.length;
      return row;
    }),
    g: gradients,
  };
}
