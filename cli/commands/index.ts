// `hessian index`: the indexer package's own CLI (flags, env vars, help live there).
export async function index(argv: string[]): Promise<void> {
  const { runIndexCli } = await import('@hessian/indexer');
  process.exitCode = await runIndexCli(argv);
}
