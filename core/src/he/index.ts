export * from './codec.ts';
export * from './context.ts';
export * from './encode.ts';
export * from './gradient.ts';
export * from './keys.ts';
export * from './noise.ts';
export * from './seal.ts';
export * from './weights.ts';
