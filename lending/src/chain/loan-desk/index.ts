export * from './abi.ts';
export * from './events.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './view.ts';
