// Every piece of demo and CLI state lives under one data directory (default ./.hessian), so a
// user can inspect it, back it up or delete it to start over.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_DATA_DIR = '.hessian';

export function dataPaths(dir: string) {
  const root = path.resolve(dir);
  mkdirSync(root, { recursive: true });
  return {
    root,
    deployment: path.join(root, 'deployment.json'),
    indexerDb: path.join(root, 'indexer.sqlite'),
    ipfs: path.join(root, 'ipfs'),
    lender: path.join(root, 'lender'),
    owner: (i: number) => path.join(root, `owner-${i}`),
    dashboardConfig: path.join(root, 'dashboard-config.json'),
  };
}
