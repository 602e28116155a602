// What `hessian train` and `hessian loan` share: the flags every role takes (chain, account,
// content store, data directory), reading the account and the contracts' addresses from them, and
// one way to run a role command: help, flags, a redacting logger, then the work, every failure
// reported by its kind (cli/errors.ts).
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseEther } from 'ethers';
import { readDeployment } from '@hessian/contracts';
import { loadWallet, createLogger, parseLogLevel, openContentStore } from '@hessian/trainer';
import type { ChainConfig, ContentStore, Logger } from '@hessian/trainer';
import { readFlags, numberFlag } from '@hessian/common/args';
import type { FlagSpec, FlagValues, NumberRule } from '@hessian/common/args';
import { UsageError, isUserError } from '@hessian/common/errors';
import { commandHelp, commandList } from './command.ts';
import type { CommandIo } from './command.ts';
import { reportError } from './errors.ts';
import { DEFAULT_DATA_DIR, deploymentFile } from './data-dir.ts';

export const ROLE_FLAGS: Record<string, FlagSpec> = {
  rpc: { type: 'string', env: 'HESSIAN_RPC_URL', default: 'http://127.0.0.1:8545', description: 'Ethereum JSON-RPC URL' },
  'data-dir': { type: 'string', env: 'HESSIAN_DATA_DIR', default: DEFAULT_DATA_DIR, description: 'state directory every role shares the defaults below from (`hessian chain` writes its deployment file there)' },
  deployment: { type: 'string', env: 'HESSIAN_DEPLOYMENT', description: 'deployment file (contract address, start block) (default <data-dir>/deployment.json)' },
  contract: { type: 'string', env: 'HESSIAN_CONTRACT', description: 'ModelRepository address (overrides the deployment file)' },
  'start-block': { type: 'string', env: 'HESSIAN_START_BLOCK', description: 'first block to scan for events' },
  confirmations: { type: 'string', env: 'HESSIAN_CONFIRMATIONS', description: 'blocks before a log or receipt is trusted (default 2; 0 on a local dev chain, chain id 31337 or 1337)' },
  'tx-timeout-ms': { type: 'string', env: 'HESSIAN_TX_TIMEOUT_MS', description: 'ms an unmined transaction waits before it is replaced with 25% higher fees, 3 times at most (default 60000)' },
  'state-dir': { type: 'string', env: 'HESSIAN_STATE_DIR', description: 'journal and key directory (default <data-dir>/<role>)' },
  'ipfs-dir': { type: 'string', env: 'HESSIAN_IPFS_DIR', description: 'embedded content store directory (default <data-dir>/ipfs)' },
  'ipfs-api': { type: 'string', env: 'IPFS_API', description: 'Kubo RPC URL (use Kubo instead of the embedded store)' },
  keystore: { type: 'string', env: 'HESSIAN_KEYSTORE', description: 'encrypted JSON keystore of the account' },
  'password-file': { type: 'string', env: 'HESSIAN_KEYSTORE_PASSWORD_FILE', description: 'file holding the keystore password (or set HESSIAN_KEYSTORE_PASSWORD)' },
  'poll-ms': { type: 'string', env: 'HESSIAN_POLL_MS', default: '1000', description: 'chain polling interval' },
  'log-level': { type: 'string', env: 'HESSIAN_LOG_LEVEL', default: 'info', description: 'debug | info | warn | error' },
  json: { type: 'boolean', description: 'print the result as one JSON line (train commands always do; loan commands print text without it)' },
};

export type RoleOptions = FlagValues;

export interface RoleGroup {
  /** the word after `hessian` */
  name: string;
  commands: Record<string, { summary: string; options: Record<string, FlagSpec> }>;
  common: Record<string, FlagSpec>;
  /** the option naming the deployment file (`loan` uses --deployment for a deployment id) */
  deploymentFile: string;
}

export function groupHelp(group: RoleGroup, cmd?: string): string {
  const c = cmd === undefined ? undefined : group.commands[cmd];
  if (!c) return commandList(`hessian ${group.name} <command> [options]`, group.commands);
  return commandHelp({ command: `${group.name} ${cmd}`, summary: c.summary }, { ...c.options, ...group.common });
}

export interface RoleContext {
  cmd: string;
  o: RoleOptions;
  log: Logger;
  io: Required<Pick<CommandIo, 'stdout' | 'stderr' | 'env'>> & CommandIo;
  /** run when the command ends, whatever the outcome (clients to destroy, stores to close) */
  onExit(fn: () => unknown): void;
  /** --state-dir, or <data-dir>/<role> */
  stateDir(role: string): string;
  /** the content store (--ipfs-api, or the embedded one in --ipfs-dir), closed when the command ends */
  openStore(): Promise<ContentStore>;
}

/**
 * Runs `hessian <group> <cmd> ...` (argv starts at <cmd>) and returns the exit code: help, flags
 * (the data directory filling the deployment file and content store defaults), the logger, then
 * `body`. A user error is one line and exit 2; anything else is logged, said in one line, exit 1.
 */
export async function runRole(group: RoleGroup, argv: string[], io: CommandIo, body: (ctx: RoleContext) => Promise<void>): Promise<number> {
  const ctxIo = { ...io, stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, env: io.env ?? process.env };
  const { stdout, stderr, env } = ctxIo;
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    stdout.write(groupHelp(group) + '\n');
    return 0;
  }
  const prefix = `hessian ${group.name}${group.commands[cmd] ? ` ${cmd}` : ''}`;
  const report = (err: unknown) => reportError(err, { prefix, verbose: Boolean(io.verbose), write: (s) => stderr.write(s) });
  if (!group.commands[cmd]) return report(new UsageError(`unknown command '${cmd}'\n\n${groupHelp(group)}`));
  let o: RoleOptions | undefined;
  let log: Logger;
  try {
    o = readFlags({ ...group.commands[cmd].options, ...group.common }, rest, { env, usage: () => groupHelp(group, cmd) });
    if (!o) {
      stdout.write(groupHelp(group, cmd) + '\n');
      return 0;
    }
    // one data directory for every role, so `hessian chain`'s deployment file and one content store are found
    const dataDir = String(o['data-dir']);
    o[group.deploymentFile] ??= deploymentFile(dataDir);
    o['ipfs-dir'] ??= path.join(dataDir, 'ipfs');
    let level;
    try {
      level = parseLogLevel(o['log-level'] as string);
    } catch (err) {
      throw new UsageError(`--log-level: ${(err as Error).message}`, { cause: err });
    }
    log = createLogger({ stream: stderr, level, name: group.name === 'loan' ? `loan-${cmd}` : cmd });
  } catch (err) {
    return report(err);
  }
  const exits: (() => unknown)[] = [];
  try {
    const options = o;
    const openStore = async () => {
      const store = await openContentStore({ path: String(options['ipfs-dir']), ...(options['ipfs-api'] ? { ipfsApi: String(options['ipfs-api']) } : {}) }, {});
      exits.push(() => store.close());
      return store;
    };
    const stateDir = (role: string) => path.resolve((options['state-dir'] as string | undefined) ?? path.join(String(options['data-dir']), role));
    await body({ cmd, o, log, io: ctxIo, onExit: (fn) => exits.push(fn), stateDir, openStore });
    return 0;
  } catch (err) {
    if (!isUserError(err)) log.error('failed', { err });
    return report(err);
  } finally {
    for (const fn of exits.reverse()) await fn();
  }
}

export function required(o: RoleOptions, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${k} is required`);
  return v;
}

export function num(o: RoleOptions, k: string, rule: NumberRule = {}): number | undefined {
  return numberFlag(k, o[k], rule);
}

/** a positive id a command cannot run without */
export function id(o: RoleOptions, k: string): number {
  const v = num(o, k, { int: true, min: 1 });
  if (v === undefined) throw new UsageError(`--${k} is required`);
  return v;
}

export function eth(o: RoleOptions, k: string): bigint | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  let n: bigint | undefined;
  try {
    n = parseEther(String(v));
  } catch {
    n = undefined;
  }
  if (n === undefined || n < 0n) throw new UsageError(`--${k} must be an amount of ETH like 1.5, got '${String(v)}'`);
  return n;
}

export function list(o: RoleOptions, k: string): string[] | undefined {
  const v = o[k];
  return typeof v === 'string' && v !== '' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export function jsonLine(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) + '\n';
}

/** confirmations and the stuck-transaction timeout; unset ones take the client's defaults (by chain id) */
function txOptions(o: RoleOptions): { confirmations?: number; txTimeoutMs?: number } {
  const confirmations = num(o, 'confirmations', { int: true, min: 0 });
  const txTimeoutMs = num(o, 'tx-timeout-ms', { int: true, min: 1000 });
  return { ...(confirmations !== undefined ? { confirmations } : {}), ...(txTimeoutMs !== undefined ? { txTimeoutMs } : {}) };
}

/** A contract's client config: its address from the flag (`addressFlag`) or else the deployment file. */
export async function contractConfig(o: RoleOptions, addressFlag: string, fileFlag: string, contract: 'ModelRepository' | 'LoanDesk'): Promise<ChainConfig> {
  let address = o[addressFlag] as string | undefined;
  let startBlock = num(o, 'start-block', { int: true, min: 0 });
  if (!address) {
    const file = required(o, fileFlag);
    const entry = (await readDeployment(file)).contracts[contract];
    if (!entry) throw new Error(`deployment file ${file} has no ${contract} (redeploy the contracts, or pass --${addressFlag})`);
    address = entry.address;
    startBlock ??= entry.startBlock;
  }
  const pollMs = num(o, 'poll-ms', { int: true, min: 10 }) ?? 1000;
  return { rpcUrl: required(o, 'rpc'), address, startBlock: startBlock ?? 0, ...txOptions(o), pollMs };
}

/** the account: a keystore (password from a file or HESSIAN_KEYSTORE_PASSWORD) or HESSIAN_PRIVATE_KEY, never argv */
export async function account(o: RoleOptions, env: NodeJS.ProcessEnv, log: Logger) {
  let password = env.HESSIAN_KEYSTORE_PASSWORD;
  if (o['password-file']) password = (await readFile(String(o['password-file']), 'utf8')).replace(/\r?\n$/, '');
  return loadWallet(
    {
      ...(o.keystore ? { keystore: String(o.keystore) } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(env.HESSIAN_PRIVATE_KEY ? { privateKey: env.HESSIAN_PRIVATE_KEY } : {}),
    },
    undefined,
    log,
  );
}
