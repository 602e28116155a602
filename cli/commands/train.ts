// `hessian train lender|evaluate|owner|withdraw`: the trainer package's own CLI.
export async function train(argv: string[]): Promise<void> {
  const { main } = await import('@hessian/trainer');
  process.exitCode = await main(argv);
}
