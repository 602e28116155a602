// The dashboard past graph-node's 1,000-row `first` ceiling, and its chart axes. On top of the
// scripted history, one contributor commits 1,110 gradients to the open model 4 over three more
// UTC days (about a hundred per block: automine off, then evm_mine), reveals each in a later
// block, and its evaluator judges 1,050 of them against their seals (declined: no improvement;
// every tenth rejected), all through the real contract and the real indexer. The pages must show the
// newest rows and days, count "N of M" against the API's own counters, export every row as CSV,
// keep live updates, time travel and quiet blocks working, and label chart axes sensibly.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Interface, JsonRpcProvider, keccak256, toBeHex, toUtf8Bytes } from 'ethers';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import type { Page } from 'playwright-core';
import { MIN_SUBMISSION_STAKE, PRIVACY_SCALE, Verdict, modelRepositoryAbi, sealOf } from '@hessian/contracts';
import { DAY, tx } from '@hessian/test-kit/history';
import { formatInt } from '../../src/lib/format.ts';
import { assertQuietBlock, mineEmptyBlock, screenshot, settleAfter, useSession } from './harness.ts';

const session = useSession();
const repoInterface = new Interface(modelRepositoryAbi);

const SUBMITTED = 1_110; // commits, each revealed

const EVALUATED = 1_050;
const DAYS = 3;
const PER_BLOCK = 100;

async function cidOf(text: string): Promise<string> {
  return CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode(text))).toString();
}

/** What `name`'s contributor commits to and later reveals: the seal binds the CID, data commitment and salt. */
async function submission(contributor: string, model: string, name: string) {
  const cid = await cidOf(name);
  const dataCommitment = keccak256(toUtf8Bytes(`rows used by ${name}`));
  const salt = keccak256(toUtf8Bytes(`salt of ${name}`));
  return { cid, dataCommitment, salt, seal: sealOf(contributor, BigInt(model), dataCommitment, cid, salt) };
}

/** Every third revealed gradient carried no DP noise (epsilon 0), the others epsilon 1.5. */
const epsilonOf = (k: number) => (k % 3 === 0 ? 0 : Number((3n * PRIVACY_SCALE) / 2n));
/** The evaluator's verdict on the k-th evaluated gradient of a day: valid but no improvement, every tenth invalid. */
const verdictOf = (k: number) => (k % 10 === 0 ? Verdict.Rejected : Verdict.Declined);

interface Built {
  model: string;
  contributor: string;
  /** the block of the first day's last commit: the time-travel point */
  firstDayBlock: number;
  lastBlock: number;
}

/** Sends `calls` (each carrying `value` wei) from `from` with consecutive nonces, mining blocks of about PER_BLOCK until all are in. */
async function sendBatched(provider: JsonRpcProvider, from: string, to: string, calls: string[], value = 0n): Promise<number> {
  let nonce = Number(await provider.send('eth_getTransactionCount', [from, 'pending']));
  let last = 0;
  for (let i = 0; i < calls.length; i += PER_BLOCK) {
    // sent together: ethers batches concurrent requests into one JSON-RPC call
    const hashes = await Promise.all(
      calls.slice(i, i + PER_BLOCK).map((data) => provider.send('eth_sendTransaction', [{ from, to, data, value: toBeHex(value), gas: toBeHex(400_000), nonce: toBeHex(nonce++) }]) as Promise<string>),
    );
    // a block takes what its gas limit allows: mine until the batch is in
    type Receipt = { status: string; blockNumber: string } | null;
    const mined = async (): Promise<Receipt> => {
      await provider.send('evm_mine', []);
      return (await provider.send('eth_getTransactionReceipt', [hashes.at(-1)])) as Receipt;
    };
    let receipt = await mined();
    for (let blocks = 1; !receipt && blocks < 10; blocks++) receipt = await mined();
    if (!receipt) throw new Error(`${hashes.length} transactions were not mined in 10 blocks`);
    if (receipt.status !== '0x1') throw new Error(`transaction ${hashes.at(-1)} reverted`);
    last = Number(receipt.blockNumber);
  }
  return last;
}

let built: Built;

/** Builds the history past 1,000 rows; run from the suite's `before`, after the session's stack started. */
async function buildScale(): Promise<void> {
  const { stack } = session;
  const { history } = stack;
  const model = String(history.firstModelId + 3); // model 4: open for 30 days, evaluator eve, the least stake
  const contributor = history.accounts.carol;
  const eve = history.accounts.eve;
  const repo = history.repository;
  const provider = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  let firstDayBlock = 0;
  let lastBlock = 0;
  try {
    await provider.send('evm_setAutomine', [false]);
    let next = Number(await provider.send('eth_call', [{ to: repo, data: repoInterface.encodeFunctionData('gradientCount') }, 'latest'])) + 1;
    const perDay = SUBMITTED / DAYS;
    const evaluatedPerDay = EVALUATED / DAYS;
    for (let day = 0; day < DAYS; day++) {
      await provider.send('evm_increaseTime', [DAY]);
      const subs = await Promise.all(Array.from({ length: perDay }, (_, k) => submission(contributor, model, `scale d${day} g${k}`)));
      // ids are global, in commit order: this contributor's commits are the only transactions sent
      const ids = Array.from({ length: perDay }, (_, k) => next + k);
      next += perDay;
      const commits = subs.map((g) => repoInterface.encodeFunctionData('commitGradient', [model, g.seal]));
      lastBlock = await sendBatched(provider, contributor, repo, commits, MIN_SUBMISSION_STAKE);
      if (day === 0) firstDayBlock = lastBlock;
      // revealed in later blocks, well inside the hour's reveal window
      const reveals = subs.map((g, k) => repoInterface.encodeFunctionData('revealGradient', [ids[k], g.cid, g.dataCommitment, g.salt, epsilonOf(k)]));
      lastBlock = await sendBatched(provider, contributor, repo, reveals);
      // below the best score: no weights, no reward; a verdict names the seal it judged
      const verdicts = ids.slice(0, evaluatedPerDay).map((id, k) =>
        repoInterface.encodeFunctionData('evaluateGradient', [id, subs[k]!.seal, 600_000 + (k % 50), verdictOf(k), '']),
      );
      lastBlock = await sendBatched(provider, eve, repo, verdicts);
    }
  } finally {
    await provider.send('evm_setAutomine', [true]).catch(() => {});
    provider.destroy();
  }
  // thousands of events through the WASM mappings: give the indexer longer than waitForBlock's 30 s
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      await stack.waitForBlock(lastBlock);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
  built = { model, contributor, firstDayBlock, lastBlock };
}

/** The row count a table's tools show: "N of M", and the numbers behind it. */
async function rowCount(page: Page, tools: string): Promise<{ text: string; shown: number; total: number }> {
  const el = page.locator(`[data-testid="${tools}"] [data-testid="row-count"]`);
  return {
    text: (await el.innerText()).replace(/\s+/g, ' ').trim(),
    shown: Number(await el.getAttribute('data-shown')),
    total: Number(await el.getAttribute('data-total')),
  };
}

/** Clicks a table's "Export CSV" and returns the downloaded file's lines (without the final CRLF). */
async function exportCsv(page: Page, tools: string): Promise<{ name: string; lines: string[] }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid="${tools}"] [data-testid="csv"]`).click()]);
  const text = await readFile((await download.path())!, 'utf8');
  assert.ok(text.endsWith('\r\n'), 'RFC 4180: CRLF after every record');
  return { name: download.suggestedFilename(), lines: text.slice(0, -2).split('\r\n') };
}

// In-page: records the text each chart draws on its canvas since its last clear, with positions,
// so a test can read the axis labels uPlot paints (they are not DOM).
const AXIS_TEXT = `(() => {
  if (window.__axisText) return;
  window.__axisText = {};
  const title = (c) => c.closest('figure')?.querySelector('figcaption')?.textContent ?? '(canvas)';
  const clear = CanvasRenderingContext2D.prototype.clearRect;
  CanvasRenderingContext2D.prototype.clearRect = function (...a) {
    window.__axisText[title(this.canvas)] = [];
    return clear.apply(this, a);
  };
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...r) {
    const m = this.getTransform();
    (window.__axisText[title(this.canvas)] ??= []).push({ text: String(text), y: Math.round(m.b * x + m.d * y + m.f), rotated: m.b !== 0 });
    return fill.call(this, text, x, y, ...r);
  };
})()`;

/** The x-axis tick labels of the chart whose caption starts with `caption`: the lowest row of upright text. */
async function xLabels(page: Page, caption: string): Promise<string[]> {
  const all = await page.evaluate<Record<string, { text: string; y: number; rotated: boolean }[]>>('window.__axisText');
  const key = Object.keys(all).find((k) => k.startsWith(caption));
  assert.ok(key, `no chart "${caption}" drew (${Object.keys(all).join(' | ')})`);
  const upright = all[key]!.filter((t) => !t.rotated);
  const bottom = Math.max(...upright.map((t) => t.y));
  return upright.filter((t) => t.y === bottom).map((t) => t.text);
}

const mmdd = (seconds: number) => new Date(seconds * 1000).toISOString().slice(5, 10);

describe('dashboard past 1,000 rows', { timeout: 900_000 }, () => {
  before(buildScale, { timeout: 600_000 });

  test('a model with over 1,000 gradients and evaluations: newest rows first, "N of M", every row in the CSV', async () => {
    const { page } = session;
    const { model: m } = await session.stack.gql<{
      model: {
        gradientCount: number; evaluationCount: number;
        committedCount: number; pendingCount: number; acceptedCount: number; rejectedCount: number; declinedCount: number; expiredCount: number; lapsedCount: number;
        gradients: { id: string; seal: string; cid: string; dpEpsilon: string }[]; evaluations: { id: string; gradient: { id: string } }[];
      };
    }>(`query($id: ID!) { model(id: $id) {
      gradientCount evaluationCount committedCount pendingCount acceptedCount rejectedCount declinedCount expiredCount lapsedCount
      gradients(first: 1, orderBy: gradientId, orderDirection: desc) { id seal cid dpEpsilon }
      evaluations(first: 1, orderBy: ordinal, orderDirection: desc) { id gradient { id } }
    } }`, { id: built.model });
    assert.ok(m.gradientCount > 1000 && m.evaluationCount > 1000, `the history reaches past 1,000 rows (${m.gradientCount} gradients, ${m.evaluationCount} evaluations)`);
    assert.equal(m.gradientCount, SUBMITTED + 4, 'the history committed four gradients to model 4 before these (g12 to g15)');

    await page.addInitScript(AXIS_TEXT);
    await page.goto(`${session.stack.dashboard.url}#/model/${built.model}`);
    await page.locator('[data-testid="gradients-tools"] [data-testid="row-count"]').waitFor({ timeout: 30_000 });
    const grads = await rowCount(page, 'gradients-tools');
    assert.deepEqual(grads, { text: `100 of ${formatInt(m.gradientCount)} gradients`, shown: 100, total: m.gradientCount });
    const rows = page.locator('[data-testid="gradients-table"] tbody tr');
    assert.equal(await rows.count(), 100, 'one page of rows in the DOM');
    assert.equal(await rows.first().getAttribute('data-gradient'), m.gradients[0]!.id, 'the newest gradient is the first row');
    await page.locator('[data-testid="gradients-tools"] button', { hasText: 'Show 100 more' }).click();
    assert.equal(await rows.count(), 200);
    assert.equal((await rowCount(page, 'gradients-tools')).text, `200 of ${formatInt(m.gradientCount)} gradients`);

    const csv = await exportCsv(page, 'gradients-tools');
    assert.equal(csv.name, `model-${built.model}-gradients.csv`);
    assert.equal(csv.lines.length, m.gradientCount + 1, 'a header and every gradient, not just the rows shown');
    const ids = csv.lines.slice(1).map((l) => l.split(',')[0]);
    assert.equal(new Set(ids).size, m.gradientCount, 'no gradient twice');
    assert.equal(ids[0], m.gradients[0]!.id, 'newest first, as the table');
    assert.equal(ids.at(-1), String(session.stack.history.firstGradientId + 11), 'down to the model\'s first gradient (g12 of the history)');
    // the commit-reveal columns: each status as many times as the model counts it, the seal always, CID and epsilon once revealed
    const header = csv.lines[0]!.split(',');
    const col = (name: string) => {
      const i = header.indexOf(name);
      assert.ok(i >= 0, `column "${name}" in ${csv.lines[0]}`);
      return i;
    };
    const rowsOf = csv.lines.slice(1).map((l) => l.split(','));
    const statuses: Record<string, number> = {};
    for (const r of rowsOf) statuses[r[col('status')]!] = (statuses[r[col('status')]!] ?? 0) + 1;
    const counted = {
      Committed: m.committedCount, Pending: m.pendingCount, Accepted: m.acceptedCount, Rejected: m.rejectedCount,
      Declined: m.declinedCount, Expired: m.expiredCount, Lapsed: m.lapsedCount,
    };
    assert.deepEqual(statuses, Object.fromEntries(Object.entries(counted).filter(([, n]) => n > 0)));
    assert.equal(m.declinedCount + m.rejectedCount, EVALUATED, 'every verdict of the scale run is a Declined or a Rejected');
    assert.ok(m.rejectedCount >= EVALUATED / 10 && m.committedCount >= 1 && m.lapsedCount >= 1, JSON.stringify(counted));
    const newest = m.gradients[0]!;
    assert.deepEqual(
      [rowsOf[0]![col('seal')], rowsOf[0]![col('cid')], rowsOf[0]![col('dp epsilon')]],
      [newest.seal, newest.cid, String(Number(newest.dpEpsilon) / 1e6)],
      'the newest gradient\'s seal, CID and epsilon as the API has them',
    );
    for (const r of rowsOf.filter((r) => r[col('status')] === 'Committed')) {
      assert.ok(/^0x[0-9a-f]{64}$/.test(r[col('seal')]!) && r[col('cid')] === '' && r[col('dp epsilon')] === '', `a sealed commit shows its seal only: ${r.join(',')}`);
    }

    // the evaluations (the score chart's table): newest first, all of them loaded and exported
    const evals = await rowCount(page, 'evaluations-tools');
    assert.equal(evals.total, m.evaluationCount, 'every evaluation loaded');
    // the table sits in the chart's closed <details>: read its text, not its rendering
    assert.match((await page.locator('[data-testid="evaluations-table"] tbody tr').first().textContent()) ?? '', new RegExp(`#${m.evaluations[0]!.gradient.id}(?!\\d)`));
    await page.locator('[data-testid="evaluations-tools"]').locator('xpath=ancestor::details').locator('summary').click();
    const evalCsv = await exportCsv(page, 'evaluations-tools');
    assert.equal(evalCsv.lines.length, m.evaluationCount + 1);
    assert.match(evalCsv.lines[1]!, new RegExp(`^${m.evaluationCount},${m.evaluations[0]!.gradient.id},`), 'the newest evaluation leads, with its ordinal');
    await screenshot(page, 'scale-model');
    assert.deepEqual(session.errors, []);
  });

  test('the overview and the contributor page reach the newest days and rows', async () => {
    const { page } = session;
    const d = await session.stack.gql<{
      protocol: { modelCount: number };
      dayDatas: { date: number; gradientsSubmitted: number }[];
      account: { gradientsSubmitted: number; gradients: { id: string }[] };
    }>(`query($a: ID!) {
      protocol(id: "hessian") { modelCount }
      dayDatas(first: 1, orderBy: date, orderDirection: desc) { date gradientsSubmitted }
      account(id: $a) { gradientsSubmitted gradients(first: 1, orderBy: gradientId, orderDirection: desc) { id } }
    }`, { a: built.contributor });
    const newest = d.dayDatas[0]!;
    assert.equal(newest.gradientsSubmitted, SUBMITTED / DAYS, 'the last day holds the last batch');

    await session.go('#/', '[data-testid="models-tools"]');
    assert.equal((await rowCount(page, 'models-tools')).text, `${d.protocol.modelCount} of ${d.protocol.modelCount} models`);
    const dayRow = page.locator('figure', { hasText: 'Gradients per day' }).locator('tbody tr').last();
    // the chart's data table, in its closed <details>
    assert.equal(await dayRow.locator('td').first().textContent(), new Date(newest.date * 1000).toISOString().slice(0, 10), 'the newest day is in the chart');
    assert.equal(await dayRow.locator('td').nth(1).textContent(), String(newest.gradientsSubmitted));
    const days = await xLabels(page, 'Gradients per day');
    assert.ok(days.length >= 2 && new Set(days).size === days.length, `x axis labels are distinct days: ${days.join(' ')}`);
    const models = await exportCsv(page, 'models-tools');
    assert.equal(models.lines.length, d.protocol.modelCount + 1);

    await session.go(`#/contributor/${built.contributor}`, '[data-testid="contributor-gradients-tools"]');
    const own = await rowCount(page, 'contributor-gradients-tools');
    assert.ok(d.account.gradientsSubmitted > 1000);
    assert.deepEqual(own, { text: `100 of ${formatInt(d.account.gradientsSubmitted)} gradients`, shown: 100, total: d.account.gradientsSubmitted });
    assert.match(await page.locator('[data-testid="contributor-gradients"] tbody tr').first().innerText(), new RegExp(`#${d.account.gradients[0]!.id}(?!\\d)`));
    const ownCsv = await exportCsv(page, 'contributor-gradients-tools');
    assert.equal(ownCsv.lines.length, d.account.gradientsSubmitted + 1);
    assert.deepEqual(session.errors, []);
  });

  test('time travel pages as of the viewed block, and a live gradient joins the paged list', async () => {
    const { page, stack } = session;
    const at = await stack.gql<{ model: { gradientCount: number; gradients: { id: string }[] } }>(
      `query($id: ID!, $b: Int!) { model(id: $id, block: { number: $b }) { gradientCount gradients(first: 1, orderBy: gradientId, orderDirection: desc) { id } } }`,
      { id: built.model, b: built.firstDayBlock },
    );
    assert.ok(at.model.gradientCount > 300 && at.model.gradientCount < SUBMITTED, 'a block part-way through');
    await session.go(`#/model/${built.model}?block=${built.firstDayBlock}`, '[data-testid="gradients-tools"]');
    await page.locator('[data-testid="gradients-tools"] [data-testid="row-count"]', { hasText: `of ${formatInt(at.model.gradientCount)} gradients` }).waitFor();
    assert.equal(await page.locator('[data-testid="gradients-table"] tbody tr').first().getAttribute('data-gradient'), at.model.gradients[0]!.id);
    const pinned = await exportCsv(page, 'gradients-tools');
    assert.equal(pinned.lines.length, at.model.gradientCount + 1, 'the export is as of the viewed block too');

    // live: one more gradient, shown at the top without a reload, counted in "of M"
    const live = await stack.gql<{ model: { gradientCount: number } }>(`query($id: ID!) { model(id: $id) { gradientCount } }`, { id: built.model });
    await session.go(`#/model/${built.model}`, '[data-testid="gradients-tools"]');
    // the pinned block's rows stay on screen until the live ones land
    await page.locator(`[data-testid="gradients-tools"] [data-testid="row-count"][data-total="${live.model.gradientCount}"]`).waitFor();
    const provider = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    let newId = '';
    try {
      const signer = await provider.getSigner(built.contributor);
      await settleAfter(page, 'Model', async () => {
        const { seal } = await submission(built.contributor, built.model, 'scale live');
        const data = repoInterface.encodeFunctionData('commitGradient', [built.model, seal]);
        const r = await (await signer.sendTransaction({ to: stack.history.repository, data, value: MIN_SUBMISSION_STAKE })).wait();
        const committed = r!.logs
          .filter((l) => l.address.toLowerCase() === stack.history.repository.toLowerCase())
          .map((l) => repoInterface.parseLog(l))
          .find((e) => e?.name === 'GradientCommitted');
        assert.ok(committed, 'the commit emitted GradientCommitted');
        newId = String(committed.args.gradientId);
        return r!.blockNumber;
      });
    } finally {
      provider.destroy();
    }
    await page.locator(`[data-testid="gradients-table"] tbody tr[data-gradient="${newId}"]`).waitFor();
    assert.equal(await page.locator('[data-testid="gradients-table"] tbody tr').first().getAttribute('data-gradient'), newId);
    assert.equal(await page.locator(`[data-testid="gradients-table"] tbody tr[data-gradient="${newId}"] [data-field="cid"]`).innerText(), 'sealed', 'a fresh commit shows no CID');
    assert.equal((await rowCount(page, 'gradients-tools')).total, live.model.gradientCount + 1);
    assert.deepEqual(session.errors, []);
  });

  test('a block that changes nothing redraws nothing on the paged pages', async () => {
    // hours on, so that "n seconds ago" cannot rightly change with the next block's second
    await mineEmptyBlock(session.stack, 6 * 3600);
    await assertQuietBlock(session, '#/', '[data-testid="models-tools"]', 'Overview');
    await assertQuietBlock(session, `#/contributor/${built.contributor}`, '[data-testid="contributor-gradients-tools"]', 'Contributor');
    // the model page's score curve runs to the block's time: only its drawing may change
    await assertQuietBlock(session, `#/model/${built.model}`, '[data-testid="gradients-tools"]', 'Model', true);
    assert.deepEqual(session.errors, []);
  });

  test('"Gradients per day" labels one day once, with the days either side', async () => {
    const { page, stack } = session;
    const day0 = tx(stack.history, 'commit g4');
    const { dayDatas } = await stack.gql<{ dayDatas: { date: number }[] }>(`query($b: Int!) { dayDatas(block: { number: $b }) { date } }`, { b: day0.blockNumber });
    assert.equal(dayDatas.length, 1, 'as of this block all data falls on one day');
    await session.go(`#/?block=${day0.blockNumber}`, '[data-testid="models-tools"]');
    await page.locator('figure', { hasText: 'Gradients per day' }).locator('canvas').waitFor();
    await page.waitForFunction(`Object.keys(window.__axisText).some((k) => k.startsWith('Gradients per day'))`);
    const d = dayDatas[0]!.date;
    assert.deepEqual(await xLabels(page, 'Gradients per day'), [mmdd(d - DAY), mmdd(d), mmdd(d + DAY)]);
  });

  test('the score chart keeps its points spread after the clock moves weeks ahead', async () => {
    const { page, stack } = session;
    const m1 = String(stack.history.firstModelId);
    const lastEvaluation = tx(stack.history, 'evaluate g6').timestamp;
    const created = tx(stack.history, 'create m1').timestamp;
    await session.go(`#/model/${m1}`, '[data-testid="bestScore"]');
    // the demo's move: the chain's clock jumps ahead to close a model
    await settleAfter(page, 'Model', () => mineEmptyBlock(stack, 30 * DAY));
    await page.waitForFunction(`Object.keys(window.__axisText).some((k) => k.startsWith('Score of model #${m1}'))`);
    const labels = await xLabels(page, `Score of model #${m1}`);
    const dates = labels.filter((l) => /^\d\d-\d\d$/.test(l));
    assert.ok(labels.length >= 3, `ticks drawn: ${labels.join(' ')}`);
    // every date ticked lies between the model's creation and a day after its last evaluation
    const allowed = new Set(Array.from({ length: Math.ceil((lastEvaluation - created) / DAY) + 2 }, (_, i) => mmdd(created + i * DAY)));
    assert.deepEqual(dates.filter((l) => !allowed.has(l)), [], `x axis ${labels.join(' ')} runs past ${mmdd(lastEvaluation)}`);
    await screenshot(page, 'scale-score-after-clock-jump');
    assert.deepEqual(session.errors, []);
  });
});
