// Every piece of CLI and demo state lives under one data directory (default ./.hessian), so a
// user can inspect it, back it up or delete it to start over. The trainer's commands default to
// the same deployment file.
import path from 'node:path';

export const DEFAULT_DATA_DIR = '.hessian';

export function deploymentFile(dataDir: string): string {
  return path.resolve(dataDir, 'deployment.json');
}
