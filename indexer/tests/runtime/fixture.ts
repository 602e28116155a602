// Test fixtures for the runtime: the host-surface test subgraph (built with the installed
// graph-cli, offline, rebuilt only when its sources change) and JSON-RPC shaped blocks and logs.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, keccak256, toBeHex, toUtf8Bytes, zeroPadValue } from 'ethers';
import type { RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../../src/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = resolve(here, '../fixtures');
const ROOT = resolve(here, '../../..');

function sourceHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (['build', 'generated'].includes(entry.name)) continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else h.update(p.slice(dir.length)).update(readFileSync(p));
    }
  };
  walk(dir);
  // files the manifest links from outside the fixture (the factory subgraph's ABIs come from contracts/abi)
  const manifest = readFileSync(join(dir, 'subgraph.yaml'), 'utf8');
  for (const [, file] of manifest.matchAll(/^\s*file:\s*(\S+)\s*$/gm)) {
    const p = resolve(dir, file!);
    if (!p.startsWith(dir + '/')) h.update(file!).update(readFileSync(p));
  }
  return h.digest('hex');
}

/** `graph codegen && graph build` the named fixture when its sources changed; returns its build dir. */
export function buildFixture(name = 'host-subgraph'): string {
  const dir = join(FIXTURES, name);
  const stamp = join(dir, 'build', '.source-hash');
  const hash = sourceHash(dir);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return join(dir, 'build');
  const graph = join(ROOT, 'node_modules', '.bin', 'graph');
  // other test processes may build the same fixture: serialize on a lock file
  execFileSync(
    'flock',
    [join(tmpdir(), `hessian-fixture-${name}.lock`), 'sh', '-c', `"${graph}" codegen >/dev/null && "${graph}" build >/dev/null`],
    { cwd: dir, env: { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  writeFileSync(stamp, hash);
  return join(dir, 'build');
}

export const PROBE_ADDRESS = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
export const OTHER_ADDRESS = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
export const probeAbi = new Interface(JSON.parse(readFileSync(join(FIXTURES, 'host-subgraph', 'abis', 'Probe.json'), 'utf8')));

const hash = (...parts: (string | number)[]) => keccak256(toUtf8Bytes(parts.join(':')));
const q = (n: number | bigint) => toBeHex(n);

export interface TxSpec {
  from?: string;
  to?: string | null;
  nonce?: number;
}

/** A chain of blocks whose hashes and parent hashes link up, each holding transactions and logs. */
export class ChainBuilder {
  blocks: { block: RpcBlock; logs: RpcLog[]; receipts: Map<string, RpcReceipt> }[] = [];
  private readonly salt: string;

  constructor(salt = 'main') {
    this.salt = salt;
  }

  /** Append a block; `events` are [address, eventName, args] emitted by one transaction each. */
  addBlock(events: [string, string, unknown[]][], opts: { timestamp?: number; txs?: TxSpec[] } = {}) {
    const number = this.blocks.length + 1;
    const parentHash = this.blocks.at(-1)?.block.hash ?? `0x${'00'.repeat(32)}`;
    const blockHash = hash(this.salt, 'block', number);
    const timestamp = opts.timestamp ?? 1_700_000_000 + number * 12;
    const transactions: RpcTransaction[] = [];
    const logs: RpcLog[] = [];
    const receipts = new Map<string, RpcReceipt>();
    events.forEach(([address, name, args], i) => {
      const spec = opts.txs?.[i] ?? {};
      const txHash = hash(this.salt, 'tx', number, i);
      transactions.push({
        hash: txHash,
        from: spec.from ?? '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
        to: spec.to === undefined ? address : spec.to,
        value: q(i),
        gas: q(100_000 + i),
        gasPrice: q(1_000_000_000),
        input: '0x1234',
        nonce: q(spec.nonce ?? number * 10 + i),
        transactionIndex: q(i),
        blockNumber: q(number),
        blockHash,
      });
      const encoded = probeAbi.encodeEventLog(name, args);
      const log: RpcLog = {
        address,
        topics: encoded.topics,
        data: encoded.data,
        blockNumber: q(number),
        blockHash,
        transactionHash: txHash,
        transactionIndex: q(i),
        logIndex: q(i),
        removed: false,
      };
      logs.push(log);
      receipts.set(txHash, {
        transactionHash: txHash,
        transactionIndex: q(i),
        blockHash,
        blockNumber: q(number),
        cumulativeGasUsed: q(50_000 * (i + 1)),
        gasUsed: q(50_000 + i),
        contractAddress: null,
        logs: [log],
        status: '0x1',
        logsBloom: `0x${'00'.repeat(256)}`,
      });
    });
    const block: RpcBlock = {
      number: q(number),
      hash: blockHash,
      parentHash,
      timestamp: q(timestamp),
      miner: '0x0000000000000000000000000000000000000000',
      stateRoot: hash(this.salt, 'state', number),
      transactionsRoot: hash(this.salt, 'txroot', number),
      receiptsRoot: hash(this.salt, 'receipts', number),
      sha3Uncles: hash('uncles'),
      gasUsed: q(21_000 * events.length),
      gasLimit: q(30_000_000),
      difficulty: '0x0',
      totalDifficulty: '0x0',
      size: q(1000),
      baseFeePerGas: q(7),
      transactions,
    };
    const entry = { block, logs, receipts };
    this.blocks.push(entry);
    return entry;
  }
}

export const topicOf = (address: string) => zeroPadValue(address, 32);
