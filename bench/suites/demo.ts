// The whole demo (`hessian demo`: chain, contracts, indexer, dashboard, lender, evaluator, data
// owners under CKKS) timed from process start to the first accepted gradient visible in GraphQL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyResult, fmt, runSuite, suiteArgs } from '../lib/result.ts';
import { rootDir } from '../lib/machine.ts';
import { stopChild } from '../lib/proc.ts';
import { graphql } from '../lib/indexer.ts';

await runSuite(async () => {
  const { smoke } = suiteArgs();
  const r = emptyResult('demo', 'Full demo: start to the first accepted gradient in GraphQL');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hessian-bench-demo-'));
  const flags = smoke ? ['--ckks', 'logistic-8192', '--owners', '1', '--rounds', '1'] : [];
  const args = [path.join(rootDir, 'cli/hessian.ts'), 'demo', '--graphql-port', '0', '--dashboard-port', '0', '--data-dir', dataDir, ...flags];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: rootDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    if (err.length < 100_000) err += c.toString();
  });
  try {
    let graphqlMs = NaN;
    let url: string | undefined;
    let accepted: { id: string; evaluatedAt: string } | undefined;
    let lastError = '';
    const deadline = t0 + (smoke ? 80_000 : 900_000);
    while (!accepted) {
      if (child.exitCode !== null) throw new Error(`the demo exited with code ${child.exitCode} before a gradient was accepted (last GraphQL error: ${lastError || 'none'}):\n${out.slice(-1500)}\n${err.slice(-1500)}`);
      if (performance.now() > deadline) throw new Error(`no accepted gradient within ${(deadline - t0) / 1000} s:\n${out.slice(-1500)}`);
      if (!url) {
        const m = /^graphql\s+(\S+)/m.exec(out);
        if (m) {
          url = m[1]!;
          graphqlMs = performance.now() - t0;
        }
      } else {
        try {
          const data = await graphql<{ gradients: { id: string; evaluatedAt: string }[] }>(url, '{ gradients(where: { status: Accepted }, first: 1, orderBy: evaluatedAt) { id evaluatedAt } }');
          accepted = data.gradients[0];
        } catch (e) {
          // the indexer may still be starting
          lastError = e instanceof Error ? e.message : String(e);
        }
      }
      if (!accepted) await new Promise((res) => setTimeout(res, 200));
    }
    const firstMs = performance.now() - t0;
    r.tables.push({
      title: `\`hessian demo ${flags.join(' ')}\`${smoke ? '' : ' (defaults: 5 owners, CKKS logistic-16384, LendingClub, 512-row batches)'}`,
      columns: ['milestone', 'seconds from start'],
      rows: [
        ['GraphQL URL printed (chain up, contracts deployed, indexer serving)', (graphqlMs / 1000).toFixed(1)],
        [`first accepted gradient (id ${accepted.id}) visible in GraphQL`, (firstMs / 1000).toFixed(1)],
      ],
    });
    r.aims.push({ aim: 'the full demo\'s wall time from start to the first accepted gradient visible in GraphQL (no target set)', measured: fmt.s(firstMs), met: null });
    r.notes.push('Includes key generation (CKKS secret, public, relinearization and rotation keys), the IPFS uploads of keys and encrypted weights, the owners\' first encrypted gradients, the evaluator\'s decryption and evaluation, the transaction and the indexer picking it up. The demo is stopped (SIGTERM) once the first accepted gradient is visible.');
    r.figures = { graphqlMs, firstMs, flags };
    return r;
  } finally {
    await stopChild(child, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
