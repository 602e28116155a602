// The dashboard in real Chromium against the real stack (Hardhat history → embedded indexer →
// graph-node API): every page shows the numbers the API returns, time travel changes them, a new
// on-chain event appears without reload, and the endpoint-down banner comes and goes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, JsonRpcProvider, parseEther } from 'ethers';
import { ETH, MIN_SUBMISSION_STAKE, RewardRule, Verdict, modelRepositoryAbi, sealOf } from '@hessian/contracts';
import { tx } from '@hessian/test-kit/history';
import {
  ETH as ETH_INFO,
  GRADIENT_STATUS_LABELS,
  formatAmount,
  formatEpsilon,
  formatEpsilonSpent,
  formatInt,
  formatScore,
  verdictText,
  type GradientStatusName,
  type TokenInfo,
  type VerdictName,
} from '../../src/lib/format.ts';
import { assertFitsNarrowScreen, assertQuietBlock, mineEmptyBlock, type Redraws, screenshot, seriousViolations, settleAfter, takeRedraws, useSession, watchRedraws } from './harness.ts';

const HSN: TokenInfo = { symbol: 'HSN', decimals: 18 };
const info = (token: string) => (token === ETH ? ETH_INFO : HSN);
const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

const session = useSession();
const { text, go, amountIn } = session;

describe('dashboard on a real indexer', { timeout: 300_000 }, () => {
  test('overview shows the totals, money and bounties the API returns', async () => {
    const expected = await session.stack.gql<{
      protocol: { modelCount: number; gradientCount: number; acceptedGradientCount: number; evaluationCount: number; contributorCount: number };
      tokens: { id: string; totalEscrowed: string; totalPaid: string; totalRefunded: string; totalLocked: string }[];
      models: { id: string; token: { id: string }; bounty: string; bountyLeft: string; status: string; bestScore: string; targetScore: string }[];
    }>(`{
      protocol(id: "hessian") { modelCount gradientCount acceptedGradientCount evaluationCount contributorCount }
      tokens { id totalEscrowed totalPaid totalRefunded totalLocked }
      models(first: 100) { id token { id } bounty bountyLeft status bestScore targetScore }
    }`);
    await go('#/', '[data-testid="modelCount"]');
    await session.page.locator('[data-testid="sync"]', { hasText: 'Synced to block' }).waitFor();

    const p = expected.protocol;
    const created = session.stack.history.txs.filter((t) => /^create m\d+$/.test(t.label)).length;
    assert.equal(p.modelCount, created, 'one Model per createModel in the history');
    for (const key of ['modelCount', 'gradientCount', 'acceptedGradientCount', 'evaluationCount', 'contributorCount'] as const) {
      assert.equal(await text(`[data-testid="${key}"]`), formatInt(p[key]), key);
    }
    assert.equal(expected.tokens.length, 2);
    for (const t of expected.tokens) {
      for (const field of ['totalEscrowed', 'totalPaid', 'totalRefunded', 'totalLocked'] as const) {
        const shown = await amountIn(`[data-testid="token-totals"] tr[data-token="${t.id}"] [data-field="${field}"]`);
        assert.equal(shown.raw, t[field], `${t.id} ${field}`);
        assert.equal(shown.text, formatAmount(t[field], info(t.id)), `${t.id} ${field} text`);
      }
    }
    // escrow from the script: models 1 (1 + 0.5 ETH + 1 wei), 3 (0.2 + 0.1) and 4 (2); models 2 (1,000 + 200 HSN) and 5 (300)
    assert.equal((await amountIn(`tr[data-token="${ETH}"] [data-field="totalEscrowed"]`)).text, '3.8 ETH');
    assert.equal((await amountIn(`tr[data-token="${session.stack.history.token}"] [data-field="totalEscrowed"]`)).text, '1,500 HSN');

    const rows = session.page.locator('[data-testid="models-table"] tbody tr');
    assert.equal(await rows.count(), expected.models.length);
    for (const m of expected.models) {
      const row = `[data-testid="models-table"] tr[data-model="${m.id}"]`;
      assert.equal((await amountIn(`${row} [data-field="bounty"]`)).raw, m.bounty, `model ${m.id} bounty`);
      assert.equal((await amountIn(`${row} [data-field="bountyLeft"]`)).raw, m.bountyLeft, `model ${m.id} left`);
      assert.equal(await text(`${row} [data-field="scores"]`), `${formatScore(m.bestScore)} / ${formatScore(m.targetScore)}`);
    }
    // sort by model id with the keyboard, ascending then descending
    const sortButton = session.page.locator('[data-testid="models-table"] thead button', { hasText: 'Model' });
    await sortButton.focus();
    await session.page.keyboard.press('Enter');
    await session.page.locator('[data-testid="models-table"] th[aria-sort="descending"]').waitFor();
    const ids = expected.models.map((m) => m.id).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))), [...ids].reverse());
    await session.page.keyboard.press('Enter');
    await session.page.locator('[data-testid="models-table"] th[aria-sort="ascending"]').waitFor();
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))), ids);
    // filter by token
    await session.page.locator('[data-testid="filter-token"]').selectOption(session.stack.history.token);
    const hsnModels = expected.models.filter((m) => m.token.id === session.stack.history.token).map((m) => m.id).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))), hsnModels);
    await session.page.locator('[data-testid="filter-token"]').selectOption('');
    assert.ok((await session.page.locator('[data-testid="activity"] li').count()) > 0, 'recent activity is listed');
    assert.ok((await session.page.locator('.chart canvas').count()) >= 2, 'both daily charts draw');
    await screenshot(session.page, 'overview');
    assert.deepEqual(session.errors, []);
  });

  test('model page shows status, escrow and funders, score curve, gradients with seal, CID, verdict and epsilon, and the model leaderboard', async () => {
    const { model: m } = await session.stack.gql<{
      model: {
        status: string; bestScore: string; targetScore: string; bounty: string; paid: string; refunded: string; bountyLeft: string;
        gradients: { id: string; status: GradientStatusName; seal: string; cid: string | null; dpEpsilon: string | null; score: string | null; reward: string; contributor: { id: string } }[];
        evaluations: { id: string; ordinal: number; verdict: VerdictName }[];
        contributors: { contributor: { id: string }; rewardsEarned: string; gradientsAccepted: number; gradientsSubmitted: number; dpEpsilonSpent: string }[];
        funders: { funder: { id: string }; isLender: boolean; amount: string; refund: string | null }[];
      };
    }>(`{ model(id: "1") {
      status bestScore targetScore bounty paid refunded bountyLeft
      gradients(first: 100) { id status seal cid dpEpsilon score reward contributor { id } }
      evaluations(first: 100, orderBy: ordinal) { id ordinal verdict }
      contributors(first: 100) { contributor { id } rewardsEarned gradientsAccepted gradientsSubmitted dpEpsilonSpent }
      funders(first: 100) { funder { id } isLender amount refund }
    } }`);
    // the history's model 1 has every kind of ending: accepted, declined, rejected (a copy), expired, lapsed
    assert.deepEqual(new Set(m.gradients.map((g) => g.status)), new Set(['Accepted', 'Declined', 'Rejected', 'Expired', 'Lapsed']));
    await go('#/model/1', '[data-testid="bestScore"]');
    assert.equal(await text('[data-testid="bestScore"]'), formatScore(m.bestScore));
    assert.equal(formatScore(m.bestScore), '0.76', 'g6 raised model 1 to 0.76');
    assert.equal(await text('[data-testid="targetScore"]'), formatScore(m.targetScore));
    assert.equal((await amountIn('[data-testid="bounty"]')).raw, m.bounty);
    assert.equal((await amountIn('[data-testid="escrow"] [data-segment="paid"]')).raw, m.paid);
    assert.equal((await amountIn('[data-testid="escrow"] [data-segment="refunded"]')).raw, m.refunded);
    assert.match(await text('h1'), new RegExp(m.status === 'TargetReached' ? 'Target reached' : m.status));

    const rows = session.page.locator('[data-testid="gradients-table"] tbody tr');
    assert.equal(await rows.count(), m.gradients.length);
    for (const g of m.gradients) {
      const row = session.page.locator(`[data-testid="gradients-table"] tr[data-gradient="${g.id}"]`);
      assert.equal((await row.locator('.badge').innerText()).trim(), GRADIENT_STATUS_LABELS[g.status], `g${g.id} status`);
      assert.equal(await row.locator('code[title^="seal"]').getAttribute('title'), `seal ${g.seal}`, `g${g.id} seal`);
      // a lapsed commit never showed its CID
      if (g.cid) assert.equal(await row.locator('[data-field="cid"] [title^="IPFS"]').getAttribute('title'), `IPFS ${g.cid}`, `g${g.id} CID`);
      else assert.equal((await row.locator('[data-field="cid"]').innerText()).trim(), 'sealed', `g${g.id} sealed`);
      assert.equal((await row.locator('[data-field="dpEpsilon"]').innerText()).trim(), formatEpsilon(g.dpEpsilon), `g${g.id} epsilon`);
      assert.equal((await row.locator('[data-field="score"]').innerText()).trim(), formatScore(g.score), `g${g.id} score`);
      assert.equal(await row.locator('[data-field="reward"] .amount').getAttribute('data-raw'), g.reward, `g${g.id} reward`);
      assert.equal(await row.locator('a[data-address]').getAttribute('data-address'), g.contributor.id);
    }
    // the curve's data table: one row per evaluation, newest first, with the verdict in words
    // (the chart's data table is for screen readers and the collapsed "data" view: read its text, not its rendering)
    const verdicts = await session.page.locator('[data-testid="evaluations-table"] tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(verdicts.map((v) => v.trim()), m.evaluations.map((e) => verdictText(e.verdict)).reverse());
    assert.ok(verdicts.includes('declined (no improvement)') && verdicts.includes('rejected (invalid or a copy)'));
    // funders: the lender and frank's top-up (whose part of the leftover was 0: it went to expired shares)
    assert.equal(await session.page.locator('[data-testid="funders"] tbody tr').count(), m.funders.length);
    for (const f of m.funders) {
      const row = `[data-testid="funders"] tr[data-funder="${f.funder.id}"]`;
      assert.equal((await amountIn(`${row} [data-field="amount"]`)).raw, f.amount);
      if (f.refund === null) assert.equal(await text(`${row} [data-field="refund"]`), f.isLender ? '–' : 'not claimed yet');
      else assert.equal((await amountIn(`${row} [data-field="refund"]`)).raw, f.refund);
    }
    assert.ok(await session.page.locator('.chart canvas').count(), 'score curve drawn');
    const board = session.page.locator('[data-testid="model-leaderboard"] tbody tr');
    assert.equal(await board.count(), m.contributors.length);
    for (const c of m.contributors) {
      const row = `[data-testid="model-leaderboard"] tr[data-contributor="${c.contributor.id}"]`;
      assert.equal((await amountIn(`${row} [data-field="rewardsEarned"]`)).raw, c.rewardsEarned);
      assert.equal(await text(`${row} [data-field="accepted"]`), `${c.gradientsAccepted} / ${c.gradientsSubmitted}`);
      assert.equal(await text(`${row} [data-field="dpEpsilonSpent"]`), formatEpsilonSpent(c.dpEpsilonSpent));
    }
    await screenshot(session.page, 'model');

    // model 3: bob's refund at close, frank's when he claimed it
    const { model: m3 } = await session.stack.gql<{ model: { funders: { funder: { id: string }; refund: string | null }[] } }>(
      '{ model(id: "3") { funders { funder { id } refund } } }',
    );
    await go('#/model/3', '[data-testid="funders"]');
    for (const f of m3.funders) assert.equal((await amountIn(`[data-testid="funders"] tr[data-funder="${f.funder.id}"] [data-field="refund"]`)).raw, f.refund);
    assert.equal(m3.funders.length, 2);
    assert.deepEqual(session.errors, []);
  });

  test('leaderboard ranks contributors as the API numbers say', async () => {
    const { accounts } = await session.stack.gql<{
      accounts: { id: string; gradientsAccepted: number; improvementContributed: string; dpEpsilonSpent: string; balances: { token: { id: string }; rewardsEarned: string }[] }[];
    }>(`{ accounts(where: { gradientsSubmitted_gt: 0 }) { id gradientsAccepted improvementContributed dpEpsilonSpent balances { token { id } rewardsEarned } } }`);
    await go('#/leaderboard', '[data-testid="leaderboard"]');
    const ids = () => session.page.locator('[data-testid="leaderboard"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-contributor')));
    assert.equal((await ids()).length, accounts.length);
    assert.match(await text('[data-testid="leaderboard"] thead'), /ε spent/);
    for (const a of accounts) {
      assert.equal(await text(`[data-testid="leaderboard"] tr[data-contributor="${a.id}"] [data-field="dpEpsilonSpent"]`), formatEpsilonSpent(a.dpEpsilonSpent), `${a.id} epsilon`);
    }
    assert.ok(accounts.some((a) => a.dpEpsilonSpent !== '0'), 'some contributor spent privacy budget');

    await session.page.locator('[data-testid="rank-by"]').selectOption('improvement');
    const byImprovement = [...accounts].sort((a, b) => Number(BigInt(b.improvementContributed) - BigInt(a.improvementContributed)));
    const shownImp = await ids();
    for (let i = 0; i < accounts.length - 1; i++) {
      const a = accounts.find((x) => x.id === shownImp[i])!;
      const b = accounts.find((x) => x.id === shownImp[i + 1])!;
      assert.ok(BigInt(a.improvementContributed) >= BigInt(b.improvementContributed), 'ordered by improvement');
    }
    assert.equal(shownImp[0], byImprovement[0]!.id);

    await session.page.locator('[data-testid="rank-by"]').selectOption('rewards');
    if (await session.page.locator('[data-testid="rank-token"]').count()) await session.page.locator('[data-testid="rank-token"]').selectOption(ETH);
    const ethRewards = (id: string) => accounts.find((a) => a.id === id)!.balances.filter((b) => b.token.id === ETH).reduce((s, b) => s + BigInt(b.rewardsEarned), 0n);
    const shown = await ids();
    for (const id of shown) {
      const cell = await amountIn(`[data-testid="leaderboard"] tr[data-contributor="${id}"] [data-field="rewards"]`);
      assert.equal(cell.raw, ethRewards(id!).toString(), `${id} ETH rewards`);
    }
    for (let i = 0; i < shown.length - 1; i++) assert.ok(ethRewards(shown[i]!) >= ethRewards(shown[i + 1]!), 'ordered by ETH rewards');
    assert.ok(ethRewards(shown[0]!) > 0n);
    await screenshot(session.page, 'leaderboard');

    // a contributor page from the leaderboard link
    const top = shown[0]!;
    await session.page.locator(`[data-testid="leaderboard"] tr[data-contributor="${top}"] a[data-address]`).click();
    await session.page.locator('[data-testid="contributor-stats"]').waitFor();
    const { account } = await session.stack.gql<{
      account: {
        gradientsSubmitted: number; gradientsAccepted: number; dpEpsilonSpent: string;
        balances: { token: { id: string }; rewardsEarned: string; withdrawn: string; balance: string }[];
        modelStats: { model: { id: string }; dpEpsilonSpent: string }[];
        gradients: { id: string; dpEpsilon: string | null }[];
      };
    }>(`query($id: ID!) { account(id: $id) {
      gradientsSubmitted gradientsAccepted dpEpsilonSpent
      balances { token { id } rewardsEarned withdrawn balance }
      modelStats { model { id } dpEpsilonSpent }
      gradients { id dpEpsilon }
    } }`, { id: top });
    assert.equal(await text('[data-testid="gradientsSubmitted"]'), String(account.gradientsSubmitted));
    assert.equal(await text('[data-testid="gradientsAccepted"]'), String(account.gradientsAccepted));
    assert.equal(await text('[data-testid="dpEpsilonSpent"]'), formatEpsilonSpent(account.dpEpsilonSpent));
    for (const s of account.modelStats) {
      assert.equal(await text(`[data-testid="contributor-models"] tr[data-model="${s.model.id}"] [data-field="dpEpsilonSpent"]`), formatEpsilonSpent(s.dpEpsilonSpent));
    }
    for (const g of account.gradients) {
      assert.equal(await text(`[data-testid="contributor-gradients"] tr[data-gradient="${g.id}"] [data-field="dpEpsilon"]`), formatEpsilon(g.dpEpsilon));
    }
    for (const b of account.balances) {
      for (const f of ['rewardsEarned', 'withdrawn', 'balance'] as const) {
        assert.equal((await amountIn(`[data-testid="balances"] tr[data-token="${b.token.id}"] [data-field="${f}"]`)).raw, b[f], `${f} in ${b.token.id}`);
      }
    }
    assert.equal(await session.page.locator('[data-testid="contributor-gradients"] tbody tr').count(), account.gradientsSubmitted);
    await screenshot(session.page, 'contributor');
    assert.deepEqual(session.errors, []);
  });

  test('time travel shows the history as of a block and back to live', async () => {
    const block = tx(session.stack.history, 'evaluate g3').blockNumber;
    const past = await session.stack.gql<{ model: { bestScore: string; gradientCount: number } }>(
      `query($b: Int!) { model(id: "1", block: { number: $b }) { bestScore gradientCount } }`,
      { b: block },
    );
    await go(`#/model/1?block=${block}`, '[data-testid="bestScore"]');
    await session.page.locator('[data-testid="viewing"]', { hasText: `as of block ${block.toLocaleString('en-US')}` }).waitFor();
    assert.equal(await text('[data-testid="bestScore"]'), formatScore(past.model.bestScore));
    assert.equal(formatScore(past.model.bestScore), '0.74', 'before g6, model 1 stood at 0.74');
    assert.equal(await text('[data-testid="gradientCount"]'), String(past.model.gradientCount));
    assert.equal(await session.page.locator('[data-testid="gradients-table"] tbody tr').count(), past.model.gradientCount);
    // nothing on a past page may be dated after that block
    assert.doesNotMatch(await text('[data-testid="gradients-table"] tbody'), /\bin \d/);
    await screenshot(session.page, 'model-time-travel');

    // the block input: back to the block that created model 1, where nothing was submitted yet
    const created = tx(session.stack.history, 'create m1').blockNumber;
    await session.page.locator('#tt-block').fill(String(created));
    await session.page.locator('.timebar-form button[type="submit"]').click();
    await session.page.waitForURL((u) => u.hash.endsWith(`?block=${created}`));
    await session.page.locator('[data-testid="gradientCount"]', { hasText: /^0$/ }).waitFor();
    assert.equal(await text('[data-testid="bestScore"]'), '0.7');

    // links keep the viewed block: the overview then had one model
    await session.page.locator('nav a', { hasText: 'Overview' }).click();
    await session.page.locator('[data-testid="modelCount"]', { hasText: /^1$/ }).waitFor();

    // before the first model: empty states, not errors
    await go(`#/?block=${session.stack.history.deployment.contracts.ModelRepository.startBlock}`, '[data-testid="modelCount"]');
    await session.page.locator('p.empty', { hasText: 'No bounties yet' }).waitFor();
    assert.equal(await text('[data-testid="modelCount"]'), '0');
    await screenshot(session.page, 'overview-empty');

    const live = await session.stack.gql<{ protocol: { modelCount: number } }>('{ protocol(id: "hessian") { modelCount } }');
    await session.page.locator('button', { hasText: 'Back to live' }).click();
    await session.page.locator('[data-testid="modelCount"]', { hasText: new RegExp(`^${live.protocol.modelCount}$`) }).waitFor();
    assert.doesNotMatch(new URL(session.page.url()).hash, /block=/);
    assert.deepEqual(session.errors, []);
  });

  test('a new on-chain event appears without a reload', async () => {
    await go('#/', '[data-testid="modelCount"]');
    const before = await session.stack.gql<{ protocol: { modelCount: number } }>('{ protocol(id: "hessian") { modelCount } }');
    const next = String(before.protocol.modelCount + 1);
    await session.page.locator('[data-testid="modelCount"]', { hasText: new RegExp(`^${before.protocol.modelCount}$`) }).waitFor();
    // the money chart must redraw the new deposit into the plot it has, not build another one
    const moneyCanvas = session.page.locator('figure.chart', { hasText: 'Escrowed and paid per day' }).locator('canvas');
    // (the node-side types know no DOM: a canvas is what the locator finds)
    type Canvas = { setAttribute(k: string, v: string): void; getAttribute(k: string): string | null; toDataURL(): string };
    const drawnBefore = await moneyCanvas.evaluate((c) => {
      (c as unknown as Canvas).setAttribute('data-probe', 'kept');
      return (c as unknown as Canvas).toDataURL();
    });
    const provider = new JsonRpcProvider(session.stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const alice = await provider.getSigner(session.stack.history.accounts.alice);
      const repo = new Contract(session.stack.history.deployment.contracts.ModelRepository.address, modelRepositoryAbi, alice);
      const latest = await provider.send('eth_getBlockByNumber', ['latest', false]);
      const now = Number(BigInt(latest.timestamp));
      const sent = await repo.createModel!(
        {
          token: ETH, bounty: 0n, weightsCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
          metadataCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', initialScore: 650_000, targetScore: 820_000,
          rule: RewardRule.Improvement, submissionDeadline: now + 10 * 86_400, evaluationWindow: 86_400, evaluator: ETH, submissionStake: MIN_SUBMISSION_STAKE,
        },
        { value: parseEther('0.3') },
      );
      const receipt = await sent.wait();
      const block = receipt!.blockNumber as number;
      // no navigation from here on: the page must notice by itself
      await session.page.locator('[data-testid="modelCount"]', { hasText: new RegExp(`^${next}$`) }).waitFor({ timeout: 20_000 });
      await session.page.locator(`[data-testid="models-table"] tr[data-model="${next}"]`).waitFor();
      assert.equal((await amountIn(`tr[data-model="${next}"] [data-field="bounty"]`)).text, '0.3 ETH');
      const drawnAfter = await moneyCanvas.evaluate((c) => ({ probe: c.getAttribute('data-probe'), image: (c as unknown as Canvas).toDataURL() }));
      assert.equal(drawnAfter.probe, 'kept', 'the money chart kept its canvas');
      assert.notEqual(drawnAfter.image, drawnBefore, 'the money chart drew the new deposit');
      const synced = Number(await session.page.locator('[data-testid="sync"]').getAttribute('data-block'));
      assert.ok(synced >= block, `sync indicator ${synced} >= ${block}`);
      assert.match(await text('[data-testid="sync"]'), new RegExp(`Synced to block ${synced.toLocaleString('en-US')}`));
      await session.page.locator('[data-testid="activity"] li[data-kind="deposit"]', { hasText: `model #${next}` }).first().waitFor();
    } finally {
      provider.destroy();
    }
    assert.deepEqual(session.errors, []);
  });

  test('a submission shows live on its model page: sealed commit, then revealed CID and epsilon, then the verdict', async () => {
    const { stack, page } = session;
    const { accounts, deployment } = stack.history;
    await go('#/model/4', '[data-testid="gradients-table"]');
    const before = await stack.gql<{ protocol: { gradientCount: number } }>('{ protocol(id: "hessian") { gradientCount } }');
    const id = String(before.protocol.gradientCount + 1);
    const row = page.locator(`[data-testid="gradients-table"] tr[data-gradient="${id}"]`);
    const provider = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const address = deployment.contracts.ModelRepository.address;
      const asCarol = new Contract(address, modelRepositoryAbi, await provider.getSigner(accounts.carol));
      const asEve = new Contract(address, modelRepositoryAbi, await provider.getSigner(accounts.eve));
      const dataCommitment = `0x${'ab'.repeat(32)}`;
      const salt = `0x${'5a'.repeat(32)}`;
      const seal = sealOf(accounts.carol, 4n, dataCommitment, CID, salt);

      await settleAfter(page, 'Model', async () => (await (await asCarol.commitGradient!(4n, seal, { value: MIN_SUBMISSION_STAKE })).wait())!.blockNumber);
      await row.waitFor();
      assert.equal((await row.locator('.badge').innerText()).trim(), 'Committed');
      assert.equal(await row.locator('code[title^="seal"]').getAttribute('title'), `seal ${seal}`);
      assert.equal((await row.locator('[data-field="cid"]').innerText()).trim(), 'sealed', 'no CID before the reveal');
      assert.equal((await row.locator('[data-field="dpEpsilon"]').innerText()).trim(), '–');
      await screenshot(page, 'model-committed');

      await settleAfter(page, 'Model', async () => (await (await asCarol.revealGradient!(BigInt(id), CID, dataCommitment, salt, 500_000)).wait())!.blockNumber);
      assert.equal((await row.locator('.badge').innerText()).trim(), 'Revealed, pending');
      assert.equal(await row.locator('[data-field="cid"] [title^="IPFS"]').getAttribute('title'), `IPFS ${CID}`);
      assert.equal((await row.locator('[data-field="dpEpsilon"]').innerText()).trim(), 'ε 0.5');

      // valid but no better than the best: declined, and said so in words
      await settleAfter(page, 'Model', async () => (await (await asEve.evaluateGradient!(BigInt(id), seal, 690_000, Verdict.Declined, '')).wait())!.blockNumber);
      assert.equal((await row.locator('.badge').innerText()).trim(), 'Declined');
      assert.equal((await row.locator('[data-field="score"]').innerText()).trim(), '0.69');
      // the newest evaluation leads the curve's data table
      const newest = page.locator('[data-testid="evaluations-table"] tbody tr').first();
      assert.equal((await newest.locator('td').nth(1).textContent())?.trim(), `#${id}`);
      assert.equal((await newest.locator('td').nth(2).textContent())?.trim(), 'declined (no improvement)');
      assert.match(await text(`[data-testid="model-leaderboard"] tr[data-contributor="${accounts.carol}"] [data-field="dpEpsilonSpent"]`), /^1\.25$/);
    } finally {
      provider.destroy();
    }
    assert.deepEqual(session.errors, []);
  });

  test('with a graphql-ws endpoint, new heads are pushed (no waiting for the one-minute poll)', async () => {
    const before = await session.stack.gql<{ protocol: { modelCount: number } }>('{ protocol(id: "hessian") { modelCount } }');
    await session.page.goto(`${session.stack.dashboardWs.url}#/`);
    await session.page.locator('[data-testid="modelCount"]', { hasText: new RegExp(`^${before.protocol.modelCount}$`) }).waitFor({ timeout: 15_000 });
    const provider = new JsonRpcProvider(session.stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const bob = await provider.getSigner(session.stack.history.accounts.bob);
      const repo = new Contract(session.stack.history.deployment.contracts.ModelRepository.address, modelRepositoryAbi, bob);
      const latest = await provider.send('eth_getBlockByNumber', ['latest', false]);
      const sent = await repo.createModel!(
        {
          token: ETH, bounty: 0n, weightsCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
          metadataCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', initialScore: 100_000, targetScore: 200_000,
          rule: RewardRule.EqualShare, submissionDeadline: Number(BigInt(latest.timestamp)) + 86_400, evaluationWindow: 3600,
          evaluator: ETH, submissionStake: MIN_SUBMISSION_STAKE,
        },
        { value: parseEther('0.05') },
      );
      await sent.wait();
      await session.page.locator('[data-testid="modelCount"]', { hasText: new RegExp(`^${before.protocol.modelCount + 1}$`) }).waitFor({ timeout: 15_000 });
    } finally {
      provider.destroy();
    }
    assert.deepEqual(session.errors, []);
  });

  test('a block that changes nothing a page shows redraws nothing on it; a top-up redraws its own model row only', async () => {
    const { stack, page } = session;
    // an hour on, every time shown reads in hours or days, which the next block's second does not change
    await mineEmptyBlock(stack, 3600);
    await assertQuietBlock(session, '#/', '[data-testid="models-table"]', 'Overview');
    await assertQuietBlock(session, '#/leaderboard', '[data-testid="leaderboard"]', 'Leaderboard');
    await assertQuietBlock(session, `#/contributor/${stack.history.accounts.carol}`, '[data-testid="contributor-stats"]', 'Contributor');
    // the score curve runs up to the viewed block's time, so it is redrawn for every block
    await assertQuietBlock(session, '#/model/1', '[data-testid="bestScore"]', 'Model', true);

    // a top-up of one model: its row (and the money it moves) change, no other model's row
    await go('#/', '[data-testid="models-table"]');
    const provider = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const rows = page.locator('[data-testid="models-table"] tbody tr');
    let id = '';
    let seen: Redraws;
    try {
      const alice = await provider.getSigner(stack.history.accounts.alice);
      const repo = new Contract(stack.history.deployment.contracts.ModelRepository.address, modelRepositoryAbi, alice);
      // a model open for a while yet (the history's may be closed or near their deadline)
      const latest = await provider.send('eth_getBlockByNumber', ['latest', false]);
      await settleAfter(page, 'Overview', async () => {
        const sent = await repo.createModel!(
          {
            token: ETH, bounty: 0n, weightsCid: CID, metadataCid: CID, initialScore: 600_000, targetScore: 700_000, rule: RewardRule.Improvement,
            submissionDeadline: Number(BigInt(latest.timestamp)) + 30 * 86_400, evaluationWindow: 86_400, evaluator: ETH, submissionStake: MIN_SUBMISSION_STAKE,
          },
          { value: parseEther('0.1') },
        );
        return (await sent.wait())!.blockNumber;
      });
      id = String((await stack.gql<{ protocol: { modelCount: number } }>('{ protocol(id: "hessian") { modelCount } }')).protocol.modelCount);
      await page.locator(`tr[data-model="${id}"]`).waitFor();
      await rows.evaluateAll((trs) => trs.forEach((tr) => ((tr as unknown as { __kept: boolean }).__kept = true)));
      await watchRedraws(page);
      await settleAfter(page, 'Overview', async () => (await (await repo.addBounty!(BigInt(id), parseEther('0.25'), { value: parseEther('0.25') })).wait())!.blockNumber);
      seen = await takeRedraws(page);
    } finally {
      provider.destroy();
    }
    assert.equal((await amountIn(`tr[data-model="${id}"] [data-field="bounty"]`)).raw, parseEther('0.35').toString());
    const inTable = seen.mutations.filter((m) => m.testid === 'models-table');
    assert.ok(inTable.some((m) => m.model === id && m.field === 'bounty'), `model ${id} shows its new bounty`);
    assert.deepEqual(inTable.filter((m) => m.model !== id), [], 'no other model row changed');
    assert.ok(await rows.evaluateAll((trs) => trs.every((tr) => (tr as unknown as { __kept?: boolean }).__kept)), 'every row is the same element');
    assert.ok(seen.mutations.some((m) => m.testid === 'token-totals'), 'the ETH totals moved');
    assert.ok(seen.draws['Escrowed and paid per day (ETH, cumulative)'], 'the money chart drew the top-up');
    assert.equal(seen.draws['Gradients per day'], undefined, 'the gradients chart did not change');
    assert.deepEqual(session.errors, []);
  });

  test('the endpoint-down banner appears and clears when the endpoint returns', async () => {
    await go('#/model/1', '[data-testid="bestScore"]');
    assert.equal(await session.page.locator('[data-testid="banner-down"]').count(), 0);
    await session.stack.proxy.down();
    try {
      await session.page.locator('[data-testid="banner-down"]').waitFor({ timeout: 15_000 });
      assert.match(await text('[data-testid="banner-down"]'), /unreachable/);
      assert.match(await text('[data-testid="sync"]'), /Offline/);
      // the last numbers stay on screen
      assert.equal(await text('[data-testid="bestScore"]'), '0.76');
      await screenshot(session.page, 'endpoint-down');
      // a page opened while down says so, and loads by itself once the endpoint is back
      await session.page.evaluate(`location.hash = '#/model/1?block=${tx(session.stack.history, 'evaluate g3').blockNumber}'`);
      await session.page.locator('p.error', { hasText: 'Could not load model #1' }).waitFor({ timeout: 15_000 });
    } finally {
      await session.stack.proxy.up();
    }
    await session.page.locator('[data-testid="banner-down"]').waitFor({ state: 'detached', timeout: 15_000 });
    await session.page.locator('[data-testid="bestScore"]', { hasText: '0.74' }).waitFor({ timeout: 15_000 });
    await session.page.locator('[data-testid="sync"]', { hasText: 'Synced to block' }).waitFor();
    assert.deepEqual(session.errors, []);
  });

  test('an indexer failure shows its banner over the data up to the failed block, and clears', async () => {
    await go('#/model/1', '[data-testid="bestScore"]');
    const head = (await session.stack.gql<{ _meta: { block: { number: number } } }>('{ _meta { block { number } } }'))._meta.block.number;
    // the store state a deterministic handler error leaves behind, served by the real API
    session.stack.indexer.store.setFailed({ message: 'handler failed (test)', block: head });
    try {
      await session.page.locator('[data-testid="banner-failed"]').waitFor({ timeout: 15_000 });
      assert.match(await text('[data-testid="banner-failed"]'), new RegExp(`The indexer has failed.*last good block ${head}`));
      assert.match(await text('[data-testid="sync"]'), new RegExp(`Indexing stopped at block ${head.toLocaleString('en-US')}`));
      // graph-node answers `subgraphError: allow` queries with data plus indexing_error: still shown
      await session.page.reload();
      await session.page.locator('[data-testid="bestScore"]').waitFor({ timeout: 15_000 });
      assert.equal(await text('[data-testid="bestScore"]'), '0.76');
      await session.page.locator('[data-testid="banner-failed"]').waitFor({ timeout: 15_000 });
      await screenshot(session.page, 'indexer-failed');
    } finally {
      session.stack.indexer.store.clearFailed();
    }
    await session.page.locator('[data-testid="banner-failed"]').waitFor({ state: 'detached', timeout: 15_000 });
    assert.deepEqual(session.errors, []);
  });

  test('no page has serious accessibility violations (axe-core, WCAG 2 A/AA)', async () => {
    for (const [hash, ready] of [
      ['#/', '[data-testid="modelCount"]'],
      ['#/model/1', '[data-testid="bestScore"]'],
      ['#/leaderboard', '[data-testid="leaderboard"]'],
      [`#/contributor/${session.stack.history.accounts.carol}`, '[data-testid="contributor-stats"]'],
      ['#/loans', '[data-testid="deploymentCount"]'],
    ] as const) {
      await go(hash, ready);
      await session.page.locator('.chart canvas').first().waitFor({ timeout: 5_000 }).catch(() => {});
      const violations = await seriousViolations(session.page);
      assert.deepEqual(violations, [], `${hash}: ${JSON.stringify(violations, null, 1)}`);
    }
    assert.deepEqual(session.errors, []);
  });

  test('every page fits a narrow screen', async () => {
    await assertFitsNarrowScreen(session.stack, [
      ['overview', '#/', '[data-testid="modelCount"]'],
      ['model', '#/model/1', '[data-testid="bestScore"]'],
      ['leaderboard', '#/leaderboard', '[data-testid="leaderboard"]'],
      ['contributor', `#/contributor/${session.stack.history.accounts.carol}`, '[data-testid="contributor-stats"]'],
      ['loans', '#/loans', '[data-testid="deploymentCount"]'],
    ]);
  });
});
