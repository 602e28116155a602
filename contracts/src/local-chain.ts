// Starts a throwaway Hardhat node on loopback for the demo, the CLI and tests. The node is a child
// process (not the in-process network) so other processes (indexer, daemons, a browser) can reach
// it over JSON-RPC exactly as they would a real chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchChainId } from './rpc.ts';

const contractsDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The mnemonic every Hardhat node funds by default (20 accounts x 10,000 ETH): public test keys only. */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';

export interface LocalChain {
  url: string;
  port: number;
  chainId: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalChainOptions {
  host?: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** called with each line the node prints (it logs every request) */
  onLine?: (line: string) => void;
  /** ms to wait for the node to answer JSON-RPC */
  timeoutMs?: number;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, host, () => srv.close(() => resolve(false)));
  });
}

export async function startLocalChain(opts: LocalChainOptions = {}): Promise<LocalChain> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || (await freePort(host));
  if (opts.port && (await portInUse(port, host))) {
    throw new Error(`port ${port} on ${host} is already in use: pick another with --port, or 0 for a free one`);
  }
  const require = createRequire(path.join(contractsDir, 'package.json'));
  const hardhatCli = path.join(path.dirname(require.resolve('hardhat/package.json')), 'dist', 'src', 'cli.js');
  const guard = path.join(contractsDir, 'src', 'exit-with-parent.ts');
  const child = spawn(process.execPath, ['--import', pathToFileURL(guard).href, hardhatCli, 'node', '--hostname', host, '--port', String(port)], {
    cwd: contractsDir,
    // stdin stays open as a lifeline: the child exits when it closes (see exit-with-parent.ts)
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    if (output.length < 20_000) output += text;
    if (opts.onLine) for (const line of text.split('\n')) if (line.trim()) opts.onLine(line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let chainId: number | undefined;
  while (chainId === undefined) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with code ${child.exitCode} before answering:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hardhat node did not answer JSON-RPC at ${url} within ${opts.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
    chainId = await fetchChainId(url, 2000).catch(() => undefined);
  }
  return {
    url,
    port,
    chainId,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
