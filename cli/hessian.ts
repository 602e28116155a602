#!/usr/bin/env node
// The `hessian` command: one entry point for every role. Each subcommand lives in commands/ and
// is imported lazily, so one role's dependencies never slow another.
import { readFileSync } from 'node:fs';
import { UsageError } from '@hessian/common/errors';
import { commandList } from './command.ts';
import type { CommandIo } from './command.ts';
import { reportError } from './errors.ts';

interface Command {
  summary: string;
  /** resolves with the exit code, or nothing for 0; throws what reportError says */
  run(argv: string[], io: CommandIo): Promise<number | void>;
}

const commands: Record<string, Command> = {
  chain: {
    summary: 'start a local Hardhat node and deploy the contracts',
    run: async (argv) => (await import('./commands/chain.ts')).chain(argv),
  },
  deploy: {
    summary: 'deploy the contracts to any chain (and the subgraph to a graph-node)',
    run: async (argv) => (await import('./commands/deploy.ts')).deploy(argv),
  },
  index: {
    summary: 'run the embedded indexer and its GraphQL API',
    run: async (argv, io) => (await import('./commands/index.ts')).index(argv, io),
  },
  dashboard: {
    summary: 'serve the built dashboard',
    run: async (argv) => (await import('./commands/dashboard.ts')).dashboard(argv),
  },
  train: {
    summary: 'trainer roles: lender | evaluate | owner | withdraw | close',
    run: async (argv, io) => (await import('./commands/train.ts')).train(argv, io),
  },
  loan: {
    summary: 'model deployment: deploy | decide (lender service) | retire | quote | request (borrower)',
    run: async (argv, io) => (await import('./commands/loan.ts')).loan(argv, io),
  },
  demo: {
    summary: 'the whole system on embedded defaults: chain, indexer, dashboard, lender, owners',
    run: async (argv) => (await import('./commands/demo.ts')).demo(argv),
  },
};

function usage(): string {
  return commandList('hessian <command> [options]', commands, [
    'Global options: --version, --verbose (stack traces for errors; or HESSIAN_VERBOSE=1)',
    "Run 'hessian <command> --help' for a command's options.",
    'Exit codes: 0 done, 1 runtime failure, 2 usage or data error.',
  ]);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`hessian ${version()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'\n\n${usage()}`);
  return (await command.run(rest, io)) ?? 0;
}

// --verbose is global: taken out before the command's own strict flag parsing sees it
const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || /^(1|true|yes|on)$/i.test(process.env.HESSIAN_VERBOSE ?? '');
main(
  args.filter((a) => a !== '--verbose'),
  { verbose },
).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err, { verbose });
  },
);
