export * from './kubo-standin.ts';
export * from './synthetic.ts';
