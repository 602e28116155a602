// The real embedded indexer pointed at a bench chain: the subgraph build retargeted to the
// deployment (subgraph/scripts/render-manifest.ts), indexed into a temp SQLite file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { retargetBuild } from '@hessian/subgraph/scripts/render-manifest';
import { rootDir } from './machine.ts';

export const SUBGRAPH_BUILD = path.join(rootDir, 'subgraph/build');

export interface Workdir {
  dir: string;
  build: string;
  db: string;
  remove(): void;
}

export async function retargetedBuild(target: { address: string; startBlock: number }): Promise<Workdir> {
  if (!existsSync(path.join(SUBGRAPH_BUILD, 'subgraph.yaml'))) throw new Error(`${SUBGRAPH_BUILD} has no subgraph.yaml: run \`npm run build -w @hessian/subgraph\` first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hessian-bench-'));
  const build = await retargetBuild(SUBGRAPH_BUILD, target, path.join(dir, 'build'));
  return { dir, build, db: path.join(dir, 'index.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function graphql<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL at ${url}: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`}`);
  return body.data;
}
