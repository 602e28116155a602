// Turns the failures a user can fix (unreachable RPC, missing deployment, port in use, bad flag)
// into one clear line with what to do; anything else keeps its stack for a bug report.

export class CliError extends Error {
  override name = 'CliError';
}

const hints: [RegExp, string][] = [
  [/ECONNREFUSED|fetch failed|could not detect network/i, 'is the JSON-RPC node running? start one with `hessian chain`, or pass --rpc URL'],
  [/EADDRINUSE|already in use/i, 'pick another port with --port, or 0 for a free one'],
  [/ENOENT.*deployment|deployment.*(not found|ENOENT)/i, 'deploy first with `hessian chain`, or pass --deployment FILE'],
];

export function reportError(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const hint = hints.find(([re]) => re.test(e.message))?.[1];
  if (e instanceof CliError || e.name === 'TypeError' && /parseArgs|ERR_PARSE_ARGS/.test(String((e as { code?: string }).code))) {
    process.stderr.write(`hessian: ${e.message}\n`);
  } else if (hint) {
    process.stderr.write(`hessian: ${e.message}\n  hint: ${hint}\n`);
  } else {
    process.stderr.write(`hessian: ${e.stack ?? e.message}\n`);
  }
}
