// Long work at a terminal shows one status line redrawn in place, not a stream of JSON lines;
// piped to a file or a log collector, nothing is drawn (the JSON log lines stay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusLine, progressText } from '../status-line.ts';

test('a terminal gets one line redrawn in place; a pipe gets none', () => {
  let tty = '';
  const line = new StatusLine({ isTTY: true, columns: 40, write: (s: string) => (tty += s) });
  assert.equal(line.live, true);
  line.show(progressText({ modelId: 1, stage: 'encrypted gradient', rowsDone: 128, rowsTotal: 512 }));
  line.show(progressText({ modelId: 1, stage: 'encrypted gradient', rowsDone: 512, rowsTotal: 512 }));
  line.show(progressText({ modelId: 1, stage: 'submitting, and a stage name far too long for the terminal' }));
  line.done();
  // cut to the terminal's 40 columns (39 and the ellipsis), so the line never wraps
  assert.equal(tty, '\r\x1b[Kmodel 1: encrypted gradient 128/512 ro…\r\x1b[Kmodel 1: encrypted gradient 512/512 ro…\r\x1b[Kmodel 1: submitting, and a stage name …\n');
  assert.equal(progressText({ modelId: 2, stage: 'encrypted gradient', rowsDone: 128, rowsTotal: 512 }), 'model 2: encrypted gradient 128/512 rows (25%)');
  assert.ok(!tty.includes('{'), 'no JSON at a terminal');
  let piped = '';
  const pipe = new StatusLine({ write: (s: string) => (piped += s) });
  assert.equal(pipe.live, false);
  pipe.show('x');
  pipe.done();
  assert.equal(piped, '');
});
