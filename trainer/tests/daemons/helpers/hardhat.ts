// A real Hardhat node for the daemon tests: a child process on a free port (port 0), bound to
// 127.0.0.1, killed with its process group when the test ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';

export interface HardhatNode {
  url: string;
  /** funded dev accounts (Hardhat's well-known test mnemonic) */
  keys: string[];
  stop(): Promise<void>;
}

export async function startHardhatNode(): Promise<HardhatNode> {
  const child: ChildProcess = spawn(path.join(root, 'node_modules/.bin/hardhat'), ['node', '--hostname', '127.0.0.1', '--port', '0'], {
    cwd: path.join(root, 'contracts'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start in 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited (${code}):\n${out}`));
    });
  });
  // keep draining the pipes so the node never blocks on a full buffer
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
  const keys = Array.from({ length: 10 }, (_, i) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).privateKey);
  return {
    url,
    keys,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      await exited;
    },
  };
}

export function devWallet(node: HardhatNode, i: number): Wallet {
  return new Wallet(node.keys[i]!);
}
