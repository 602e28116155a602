export * from './contract-client.ts';
export * from './decode.ts';
export * from './errors.ts';
export * from './watch.ts';
export * from './wallet.ts';
