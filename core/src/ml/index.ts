export * from './metrics.ts';
export * from './models.ts';
export * from './sigmoid.ts';
