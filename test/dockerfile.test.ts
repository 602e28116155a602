// No Docker engine runs here, so the image is built the way Docker would build it, step by step:
// the build context is the repository less .dockerignore, every COPY copies from it into a fresh
// root, every RUN of the application runs in its WORKDIR with only the Dockerfile's ENV (no
// HESSIAN_* or npm settings of this machine leak in), and the result must start: the ENTRYPOINT
// with its CMD. The RUN before `USER node` sets up the operating system as root; it is not run on
// this machine (it would change it), its Debian packages are checked to exist instead.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stage = mkdtempSync(path.join(tmpdir(), 'hessian-image-'));
after(() => rmSync(stage, { recursive: true, force: true }));

interface Instruction {
  op: string;
  args: string;
  line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending && line.trim().startsWith('#')) return;
    const text = line.endsWith('\\') ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${text.trim()}`, line: pending.line } : { text: text.trim(), line: i + 1 };
    if (!line.endsWith('\\')) {
      const [op, ...rest] = pending.text.split(/\s+/);
      out.push({ op: op!.toUpperCase(), args: rest.join(' '), line: pending.line });
      pending = undefined;
    }
  });
  return out;
}

function nodeHeaders(): Record<string, string> {
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? { npm_config_nodedir: prefix } : {};
}

/** the build context: what `docker build .` would send (files git knows, less .dockerignore) */
function contextFiles(): string[] {
  const patterns = readFileSync(path.join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  const ignored = (f: string) => {
    const parts = f.split('/');
    // a pattern excludes a path and everything under it
    return parts.some((_, i) => patterns.some((p) => path.matchesGlob(parts.slice(0, i + 1).join('/'), p)));
  };
  return files.filter((f) => existsSync(path.join(repo, f)) && !ignored(f));
}

test('the Dockerfile builds: its steps, in order, in a clean copy of the repository', { timeout: 900_000 }, () => {
  const steps = parseDockerfile(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'));
  const context = contextFiles();
  assert.ok(context.includes('cli/hessian.ts') && !context.some((f) => f.includes('node_modules/')), 'the context has the sources and no node_modules');
  const root = path.join(stage, 'root');
  const home = path.join(root, 'home', 'node');
  mkdirSync(home, { recursive: true });
  const inRoot = (p: string) => path.join(root, p);
  let workdir = '/';
  let user = 'root';
  const env: Record<string, string> = {};
  let ran = 0;

  for (const step of steps) {
    const where = `Dockerfile:${step.line} ${step.op} ${step.args}`;
    switch (step.op) {
      case 'FROM': {
        const major = step.args.match(/^node:(\d+)/)?.[1];
        assert.equal(major, process.versions.node.split('.')[0], `${where}: the steps run on this machine's Node, which must be the image's`);
        break;
      }
      case 'WORKDIR':
        workdir = path.posix.resolve(workdir, step.args);
        mkdirSync(inRoot(workdir), { recursive: true });
        break;
      case 'USER':
        user = step.args;
        break;
      case 'ENV': {
        const m = step.args.match(/^(\w+)[= ](.*)$/);
        assert.ok(m, where);
        env[m[1]!] = m[2]!;
        break;
      }
      case 'COPY': {
        const args = step.args.split(/\s+/).filter((a) => !a.startsWith('--'));
        const dest = path.posix.resolve(workdir, args.pop()!);
        for (const src of args) {
          if (src === '.') {
            for (const f of context) cpSync(path.join(repo, f), path.join(inRoot(dest), f));
          } else {
            assert.ok(context.includes(src), `${where}: ${src} is not in the build context`);
            const target = dest.endsWith('/') || args.length > 1 || step.args.trim().endsWith('/') ? path.join(inRoot(dest), path.basename(src)) : inRoot(dest);
            mkdirSync(path.dirname(target), { recursive: true });
            cpSync(path.join(repo, src), target);
          }
        }
        break;
      }
      case 'RUN': {
        if (user === 'root') {
          // the OS setup: every package it installs must exist in Debian's archive
          const pkgs = step.args.match(/apt-get install ([^&]*)/)?.[1]!.split(/\s+/).filter((a) => a && !a.startsWith('-')) ?? [];
          for (const p of pkgs) {
            const r = spawnSync('apt-cache', ['show', '--no-all-versions', p], { encoding: 'utf8' });
            assert.ok(r.status === 0 && /^Package: /m.test(r.stdout), `${where}: no Debian package ${p}`);
          }
          break;
        }
        const r = spawnSync('sh', ['-c', step.args], {
          cwd: inRoot(workdir),
          encoding: 'utf8',
          // the image's environment: its PATH (node on it), its HOME, the Dockerfile's ENV. Two
          // settings only save downloads this machine cannot make: the npm cache (npm ci checks
          // every tarball's integrity) and the headers of this very Node for native modules
          // (the image has them under /usr/local/include/node; node-gyp would fetch them)
          env: { PATH: process.env.PATH!, HOME: home, npm_config_cache: path.join(process.env.HOME ?? '/root', '.npm'), npm_config_update_notifier: 'false', ...nodeHeaders(), ...env },
          maxBuffer: 64 * 1024 * 1024,
        });
        assert.equal(r.status, 0, `${where} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
        ran++;
        break;
      }
      case 'ENTRYPOINT':
      case 'CMD':
      case 'VOLUME':
        break;
      default:
        assert.fail(`${where}: this test does not know ${step.op}; teach it`);
    }
  }
  assert.ok(ran >= 2, 'npm ci and the builds ran');

  const app = inRoot(workdir);
  const manifest = readFileSync(path.join(app, 'subgraph', 'build', 'subgraph.yaml'), 'utf8');
  assert.match(manifest, /address: ["']?0x0000000000000000000000000000000000000000/, 'the image\'s subgraph is built for the placeholder, retargeted at run time');
  assert.ok(existsSync(path.join(app, 'dashboard', 'dist', 'index.html')), 'the dashboard is built');
  // ENTRYPOINT + CMD: the container's default command answers
  const entry = JSON.parse(steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
  const cmd = JSON.parse(steps.find((s) => s.op === 'CMD')!.args) as string[];
  const started = spawnSync(entry[0]!, [...entry.slice(1), ...cmd], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: home, ...env } });
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /Usage: hessian <command>/);
  const version = spawnSync(entry[0]!, [...entry.slice(1), '--version'], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: home, ...env } });
  assert.equal(version.stdout.trim(), `hessian ${JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version}`);
});
