export * from './abi.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './seal.ts';
export * from './source.ts';
export * from './view.ts';
