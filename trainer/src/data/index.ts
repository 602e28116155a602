export * from './csv-write.ts';
export * from './options.ts';
export * from './shard-files.ts';
