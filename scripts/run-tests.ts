// Runs every package's test suite in dependency order and ends with one summary line CI can read.
// Each suite keeps its own runner (hardhat's node:test, node:test, vitest); this only parses
// their closing counts, so a suite that crashes before reporting still counts as a failure.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

interface Step {
  name: string;
  cmd: string[];
  /** a build step has no test counts: it passes or fails as a whole */
  build?: boolean;
}

const npm = (...args: string[]) => ['npm', ...args];
const steps: Step[] = [
  { name: 'cli: typecheck', cmd: ['npx', 'tsc', '-p', 'tsconfig.json'], build: true },
  { name: 'common: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/common'), build: true },
  { name: 'common', cmd: npm('test', '-w', '@hessian/common') },
  { name: 'contracts: build', cmd: npm('run', 'build', '-w', '@hessian/contracts'), build: true },
  { name: 'contracts: lint', cmd: npm('run', 'lint', '-w', '@hessian/contracts'), build: true },
  { name: 'contracts: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/contracts'), build: true },
  { name: 'contracts', cmd: npm('test', '-w', '@hessian/contracts') },
  { name: 'test-kit: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/test-kit'), build: true },
  { name: 'subgraph: build', cmd: npm('run', 'build', '-w', '@hessian/subgraph'), build: true },
  { name: 'subgraph: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/subgraph'), build: true },
  { name: 'subgraph', cmd: npm('test', '-w', '@hessian/subgraph') },
  { name: 'indexer: build', cmd: npm('run', 'build', '-w', '@hessian/indexer'), build: true },
  { name: 'indexer: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/indexer'), build: true },
  { name: 'indexer', cmd: npm('test', '-w', '@hessian/indexer') },
  { name: 'core: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/core'), build: true },
  { name: 'core', cmd: npm('test', '-w', '@hessian/core') },
  { name: 'lending: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/lending'), build: true },
  { name: 'lending', cmd: npm('test', '-w', '@hessian/lending') },
  { name: 'trainer: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/trainer'), build: true },
  { name: 'trainer', cmd: npm('test', '-w', '@hessian/trainer') },
  { name: 'dashboard: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/dashboard'), build: true },
  { name: 'dashboard: unit', cmd: npm('test', '-w', '@hessian/dashboard') },
  { name: 'dashboard: browser', cmd: npm('run', 'test:browser', '-w', '@hessian/dashboard') },
  // the commands over the built contracts and subgraph (test/ runs them end to end)
  { name: 'cli', cmd: ['node', '--test', '--test-concurrency=1', 'cli/tests/*.test.ts'] },
  { name: 'e2e: typecheck', cmd: npm('run', 'typecheck', '-w', '@hessian/test'), build: true },
  { name: 'e2e', cmd: npm('test', '-w', '@hessian/test') },
  { name: 'bench: typecheck', cmd: ['npx', 'tsc', '-p', 'bench/tsconfig.json'], build: true },
  // bench/ is not a workspace, so nothing else notices its lockfile drifting from its package.json
  // (README: `cd bench && npm ci`); a dry run reads only the two files: offline, no cache needed
  {
    name: 'bench: lockfile installs',
    cmd: npm('ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', 'bench'),
    build: true,
  },
  // benchmarks are not tests: this only checks every suite still runs, at a tiny size
  { name: 'bench: smoke', cmd: ['node', 'bench/run.ts', '--smoke'], build: true },
];

const only = process.argv.slice(2);
const selected = only.length ? steps.filter((s) => only.some((o) => s.name.startsWith(o))) : steps;

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** node:test (spec or tap reporter) and vitest closing lines */
function parseCounts(out: string): Counts | undefined {
  // eslint-disable-next-line no-control-regex
  const text = out.replace(/\x1b\[[0-9;]*m/g, '');
  const node = (k: string) => {
    const all = [...text.matchAll(new RegExp(`^\\s*(?:ℹ|#) ${k} (\\d+)\\s*$`, 'gm'))];
    return all.length ? all.map((m) => Number(m[1])).reduce((a, b) => a + b, 0) : undefined;
  };
  const pass = node('pass');
  if (pass !== undefined) {
    return { passed: pass, failed: node('fail') ?? 0, skipped: (node('skipped') ?? 0) + (node('todo') ?? 0) };
  }
  // hardhat's node:test reporter closes mocha-style: "72 passing", "1 failing", "2 pending"
  const mocha = text.match(/^\s*(\d+) passing\b/m);
  if (mocha) {
    const n = (k: string) => Number(text.match(new RegExp(`^\\s*(\\d+) ${k}\\b`, 'm'))?.[1] ?? 0);
    return { passed: Number(mocha[1]), failed: n('failing'), skipped: n('pending') + n('skipped') + n('todo') };
  }
  const vt = text.match(/^\s*Tests\s+(.*)$/m);
  if (vt) {
    const n = (k: string) => Number(vt[1]!.match(new RegExp(`(\\d+) ${k}`))?.[1] ?? 0);
    return { passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') };
  }
  return undefined;
}

function run(step: Step): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(step.cmd[0]!, step.cmd.slice(1), { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    const tee = (chunk: Buffer, to: NodeJS.WriteStream) => {
      out += chunk.toString();
      to.write(chunk);
    };
    child.stdout.on('data', (c: Buffer) => tee(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => tee(c, process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
for (const step of selected) {
  const started = Date.now();
  process.stdout.write(`\n===== ${step.name} =====\n`);
  const { code, out } = await run(step);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (step.build) {
    if (code !== 0) total.failed += 1;
    lines.push(`${code === 0 ? 'ok  ' : 'FAIL'} ${step.name} (${secs}s)`);
    continue;
  }
  const counts = parseCounts(out);
  if (!counts) {
    total.failed += 1;
    lines.push(`FAIL ${step.name}: exited ${code} without a test summary (${secs}s)`);
    continue;
  }
  // a runner that reports no failures but exits non-zero (e.g. an unhandled error) still fails
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  lines.push(`${counts.failed ? 'FAIL' : 'ok  '} ${step.name}: ${counts.passed} passed, ${counts.failed} failed (${secs}s)`);
}

process.stdout.write(`\n===== summary =====\n${lines.join('\n')}\n`);
process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exitCode = total.failed > 0 ? 1 : 0;
