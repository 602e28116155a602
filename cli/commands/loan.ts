// `hessian loan deploy|decide|retire|quote|request`: model deployment, the trainer package's own CLI.
export async function loan(argv: string[]): Promise<void> {
  const { loanMain } = await import('@hessian/trainer');
  process.exitCode = await loanMain(argv);
}
