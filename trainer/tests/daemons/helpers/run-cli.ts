// Runs `hessian train ...` (trainer's main) as its own process, as the hessian CLI will.
import { main } from '../../../src/cli.ts';

process.exitCode = await main(process.argv.slice(2));
