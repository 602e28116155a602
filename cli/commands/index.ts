// `hessian index`: the indexer package's own CLI (flags, env vars, help live there), with the
// defaults that make it meet the other roles by hand: the RPC of `hessian chain`, the GraphQL port
// `hessian dashboard` queries (8000, graph-node's), and the subgraph retargeted at the deployment
// file `hessian chain` or `hessian deploy` wrote in the data directory. Flags and env vars win.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.ts';
import { DEFAULT_DATA_DIR, deploymentFile } from '../data-dir.ts';

const repo = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

/** takes `--name value` or `--name=value` out of argv (a flag this wrapper reads, not the indexer) */
function takeFlag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const [arg] = argv.splice(i, 1);
  if (arg!.includes('=')) return arg!.slice(arg!.indexOf('=') + 1);
  const [value] = argv.splice(i, 1);
  if (value === undefined) throw new CliError(`index: option '--${name} <value>' argument missing`);
  return value;
}

const given = (argv: string[], env: NodeJS.ProcessEnv, flag: string, envName: string) =>
  argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`)) || Boolean(env[envName]);

export async function index(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { runIndexCli } = await import('@hessian/indexer');
  argv = [...argv];
  const dataDir = takeFlag(argv, 'data-dir') ?? (env.HESSIAN_DATA_DIR || DEFAULT_DATA_DIR);
  const deployment = takeFlag(argv, 'deployment') ?? (env.HESSIAN_DEPLOYMENT || deploymentFile(dataDir));
  const help = argv.includes('--help') || argv.includes('-h');
  const defaults: NodeJS.ProcessEnv = {
    HESSIAN_RPC_URL: 'http://127.0.0.1:8545',
    HESSIAN_DB: path.join(dataDir, 'index.sqlite'),
  };
  if (!help && !given(argv, env, 'subgraph', 'HESSIAN_SUBGRAPH')) {
    // the repository's build indexes a placeholder address: point a copy at the real deployment
    if (!existsSync(deployment)) {
      throw new CliError(`no deployment file at ${deployment}: start \`hessian chain\` (or \`hessian deploy\`) with the same data directory first, or pass --deployment FILE or --subgraph DIR`);
    }
    const [{ readDeployment }, { retargetBuild, deploymentTarget }] = await Promise.all([import('@hessian/contracts'), import('@hessian/subgraph/scripts/render-manifest')]);
    defaults.HESSIAN_SUBGRAPH = await retargetBuild(path.join(repo, 'subgraph', 'build'), deploymentTarget(await readDeployment(deployment)), path.resolve(dataDir, 'subgraph'));
  }
  const withDefaults = { ...env };
  for (const [k, v] of Object.entries(defaults)) if (!withDefaults[k]) withDefaults[k] = v;
  process.exitCode = await runIndexCli(argv, withDefaults);
  if (help) {
    process.stdout.write(
      [
        '',
        'Defaults that meet the other roles (flags and env vars win):',
        '  --data-dir DIR           data directory (env HESSIAN_DATA_DIR, default .hessian); --db defaults to DIR/index.sqlite',
        '  --deployment FILE        deployment file the subgraph is retargeted at (env HESSIAN_DEPLOYMENT, default DIR/deployment.json)',
        '  --rpc defaults to http://127.0.0.1:8545 (`hessian chain`)',
      ].join('\n') + '\n',
    );
  }
}
