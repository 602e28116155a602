// Runs `hessian train ...` (cli/commands/train.ts) as its own process, as the hessian CLI does.
import { train as main } from '../../../../cli/commands/train.ts';

process.exitCode = await main(process.argv.slice(2));
