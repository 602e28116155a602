export * from './commitment.ts';
export * from './csv.ts';
export * from './encoding.ts';
export * from './split.ts';
