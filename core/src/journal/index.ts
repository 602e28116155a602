export * from './chain-binding.ts';
export * from './journal.ts';
export * from './lock.ts';
