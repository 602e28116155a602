export * from './io.ts';
export * from './lender-journal.ts';
export * from './metadata.ts';
