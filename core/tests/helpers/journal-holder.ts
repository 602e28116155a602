// A writer process for the journal lock tests: opens the journal given as argv[2] for writing
// (with `--wait`, retries until the lock is free), counts one update, prints {"held": pid, "n"},
// and holds it until SIGTERM, which closes the journal and exits 0. A refusal prints the error
// message on stderr and exits 3.
import { Journal } from '../../src/journal/journal.ts';
import { JournalLockedError } from '../../src/journal/lock.ts';

const [file, mode] = process.argv.slice(2);
if (!file) throw new Error('usage: journal-holder.ts <journal file> [--wait]');

let journal: Journal<{ n: number }> | undefined;
for (;;) {
  try {
    journal = new Journal<{ n: number }>({ file, initial: () => ({ n: 0 }) });
    break;
  } catch (err) {
    if (!(err instanceof JournalLockedError) || mode !== '--wait') {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(3);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
journal.update((d) => void (d.n += 1));
process.stdout.write(JSON.stringify({ held: process.pid, n: journal.value.n }) + '\n');
const keepAlive = setInterval(() => {}, 60_000);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  journal!.close();
  process.exit(0);
});
